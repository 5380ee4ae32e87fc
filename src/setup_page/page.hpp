// The setup page's pure parts: sessions, HTML rendering and form checks. No sockets here, so
// the unit tests exercise them directly; server.cpp puts them behind the HTTP server
// (src/platform/http).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/ascii.hpp"
#include "password/password.hpp"
#include "setup_page/api.hpp"

namespace ml::setup_page {

using Clock = std::chrono::steady_clock;

// Logged-in browsers: an unguessable token (the cookie) with an expiry that each request
// extends, a token forms must echo (CSRF), and a message to show on the next page. Thread-safe.
class Sessions {
 public:
  explicit Sessions(std::chrono::minutes lifetime) : lifetime_(lifetime) {}

  struct Session {
    std::string csrf;
    std::string message;  // shown once on the next page
    bool message_is_error = false;
  };

  // A new session; returns its token. At most kMaxSessions live at once (the oldest goes).
  std::string open(Clock::time_point now);
  // The session of `token`, extended, or nothing when unknown or expired.
  std::optional<Session> touch(const std::string& token, Clock::time_point now);
  void set_message(const std::string& token, std::string message, bool error);
  // Returns the message and clears it.
  std::pair<std::string, bool> take_message(const std::string& token);
  void close(const std::string& token);
  std::size_t size() const;

  static constexpr std::size_t kMaxSessions = 16;

 private:
  struct Entry {
    Session session;
    Clock::time_point expires;
  };
  std::chrono::minutes lifetime_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> sessions_;
};

// 32 random bytes as hex, from the kernel (libsodium's randombytes).
std::string random_token();

using core::html_escape;  // core/ascii.hpp

std::string render_login(std::string_view error);
// The status page with the forms; `message` (escaped here) is shown on top.
std::string render_status(const Status& status, const std::string& csrf, const std::string& message,
                          bool message_is_error);
// The status as JSON (the same facts as the page), for scripts.
std::string status_json(const Status& status);

// An application/x-www-form-urlencoded body: name -> decoded value (the first of repeated
// names counts; "+" is a space; a malformed escape is kept as it is).
using FormValues = std::map<std::string, std::string>;
FormValues parse_form(std::string_view body);
// A form field, "" when absent.
std::string form_value(const FormValues& form, const std::string& name);

// Checks what a form sent before the agent sees it. "" when acceptable.
std::string check_broker_form(const std::string& host, const std::string& port);

// Argon2id (src/password).
using password::hash_password;
using password::verify_password;

}  // namespace ml::setup_page
