// The emulators' control interface: a Unix stream socket speaking JSON lines. Each line a client
// sends is one JSON object with a "cmd" key; each answer is one JSON object on one line, with
// "ok": true or "ok": false and an "error". Lines are bounded (kMaxControlLine); a longer line is
// answered with an error and skipped. Any number of clients may be connected. The commands are
// the emulator's (see docs/emulators.md); this file only carries them.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace ml::sim {

inline constexpr std::size_t kMaxControlLine = 4096;

struct ControlReply {
  nlohmann::json body;
  bool quit = false;  // stop the emulator once the answer is written
};

using ControlHandler = std::function<ControlReply(const nlohmann::json& request)>;

// One request line to one answer: parse errors, a missing or non-string "cmd" and non-object
// input are answered here; everything else goes to the handler.
ControlReply handle_control_line(std::string_view line, const ControlHandler& handler);

nlohmann::json control_error(const std::string& message);

class ControlServer {
 public:
  // Listens on `path` (an existing socket file there is replaced; any other file is an error).
  // on_quit runs after the answer to a "quit" command has been written.
  static core::Result<std::unique_ptr<ControlServer>> open(asio::io_context& io,
                                                           const std::string& path,
                                                           ControlHandler handler,
                                                           std::function<void()> on_quit);
  ~ControlServer();  // stops listening and removes the socket file
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::string& path() const { return path_; }

 private:
  ControlServer(asio::io_context& io, std::string path, ControlHandler handler,
                std::function<void()> on_quit);
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(asio::local::stream_protocol::socket socket);

  asio::io_context& io_;
  std::string path_;
  ControlHandler handler_;
  std::function<void()> on_quit_;
  asio::local::stream_protocol::acceptor acceptor_;
  std::shared_ptr<bool> alive_;
};

// A small blocking client for tests and `meterlogger sim ctl`.
class ControlClient {
 public:
  static core::Result<ControlClient> connect(const std::string& path);
  ControlClient(ControlClient&& other) noexcept;
  ControlClient& operator=(ControlClient&& other) noexcept;
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;
  ~ControlClient();

  // Sends text followed by a newline.
  core::Status send_line(std::string_view text);
  // Waits for one line (without the newline).
  core::Result<std::string> read_line(std::chrono::milliseconds timeout);
  // send_line(request.dump()) and the parsed answer.
  core::Result<nlohmann::json> request(
      const nlohmann::json& request,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

 private:
  explicit ControlClient(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string buf_;
};

}  // namespace ml::sim
