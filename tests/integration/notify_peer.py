#!/usr/bin/env python3
"""Test peers for the notification channels (tests/integration/notify_test.cpp).

  notify_peer.py smtp PORT FOLDER           an SMTP server (aiosmtpd, no TLS) that accepts every
                                            message and writes it to FOLDER/mail-N as JSON
                                            {"from", "to", "data"}
  notify_peer.py http PORT FOLDER [STATUS]  an HTTP server that answers every request with
                                            STATUS (200) and writes it to FOLDER/http-N as JSON
                                            {"method", "path", "headers", "body"}

Each file appears whole (written under a temporary name, then renamed); N counts from 0.
"""
import json
import os
import sys

mode, port, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
counter = [0]


def save(prefix, record):
    name = os.path.join(folder, "%s%d" % (prefix, counter[0]))
    counter[0] += 1
    with open(name + ".tmp", "w", encoding="utf-8") as f:
        json.dump(record, f)
    os.rename(name + ".tmp", name)


if mode == "smtp":
    import asyncio

    from aiosmtpd.smtp import SMTP

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            save("mail-", {"from": envelope.mail_from, "to": envelope.rcpt_tos,
                           "data": envelope.content.decode("utf-8", "replace")})
            return "250 OK"

    loop = asyncio.new_event_loop()
    loop.run_until_complete(loop.create_server(lambda: SMTP(Handler()), "127.0.0.1", port))
    loop.run_forever()
elif mode == "http":
    from http.server import BaseHTTPRequestHandler, HTTPServer

    status = int(sys.argv[4]) if len(sys.argv) > 4 else 200

    class Receiver(BaseHTTPRequestHandler):
        def answer(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else b""
            save("http-", {"method": self.command, "path": self.path,
                           "headers": {k: v for k, v in self.headers.items()},
                           "body": body.decode("utf-8", "replace")})
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        do_GET = do_POST = do_PUT = answer

        def log_message(self, *args):
            pass

    HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
else:
    sys.exit("usage: notify_peer.py smtp|http PORT FOLDER [STATUS]")
