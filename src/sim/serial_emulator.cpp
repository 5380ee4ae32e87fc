#include "sim/serial_emulator.hpp"

#include <algorithm>

#include "sim/quantities.hpp"

namespace ml::sim {
namespace {

constexpr std::size_t kRecentRejections = 16;

core::Error pty_error(const std::string& what) {
  return core::make_error(core::Errc::invalid_argument, what);
}

// A decimal given as a JSON string or number ("70.5", 70.5, 12).
std::optional<std::string> decimal_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return std::nullopt;
}

nlohmann::json quantity(const core::Decimal& d, std::string_view unit) {
  return nlohmann::json{{"value", d.to_string()}, {"unit", std::string(unit)}};
}

}  // namespace

SerialEmulator::SerialEmulator(asio::io_context& io, CommonOptions options, std::string kind)
    : io_(io),
      opts_(std::move(options)),
      kind_(std::move(kind)),
      master_(io),
      tick_timer_(io),
      clock_(opts_.start_ms, opts_.time_scale, WallClock::now()),
      installation_(InstallationConfig{opts_.seed, opts_.start_ms, opts_.energy_mwh,
                                       opts_.volume_ml, opts_.operating_ds,
                                       opts_.seasonal_amplitude_pm}),
      faults_(opts_.faults),
      alive_(std::make_shared<bool>(true)) {
  if (opts_.frozen) {
    // Frozen at exactly the start time, not at the time it took to get here.
    const auto wall = WallClock::now();
    clock_.set_time(opts_.start_ms, wall);
    clock_.set_frozen(true, wall);
  }
}

SerialEmulator::~SerialEmulator() {
  *alive_ = false;
  asio::error_code ec;
  tick_timer_.cancel();
  tx_.reset();
  master_.close(ec);
}

core::Status SerialEmulator::start() {
  auto pty = Pty::open(opts_.link);
  if (!pty) return pty.error();
  pty_.emplace(std::move(pty).value());
  asio::error_code ec;
  master_.assign(pty_->release_master(), ec);
  if (!ec) master_.non_blocking(true, ec);
  if (ec) return pty_error("pseudo-terminal: " + ec.message());
  tx_ = std::make_unique<Transmitter>(master_, opts_.pace_speedup);
  read_loop();
  tick();
  return core::Ok{};
}

const std::string& SerialEmulator::slave_path() const {
  static const std::string kNone;
  return pty_ ? pty_->slave_path() : kNone;
}

const std::string& SerialEmulator::link_path() const {
  static const std::string kNone;
  return pty_ ? pty_->link_path() : kNone;
}

std::optional<core::LineSettings> SerialEmulator::client_line() const {
  if (!pty_) return std::nullopt;
  return pty_->slave_line();
}

void SerialEmulator::log(const std::string& line) {
  if (opts_.log) opts_.log(line);
}

void SerialEmulator::trace(const std::string& line) {
  if (opts_.verbose) log(line);
}

void SerialEmulator::tick() {
  heat_state();  // keeps the integration steps small at high time scales
  tick_timer_.expires_after(std::chrono::seconds(1));
  tick_timer_.async_wait([this, alive = alive_](const asio::error_code& ec) {
    if (ec || !*alive) return;
    tick();
  });
}

void SerialEmulator::read_loop() {
  master_.async_read_some(asio::buffer(read_buf_), [this, alive = alive_](
                                                       const asio::error_code& ec, std::size_t n) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    if (ec) {
      log("reading the pseudo-terminal failed: " + ec.message() + "; retrying");
      auto retry = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      retry->async_wait([this, alive, retry](const asio::error_code& e) {
        if (!e && *alive) read_loop();
      });
      return;
    }
    const WallClock::time_point now = WallClock::now();
    const std::optional<core::LineSettings> line = client_line();
    if (!line_seen_ || line != last_line_) {
      log("client line: " + describe_line(line));
      last_line_ = line;
      line_seen_ = true;
    }
    const core::LineSettings pacing = line ? *line : core::kKmpLine;
    Chunk chunk;
    chunk.bytes = core::ByteView(read_buf_.data(), n);
    chunk.char_time = tx_->char_time(pacing);
    chunk.start = std::max(now, rx_free_at_);
    chunk.line = line;
    rx_free_at_ = chunk.start + chunk.char_time * static_cast<std::int64_t>(n);
    counters_.bytes_received += n;
    if (opts_.verbose) {
      const std::size_t shown = std::min<std::size_t>(n, 64);
      trace("received " + std::to_string(n) +
            " bytes: " + core::to_hex_spaced(chunk.bytes.first(shown)) + (shown < n ? " ..." : ""));
    }
    if (faults_.echo) {
      // The optical head hears its own transmission: each byte comes back as it is sent.
      tx_->push(Transmitter::Entry{
          chunk.start, pacing, core::Bytes(chunk.bytes.begin(), chunk.bytes.end()), {}});
      counters_.faults["echo_bytes"] += n;
    }
    on_chunk(chunk);
    read_loop();
  });
}

HeatState SerialEmulator::heat_state() {
  const std::int64_t t = clock_.at(WallClock::now());
  installation_.advance_to(t);
  return HeatState{t, installation_.instant_at(t), installation_.totals()};
}

std::optional<std::uint64_t> SerialEmulator::admit(const std::string& what) {
  const std::uint64_t n = ++counters_.requests;
  if (faults_.silent_after && n - silent_base_ > *faults_.silent_after) {
    count_fault("silent", what + " ignored: the meter stopped answering after " +
                              std::to_string(*faults_.silent_after) + " requests");
    return std::nullopt;
  }
  trace("request #" + std::to_string(n) + ": " + what);
  return n;
}

void SerialEmulator::reject(Reject reason, const std::string& detail) {
  ++counters_.rejected;
  ++counters_.rejected_by_reason[std::string(reject_name(reason))];
  recent_.push_back(Rejection{reason, detail, clock_.at(WallClock::now())});
  if (recent_.size() > kRecentRejections) recent_.pop_front();
  log("rejected (" + std::string(reject_name(reason)) + "): " + detail);
}

void SerialEmulator::count_fault(const std::string& kind, const std::string& detail, bool log_it) {
  ++counters_.faults[kind];
  if (log_it) log("fault " + kind + ": " + detail);
}

void SerialEmulator::send_reply(ReplyJob job) {
  const FaultPlan plan = plan_faults(faults_, opts_.seed, job.request_no, job.bytes.size());
  if (plan.drop) {
    count_fault("drop", job.what + ": reply dropped");
    return;
  }
  if (plan.extra_delay_ms > 0) {
    count_fault("late",
                job.what + ": reply delayed by " + std::to_string(plan.extra_delay_ms) + " ms");
  }
  Transmitter::Entry e;
  e.earliest = job.request_end + job.latency + std::chrono::milliseconds(plan.extra_delay_ms);
  e.line = job.meter_line;
  e.prepare = [this, alive = alive_, job = std::move(job), plan]() {
    if (!*alive) return core::Bytes{};
    return prepare_reply(job, plan);
  };
  tx_->push(std::move(e));
}

core::Bytes SerialEmulator::prepare_reply(const ReplyJob& job, const FaultPlan& plan) {
  const std::optional<core::LineSettings> line = client_line();
  const Verdict v = job.check(line);
  if (v.action == Verdict::Action::silent) {
    reject(v.reason, job.what + ": " + v.detail + "; no reply");
    return {};
  }
  if (v.action == Verdict::Action::garbage) {
    reject(v.reason, job.what + ": " + v.detail + "; it receives garbage");
    return garbage_bytes(opts_.seed, job.request_no, job.bytes.size());
  }
  nlohmann::json applied = nlohmann::json::array();
  core::Bytes chars = job.bytes;
  if (plan.bad_check && job.bad_check) {
    chars = *job.bad_check;
    count_fault("bad_check", job.what + ": reply sent with a wrong check value");
    applied.push_back("bad_check");
  }
  core::Bytes wire = chars;
  if (job.iec_parity && line && iec_char_mode(*line) == CharMode::software_parity) {
    for (auto& b : wire)
      b = core::add_parity_bit(b, core::Parity::even);
  }
  if (plan.corrupt && !wire.empty()) {
    const std::size_t i = plan.corrupt_index % wire.size();
    wire[i] = static_cast<std::uint8_t>(wire[i] ^ (1u << plan.corrupt_bit));
    count_fault("corrupt", job.what + ": bit " + std::to_string(plan.corrupt_bit) + " of byte " +
                               std::to_string(i) + " flipped");
    applied.push_back("corrupt");
  }
  if (!plan.noise.empty()) {
    wire.insert(wire.begin(), plan.noise.begin(), plan.noise.end());
    count_fault("noise", job.what + ": " + std::to_string(plan.noise.size()) +
                             " noise bytes before the reply");
    applied.push_back("noise");
  }
  if (plan.extra_delay_ms > 0) applied.push_back("late");
  ++counters_.replies;
  last_reply_ = job.detail;
  last_reply_["request_no"] = job.request_no;
  last_reply_["hex"] = core::to_hex_spaced(chars);
  last_reply_["wire_hex"] = core::to_hex_spaced(wire);
  last_reply_["faults"] = std::move(applied);
  trace("reply to " + job.what + ": " + std::to_string(wire.size()) + " bytes");
  return wire;
}

nlohmann::json SerialEmulator::values_json(const HeatState& s) const {
  nlohmann::json v;
  v["e1"] = quantity(core::Decimal{false, s.totals.energy_mwh, -6}, "kWh");
  v["v1"] = quantity(core::Decimal{false, s.totals.volume_ml, -6}, "m3");
  v["hr"] = quantity(core::Decimal{false, s.totals.operating_ds / 36000, 0}, "h");
  v["operating_time"] = quantity(core::Decimal{false, s.totals.operating_ds, -1}, "s");
  v["t1"] = quantity(centi(s.now.t1_cc), "C");
  v["t2"] = quantity(centi(s.now.t2_cc), "C");
  v["tdif"] = quantity(centi(s.now.tdif_cc), "K");
  v["t3"] = quantity(centi(s.now.t3_cc), "C");
  v["flow1"] = quantity(core::Decimal{false, s.now.flow_lph, 0}, "l/h");
  v["effect1"] = quantity(core::Decimal{false, s.now.power_w, -3}, "kW");
  return v;
}

nlohmann::json SerialEmulator::state_json() {
  const HeatState s = heat_state();
  nlohmann::json j;
  j["ok"] = true;
  j["meter"] = kind_;
  j["link"] = link_path();
  j["pty"] = slave_path();
  j["seed"] = opts_.seed;
  j["sim_time"] = iso_time(s.sim_ms);
  j["sim_time_ms"] = s.sim_ms;
  j["time_scale"] = clock_.scale();
  j["frozen"] = clock_.frozen();
  j["values"] = values_json(s);
  const Overrides& o = installation_.overrides();
  nlohmann::json ov = nlohmann::json::object();
  if (o.t1_cc) ov["t1"] = centi(*o.t1_cc).to_string();
  if (o.t2_cc) ov["t2"] = centi(*o.t2_cc).to_string();
  if (o.flow_lph) ov["flow"] = std::to_string(*o.flow_lph);
  if (o.power_w) ov["power"] = core::Decimal{false, *o.power_w, -3}.to_string();
  j["overrides"] = std::move(ov);
  nlohmann::json c;
  c["bytes_received"] = counters_.bytes_received;
  c["bytes_sent"] = tx_ ? tx_->bytes_written() : 0;
  c["bytes_dropped"] = tx_ ? tx_->bytes_dropped() : 0;
  c["requests"] = counters_.requests;
  c["replies"] = counters_.replies;
  c["rejected"] = counters_.rejected;
  c["rejected_by_reason"] = counters_.rejected_by_reason;
  c["faults"] = counters_.faults;
  c["parity_errors"] = counters_.parity_errors;
  j["counters"] = std::move(c);
  nlohmann::json recent = nlohmann::json::array();
  for (const Rejection& r : recent_) {
    recent.push_back({{"reason", std::string(reject_name(r.reason))},
                      {"detail", r.detail},
                      {"sim_time", iso_time(r.sim_ms)}});
  }
  j["recent_rejections"] = std::move(recent);
  j["faults"] = to_json(faults_);
  j["client_line"] = describe_line(client_line());
  add_state(j, s);
  return j;
}

ControlReply SerialEmulator::control(const nlohmann::json& request) {
  const std::string cmd = request.at("cmd").get<std::string>();
  if (cmd == "state") return {state_json()};
  if (cmd == "last_reply") return {nlohmann::json{{"ok", true}, {"reply", last_reply_}}};
  if (cmd == "set") return set_command(request);
  if (cmd == "faults") return faults_command(request);
  if (cmd == "quit") {
    log("quit requested on the control socket");
    return {nlohmann::json{{"ok", true}, {"quit", true}}, true};
  }
  if (cmd == "help") {
    return {nlohmann::json{{"ok", true},
                           {"commands", {"state", "last_reply", "set", "faults", "quit", "help"}}}};
  }
  return {control_error("unknown command '" + cmd.substr(0, 40) +
                        "' (known: state, last_reply, set, faults, quit, help)")};
}

ControlReply SerialEmulator::set_command(const nlohmann::json& j) {
  Overrides o = installation_.overrides();
  std::optional<std::uint64_t> energy, volume, operating;
  std::optional<double> scale;
  std::optional<bool> freeze;
  auto fail = [](const std::string& m) { return ControlReply{control_error(m)}; };
  if (auto it = j.find("auto"); it != j.end()) {
    if (!it->is_boolean()) return fail("'auto' must be true or false");
    if (it->get<bool>()) o = Overrides{};
  }
  for (const auto& [key, v] : j.items()) {
    if (key == "cmd" || key == "auto") continue;
    if (key == "time_scale") {
      if (!v.is_number()) return fail("'time_scale' must be a number");
      const double x = v.get<double>();
      if (auto p = time_scale_problem(x); !p.empty()) return fail(p);
      scale = x;
      continue;
    }
    if (key == "freeze") {
      if (!v.is_boolean()) return fail("'freeze' must be true or false");
      freeze = v.get<bool>();
      continue;
    }
    const bool nullable = key == "t1" || key == "t2" || key == "flow" || key == "power";
    if (v.is_null() && nullable) {
      if (key == "t1") o.t1_cc.reset();
      if (key == "t2") o.t2_cc.reset();
      if (key == "flow") o.flow_lph.reset();
      if (key == "power") o.power_w.reset();
      continue;
    }
    const auto text = decimal_text(v);
    if (!text) return fail("'" + key + "' must be a decimal number (string or number)");
    if (key == "t1" || key == "t2") {
      auto cc = scaled_integer(*text, 2, true, key + " (C)");
      if (!cc) return fail(cc.error().detail);
      if (*cc < -5000 || *cc > 20000) return fail(key + " must be from -50 to 200 C");
      (key == "t1" ? o.t1_cc : o.t2_cc) = static_cast<std::int32_t>(*cc);
    } else if (key == "flow") {
      auto f = scaled_integer(*text, 0, false, "flow (l/h)");
      if (!f) return fail(f.error().detail);
      if (*f > 10'000'000) return fail("flow must be at most 10000000 l/h");
      o.flow_lph = static_cast<std::uint32_t>(*f);
    } else if (key == "power") {
      auto w = scaled_integer(*text, 3, false, "power (kW)");
      if (!w) return fail(w.error().detail);
      if (*w > 4'000'000'000LL) return fail("power must be at most 4000000 kW");
      o.power_w = static_cast<std::uint32_t>(*w);
    } else if (key == "energy") {
      auto e = scaled_integer(*text, 6, false, "energy (kWh)");
      if (!e) return fail(e.error().detail);
      energy = static_cast<std::uint64_t>(*e);
    } else if (key == "volume") {
      auto m = scaled_integer(*text, 6, false, "volume (m3)");
      if (!m) return fail(m.error().detail);
      volume = static_cast<std::uint64_t>(*m);
    } else if (key == "hours") {
      auto h = scaled_integer(*text, 0, false, "hours");
      if (!h) return fail(h.error().detail);
      if (*h > 100'000'000) return fail("hours must be at most 100000000");
      operating = static_cast<std::uint64_t>(*h) * 36000;
    } else {
      return fail("unknown setting '" + key.substr(0, 40) +
                  "' (known: t1, t2, flow, power, energy, volume, hours, time_scale, freeze, "
                  "auto)");
    }
  }
  heat_state();  // integrate up to now with the old values
  const WallClock::time_point now = WallClock::now();
  installation_.set_overrides(o);
  if (energy) installation_.set_energy_mwh(*energy);
  if (volume) installation_.set_volume_ml(*volume);
  if (operating) installation_.set_operating_ds(*operating);
  if (scale) clock_.set_scale(*scale, now);
  if (freeze) clock_.set_frozen(*freeze, now);
  nlohmann::json shown = j;
  shown.erase("cmd");
  log("set " + shown.dump());
  return {state_json()};
}

ControlReply SerialEmulator::faults_command(const nlohmann::json& j) {
  FaultConfig f = faults_;
  if (auto s = apply_faults_json(f, j); !s) return {control_error(s.error().detail)};
  const bool changed = !(f == faults_);
  if (j.contains("silent_after") || (j.contains("reset") && j["reset"] == true)) {
    silent_base_ = counters_.requests;
  }
  faults_ = f;
  if (changed) log("faults " + to_json(faults_).dump());
  return {nlohmann::json{{"ok", true}, {"faults", to_json(faults_)}}};
}

}  // namespace ml::sim
