// The fleet's runtime (fleet.hpp): one io_context, one timer wheel, one MQTT 3.1.1 session per
// virtual device written against core/mqtt/packet.hpp.
#include "sim/fleet.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/mqtt/packet.hpp"
#include "core/topic/topic.hpp"
#include "platform/crypto/random.hpp"
#include "platform/mqtt/client.hpp"
#include "sim/fleet_device.hpp"
#include "sim/rng.hpp"
#include "sim/timer_wheel.hpp"

namespace ml::sim {
namespace {

namespace mqtt = core::mqtt;
using Clock = std::chrono::steady_clock;
using Socket = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

constexpr std::int64_t kTickMs = 10;
constexpr std::size_t kWheelSlots = 8192;  // 82 s a revolution
constexpr std::uint32_t kNoTick = 0xFFFFFFFF;
constexpr std::int64_t kNever = INT64_MAX;
constexpr std::int64_t kConnectTimeoutMs = 20'000;
constexpr std::int64_t kRestartMs = 5'000;  // a restarted device is back this much later
constexpr int kMaxCatchUp = 60;             // samples a late device takes at once
constexpr std::size_t kMaxPacket = 64 * 1024;
constexpr std::size_t kReadBuffer = 64 * 1024;
// The agent's reconnect backoff (platform::MqttBackoff's defaults).
const platform::MqttBackoff kBackoff{};

std::int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t rss_bytes() {
  std::ifstream in("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

// TCP's memory in the kernel, all sockets of the machine (/proc/net/sockstat "mem", pages).
std::uint64_t tcp_kernel_bytes() {
  std::ifstream in("/proc/net/sockstat");
  std::string word;
  // "TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1"
  while (in >> word && word != "TCP:") {
  }
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value && key.back() != ':') {
    if (key == "mem") return value * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  }
  return 0;
}

enum class LinkState : std::uint8_t {
  off,         // no connection and none planned (dead, an outage, stopping)
  waiting,     // no connection; a new attempt at reconnect_at_ms
  queued,      // waiting in the connect pacer's queue
  connecting,  // TCP connect or CONNACK under way (deadline_ms)
  connected,   // CONNACK received
};

// A sealed message waiting for its packet id.
struct Outgoing {
  std::string topic;
  core::Bytes payload;
  std::int64_t sample_time = -1;  // a sample's topic time; -1 for a reply
  bool sent = false;              // published at least once (counted, logged)
};

struct InFlight {
  std::uint16_t id = 0;
  Outgoing message;
};

struct Node {
  explicit Node(FleetDevice d) : device(std::move(d)) {}
  FleetDevice device;
  std::unique_ptr<Socket> socket;
  core::Bytes partial;  // the start of a packet the next read completes
  core::Bytes writing;  // handed to async_write
  core::Bytes queued;   // waiting for that write to finish
  std::vector<Outgoing> outbox;
  std::vector<InFlight> inflight;
  std::int64_t next_sample_ms = kNever;
  std::int64_t last_sent_ms = 0;
  std::int64_t ping_sent_ms = 0;
  std::int64_t reconnect_at_ms = 0;
  std::int64_t deadline_ms = 0;
  std::uint32_t wake_tick = kNoTick;  // the live wheel entry
  std::uint32_t generation = 0;       // of the connection; handlers of older ones do nothing
  std::uint16_t next_id = 1;
  std::uint16_t attempt = 0;
  LinkState state = LinkState::off;
  bool write_active = false;
  bool ping_outstanding = false;
  bool logged = false;  // in the publish log's share
};

struct ClassCounters {
  std::uint64_t devices = 0;
  std::uint64_t connected = 0;
  std::uint64_t samples_published = 0;
  std::uint64_t samples_acknowledged = 0;
  std::uint64_t commands_answered = 0;
  std::uint64_t commands_rejected = 0;
};

}  // namespace

struct Fleet::Impl {
  Impl(asio::io_context& context, FleetOptions options)
      : io(context),
        o(std::move(options)),
        timer(io),
        wall_start_ms(wall_now_ms()),
        steady_start(Clock::now()),
        wheel(wall_start_ms, kTickMs, kWheelSlots),
        jitter(static_cast<std::uint64_t>(wall_start_ms) ^ 0x5A17F1EE7ULL),
        read_buffer(kReadBuffer) {}

  asio::io_context& io;
  FleetOptions o;
  asio::steady_timer timer;
  std::int64_t wall_start_ms;
  Clock::time_point steady_start;
  TimerWheel wheel;
  Rng jitter;
  std::vector<std::uint8_t> read_buffer;
  std::vector<Node> nodes;
  std::deque<std::uint32_t> pacer;
  double tokens = 0;
  std::int64_t last_pace_ms = 0;
  std::size_t connecting = 0;
  std::size_t max_connecting = 64;
  asio::ip::tcp::endpoint broker;
  std::vector<asio::ip::address> sources;
  FleetLimits limits;
  std::FILE* publish_log = nullptr;
  bool running = false;
  bool stopping = false;
  bool outage = false;
  std::int64_t outage_started_ms = 0;
  bool scheduled_outage_done = false;
  std::int64_t next_status_ms = 0;
  std::uint64_t baseline_rss = 0;
  std::uint64_t expected_connections = 0;        // the devices that are not dead
  std::optional<std::int64_t> all_connected_ms;  // when they first all were connected

  // Counters.
  std::array<ClassCounters, kFleetClasses.size()> by_class{};
  std::uint64_t connects = 0, disconnects = 0, connect_failures = 0;
  std::uint64_t samples_taken = 0, samples_published = 0, samples_acknowledged = 0;
  std::uint64_t samples_dropped = 0, samples_skipped = 0;
  std::uint64_t replies_published = 0, replies_acknowledged = 0;
  std::uint64_t commands_received = 0, commands_answered = 0, commands_ignored = 0;
  std::uint64_t auto_closed = 0, outages = 0, republished = 0;
  std::map<std::string, std::uint64_t> rejected, failures, lost;
  // For the rate in the status line.
  std::uint64_t connects_at_last_status = 0;
  std::int64_t last_status_ms = 0;
  double connect_rate_seen = 0;

  // ---- time ----

  std::int64_t now_ms() const {
    return wall_start_ms +
           std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - steady_start)
               .count();
  }
  std::int64_t sim_ms(std::int64_t now) const {
    return wall_start_ms +
           static_cast<std::int64_t>(static_cast<double>(now - wall_start_ms) * o.time_scale);
  }
  std::int64_t half_keepalive_ms() const { return o.keepalive_s * 500; }
  std::int64_t interval_ms() const { return o.interval_s * 1000; }
  ClassCounters& counters(const Node& n) {
    return by_class[static_cast<std::size_t>(n.device.cls())];
  }
  bool samples(const Node& n) const {
    return n.device.cls() != FleetClass::dead && n.device.cls() != FleetClass::silent;
  }
  void note(const std::string& line) {
    if (o.log) o.log(line);
  }

  // ---- start ----

  core::Status start() {
    if (o.meters.empty()) return core::make_error(core::Errc::invalid_argument, "no meters");
    if (o.interval_s < 1) {
      return core::make_error(core::Errc::invalid_argument, "--interval: at least 1 s");
    }
    if (!(o.connect_rate > 0)) {
      return core::make_error(core::Errc::invalid_argument, "--connect-rate: above 0");
    }
    if (o.inflight < 1 || o.outbox < 1) {
      return core::make_error(core::Errc::invalid_argument, "--inflight and --outbox: at least 1");
    }
    if (o.keepalive_s < 5 || o.keepalive_s > 65535) {
      return core::make_error(core::Errc::invalid_argument, "--keepalive: 5 .. 65535 s");
    }
    if (auto s = check_shares(o.shares); !s) return s;
    asio::error_code ec;
    asio::ip::tcp::resolver resolver(io);
    auto found = resolver.resolve(o.host, std::to_string(o.port), ec);
    if (ec || found.empty()) {
      return core::make_error(core::Errc::invalid_argument, "--broker " + o.host + ":" +
                                                                std::to_string(o.port) + ": " +
                                                                (ec ? ec.message() : "no address"));
    }
    broker = found.begin()->endpoint();
    for (const std::string& s : o.source_addresses) {
      auto a = asio::ip::make_address(s, ec);
      if (ec) {
        return core::make_error(core::Errc::invalid_argument,
                                "--source-addresses: " + s + ": " + ec.message());
      }
      if (a.is_v4() != broker.address().is_v4()) {
        return core::make_error(
            core::Errc::invalid_argument,
            "--source-addresses: " + s + " is not of the broker's address family");
      }
      sources.push_back(a);
    }
    std::uint64_t connections = 0;
    for (std::size_t i = 0; i < o.meters.size(); ++i) {
      if (fleet_class(o.seed, i, o.shares) != FleetClass::dead) ++connections;
    }
    expected_connections = connections;
    limits = raise_fleet_limits(connections);
    if (auto s = check_fleet_limits(connections, sources.size(), limits); !s) return s;
    if (!o.publish_log.empty()) {
      publish_log = std::fopen(o.publish_log.c_str(), "w");
      if (!publish_log) {
        return core::make_error(core::Errc::storage_failure,
                                "--publish-log " + o.publish_log + ": " + std::strerror(errno));
      }
      std::setvbuf(publish_log, nullptr, _IOFBF, 1 << 20);
      std::fputs("serial,time,published_ms\n", publish_log);
    }
    max_connecting = o.max_connecting > 0
                         ? o.max_connecting
                         : std::max<std::size_t>(64, static_cast<std::size_t>(o.connect_rate));
    baseline_rss = rss_bytes();
    build();
    running = true;
    last_pace_ms = now_ms();
    last_status_ms = last_pace_ms;
    next_status_ms = last_pace_ms + o.status_every.count();
    note("starting " + std::to_string(nodes.size()) + " devices (" + std::to_string(connections) +
         " connecting) towards " + o.host + ":" + std::to_string(o.port) + " at " +
         std::to_string(static_cast<long>(o.connect_rate)) + " connections/s; open files limit " +
         std::to_string(limits.open_files));
    arm_tick();
    return core::Ok{};
  }

  void build() {
    const auto version = std::make_shared<const std::string>(o.version);
    const std::int64_t start = wall_start_ms;
    nodes.reserve(o.meters.size());
    for (std::size_t i = 0; i < o.meters.size(); ++i) {
      const FleetMeter& m = o.meters[i];
      FleetDeviceConfig c;
      c.serial = m.serial;
      c.cls = fleet_class(o.seed, i, o.shares);
      c.key = c.cls == FleetClass::wrong_key ? fleet_wrong_key(o.seed, i, m.key) : m.key;
      c.skew_s = c.cls == FleetClass::skewed ? o.shares.skew_s : 0;
      c.installation = fleet_installation(o.seed, i, sim_ms(start), o.seasons_pm);
      c.version = version;
      Node& n = nodes.emplace_back(FleetDevice(std::move(c), start));
      ClassCounters& k = counters(n);
      ++k.devices;
      n.logged = publish_log && fleet_logged(o.seed, i, o.publish_log_share);
      if (samples(n)) {
        n.next_sample_ms = start + fleet_phase_ms(i, o.meters.size(), interval_ms());
      }
      if (n.device.cls() != FleetClass::dead) {
        n.state = LinkState::queued;
        pacer.push_back(static_cast<std::uint32_t>(i));
      }
      schedule(static_cast<std::uint32_t>(i));
    }
  }

  // ---- the clock ----

  void arm_tick() {
    timer.expires_after(std::chrono::milliseconds(kTickMs));
    timer.async_wait([this](const asio::error_code& ec) {
      if (ec || stopping) return;
      tick();
    });
  }

  void tick() {
    const std::int64_t now = now_ms();
    wheel.advance(now, [this, now](std::uint32_t id, std::uint32_t tick) {
      Node& n = nodes[id];
      if (n.wake_tick != tick) return;  // rescheduled meanwhile
      n.wake_tick = kNoTick;
      wake(id, now);
      schedule(id);
    });
    pace(now);
    if (o.outage_at_s && !scheduled_outage_done) {
      const auto at = wall_start_ms + static_cast<std::int64_t>(*o.outage_at_s * 1000);
      const auto until = at + static_cast<std::int64_t>(o.outage_for_s * 1000);
      if (!outage && now >= at && now < until) begin_outage(now);
      if (outage && now >= until) {
        end_outage(now);
        scheduled_outage_done = true;
      }
    }
    if (now >= next_status_ms) {
      report(now);
      next_status_ms = now + o.status_every.count();
    }
    if (o.duration_s > 0 && now - wall_start_ms >= static_cast<std::int64_t>(o.duration_s * 1000)) {
      note("ran for " + std::to_string(o.duration_s) + " s, stopping");
      stop();
      return;
    }
    arm_tick();
  }

  // The next time a device needs its turn: its sample, its keepalive, its connect deadline, its
  // reconnect.
  std::int64_t due(const Node& n) const {
    std::int64_t t = n.next_sample_ms;
    switch (n.state) {
      case LinkState::connecting:
        t = std::min(t, n.deadline_ms);
        break;
      case LinkState::connected:
        t = std::min(t,
                     (n.ping_outstanding ? n.ping_sent_ms : n.last_sent_ms) + half_keepalive_ms());
        break;
      case LinkState::waiting:
        t = std::min(t, n.reconnect_at_ms);
        break;
      default:
        break;
    }
    return t;
  }

  void schedule(std::uint32_t id) {
    Node& n = nodes[id];
    const std::int64_t t = due(n);
    if (t == kNever) return;
    const std::uint32_t tick = std::max(wheel.tick_of(t), wheel.current() + 1);
    if (n.wake_tick != kNoTick && n.wake_tick <= tick) return;  // an earlier wake-up is due
    n.wake_tick = wheel.schedule(id, t);
  }

  void wake(std::uint32_t id, std::int64_t now) {
    Node& n = nodes[id];
    switch (n.state) {
      case LinkState::connecting:
        if (now >= n.deadline_ms) return drop(id, "no CONNACK within 20 s");
        break;
      case LinkState::connected:
        if (n.ping_outstanding && now - n.ping_sent_ms >= half_keepalive_ms()) {
          return drop(id, "no PINGRESP within " + std::to_string(o.keepalive_s / 2) + " s");
        }
        if (!n.ping_outstanding && now - n.last_sent_ms >= half_keepalive_ms()) {
          n.ping_outstanding = true;
          n.ping_sent_ms = now;
          send(id, mqtt::encode_pingreq());
        }
        break;
      case LinkState::waiting:
        if (now >= n.reconnect_at_ms) {
          n.state = LinkState::queued;
          pacer.push_back(id);
        }
        break;
      default:
        break;
    }
    // Each sample at its own time in the device's phase: a loop that fell behind catches up
    // (the samples keep their times; the publish log shows how late they went out), up to
    // kMaxCatchUp of them, and counts the rest as skipped.
    int taken = 0;
    while (n.next_sample_ms != kNever && now >= n.next_sample_ms) {
      if (taken++ < kMaxCatchUp) {
        take_sample(id, n.next_sample_ms);
      } else {
        ++samples_skipped;
      }
      n.next_sample_ms += interval_ms();
    }
  }

  // The sample due at `at` (wall ms).
  void take_sample(std::uint32_t id, std::int64_t at) {
    Node& n = nodes[id];
    const bool was_open = n.device.valve().open;
    for (FleetMessage& m : n.device.sample(at, sim_ms(at))) {
      if (m.function == "sample") ++samples_taken;
      enqueue(id, m);
    }
    if (was_open && !n.device.valve().open) ++auto_closed;
  }

  // ---- the connect pacer ----

  void pace(std::int64_t now) {
    tokens += o.connect_rate * static_cast<double>(now - last_pace_ms) / 1000.0;
    last_pace_ms = now;
    // No more than 100 ms' worth at once: a stalled loop does not make a burst.
    tokens = std::min(tokens, std::max(1.0, o.connect_rate / 10.0));
    while (tokens >= 1 && !pacer.empty() && connecting < max_connecting && !stopping) {
      const std::uint32_t id = pacer.front();
      pacer.pop_front();
      if (nodes[id].state != LinkState::queued) continue;
      tokens -= 1;
      connect(id, now);
    }
  }

  void connect(std::uint32_t id, std::int64_t now) {
    Node& n = nodes[id];
    n.socket = std::make_unique<Socket>(io);
    n.state = LinkState::connecting;
    n.deadline_ms = now + kConnectTimeoutMs;
    ++connecting;
    const std::uint32_t gen = ++n.generation;
    asio::error_code ec;
    n.socket->open(broker.protocol(), ec);
    if (!ec && !sources.empty()) {
      // The port is picked at connect() for the whole 4-tuple, not at bind() for the address
      // alone, so each source address has the whole port range towards the broker.
      const int one = 1;
      ::setsockopt(n.socket->native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                   sizeof one);
      n.socket->bind(asio::ip::tcp::endpoint(sources[id % sources.size()], 0), ec);
    }
    if (ec) return drop(id, "socket: " + ec.message());
    schedule(id);
    n.socket->async_connect(broker, [this, id, gen](const asio::error_code& e) {
      Node& node = nodes[id];
      if (node.generation != gen || stopping) return;
      if (e) return drop(id, "connect to " + broker_text() + " failed: " + e.message());
      asio::error_code ignored;
      node.socket->set_option(asio::ip::tcp::no_delay(true), ignored);
      node.socket->non_blocking(true, ignored);
      auto packet = mqtt::encode_connect(connect_packet(node));
      if (!packet) return drop(id, packet.error().message());
      send(id, std::move(packet).value());
      arm_read(id);
    });
  }

  std::string broker_text() const { return o.host + ":" + std::to_string(o.port); }

  mqtt::Connect connect_packet(const Node& n) const {
    mqtt::Connect c;
    c.client_id = n.device.serial();
    c.clean_session = false;  // as the device: the broker keeps its session
    c.keepalive_s = static_cast<std::uint16_t>(o.keepalive_s);
    c.username = o.username;
    c.password = o.password;
    auto serial = core::topic::Serial::parse(n.device.serial());
    if (serial) c.will = mqtt::Will{core::topic::offline_topic(*serial), {}, 0, false};
    return c;
  }

  // ---- ends of a connection ----

  // The connection ends (or an attempt fails) with `reason`. Unless an outage or the stop keeps
  // it down, a new attempt follows after the backoff (`retry_ms`: after that long instead).
  void drop(std::uint32_t id, const std::string& reason,
            std::optional<std::int64_t> retry_ms = {}) {
    Node& n = nodes[id];
    const std::int64_t now = now_ms();
    if (n.socket) {
      asio::error_code ignored;
      n.socket->close(ignored);
      n.socket.reset();
    }
    ++n.generation;
    core::Bytes().swap(n.partial);
    core::Bytes().swap(n.writing);
    core::Bytes().swap(n.queued);
    n.write_active = false;
    n.ping_outstanding = false;
    if (n.state == LinkState::connected) {
      ++disconnects;
      ++lost[reason];
      --counters(n).connected;
      n.device.count_disconnect();
      if (o.verbose) note(n.device.serial() + ": connection lost: " + reason);
    } else if (n.state == LinkState::connecting) {
      --connecting;
      ++connect_failures;
      ++failures[reason];
      if (o.verbose) note(n.device.serial() + ": " + reason);
    }
    if (stopping || (outage && o.outage_mode == OutageMode::disconnect)) {
      n.state = LinkState::off;
    } else {
      n.state = LinkState::waiting;
      n.reconnect_at_ms =
          now + (retry_ms ? *retry_ms
                          : platform::backoff_delay(kBackoff, ++n.attempt, jitter.unit()).count());
    }
    schedule(id);
  }

  // ---- writing ----

  void send(std::uint32_t id, core::Bytes bytes) {
    Node& n = nodes[id];
    if (!n.socket) return;
    n.last_sent_ms = now_ms();
    n.queued.insert(n.queued.end(), bytes.begin(), bytes.end());
    if (!n.write_active) flush(id);
  }

  void flush(std::uint32_t id) {
    Node& n = nodes[id];
    n.writing.swap(n.queued);
    n.queued.clear();
    // Most writes go through at once; only the rest waits for the socket.
    asio::error_code ec;
    const std::size_t done = n.socket->write_some(asio::buffer(n.writing), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      return drop(id, "write: " + ec.message());
    }
    n.writing.erase(n.writing.begin(), n.writing.begin() + static_cast<std::ptrdiff_t>(done));
    if (n.writing.empty()) {
      core::Bytes().swap(n.writing);
      if (!n.queued.empty()) flush(id);
      return;
    }
    n.write_active = true;
    const std::uint32_t gen = n.generation;
    asio::async_write(*n.socket, asio::buffer(n.writing),
                      [this, id, gen](const asio::error_code& e, std::size_t) {
                        Node& node = nodes[id];
                        if (node.generation != gen) return;
                        node.write_active = false;
                        if (e) return drop(id, "write: " + e.message());
                        core::Bytes().swap(node.writing);
                        if (!node.queued.empty()) flush(id);
                      });
  }

  // ---- reading ----

  void arm_read(std::uint32_t id) {
    Node& n = nodes[id];
    const std::uint32_t gen = n.generation;
    n.socket->async_wait(Socket::wait_read, [this, id, gen](const asio::error_code& e) {
      Node& node = nodes[id];
      if (node.generation != gen || stopping) return;
      if (e) return drop(id, "read: " + e.message());
      readable(id);
    });
  }

  void readable(std::uint32_t id) {
    for (;;) {
      Node& n = nodes[id];
      asio::error_code ec;
      const std::size_t got = n.socket->read_some(asio::buffer(read_buffer), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (ec) {
        return drop(id, ec == asio::error::eof ? "the broker closed the connection"
                                               : "read: " + ec.message());
      }
      if (!feed(id, core::ByteView(read_buffer.data(), got))) return;
    }
    arm_read(id);
  }

  // Whole packets from `data` (after what was left of the last read); false when the connection
  // was dropped meanwhile.
  bool feed(std::uint32_t id, core::ByteView data) {
    Node& n = nodes[id];
    const std::uint32_t gen = n.generation;
    core::Bytes buffer;
    core::ByteView view = data;
    if (!n.partial.empty()) {
      buffer.swap(n.partial);
      buffer.insert(buffer.end(), data.begin(), data.end());
      view = buffer;
    }
    std::size_t at = 0;
    while (at < view.size()) {
      auto header = mqtt::parse_fixed_header(view.subspan(at), kMaxPacket);
      if (!header) {
        drop(id, "from the broker: " + header.error().message());
        return false;
      }
      if (!*header) break;
      const std::size_t total = (*header)->header_size + (*header)->remaining_length;
      if (view.size() - at < total) break;
      auto packet = mqtt::decode_incoming(
          **header, view.subspan(at + (*header)->header_size, (*header)->remaining_length));
      at += total;
      if (!packet) {
        drop(id, "from the broker: " + packet.error().message());
        return false;
      }
      handle(id, *packet);
      if (n.generation != gen) return false;
    }
    if (at < view.size())
      n.partial.assign(view.begin() + static_cast<std::ptrdiff_t>(at), view.end());
    return true;
  }

  void handle(std::uint32_t id, mqtt::Incoming& packet) {
    Node& n = nodes[id];
    if (auto* ack = std::get_if<mqtt::Connack>(&packet)) {
      if (n.state != LinkState::connecting) return drop(id, "a second CONNACK");
      if (ack->return_code != 0) return drop(id, mqtt::connack_reason(ack->return_code));
      return connected(id);
    }
    if (n.state != LinkState::connected) return drop(id, "a packet before CONNACK");
    if (auto* p = std::get_if<mqtt::Publish>(&packet)) {
      if (p->qos == 1) send(id, mqtt::encode_puback(p->packet_id));
      if (p->qos == 2) send(id, mqtt::encode_pubrec(p->packet_id));
      return command(id, *p);
    }
    if (auto* ack = std::get_if<mqtt::Puback>(&packet)) return acknowledged(id, ack->packet_id);
    if (auto* rel = std::get_if<mqtt::PacketId>(&packet)) {
      return send(id, mqtt::encode_pubcomp(rel->packet_id));
    }
    if (auto* sub = std::get_if<mqtt::Suback>(&packet)) {
      for (auto code : sub->granted) {
        if (code == 0x80) ++failures["the broker refused the command subscription"];
      }
      return;
    }
    if (std::holds_alternative<mqtt::Pingresp>(packet)) n.ping_outstanding = false;
  }

  void connected(std::uint32_t id) {
    Node& n = nodes[id];
    const std::int64_t now = now_ms();
    n.state = LinkState::connected;
    n.attempt = 0;
    --connecting;
    ++connects;
    ++counters(n).connected;
    if (!all_connected_ms && connected_now() == expected_connections) {
      all_connected_ms = now;
      note("all " + std::to_string(expected_connections) + " devices connected after " +
           std::to_string(static_cast<double>(now - wall_start_ms) / 1000.0) + " s");
    }
    auto serial = core::topic::Serial::parse(n.device.serial());
    if (serial) {
      if (auto sub =
              mqtt::encode_subscribe(next_id(n), {{core::topic::command_filter(*serial), 1}})) {
        send(id, std::move(sub).value());
      }
    }
    // What was in flight when the last connection ended goes again, flagged DUP.
    for (InFlight& f : n.inflight) {
      if (auto p = mqtt::encode_publish(f.message.topic, f.message.payload, 1, f.id, true)) {
        ++republished;
        send(id, std::move(p).value());
      }
    }
    for (FleetMessage& m : n.device.on_connect(now))
      enqueue(id, m);
    pump(id);
    schedule(id);
  }

  // ---- publishing ----

  std::uint16_t next_id(Node& n) {
    for (;;) {
      const std::uint16_t id = n.next_id++;
      if (n.next_id == 0) n.next_id = 1;
      if (id == 0) continue;
      const bool used = std::any_of(n.inflight.begin(), n.inflight.end(),
                                    [id](const InFlight& f) { return f.id == id; });
      if (!used) return id;
    }
  }

  void enqueue(std::uint32_t id, const FleetMessage& m) {
    Node& n = nodes[id];
    auto serial = core::topic::Serial::parse(n.device.serial());
    if (!serial) return;
    auto topic = core::topic::device_topic(
        m.function, *serial, static_cast<std::uint64_t>(std::max<std::int64_t>(0, m.time)));
    if (!topic) return;
    auto payload =
        platform::seal_random(n.device.seal_keys(), *topic, m.text, core::envelope::Padding::pkcs7);
    if (!payload) return;
    if (n.outbox.size() >= o.outbox) {
      // Full: the oldest goes, as the agent's outbox does.
      if (n.outbox.front().sample_time >= 0) ++samples_dropped;
      n.outbox.erase(n.outbox.begin());
    }
    n.outbox.push_back(Outgoing{std::move(*topic), std::move(*payload),
                                m.function == "sample" ? m.time : -1, false});
    pump(id);
  }

  void pump(std::uint32_t id) {
    Node& n = nodes[id];
    if (n.state != LinkState::connected || stopping) return;
    if (outage && o.outage_mode == OutageMode::hold) return;
    std::size_t taken = 0;
    const std::int64_t now = now_ms();
    while (n.inflight.size() < o.inflight && taken < n.outbox.size()) {
      Outgoing& m = n.outbox[taken++];
      const std::uint16_t pid = next_id(n);
      auto packet = mqtt::encode_publish(m.topic, m.payload, 1, pid, false);
      if (!packet) continue;
      if (!m.sent) {
        m.sent = true;
        if (m.sample_time >= 0) {
          ++samples_published;
          ++counters(n).samples_published;
          if (n.logged) {
            std::fprintf(publish_log, "%s,%lld,%lld\n", n.device.serial().c_str(),
                         static_cast<long long>(m.sample_time), static_cast<long long>(now));
          }
        } else {
          ++replies_published;
        }
      }
      n.inflight.push_back(InFlight{pid, std::move(m)});
      send(id, std::move(packet).value());
      if (nodes[id].state != LinkState::connected) break;  // the write failed
    }
    if (taken > 0) {
      n.outbox.erase(n.outbox.begin(), n.outbox.begin() + static_cast<std::ptrdiff_t>(taken));
      if (n.outbox.empty()) std::vector<Outgoing>().swap(n.outbox);
    }
  }

  void acknowledged(std::uint32_t id, std::uint16_t pid) {
    Node& n = nodes[id];
    auto it = std::find_if(n.inflight.begin(), n.inflight.end(),
                           [pid](const InFlight& f) { return f.id == pid; });
    if (it == n.inflight.end()) return;  // SUBSCRIBE's id shares the space: not a publish
    if (it->message.sample_time >= 0) {
      ++samples_acknowledged;
      ++counters(n).samples_acknowledged;
    } else {
      ++replies_acknowledged;
    }
    n.inflight.erase(it);
    if (n.inflight.empty()) std::vector<InFlight>().swap(n.inflight);
    pump(id);
  }

  // ---- commands ----

  void command(std::uint32_t id, const mqtt::Publish& p) {
    Node& n = nodes[id];
    const std::int64_t now = now_ms();
    ++commands_received;
    FleetCommandOutcome out = n.device.on_command(p.topic, p.payload, now, sim_ms(now));
    if (!out.rejected.empty()) {
      ++rejected[out.rejected];
      ++counters(n).commands_rejected;
      return;
    }
    ++commands_answered;
    ++counters(n).commands_answered;
    if (out.ignored) ++commands_ignored;
    for (const FleetMessage& m : out.replies)
      enqueue(id, m);
    switch (out.action) {
      case FleetAction::none:
        break;
      case FleetAction::reconnect:
        // A clean end (no will) and a new connection at once.
        send(id, mqtt::encode_disconnect());
        drop(id, "reconnect requested by command", 0);
        break;
      case FleetAction::restart:
        // The connection drops as the process goes (the will); back after the restart.
        n.device.restarted(now + kRestartMs);
        drop(id, "restart requested by command", kRestartMs);
        break;
    }
  }

  // ---- outages ----

  void begin_outage(std::int64_t now) {
    outage = true;
    outage_started_ms = now;
    ++outages;
    note(std::string("outage: ") + (o.outage_mode == OutageMode::disconnect
                                        ? "every connection drops; samples wait in the outboxes"
                                        : "connections stay; nothing is published"));
    if (o.outage_mode != OutageMode::disconnect) return;
    for (std::uint32_t id = 0; id < nodes.size(); ++id) {
      Node& n = nodes[id];
      if (n.state == LinkState::connected || n.state == LinkState::connecting) {
        drop(id, "outage");
      } else if (n.state != LinkState::off) {
        n.state = LinkState::off;
      }
    }
    pacer.clear();
  }

  void end_outage(std::int64_t now) {
    outage = false;
    note("outage over after " + std::to_string((now - outage_started_ms) / 1000) +
         " s: publishing the backlog");
    for (std::uint32_t id = 0; id < nodes.size(); ++id) {
      Node& n = nodes[id];
      if (o.outage_mode == OutageMode::hold) {
        pump(id);
      } else if (n.state == LinkState::off && n.device.cls() != FleetClass::dead) {
        n.state = LinkState::queued;
        n.attempt = 0;
        pacer.push_back(id);
      }
    }
  }

  // ---- the end ----

  void stop() {
    if (stopping) return;
    stopping = true;
    timer.cancel();
    std::size_t said_goodbye = 0;
    const core::Bytes goodbye = mqtt::encode_disconnect();
    for (Node& n : nodes) {
      if (!n.socket) continue;
      asio::error_code ec;
      if (n.state == LinkState::connected && !n.write_active && n.queued.empty()) {
        n.socket->write_some(asio::buffer(goodbye), ec);
        if (!ec) ++said_goodbye;
      }
      n.socket->close(ec);
      n.socket.reset();
      ++n.generation;
    }
    pacer.clear();
    const std::int64_t now = now_ms();
    report(now);
    note("stopped: DISCONNECT sent on " + std::to_string(said_goodbye) + " connections");
    if (publish_log) {
      std::fclose(publish_log);
      publish_log = nullptr;
    }
    running = false;
  }

  // ---- reporting ----

  std::uint64_t connected_now() const {
    std::uint64_t c = 0;
    for (const auto& k : by_class)
      c += k.connected;
    return c;
  }

  void report(std::int64_t now) {
    const double seconds = static_cast<double>(now - last_status_ms) / 1000.0;
    if (seconds > 0) {
      connect_rate_seen = static_cast<double>(connects - connects_at_last_status) / seconds;
    }
    connects_at_last_status = connects;
    last_status_ms = now;
    note(status());
    if (publish_log) std::fflush(publish_log);
    if (!o.stats_file.empty()) write_stats();
  }

  void write_stats() {
    const std::string tmp = o.stats_file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << stats().dump(2) << '\n';
      if (!out) return;
    }
    std::error_code ec;
    std::filesystem::rename(tmp, o.stats_file, ec);
  }

  std::string status() const {
    const std::uint64_t rss = rss_bytes();
    std::string s =
        std::to_string(connected_now()) + "/" + std::to_string(nodes.size()) + " connected";
    if (connecting > 0) s += " (" + std::to_string(connecting) + " connecting)";
    s += ", " + std::to_string(static_cast<long>(connect_rate_seen)) + " connects/s";
    if (outage) s += ", OUTAGE";
    s += "; samples " + std::to_string(samples_published) + " published, " +
         std::to_string(samples_acknowledged) + " acknowledged";
    if (samples_dropped > 0) s += ", " + std::to_string(samples_dropped) + " dropped";
    if (samples_skipped > 0) s += ", " + std::to_string(samples_skipped) + " skipped";
    std::uint64_t rejected_total = 0;
    for (const auto& [reason, count] : rejected)
      rejected_total += count;
    s += "; commands " + std::to_string(commands_answered) + " answered, " +
         std::to_string(rejected_total) + " rejected";
    s += ";";
    for (const FleetClassInfo& info : kFleetClasses) {
      const ClassCounters& k = by_class[static_cast<std::size_t>(info.cls)];
      if (k.devices == 0) continue;
      s += " " + std::string(info.name) + " " + std::to_string(k.connected) + "/" +
           std::to_string(k.devices);
    }
    s += "; rss " + std::to_string(rss >> 20) + " MiB";
    if (!nodes.empty() && rss > baseline_rss) {
      s += " (" + std::to_string((rss - baseline_rss) / nodes.size()) + " B/device)";
    }
    return s;
  }

  nlohmann::ordered_json stats() const {
    using J = nlohmann::ordered_json;
    const std::int64_t now = now_ms();
    const std::uint64_t rss = rss_bytes();
    J j;
    j["time_ms"] = now;
    j["elapsed_s"] = static_cast<double>(now - wall_start_ms) / 1000.0;
    j["devices"] = nodes.size();
    j["connected"] = connected_now();
    j["connecting"] = connecting;
    j["waiting_to_connect"] = pacer.size();
    j["connects"] = connects;
    j["connect_rate_per_s"] = connect_rate_seen;
    j["all_connected_after_s"] =
        all_connected_ms ? J(static_cast<double>(*all_connected_ms - wall_start_ms) / 1000.0) : J();
    j["disconnects"] = disconnects;
    j["connect_failures"] = connect_failures;
    j["failure_reasons"] = J(failures);
    j["disconnect_reasons"] = J(lost);
    j["samples"] = {{"taken", samples_taken},
                    {"published", samples_published},
                    {"acknowledged", samples_acknowledged},
                    {"dropped", samples_dropped},
                    {"skipped", samples_skipped},
                    {"republished_after_reconnect", republished}};
    j["replies"] = {{"published", replies_published}, {"acknowledged", replies_acknowledged}};
    j["commands"] = {{"received", commands_received},
                     {"answered", commands_answered},
                     {"ignored", commands_ignored},
                     {"rejected", J(rejected)}};
    std::uint64_t open = 0;
    for (const Node& n : nodes)
      open += n.device.valve().open ? 1 : 0;
    j["valves"] = {{"open", open}, {"closed", nodes.size() - open}, {"auto_closed", auto_closed}};
    j["outage"] = {{"active", outage}, {"count", outages}};
    J classes = J::object();
    for (const FleetClassInfo& info : kFleetClasses) {
      const ClassCounters& k = by_class[static_cast<std::size_t>(info.cls)];
      classes[std::string(info.name)] = {{"devices", k.devices},
                                         {"connected", k.connected},
                                         {"samples_published", k.samples_published},
                                         {"samples_acknowledged", k.samples_acknowledged},
                                         {"commands_answered", k.commands_answered},
                                         {"commands_rejected", k.commands_rejected}};
    }
    j["classes"] = classes;
    j["memory"] = {{"rss_bytes", rss},
                   {"rss_before_devices_bytes", baseline_rss},
                   {"bytes_per_device",
                    nodes.empty() || rss < baseline_rss ? 0 : (rss - baseline_rss) / nodes.size()},
                   {"kernel_tcp_bytes_machine", tcp_kernel_bytes()}};
    j["limits"] = {{"open_files", limits.open_files},
                   {"open_files_hard", limits.open_files_hard},
                   {"local_ports", limits.local_ports}};
    return j;
  }
};

Fleet::Fleet(asio::io_context& io, FleetOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(options))) {}

Fleet::~Fleet() {
  if (impl_->running) impl_->stop();
}

core::Status Fleet::start() {
  return impl_->start();
}

void Fleet::stop() {
  impl_->stop();
}

bool Fleet::stopped() const {
  return impl_->stopping;
}

void Fleet::toggle_outage() {
  const std::int64_t now = impl_->now_ms();
  if (impl_->outage) {
    impl_->end_outage(now);
    impl_->scheduled_outage_done = true;  // --outage-at does not start it again
  } else {
    impl_->begin_outage(now);
  }
}

nlohmann::ordered_json Fleet::stats_json() const {
  return impl_->stats();
}

std::string Fleet::status_line() const {
  return impl_->status();
}

// ---- addresses and limits ----

core::Result<std::vector<std::string>> expand_source_addresses(std::string_view text) {
  constexpr std::size_t kMax = 4096;
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t end = std::min(text.find(',', at), text.size());
    const std::string item(text.substr(at, end - at));
    at = end + 1;
    if (item.empty()) {
      if (end == text.size()) break;
      return core::make_error(core::Errc::invalid_argument, "--source-addresses: an empty item");
    }
    const std::size_t dash = item.find('-');
    asio::error_code ec;
    if (dash == std::string::npos) {
      auto a = asio::ip::make_address(item, ec);
      if (ec) {
        return core::make_error(core::Errc::invalid_argument,
                                "--source-addresses: '" + item + "' is not an IP address");
      }
      out.push_back(a.to_string());
    } else {
      auto first = asio::ip::make_address_v4(item.substr(0, dash), ec);
      asio::error_code ec2;
      auto last = asio::ip::make_address_v4(item.substr(dash + 1), ec2);
      if (ec || ec2 || last.to_uint() < first.to_uint()) {
        return core::make_error(
            core::Errc::invalid_argument,
            "--source-addresses: '" + item + "' is not a range of IPv4 addresses FIRST-LAST");
      }
      for (std::uint64_t v = first.to_uint(); v <= last.to_uint(); ++v) {
        if (out.size() >= kMax) break;
        out.push_back(asio::ip::make_address_v4(static_cast<std::uint32_t>(v)).to_string());
      }
    }
    if (out.size() >= kMax) {
      return core::make_error(core::Errc::invalid_argument,
                              "--source-addresses: more than " + std::to_string(kMax));
    }
    if (end == text.size()) break;
  }
  return out;
}

core::Status check_fleet_limits(std::uint64_t connections, std::size_t source_addresses,
                                const FleetLimits& limits) {
  const std::uint64_t files = connections + kFleetSpareFiles;
  if (files > limits.open_files) {
    const std::uint64_t fit =
        limits.open_files > kFleetSpareFiles ? limits.open_files - kFleetSpareFiles : 0;
    return core::make_error(
        core::Errc::invalid_argument,
        std::to_string(connections) + " connections need " + std::to_string(files) +
            " open files, and this process may have " + std::to_string(limits.open_files) +
            " (hard limit " + std::to_string(limits.open_files_hard) + "): run at most " +
            std::to_string(fit) +
            " devices per process (several processes with --skip), or raise the hard limit "
            "as root (ulimit -Hn, LimitNOFILE= in a systemd unit, nofile in "
            "/etc/security/limits.conf); the broker needs the same");
  }
  const std::uint64_t ports = limits.local_ports * std::max<std::uint64_t>(1, source_addresses);
  if (connections > ports) {
    const std::uint64_t needed = (connections + limits.local_ports - 1) / limits.local_ports;
    return core::make_error(
        core::Errc::invalid_argument,
        std::to_string(connections) +
            " connections to one broker address need more local "
            "ports than " +
            std::to_string(ports) + " (" + std::to_string(limits.local_ports) +
            " per source address, net.ipv4.ip_local_port_range): give at least " +
            std::to_string(needed) +
            " --source-addresses (on loopback any 127.x.y.z works, e.g. 127.0.0.1-127.0.0." +
            std::to_string(needed) + ")");
  }
  return core::Ok{};
}

FleetLimits raise_fleet_limits(std::uint64_t connections) {
  FleetLimits out;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    const rlim_t wanted = static_cast<rlim_t>(connections + kFleetSpareFiles);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < wanted) {
      // Only root may raise the hard limit (up to fs.nr_open); a refusal changes nothing.
      rlimit more{wanted, wanted};
      if (::setrlimit(RLIMIT_NOFILE, &more) == 0) rl = more;
    }
    if (rl.rlim_cur != rl.rlim_max) {
      rlimit soft{rl.rlim_max, rl.rlim_max};
      if (::setrlimit(RLIMIT_NOFILE, &soft) == 0) rl = soft;
    }
    out.open_files = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
    out.open_files_hard = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
  }
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  std::uint64_t low = 0, high = 0;
  if (range >> low >> high && high >= low) out.local_ports = high - low + 1;
  return out;
}

}  // namespace ml::sim
