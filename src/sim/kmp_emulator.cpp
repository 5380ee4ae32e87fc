#include "sim/kmp_emulator.hpp"

#include "core/kmp/registers.hpp"
#include "sim/rng.hpp"

namespace ml::sim {

KmpEmulator::KmpEmulator(asio::io_context& io, KmpEmulatorOptions options)
    : SerialEmulator(io, std::move(options.common), "kmp"),
      meter_(options.meter),
      latency_(options.latency) {}

void KmpEmulator::on_chunk(const Chunk& chunk) {
  if (chunk.bytes.empty()) return;
  const std::uint32_t sleep_ms = faults().wake_after_ms;
  if (sleep_ms > 0 &&
      (!last_activity_ || chunk.start - *last_activity_ >= std::chrono::milliseconds(sleep_ms))) {
    if (!asleep_) trace("the meter is asleep (no traffic for " + std::to_string(sleep_ms) + " ms)");
    asleep_ = true;
  }
  last_activity_ = chunk.arrival(chunk.bytes.size() - 1);
  for (std::size_t i = 0; i < chunk.bytes.size(); ++i) {
    auto event = rx_.feed(chunk.bytes[i]);
    if (!event) continue;
    if (!event->ok()) {
      const core::Error& e = event->error();
      if (e.code == core::Errc::kmp_garbage) {
        trace("ignored " + e.detail);
      } else {
        reject(Reject::bad_frame, "request ignored: " + e.message());
      }
      continue;
    }
    if (event->value().kind == core::kmp::Received::Kind::ack) continue;
    on_frame(event->value().frame, chunk.arrival(i), chunk.line);
  }
}

void KmpEmulator::on_frame(const core::kmp::Frame& frame, WallClock::time_point end,
                           const std::optional<core::LineSettings>& line) {
  std::string what(core::kmp::cid_name(frame.cid));
  if (what.empty()) what = "CID " + core::hex_byte(frame.cid);
  const Verdict v = check_kmp_request(line);
  if (!v.ok()) {
    reject(v.reason, what + ": " + v.detail);
    return;
  }
  const auto n = admit(what);
  if (!n) return;
  if (asleep_) {
    asleep_ = false;
    count_fault("wake_up", what + " ignored: the meter was asleep after " +
                               std::to_string(faults().wake_after_ms) +
                               " ms of silence; it answers the next request");
    return;
  }
  const HeatState s = heat_state();
  KmpOutcome out = meter_.handle(frame, s);
  if (!out.reply) {
    reject(out.reason, out.why);
    return;
  }
  ReplyJob job;
  job.request_no = *n;
  job.what = out.request;
  job.request_end = end;
  job.latency = latency_;
  job.meter_line = core::kKmpLine;
  job.check = [](const std::optional<core::LineSettings>& l) { return check_kmp_reply(l); };
  job.bytes = std::move(out.wire);
  if (out.frame) {
    const auto mask = static_cast<std::uint16_t>(1 + stream_id(seed(), *n, 7) % 0xFFFF);
    job.bad_check = encode_with_bad_crc(*out.frame, mask);
  }
  job.detail = std::move(out.detail);
  job.detail["protocol"] = "kmp";
  job.detail["sim_time"] = iso_time(s.sim_ms);
  send_reply(std::move(job));
}

void KmpEmulator::add_state(nlohmann::json& j, const HeatState& s) {
  j["serial"] = meter_.serial();
  j["meter_config"] = meter_.describe();
  // The eight registers of the original's cycle, exactly as the meter would send them now.
  nlohmann::json regs = nlohmann::json::array();
  for (std::uint16_t id : core::kmp::sample_registers()) {
    if (auto v = meter_.value(id, s)) regs.push_back(register_json(*v));
  }
  j["registers"] = std::move(regs);
}

}  // namespace ml::sim
