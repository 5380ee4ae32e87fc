#include "sim/pulse.hpp"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <asio/write.hpp>
#include <charconv>
#include <cmath>

#include "core/decimal.hpp"
#include "sim/rng.hpp"

namespace ml::sim {
namespace {

constexpr std::int64_t kMs = 1'000'000;

core::Error bad(const std::string& what) {
  return core::make_error(core::Errc::invalid_argument, what);
}

}  // namespace

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string edge_line(const EdgeEvent& e) {
  return std::string(e.edge == Level::falling ? "falling " : "rising ") + std::to_string(e.ns) +
         "\n";
}

core::Result<EdgeEvent> parse_edge_line(std::string_view line) {
  if (line.size() > 40) return bad("edge line longer than 40 characters");
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  EdgeEvent e;
  std::string_view rest;
  if (line.rfind("falling ", 0) == 0) {
    e.edge = Level::falling;
    rest = line.substr(8);
  } else if (line.rfind("rising ", 0) == 0) {
    e.edge = Level::rising;
    rest = line.substr(7);
  } else {
    return bad("edge line '" + std::string(line) + "' is not 'falling <ns>' or 'rising <ns>'");
  }
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), e.ns);
  if (rest.empty() || ec != std::errc() || end != rest.data() + rest.size() || e.ns < 0) {
    return bad("edge line '" + std::string(line) + "': the time is not a number of ns");
  }
  return e;
}

std::vector<EdgeEvent> pulse_edges(const PulseShape& shape, std::uint64_t index,
                                   std::int64_t start_ns, std::int64_t period_ns) {
  Rng rng = stream(shape.seed, index, Stream::pulse);
  const auto jitter_us = static_cast<std::int64_t>(std::llround(shape.jitter_ms * 1000));
  std::int64_t width = static_cast<std::int64_t>(std::llround(shape.width_ms * 1000)) * 1000;
  if (jitter_us > 0) {
    width += (static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(2 * jitter_us + 1))) -
              jitter_us) *
             1000;
  }
  // Bounce glitches: each gap 0.8 .. 1.2 ms. Room for them after both edges.
  const std::int64_t bounce_room = static_cast<std::int64_t>(shape.bounce) * 2 * (12 * kMs / 10);
  width = std::max(width, bounce_room + kMs);
  if (period_ns > 0) width = std::min(width, std::max(kMs, period_ns - bounce_room - kMs));
  std::vector<EdgeEvent> out;
  auto with_bounce = [&](Level main, std::int64_t t) {
    out.push_back(EdgeEvent{main, t, true});
    Level other = main == Level::falling ? Level::rising : Level::falling;
    for (std::uint32_t b = 0; b < 2 * shape.bounce; ++b) {
      t += 8 * kMs / 10 + static_cast<std::int64_t>(rng.below(400'001));
      out.push_back(EdgeEvent{b % 2 == 0 ? other : main, t, false});
    }
  };
  with_bounce(Level::falling, start_ns);
  with_bounce(Level::rising, start_ns + width);
  return out;
}

double pulse_rate(double power_w, std::uint32_t imp_per_kwh) {
  // power W = kW x 1000; pulses/h = kW x imp/kWh
  return power_w / 1000.0 * static_cast<double>(imp_per_kwh) / 3600.0;
}

std::string pulse_options_problem(const PulseOptions& o) {
  if (o.imp_per_kwh == 0 || o.imp_per_kwh > 1'000'000) {
    return "--imp-per-kwh must be from 1 to 1000000";
  }
  if (o.power_w && (!std::isfinite(*o.power_w) || *o.power_w < 0)) {
    return "--power-w must be 0 or more";
  }
  if (o.rate && (!std::isfinite(*o.rate) || *o.rate < 0)) return "--rate must be 0 or more";
  const double r = o.rate ? *o.rate : pulse_rate(o.power_w.value_or(0), o.imp_per_kwh);
  if (r > kMaxPulseRate) {
    return "the pulse rate " + std::to_string(r) + "/s is above " +
           std::to_string(static_cast<int>(kMaxPulseRate)) + " pulses per second";
  }
  const PulseShape& s = o.shape;
  if (!std::isfinite(s.width_ms) || s.width_ms < 1 || s.width_ms > 10'000) {
    return "--width-ms must be from 1 to 10000";
  }
  if (!std::isfinite(s.jitter_ms) || s.jitter_ms < 0 || s.jitter_ms >= s.width_ms) {
    return "--jitter-ms must be 0 or more and below the width";
  }
  if (s.bounce > kMaxBounce) return "--bounce must be at most " + std::to_string(kMaxBounce);
  if (o.start_energy_wh > 1'000'000'000'000ULL) return "the start energy is too large";
  return {};
}

PulseEmulator::PulseEmulator(asio::io_context& io, PulseOptions options)
    : io_(io),
      opts_(std::move(options)),
      acceptor_(io),
      timer_(io),
      alive_(std::make_shared<bool>(true)) {}

PulseEmulator::~PulseEmulator() {
  *alive_ = false;
  asio::error_code ec;
  timer_.cancel();
  acceptor_.close(ec);
  for (auto& c : clients_)
    c->socket.close(ec);
  if (listening_) ::unlink(opts_.link.c_str());
}

double PulseEmulator::rate() const {
  return opts_.rate ? *opts_.rate : pulse_rate(opts_.power_w.value_or(0), opts_.imp_per_kwh);
}

core::Status PulseEmulator::start() {
  if (auto p = pulse_options_problem(opts_); !p.empty()) return bad(p);
  const std::string& path = opts_.link;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return bad(path + " exists and is not a socket; not replacing it");
    ::unlink(path.c_str());
  }
  asio::error_code ec;
  acceptor_.open(asio::local::stream_protocol(), ec);
  if (!ec) acceptor_.bind(asio::local::stream_protocol::endpoint(path), ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return bad("pulse socket " + path + ": " + ec.message());
  listening_ = true;
  accept();
  reschedule(monotonic_ns());
  return core::Ok{};
}

void PulseEmulator::accept() {
  acceptor_.async_accept([this, alive = alive_](const asio::error_code& ec,
                                                asio::local::stream_protocol::socket socket) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    if (!ec) {
      clients_.push_back(std::make_shared<Client>(std::move(socket)));
      if (opts_.log) opts_.log("pulse client connected (" + std::to_string(clients_.size()) + ")");
    }
    accept();
  });
}

void PulseEmulator::broadcast(const std::string& line) {
  for (auto it = clients_.begin(); it != clients_.end();) {
    auto& c = *it;
    if (c->dead || c->queue.size() > 4096) {
      asio::error_code ec;
      c->socket.close(ec);
      if (opts_.log) opts_.log("pulse client disconnected");
      it = clients_.erase(it);
      continue;
    }
    c->queue.push_back(line);
    if (!c->writing) write_next(c);
    ++it;
  }
}

void PulseEmulator::write_next(const std::shared_ptr<Client>& c) {
  if (c->queue.empty()) {
    c->writing = false;
    return;
  }
  c->writing = true;
  asio::async_write(c->socket, asio::buffer(c->queue.front()),
                    [this, c, alive = alive_](const asio::error_code& ec, std::size_t) {
                      if (!*alive) return;
                      if (ec) {
                        c->dead = true;
                        c->writing = false;
                        return;
                      }
                      c->queue.pop_front();
                      write_next(c);
                    });
}

void PulseEmulator::reschedule(std::int64_t from_ns) {
  const double r = rate();
  if (r <= 0) {
    period_ns_ = 0;
  } else {
    period_ns_ = static_cast<std::int64_t>(std::llround(1e9 / r));
  }
  base_ns_ = from_ns;
  next_k_ = 1;
  arm();
}

void PulseEmulator::arm() {
  if (pending_.empty()) {
    if (period_ns_ <= 0) {
      timer_.cancel();
      return;
    }
    const std::int64_t start = base_ns_ + static_cast<std::int64_t>(next_k_) * period_ns_;
    ++next_k_;
    const auto edges = pulse_edges(opts_.shape, ++index_, start, period_ns_);
    pending_.assign(edges.begin(), edges.end());
  }
  const std::int64_t at = pending_.front().ns;
  timer_.expires_at(WallClock::time_point(std::chrono::nanoseconds(at)));
  timer_.async_wait([this, alive = alive_](const asio::error_code& ec) {
    if (ec || !*alive) return;
    on_edge();
  });
}

void PulseEmulator::on_edge() {
  const std::int64_t now = monotonic_ns();
  while (!pending_.empty() && pending_.front().ns <= now) {
    const EdgeEvent e = pending_.front();
    pending_.pop_front();
    ++edges_;
    if (e.main && e.edge == Level::falling) ++pulses_started_;
    if (e.main && e.edge == Level::rising) ++pulses_;
    broadcast(edge_line(e));
  }
  arm();
}

nlohmann::json PulseEmulator::state_json() const {
  nlohmann::json j;
  j["ok"] = true;
  j["meter"] = "pulse";
  j["link"] = opts_.link;
  j["clients"] = clients_.size();
  j["pulses"] = pulses_;
  j["pulses_started"] = pulses_started_;
  j["edges"] = edges_;
  j["imp_per_kwh"] = opts_.imp_per_kwh;
  j["rate_per_s"] = rate();
  j["power_w"] = opts_.rate ? nlohmann::json(nullptr) : nlohmann::json(opts_.power_w.value_or(0));
  j["width_ms"] = opts_.shape.width_ms;
  j["jitter_ms"] = opts_.shape.jitter_ms;
  j["bounce"] = opts_.shape.bounce;
  j["seed"] = opts_.shape.seed;
  j["monotonic_ns"] = monotonic_ns();
  // Exact energy: start + pulses / imp_per_kwh kWh.
  const std::uint64_t imp = opts_.imp_per_kwh;
  const core::Decimal num{false, opts_.start_energy_wh * imp + pulses_ * 1000, 0};
  bool exact = true;
  auto kwh = num.multiplied(1, 1000 * imp, 9, &exact);
  j["energy"] = {{"value", kwh ? kwh->to_string() : "?"}, {"unit", "kWh"}, {"exact", exact}};
  j["start_energy"] = {{"value", core::Decimal{false, opts_.start_energy_wh, -3}.to_string()},
                       {"unit", "kWh"}};
  return j;
}

ControlReply PulseEmulator::set_command(const nlohmann::json& j) {
  PulseOptions o = opts_;
  auto fail = [](const std::string& m) { return ControlReply{control_error(m)}; };
  for (const auto& [key, v] : j.items()) {
    if (key == "cmd") continue;
    if (key == "power_w" || key == "rate" || key == "width_ms" || key == "jitter_ms") {
      if (!v.is_number()) return fail("'" + key + "' must be a number");
      const double x = v.get<double>();
      if (key == "power_w") {
        o.power_w = x;
        o.rate.reset();
      } else if (key == "rate") {
        o.rate = x;
      } else if (key == "width_ms") {
        o.shape.width_ms = x;
      } else {
        o.shape.jitter_ms = x;
      }
    } else if (key == "bounce" || key == "imp_per_kwh") {
      if (!v.is_number_unsigned()) return fail("'" + key + "' must be a whole number");
      const std::uint64_t n = v.get<std::uint64_t>();
      if (n > 1'000'000) return fail("'" + key + "' is too large");
      if (key == "bounce") {
        o.shape.bounce = static_cast<std::uint32_t>(n);
      } else {
        o.imp_per_kwh = static_cast<std::uint32_t>(n);
      }
    } else {
      return fail("unknown setting '" + key.substr(0, 40) +
                  "' (known: power_w, rate, imp_per_kwh, width_ms, jitter_ms, bounce)");
    }
  }
  if (auto p = pulse_options_problem(o); !p.empty()) return fail(p);
  if (o.imp_per_kwh != opts_.imp_per_kwh && pulses_ > 0) {
    return fail("imp_per_kwh cannot change after pulses were counted (the energy would jump)");
  }
  const double old_rate = rate();
  opts_ = o;
  nlohmann::json shown = j;
  shown.erase("cmd");
  if (opts_.log) opts_.log("set " + shown.dump());
  if (rate() != old_rate) {
    // The pulse in progress finishes; the next one comes one new period after now.
    const std::int64_t now = monotonic_ns();
    const std::int64_t from = pending_.empty() ? now : std::max(now, pending_.back().ns);
    timer_.cancel();
    reschedule(from);
  }
  return {state_json()};
}

ControlReply PulseEmulator::control(const nlohmann::json& request) {
  const std::string cmd = request.at("cmd").get<std::string>();
  if (cmd == "state") return {state_json()};
  if (cmd == "set") return set_command(request);
  if (cmd == "quit") {
    if (opts_.log) opts_.log("quit requested on the control socket");
    return {nlohmann::json{{"ok", true}, {"quit", true}}, true};
  }
  if (cmd == "help") {
    return {nlohmann::json{{"ok", true}, {"commands", {"state", "set", "quit", "help"}}}};
  }
  return {control_error("unknown command '" + cmd.substr(0, 40) +
                        "' (known for the pulse meter: state, set, quit, help)")};
}

}  // namespace ml::sim
