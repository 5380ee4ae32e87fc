// The HTTP server adapter (src/platform/http/server.hpp) on loopback: a delayed answer holds no
// thread, and stopping with an answer still waiting does not hang.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>
#include <string>

#include "platform/http/server.hpp"

namespace ml::platform::http {
namespace {

using namespace std::chrono_literals;

// GET `path` with Connection: close; the whole answer ("" when none).
std::string http_get(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  close(fd);
  return out;
}

// Answers /slow after a second (Response::delay) and anything else at once. `on_slow` runs in
// the handler before /slow is answered: the tests learn from it that the request is in.
std::unique_ptr<Server> delaying_server(std::function<void()> on_slow = [] {}) {
  Options o;
  o.threads = 1;  // one thread: a sleeping handler would hold up everyone
  std::string error;
  auto s = Server::start(
      o,
      [on_slow](const Request& r) {
        Response res;
        res.body = r.path == "/slow" ? "slow" : "fast";
        if (r.path == "/slow") {
          on_slow();
          res.delay = 1s;
        }
        return res;
      },
      &error);
  EXPECT_TRUE(s) << error;
  return s;
}

TEST(HttpServer, ADelayedAnswerHoldsNoThread) {
  std::promise<void> in;
  auto server = delaying_server([&in] { in.set_value(); });
  ASSERT_TRUE(server);
  const int port = server->port();
  const auto t0 = std::chrono::steady_clock::now();
  auto slow = std::async(std::launch::async, [port] { return http_get(port, "/slow"); });
  in.get_future().wait();  // the slow answer is waiting
  const std::string fast = http_get(port, "/fast");
  // Answered while the slow answer still waits: it was not held up behind it.
  const auto fast_done = std::chrono::steady_clock::now();
  EXPECT_NE(fast.find("\r\n\r\nfast"), std::string::npos) << fast;
  const std::string answer = slow.get();
  const auto slow_done = std::chrono::steady_clock::now();
  EXPECT_NE(answer.find("\r\n\r\nslow"), std::string::npos) << answer;
  EXPECT_LT(fast_done, slow_done);
  EXPECT_GE(slow_done - t0, 900ms);
}

TEST(HttpServer, StopsWithAnAnswerWaiting) {
  std::promise<void> in;
  auto server = delaying_server([&in] { in.set_value(); });
  ASSERT_TRUE(server);
  const int port = server->port();
  auto slow = std::async(std::launch::async, [port] { return http_get(port, "/slow"); });
  in.get_future().wait();
  server->stop();
  EXPECT_EQ(slow.wait_for(30s), std::future_status::ready);
}

// Stopping while the handler is still deciding to delay its answer: the connection is not
// suspended (MHD would abort the process if it were stopped with a suspended connection).
TEST(HttpServer, StopsWhileAnAnswerIsBeingDelayed) {
  std::promise<void> in;
  std::promise<void> release;
  auto released = release.get_future().share();
  auto server = delaying_server([&in, released] {
    in.set_value();
    released.wait();
  });
  ASSERT_TRUE(server);
  const int port = server->port();
  auto slow = std::async(std::launch::async, [port] { return http_get(port, "/slow"); });
  in.get_future().wait();
  auto stopping = std::async(std::launch::async, [&server] { server->stop(); });
  // stop() waits for the handler; let it begin first (either order must work).
  std::this_thread::sleep_for(50ms);
  release.set_value();
  EXPECT_EQ(stopping.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(slow.wait_for(30s), std::future_status::ready);  // answered or closed, not left open
}

TEST(HttpServer, APortInUseIsAClearError) {
  auto first = delaying_server();
  ASSERT_TRUE(first);
  Options o;
  o.port = first->port();
  std::string error;
  EXPECT_FALSE(Server::start(
      o, [](const Request&) { return Response{}; }, &error));
  EXPECT_NE(error.find("Address already in use"), std::string::npos) << error;
  EXPECT_NE(error.find("is a second server running?"), std::string::npos) << error;
}

}  // namespace
}  // namespace ml::platform::http
