#include "platform/http/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace ml::platform::http {
namespace {

using Clock = std::chrono::steady_clock;

// One open connection: its socket and the time by which its current request must be complete.
struct Connection {
  int fd = -1;
  std::optional<Clock::time_point> deadline;
};

// One request being received.
struct Receiving {
  bool too_large = false;
  std::string body;
  std::unique_ptr<Response> delayed;  // the answer, while the connection waits to send it
};

// A connection whose answer waits (Response::delay).
struct Waiting {
  MHD_Connection* connection;
  Clock::time_point until;
};

// A streamed body: the piece being sent and where.
struct Streaming {
  std::function<bool(std::string&)> next;
  std::string piece;
  std::size_t offset = 0;
  bool done = false;
};

// Binds a listening socket for host:port (SO_REUSEADDR only: a restarted server finds its port
// again, but a second server on the same port fails). -1 and `error` when it cannot.
int listen_on(const std::string& host, int port, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc =
          getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
      rc != 0) {
    *error = "cannot listen on " + host + ":" + service + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  int why = 0;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      why = errno;
      continue;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1024) == 0) break;
    why = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd < 0) {
    *error = "cannot listen on " + host + ":" + service + ": " + std::strerror(why);
    if (why == EADDRINUSE) {
      *error += " (another program listens there already; is a second server running?)";
    }
  }
  return fd;
}

int bound_port(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
}

// Raises the open-file limit to its maximum; the connections the server may hold.
int connection_limit(int wanted) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return std::min(wanted, 900);
  if (r.rlim_cur < r.rlim_max) {
    rlimit raised = r;
    raised.rlim_cur = r.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) r = raised;
  }
  const auto room = static_cast<long long>(r.rlim_cur) - 100;  // the database, logs, the broker
  return static_cast<int>(std::max<long long>(16, std::min<long long>(wanted, room)));
}

std::string address_text(const sockaddr* a) {
  char text[INET6_ADDRSTRLEN] = "";
  if (a == nullptr) return "";
  if (a->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, text, sizeof text);
  } else if (a->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, text, sizeof text);
  }
  return text;
}

}  // namespace

struct Server::Impl {
  Options options;
  Handler handler;
  MHD_Daemon* daemon = nullptr;
  int port = -1;

  std::mutex mutex;  // guards connections, stopping
  std::condition_variable wake;
  std::set<Connection*> connections;
  std::vector<Waiting> waiting;  // suspended until their time
  bool stopping = false;
  std::thread watchdog;

  Clock::duration request_timeout() const {
    return std::chrono::seconds(options.request_timeout_s);
  }

  void arm(Connection* c) {
    std::lock_guard lock(mutex);
    c->deadline = Clock::now() + request_timeout();
  }
  void disarm(Connection* c) {
    std::lock_guard lock(mutex);
    c->deadline.reset();
  }

  // Closes the connections past their deadline. The socket is shut down, not closed: the
  // polling thread sees it end and frees the connection; the lock keeps it from being closed
  // (and its number reused) meanwhile, since MHD reports it closed before it closes it.
  void watch() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      wake.wait_for(lock, std::chrono::milliseconds(200));
      const auto now = Clock::now();
      for (Connection* c : connections) {
        if (c->deadline && *c->deadline <= now) {
          shutdown(c->fd, SHUT_RDWR);
          c->deadline.reset();
        }
      }
      resume_waiting(now);
    }
  }

  // Resumes the connections whose answer is due (all of them at the end). Called with the lock.
  void resume_waiting(std::optional<Clock::time_point> now) {
    auto due = [&](const Waiting& w) { return !now || w.until <= *now; };
    for (const Waiting& w : waiting) {
      if (due(w)) MHD_resume_connection(w.connection);
    }
    waiting.erase(std::remove_if(waiting.begin(), waiting.end(), due), waiting.end());
  }

  static void on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                            MHD_ConnectionNotificationCode code) {
    auto* self = static_cast<Impl*>(cls);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      auto* c = new Connection;
      const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      c->fd = info != nullptr ? info->connect_fd : -1;
      c->deadline = Clock::now() + self->request_timeout();
      *socket_context = c;
      std::lock_guard lock(self->mutex);
      self->connections.insert(c);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
      auto* c = static_cast<Connection*>(*socket_context);
      if (c == nullptr) return;
      {
        std::lock_guard lock(self->mutex);
        self->connections.erase(c);
      }
      delete c;
      *socket_context = nullptr;
    }
  }

  static Connection* connection_of(MHD_Connection* connection) {
    const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info != nullptr ? static_cast<Connection*>(info->socket_context) : nullptr;
  }

  // The request is answered (or abandoned): the next one on this connection has its own
  // deadline, counted from now.
  static void on_completed(void* cls, MHD_Connection* connection, void** request_context,
                           MHD_RequestTerminationCode) {
    delete static_cast<Receiving*>(*request_context);
    *request_context = nullptr;
    if (Connection* c = connection_of(connection)) static_cast<Impl*>(cls)->arm(c);
  }

  static MHD_Result send(MHD_Connection* connection, Response&& r) {
    MHD_Response* response = nullptr;
    if (r.stream) {
      auto* s = new Streaming{std::move(r.stream), {}, 0, false};
      response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, &read_stream, s,
                                                   &free_stream);
      if (response == nullptr) delete s;
    } else if (r.shared_body) {
      // The server keeps the text alive longer than any answer.
      response = MHD_create_response_from_buffer(
          r.shared_body->size(), const_cast<char*>(r.shared_body->data()), MHD_RESPMEM_PERSISTENT);
    } else {
      response =
          MHD_create_response_from_buffer(r.body.size(), r.body.data(), MHD_RESPMEM_MUST_COPY);
    }
    if (response == nullptr) return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
    for (const auto& [name, value] : r.headers) {
      MHD_add_response_header(response, name.c_str(), value.c_str());
    }
    const MHD_Result queued =
        MHD_queue_response(connection, static_cast<unsigned>(r.status), response);
    MHD_destroy_response(response);
    return queued;
  }

  static Response plain(int status, const char* text) {
    Response r;
    r.status = status;
    r.body = text;
    r.headers.emplace_back("Connection", "close");
    return r;
  }

  static ssize_t read_stream(void* cls, std::uint64_t, char* buf, std::size_t max) {
    auto* s = static_cast<Streaming*>(cls);
    try {
      while (s->offset == s->piece.size()) {
        if (s->done) return MHD_CONTENT_READER_END_OF_STREAM;
        s->piece.clear();
        s->offset = 0;
        s->done = !s->next(s->piece);
      }
    } catch (...) {
      return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    const std::size_t n = std::min(max, s->piece.size() - s->offset);
    std::memcpy(buf, s->piece.data() + s->offset, n);
    s->offset += n;
    return static_cast<ssize_t>(n);
  }
  static void free_stream(void* cls) { delete static_cast<Streaming*>(cls); }

  static MHD_Result collect(void* cls, MHD_ValueKind, const char* key, const char* value) {
    auto* into = static_cast<std::map<std::string, std::string>*>(cls);
    into->emplace(key, value != nullptr ? value : "");
    return MHD_YES;
  }
  static MHD_Result collect_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
    std::string name = key;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    auto& into = *static_cast<std::map<std::string, std::string>*>(cls);
    const std::string text = value != nullptr ? value : "";
    // Repeated X-Forwarded-For lines are one list in their order (each proxy appends; the
    // right-most entries are the trustworthy ones); other repeated headers: the first counts.
    if (auto it = into.find(name); it != into.end()) {
      if (name == "x-forwarded-for") it->second += "," + text;
      return MHD_YES;
    }
    into.emplace(std::move(name), text);
    return MHD_YES;
  }

  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url,
                               const char* method, const char*, const char* upload_data,
                               std::size_t* upload_size, void** request_context) {
    auto* self = static_cast<Impl*>(cls);
    auto* rx = static_cast<Receiving*>(*request_context);
    if (rx == nullptr) {
      // The headers are in: check them before any body is read.
      rx = new Receiving;
      *request_context = rx;
      if (MHD_get_connection_values(connection, MHD_HEADER_KIND, nullptr, nullptr) >
          self->options.max_headers) {
        return send(connection, plain(431, "too many header fields\n"));
      }
      const char* length =
          MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
      if (length != nullptr && std::strtoull(length, nullptr, 10) > self->options.max_body) {
        return send(connection, plain(413, "the body is too large\n"));
      }
      return MHD_YES;
    }
    if (rx->delayed) {
      // Resumed: the answer's time has come.
      auto out = std::move(rx->delayed);
      return send(connection, std::move(*out));
    }
    if (*upload_size != 0) {
      if (rx->body.size() + *upload_size > self->options.max_body) {
        rx->too_large = true;
      } else {
        rx->body.append(upload_data, *upload_size);
      }
      *upload_size = 0;
      return MHD_YES;
    }
    // The whole request is in: no deadline while it is answered.
    if (Connection* c = connection_of(connection)) self->disarm(c);
    if (rx->too_large) return send(connection, plain(413, "the body is too large\n"));
    Request r;
    r.method = method;
    r.path = url;
    r.body = std::move(rx->body);
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &collect, &r.query);
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &collect_header, &r.headers);
    const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    r.remote = address_text(info != nullptr ? info->client_addr : nullptr);
    Response out;
    try {
      out = self->handler(r);
    } catch (const std::exception&) {
      out = plain(500, "internal error\n");
    }
    if (out.delay.count() > 0) {
      // Suspended only while the server runs, and under the lock stop() takes to resume them
      // all: MHD aborts the process if it is stopped with a connection still suspended.
      std::lock_guard lock(self->mutex);
      if (!self->stopping) {
        const auto until = Clock::now() + out.delay;
        rx->delayed = std::make_unique<Response>(std::move(out));
        MHD_suspend_connection(connection);
        self->waiting.push_back({connection, until});
        return MHD_YES;
      }
    }
    return send(connection, std::move(out));  // stopping: answered at once
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  stop();
}

std::unique_ptr<Server> Server::start(const Options& options, Handler handler, std::string* error) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  const int fd = listen_on(options.host, options.port, error);
  if (fd < 0) return nullptr;
  impl->port = bound_port(fd);
  Impl* self = impl.get();
  const unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
  impl->daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &Impl::on_request, self,                               //
      MHD_OPTION_LISTEN_SOCKET, fd,                                                      //
      MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(std::max(1, options.threads)),  //
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(connection_limit(options.max_connections)),
      MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      static_cast<unsigned>(std::max(0, options.max_per_address)),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, options.max_header_bytes,  //
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(std::max(1, options.idle_timeout_s)),
      MHD_OPTION_NOTIFY_CONNECTION, &Impl::on_connection, self,  //
      MHD_OPTION_NOTIFY_COMPLETED, &Impl::on_completed, self,    //
      MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,                     //
      MHD_OPTION_END);
  if (impl->daemon == nullptr) {
    close(fd);
    *error = "cannot start the HTTP server on " + options.host + ":" + std::to_string(options.port);
    return nullptr;
  }
  impl->watchdog = std::thread([self] { self->watch(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const {
  return impl_->port;
}

void Server::stop() {
  if (!impl_ || impl_->daemon == nullptr) return;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;               // from now on no answer waits
    impl_->resume_waiting(std::nullopt);  // MHD stops no suspended connection
  }
  impl_->wake.notify_all();
  if (impl_->watchdog.joinable()) impl_->watchdog.join();
  MHD_stop_daemon(impl_->daemon);  // also closes the listening socket
  impl_->daemon = nullptr;
}

}  // namespace ml::platform::http
