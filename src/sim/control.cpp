#include "sim/control.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

namespace ml::sim {
namespace {

constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);

core::Error socket_error(const std::string& what) {
  return core::make_error(core::Errc::invalid_argument, what);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  return s;
}

}  // namespace

nlohmann::json control_error(const std::string& message) {
  return nlohmann::json{{"ok", false}, {"error", message}};
}

ControlReply handle_control_line(std::string_view line, const ControlHandler& handler) {
  if (line.size() > kMaxControlLine) {
    return {control_error("line longer than " + std::to_string(kMaxControlLine) + " bytes")};
  }
  line = trim(line);
  nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
  if (request.is_discarded()) {
    return {control_error("not valid JSON; send one object per line, e.g. {\"cmd\":\"state\"}")};
  }
  if (!request.is_object()) return {control_error("a request must be a JSON object")};
  auto cmd = request.find("cmd");
  if (cmd == request.end() || !cmd->is_string()) {
    return {control_error("the request has no \"cmd\" string")};
  }
  try {
    return handler(request);
  } catch (const std::exception& e) {  // a JSON type error in a handler: never fatal
    return {control_error(std::string("bad request: ") + e.what())};
  }
}

ControlServer::ControlServer(asio::io_context& io, std::string path, ControlHandler handler,
                             std::function<void()> on_quit)
    : io_(io),
      path_(std::move(path)),
      handler_(std::move(handler)),
      on_quit_(std::move(on_quit)),
      acceptor_(io),
      alive_(std::make_shared<bool>(true)) {}

core::Result<std::unique_ptr<ControlServer>> ControlServer::open(asio::io_context& io,
                                                                 const std::string& path,
                                                                 ControlHandler handler,
                                                                 std::function<void()> on_quit) {
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return socket_error("control socket path '" + path + "' is empty or too long");
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return socket_error(path + " exists and is not a socket; not replacing it");
    }
    ::unlink(path.c_str());
  }
  std::unique_ptr<ControlServer> server(
      new ControlServer(io, path, std::move(handler), std::move(on_quit)));
  asio::error_code ec;
  server->acceptor_.open(asio::local::stream_protocol(), ec);
  if (!ec) server->acceptor_.bind(asio::local::stream_protocol::endpoint(path), ec);
  if (!ec) server->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return socket_error("control socket " + path + ": " + ec.message());
  asio::co_spawn(io, server->accept_loop(), asio::detached);
  return server;
}

ControlServer::~ControlServer() {
  *alive_ = false;
  asio::error_code ec;
  acceptor_.close(ec);
  ::unlink(path_.c_str());
}

asio::awaitable<void> ControlServer::accept_loop() {
  const std::shared_ptr<bool> alive = alive_;
  while (*alive) {
    auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
    if (!*alive) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;
    }
    asio::co_spawn(io_, session(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> ControlServer::session(asio::local::stream_protocol::socket socket) {
  const std::shared_ptr<bool> alive = alive_;
  std::string buf;
  bool discarding = false;
  char chunk[1024];
  auto send = [&](const nlohmann::json& j) -> asio::awaitable<bool> {
    const std::string line = j.dump() + "\n";
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(line), kTuple);
    co_return !ec;
  };
  while (true) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), kTuple);
    if (ec || !*alive) co_return;
    buf.append(chunk, n);
    std::size_t pos = 0;
    while ((pos = buf.find('\n')) != std::string::npos) {
      std::string line = buf.substr(0, pos);
      buf.erase(0, pos + 1);
      if (discarding) {  // the tail of an over-long line
        discarding = false;
        continue;
      }
      if (trim(line).empty()) continue;
      ControlReply reply = handle_control_line(line, handler_);
      if (!co_await send(reply.body)) co_return;
      if (!*alive) co_return;
      if (reply.quit) {
        if (on_quit_) on_quit_();
        co_return;
      }
    }
    if (buf.size() > kMaxControlLine) {
      if (!discarding) {
        if (!co_await send(control_error("line longer than " + std::to_string(kMaxControlLine) +
                                         " bytes; skipped"))) {
          co_return;
        }
      }
      discarding = true;
      buf.clear();
    }
  }
}

// ---- client ----

core::Result<ControlClient> ControlClient::connect(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return socket_error("socket path too long: " + path);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return socket_error(std::string("socket: ") + std::strerror(errno));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    return socket_error("cannot connect to " + path + ": " + std::strerror(err));
  }
  return ControlClient(fd);
}

ControlClient::ControlClient(ControlClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buf_(std::move(other.buf_)) {}

ControlClient& ControlClient::operator=(ControlClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    buf_ = std::move(other.buf_);
  }
  return *this;
}

ControlClient::~ControlClient() {
  if (fd_ >= 0) ::close(fd_);
}

core::Status ControlClient::send_line(std::string_view text) {
  std::string line(text);
  line += '\n';
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return socket_error(std::string("send: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return core::Ok{};
}

core::Result<std::string> ControlClient::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto pos = buf_.find('\n'); pos != std::string::npos) {
      std::string line = buf_.substr(0, pos);
      buf_.erase(0, pos + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return socket_error("no answer from the control socket in time");
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n == 0) return socket_error("the control socket was closed");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return socket_error(std::string("recv: ") + std::strerror(errno));
    }
    buf_.append(chunk, static_cast<std::size_t>(n));
  }
}

core::Result<nlohmann::json> ControlClient::request(const nlohmann::json& request,
                                                    std::chrono::milliseconds timeout) {
  if (auto s = send_line(request.dump()); !s) return s.error();
  auto line = read_line(timeout);
  if (!line) return line.error();
  nlohmann::json j = nlohmann::json::parse(*line, nullptr, false);
  if (j.is_discarded()) return socket_error("the answer is not JSON: " + line->substr(0, 200));
  return j;
}

}  // namespace ml::sim
