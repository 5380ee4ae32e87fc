#!/usr/bin/env python3
"""Test peers for the notification channels (tests/integration/notify_test.cpp).

  notify_peer.py smtp PORT FOLDER [starttls|tls CERT KEY]
      an SMTP server (aiosmtpd) that accepts every message and writes it to FOLDER/mail-N as
      JSON {"from", "to", "data", "tls"}; "tls" says whether the session was encrypted. With
      starttls it offers STARTTLS and refuses mail before it (RFC 3207); with tls it speaks TLS
      from the first byte (RFC 8314); CERT and KEY are the server's PEM certificate and key.
  notify_peer.py http PORT FOLDER [STATUS [CERT KEY]]
      an HTTP server that answers every request with STATUS (200) and writes it to FOLDER/http-N
      as JSON {"method", "path", "headers", "body"}; HTTPS with CERT and KEY.

Each file appears whole (written under a temporary name, then renamed); N counts from 0.
"""
import json
import os
import ssl
import sys

mode, port, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
counter = [0]


def save(prefix, record):
    name = os.path.join(folder, "%s%d" % (prefix, counter[0]))
    counter[0] += 1
    with open(name + ".tmp", "w", encoding="utf-8") as f:
        json.dump(record, f)
    os.rename(name + ".tmp", name)


def server_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


if mode == "smtp":
    import asyncio

    from aiosmtpd.smtp import SMTP

    tls = sys.argv[4] if len(sys.argv) > 4 else ""
    if tls not in ("", "starttls", "tls"):
        sys.exit("smtp: starttls or tls, not " + tls)
    context = server_context(sys.argv[5], sys.argv[6]) if tls else None

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            save("mail-", {"from": envelope.mail_from, "to": envelope.rcpt_tos,
                           "data": envelope.content.decode("utf-8", "replace"),
                           "tls": session.ssl is not None or
                                  server.transport.get_extra_info("ssl_object") is not None})
            return "250 OK"

    def protocol():
        if tls == "starttls":
            return SMTP(Handler(), tls_context=context, require_starttls=True)
        return SMTP(Handler())

    loop = asyncio.new_event_loop()
    loop.run_until_complete(loop.create_server(protocol, "127.0.0.1", port,
                                               ssl=context if tls == "tls" else None))
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

    class Server(HTTPServer):
        def handle_error(self, request, client_address):
            pass  # a client that refused the certificate, or a probe of the port

    httpd = Server(("127.0.0.1", port), Receiver)
    if len(sys.argv) > 6:
        httpd.socket = server_context(sys.argv[5], sys.argv[6]).wrap_socket(httpd.socket,
                                                                            server_side=True)
    httpd.serve_forever()
else:
    sys.exit("usage: notify_peer.py smtp PORT FOLDER [starttls|tls CERT KEY] | "
             "http PORT FOLDER [STATUS [CERT KEY]]")
