// libcurl for the notification channels: one easy handle per request with the timeouts bounded
// (connect 10 s, the whole transfer 30 s), verified TLS (the system's CAs or ca_file), and an
// error text that names what failed but never a secret (no URL, no credentials: only curl's
// explanation). Blocking: the notifier calls it on its own thread (notifier.hpp).
#pragma once

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace ml::server::notify {

inline constexpr long kConnectTimeoutS = 10;
inline constexpr long kTotalTimeoutS = 30;

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::string ca_file;
};
struct HttpResponse {
  long status = 0;
  std::string body;  // at most 4 KiB of it
};

// A stop flag the transfers watch: set, they end within a second (the notifier's stop()).
void set_abort_flag(const std::atomic<bool>* flag);

core::Result<HttpResponse> http_request(const HttpRequest& request);

struct SmtpRequest {
  std::string url;           // smtp://host:port or smtps://host:port
  bool require_tls = false;  // STARTTLS, and refuse to go on without it
  std::string username;
  std::string password;
  std::string ca_file;
  std::string from;  // the envelope's
  std::string to;
  std::string message;  // headers and body, CRLF line ends
};
core::Status smtp_send(const SmtpRequest& request);

}  // namespace ml::server::notify
