// An HTTP/1.1 server that survives slow and idle clients, over libmicrohttpd (docs/server.md,
// "The HTTP server"). Both web servers of MeterLogger use it: `meterlogger-server serve` and the
// agent's setup page module.
//
// What it guarantees, whatever the clients do:
// - Waiting costs no thread: the connections are watched with epoll by `threads` threads, so a
//   thousand idle or trickling connections do not hold up anyone else.
// - A request's headers and body must arrive within `request_timeout_s` of the connection's
//   opening or of the previous answer on it; a connection that is slower (sending a header line
//   every few seconds) is closed then. A connection that makes no progress for
//   `idle_timeout_s` (for example one that stops reading an answer) is closed too.
// - The headers of a request are held in at most `max_header_bytes` (a larger request is
//   answered 431 and costs no more memory), at most `max_headers` of them (431), and a body of at
//   most `max_body` bytes (413).
// - At most `max_connections` connections at once, `max_per_address` of them from one address.
// - The port is this process's alone: binding fails with a clear message when another program
//   (a second `serve`) listens there already (no SO_REUSEPORT).
//
// Handlers run on the threads that watch the connections, so they must be short: an answer that
// takes long to make is a `stream`, produced piece by piece as the client reads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ml::platform::http {

struct Request {
  std::string method;                        // GET | POST | ...
  std::string path;                          // without the query, percent-decoded
  std::map<std::string, std::string> query;  // decoded; the first of repeated names counts
  std::map<std::string, std::string>
      headers;  // lower-case names; repeated: the first (X-Forwarded-For: joined by ",")
  std::string body;
  std::string remote;  // the client's address

  // A header's value, "" when absent; `name` in lower case.
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Instead of `body`: a body that lives as long as the server (files read at start).
  std::shared_ptr<const std::string> shared_body;
  // Instead of `body`: called while the client reads; each call appends the next piece to `out`
  // and returns false after the last one. Sent chunked; at most one piece is held at a time.
  // An exception ends the answer early (the client sees a cut chunked body).
  std::function<bool(std::string& out)> stream;
  std::vector<std::pair<std::string, std::string>> headers;
  // Sent this much later, without holding a thread meanwhile (a wrong password's answer, to slow
  // down guessing). Precise to about 0.2 s.
  std::chrono::milliseconds delay{0};
};

using Handler = std::function<Response(const Request&)>;

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  int threads = 4;
  std::size_t max_body = 64 * 1024;
  std::size_t max_header_bytes = 32 * 1024;  // the request line and headers, with their buffers
  int max_headers = 100;
  int request_timeout_s = 10;
  int idle_timeout_s = 30;
  int max_connections = 2000;  // also limited by the process's open file limit (raised to its max)
  int max_per_address = 32;    // 0: no limit (behind a reverse proxy every client is one address)
};

class Server {
 public:
  // Binds and starts answering on background threads; nullptr with `error` set when it cannot
  // (the address in use names the likely cause).
  static std::unique_ptr<Server> start(const Options& options, Handler handler, std::string* error);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  // Stops answering and closes every connection; idempotent.
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ml::platform::http
