// bench/dashboard/serve_load_bench: `meterlogger-server serve` under load (issue 12, items 7 and
// 8; bench/serve_load.sh). The server is the real program, started as a child process on a
// database this program fills first:
//
//   1. 1 000 heat meters with three samples and four replies each, and meter 6892850 with two
//      years of one-minute samples (1 051 200, ingested in batches of 5 000 as `run` stores a
//      backlog, which builds the rollups); an admin user;
//   2. the meter list (GET /api/meters, gzip as browsers ask) timed on one keep-alive connection:
//      idle; then while another client downloads the two-year samples.csv as fast as it can
//      (the list's requests in the same run, interleaved with the export); then with 1 000 idle
//      connections and 20 that send a header line every second open;
//   3. the export itself (time, size, and the server's peak resident memory, VmHWM, before and
//      after), energy.csv the same, and a raw series over the two years (answered hourly).
//
// Usage: serve_load_bench SERVER_BIN WORK_DIR [RUNS=200]
// Exit status 0 when the targets hold (list p95 during the export <= 2 x idle p95; export peak
// memory growth < 64 MiB), 3 when not, 1 on a wrong answer.
#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/sample/sample.hpp"
#include "password/password.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"

using namespace ml;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

extern char** environ;

namespace {

constexpr int kMeters = 1000;
constexpr std::int64_t kTwoYearsMinutes = 2 * 365 * 24 * 60;  // 1 051 200
constexpr std::size_t kBatch = 5000;
constexpr const char* kBigSerial = "6892850";
constexpr const char* kPassword = "bench-password-1";

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "serve_load_bench: " << what << "\n";
  std::exit(1);
}

template <typename T>
T must(core::Result<T> r, const std::string& what) {
  if (!r) fail(what + ": " + r.error().message() + " " + r.error().detail);
  return std::move(r).value();
}
void must(const core::Status& s, const std::string& what) {
  if (!s) fail(what + ": " + s.error().message() + " " + s.error().detail);
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string fixed(std::int64_t v, int decimals) {
  std::string digits = std::to_string(std::llabs(v));
  while (static_cast<int>(digits.size()) <= decimals)
    digits.insert(0, "0");
  digits.insert(digits.size() - static_cast<std::size_t>(decimals), ".");
  return (v < 0 ? "-" : "") + digits;
}

// A heat meter read every minute (the KMP sample text the firmware sends).
struct HeatMeter {
  std::mt19937_64 rng;
  double energy_wh, volume_l, hours;
  HeatMeter(std::uint64_t seed, double e, double v, double h)
      : rng(seed), energy_wh(e * 1000), volume_l(v * 1000), hours(h) {}
  std::string sample(std::int64_t time, std::int64_t step_s) {
    const double day = static_cast<double>(time % 86400) / 86400.0;
    const double daily = std::sin(6.283185307179586 * (day - 0.25));
    const auto t1 = static_cast<std::int64_t>(5600 + 350 * daily) + static_cast<int>(rng() % 31);
    const auto t2 = static_cast<std::int64_t>(3000 + 120 * daily) + static_cast<int>(rng() % 21);
    const auto flow = static_cast<std::int64_t>(150 + 40 * daily) + static_cast<int>(rng() % 13);
    const double power_w = static_cast<double>(flow) * static_cast<double>(t1 - t2) * 1.163 / 100;
    std::string text = "heap=20000&t1=" + fixed(t1, 2) + " C&t2=" + fixed(t2, 2) +
                       " C&tdif=" + fixed(t1 - t2, 2) + " K&flow1=" + std::to_string(flow) +
                       " l/h&effect1=" + fixed(std::lround(power_w / 100.0), 1) +
                       " kW&hr=" + std::to_string(static_cast<std::int64_t>(hours)) +
                       " h&v1=" + fixed(static_cast<std::int64_t>(volume_l), 3) +
                       " m3&e1=" + fixed(static_cast<std::int64_t>(energy_wh), 3) + " kWh&";
    const double dt_h = static_cast<double>(step_s) / 3600.0;
    energy_wh += power_w * dt_h;
    volume_l += static_cast<double>(flow) * dt_h;
    hours += dt_h;
    return text;
  }
};

server::IngestItem item(const std::string& serial, std::int64_t time, const std::string& function,
                        std::string text) {
  server::IngestItem i;
  i.kind = function == "sample" ? server::IngestItem::Kind::sample
                                : server::IngestItem::Kind::diagnostic;
  i.serial = serial;
  i.time = time;
  i.function = function;
  if (function == "sample") i.sample = must(core::sample::parse_sample(text), "sample " + text);
  i.text = std::move(text);
  return i;
}

void seed(const std::string& db, std::int64_t now) {
  auto store = must(server::SqliteStore::open(db), "open " + db);
  std::vector<server::IngestItem> items;
  for (int i = 0; i < kMeters; ++i) {
    server::Meter m;
    m.serial = i == 0 ? kBigSerial : std::to_string(7000000 + i);
    m.key_hex = "00112233445566778899aabbccddeeff";
    m.name = "Meter " + std::to_string(i);
    m.group = "group " + std::to_string(i % 10);
    m.valve_installed = i % 5 != 4;
    m.created = now - 400 * 86400;
    must(store->add_meter(m), "add_meter");
    if (i == 0) continue;
    HeatMeter h(static_cast<std::uint64_t>(i), 10000 + i, 300, 20000);
    for (std::int64_t t : {now - 86000, now - 43200, now - 60})
      items.push_back(item(m.serial, t, "sample", h.sample(t, 43200)));
    items.push_back(item(m.serial, now - 100, "version", "1.0.1-HEAD"));
    items.push_back(item(m.serial, now - 100, "status", "open"));
    items.push_back(item(m.serial, now - 100, "uptime", "123456"));
    items.push_back(item(m.serial, now - 100, "rssi", "-60"));
    if (items.size() >= 700) {
      must(server::store_items(*store, items, now), "ingest");
      items.clear();
    }
  }
  must(server::store_items(*store, items, now), "ingest");
  items.clear();
  HeatMeter big(1, 10000.0, 400.0, 12000.0);
  const std::int64_t start = now - (kTwoYearsMinutes - 1) * 60;
  for (std::int64_t k = 0; k < kTwoYearsMinutes; ++k) {
    const std::int64_t time = start + 60 * k;
    items.push_back(item(kBigSerial, time, "sample", big.sample(time, 60)));
    if (items.size() == kBatch || k == kTwoYearsMinutes - 1) {
      must(server::store_items(*store, items, time + 1), "ingest");
      items.clear();
    }
  }
  std::string hash;
  if (!password::hash_password(kPassword, &hash)) fail("hash_password");
  server::User u;
  u.name = "bench";
  u.password_hash = hash;
  u.role = server::Role::admin;
  u.groups = {"*"};
  u.created = now;
  must(store->add_user(u), "add_user");
  must(store->db().exec("PRAGMA wal_checkpoint(TRUNCATE)"), "checkpoint");
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

long proc_kib(int pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field) + 1));
  }
  return -1;
}

int connect_from(const std::string& from, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  inet_pton(AF_INET, from.c_str(), &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<std::uint16_t>(port));
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// User and system CPU seconds of a process so far.
double cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stol(f);
    if (i == 15) stime = std::stol(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Stats {
  double p50 = 0, p95 = 0, max = 0;
  std::size_t n = 0;
};
Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return v[std::min(v.size() - 1,
                      static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1)];
  };
  s.p50 = at(0.5);
  s.p95 = at(0.95);
  s.max = v.back();
  s.n = v.size();
  return s;
}

class Bench {
 public:
  Bench(int port, std::string cookie) : port_(port), cookie_(std::move(cookie)), list_(client()) {}

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120, 0);
    c.set_keep_alive(true);
    return c;
  }
  httplib::Headers headers(bool gzip) const {
    httplib::Headers h{{"Cookie", cookie_}};
    if (gzip) h.emplace("Accept-Encoding", "gzip, deflate");
    return h;
  }
  // One timed meter list, ms.
  double list_once() {
    const auto t = Clock::now();
    auto r = list_.Get("/api/meters", headers(true));
    const double ms = ms_since(t);
    if (!r || r->status != 200) fail("the meter list did not answer 200");
    return ms;
  }
  // Downloads `path` as a remote client would, without keeping it and with as little CPU of
  // this machine as possible (a plain socket; the chunk framing is counted, not decoded): bytes
  // and ms.
  std::pair<std::size_t, double> download(const std::string& path) const {
    const int fd = connect_from("127.0.0.1", port_);
    if (fd < 0) fail("cannot connect for " + path);
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: bench\r\nCookie: " + cookie_ + "\r\n\r\n";
    const auto t = Clock::now();
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::vector<char> buf(1 << 18);
    std::string tail;
    std::size_t bytes = 0;
    while (true) {
      const auto n = recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0) fail(path + ": the answer ended early");
      bytes += static_cast<std::size_t>(n);
      tail.append(buf.data(), static_cast<std::size_t>(n));
      if (tail.size() > 16) tail.erase(0, tail.size() - 16);
      if (tail.size() >= 5 && tail.compare(tail.size() - 5, 5, "0\r\n\r\n") == 0) break;
    }
    const double ms = ms_since(t);
    close(fd);
    return {bytes, ms};
  }

 private:
  int port_;
  std::string cookie_;
  httplib::Client list_;
};

void row(const char* what, const Stats& s) {
  std::printf("| %s | %zu | %.1f | %.1f | %.1f |\n", what, s.n, s.p50, s.p95, s.max);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: serve_load_bench SERVER_BIN WORK_DIR [RUNS=200]\n";
    return 2;
  }
  const std::string server_bin = argv[1];
  const std::filesystem::path dir = argv[2];
  const int runs = argc > 3 ? std::stoi(argv[3]) : 200;
  signal(SIGPIPE, SIG_IGN);
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);

  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const std::string db = (dir / "server.db").string();
  auto t = Clock::now();
  seed(db, now);
  std::printf("Seeded %d meters and %lld one-minute samples of meter %s in %.0f s.\n\n", kMeters,
              static_cast<long long>(kTwoYearsMinutes), kBigSerial, ms_since(t) / 1000);

  const int port = free_port();
  const std::string config = (dir / "server.toml").string();
  std::ofstream(config) << "[database]\npath = \"" << db
                        << "\"\n[mqtt]\nhost = \"127.0.0.1\"\nport = 1\n[http]\nlisten = "
                           "\"127.0.0.1:"
                        << port << "\"\nweb_dir = \"" << (dir / "no-web").string()
                        << "\"\n"
                        // (the bench measures reads: its administrator logs in with a password)
                        << "second_factor = \"off\"\n";
  const std::string log = (dir / "serve.log").string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<std::string> args{server_bin, "--config", config, "serve"};
  std::vector<char*> cargs;
  for (auto& a : args)
    cargs.push_back(a.data());
  cargs.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, server_bin.c_str(), &fa, nullptr, cargs.data(), environ) != 0) {
    fail("cannot start " + server_bin);
  }
  int status = 0;
  auto end = [&](int code) {
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    return code;
  };
  httplib::Client probe("127.0.0.1", port);
  for (int i = 0; i < 200 && !probe.Get("/api/session"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto login = probe.Post("/api/login", json{{"username", "bench"}, {"password", kPassword}}.dump(),
                          "application/json");
  if (!login || login->status != 200) return end((std::cerr << "login failed\n", 1));
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  Bench b(port, set_cookie.substr(0, set_cookie.find(';')));

  const std::string samples_path = std::string("/api/meters/") + kBigSerial + "/samples.csv";
  const std::string energy_path = std::string("/api/meters/") + kBigSerial + "/energy.csv";

  // Idle.
  for (int i = 0; i < 10; ++i)
    b.list_once();
  std::vector<double> idle;
  for (int i = 0; i < runs; ++i)
    idle.push_back(b.list_once());

  // During a two-year export (started again whenever it ends, until the list's runs are done).
  const long rss_before = proc_kib(pid, "VmRSS:");
  const double cpu_before = cpu_seconds(pid);
  std::atomic<bool> done{false};
  std::vector<std::pair<std::size_t, double>> exports;
  std::thread exporter([&] {
    while (!done)
      exports.push_back(b.download(samples_path));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<double> during;
  for (int i = 0; i < runs; ++i) {
    during.push_back(b.list_once());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  done = true;
  exporter.join();
  const double cpu_export = cpu_seconds(pid) - cpu_before;
  const auto energy = b.download(energy_path);
  const long hwm_export = proc_kib(pid, "VmHWM:");

  // Raw over two years: answered from the hourly rollups.
  t = Clock::now();
  auto series = b.client().Get("/api/meters/" + std::string(kBigSerial) +
                                   "/series?resolution=raw&from=0&to=" + std::to_string(now),
                               b.headers(true));
  const double series_ms = ms_since(t);
  if (!series || series->status != 200) return end((std::cerr << "series failed\n", 1));

  // Slow clients: 1 000 idle (8 per address) and 20 trickling a header line every second.
  std::vector<int> idle_fds;
  for (int i = 0; i < 1000; ++i) {
    const int g = i / 8;
    const int fd = connect_from(
        "127.0." + std::to_string(10 + g / 250) + "." + std::to_string(1 + g % 250), port);
    if (fd >= 0) idle_fds.push_back(fd);
  }
  std::vector<int> tricklers;
  for (int i = 0; i < 20; ++i) {
    const int fd = connect_from("127.0.9." + std::to_string(1 + i), port);
    if (fd < 0) continue;
    send(fd, "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL);
    tricklers.push_back(fd);
  }
  std::atomic<bool> stop_trickle{false};
  std::thread trickle([&] {
    while (!stop_trickle) {
      for (int fd : tricklers)
        send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL);
      for (int i = 0; i < 10 && !stop_trickle; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  Bench slow_b(port, set_cookie.substr(0, set_cookie.find(';')));  // a new connection
  std::vector<double> slow;
  for (int i = 0; i < runs; ++i)
    slow.push_back(slow_b.list_once());
  t = Clock::now();
  auto login2 = httplib::Client("127.0.0.1", port)
                    .Post("/api/login", json{{"username", "bench"}, {"password", kPassword}}.dump(),
                          "application/json");
  const double login_slow_ms = ms_since(t);
  if (!login2 || login2->status != 200) return end((std::cerr << "login under load failed\n", 1));
  const long rss_slow = proc_kib(pid, "VmRSS:");
  stop_trickle = true;
  trickle.join();
  for (int fd : idle_fds)
    close(fd);
  for (int fd : tricklers)
    close(fd);

  const auto s_idle = stats(idle), s_during = stats(during), s_slow = stats(slow);
  std::printf("| GET /api/meters (1 000 meters, gzip) | n | p50 ms | p95 ms | max ms |\n");
  std::printf("|---|---:|---:|---:|---:|\n");
  row("idle", s_idle);
  row("during a two-year samples.csv export", s_during);
  row("with 1 000 idle + 20 trickling connections open", s_slow);
  std::printf("\n| export (meter %s, 1 051 200 samples) | size MiB | seconds |\n|---|---:|---:|\n",
              kBigSerial);
  for (const auto& [bytes, ms] : exports) {
    std::printf("| samples.csv | %.1f | %.1f |\n", static_cast<double>(bytes) / 1048576, ms / 1000);
  }
  double export_s = 0;
  for (const auto& e : exports)
    export_s += e.second / 1000;
  std::printf("| energy.csv | %.1f | %.1f |\n", static_cast<double>(energy.first) / 1048576,
              energy.second / 1000);
  std::printf(
      "\nserve used %.1f s of CPU while the samples.csv exports ran %.1f s (%.0f %% of a core, the "
      "list included; "
      "the machine has %u cores).\n\n",
      cpu_export, export_s, 100 * cpu_export / export_s, std::thread::hardware_concurrency());
  std::printf(
      "\nserve resident memory: %.1f MiB before the exports, peak %.1f MiB after them (VmHWM); "
      "%.1f MiB with the 1 020 slow connections open.\n",
      static_cast<double>(rss_before) / 1024, static_cast<double>(hwm_export) / 1024,
      static_cast<double>(rss_slow) / 1024);
  std::printf("Raw series over two years: %.0f ms, answered as \"%s\" (%zu bytes).\n", series_ms,
              json::parse(series->body)["resolution"].get<std::string>().c_str(),
              series->body.size());
  std::printf("Login (Argon2id) with the slow connections open: %.0f ms.\n", login_slow_ms);
  const bool ok = s_during.p95 <= 2 * s_idle.p95 && hwm_export - rss_before < 64 * 1024;
  std::printf(
      "\nTarget p95 during the export <= 2 x idle p95 (%.1f ms): %s; export memory < 64 "
      "MiB: %s\n",
      2 * s_idle.p95, s_during.p95 <= 2 * s_idle.p95 ? "met" : "NOT met",
      hwm_export - rss_before < 64 * 1024 ? "met" : "NOT met");
  return end(ok ? 0 : 3);
}
