#include "sim/faults.hpp"

#include <cmath>

#include "sim/rng.hpp"

namespace ml::sim {
namespace {

core::Error bad(const std::string& what) {
  return core::make_error(core::Errc::invalid_argument, what);
}

core::Status read_probability(const nlohmann::json& v, const std::string& key, double& out) {
  if (!v.is_number()) return bad("fault '" + key + "' must be a number from 0 to 1");
  const double p = v.get<double>();
  if (!std::isfinite(p) || p < 0.0 || p > 1.0) {
    return bad("fault '" + key + "' must be a number from 0 to 1");
  }
  out = p;
  return core::Ok{};
}

core::Status read_uint(const nlohmann::json& v, const std::string& key, std::uint64_t max,
                       std::uint64_t& out) {
  const bool whole =
      v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
  if (!whole) {
    return bad("fault '" + key + "' must be a whole number from 0 to " + std::to_string(max));
  }
  const std::uint64_t n = v.get<std::uint64_t>();
  if (n > max) {
    return bad("fault '" + key + "' must be a whole number from 0 to " + std::to_string(max));
  }
  out = n;
  return core::Ok{};
}

}  // namespace

nlohmann::json to_json(const FaultConfig& f) {
  nlohmann::json j = nlohmann::json::object();
  j["drop"] = f.drop;
  j["corrupt"] = f.corrupt;
  j["bad_check"] = f.bad_check;
  j["noise_bytes"] = f.noise_bytes;
  j["noise"] = f.noise;
  j["late_ms"] = f.late_ms;
  j["late"] = f.late;
  j["echo"] = f.echo;
  j["silent_after"] = f.silent_after ? nlohmann::json(*f.silent_after) : nlohmann::json(nullptr);
  j["wake_nuls"] = f.wake_nuls;
  j["wake_after_ms"] = f.wake_after_ms;
  return j;
}

core::Status apply_faults_json(FaultConfig& f, const nlohmann::json& j) {
  if (!j.is_object()) return bad("faults must be a JSON object");
  FaultConfig out = f;
  if (auto it = j.find("reset"); it != j.end()) {
    if (!it->is_boolean()) return bad("fault 'reset' must be true or false");
    if (it->get<bool>()) out = FaultConfig{};
  }
  for (const auto& [key, v] : j.items()) {
    std::uint64_t n = 0;
    core::Status s = core::Ok{};
    if (key == "cmd" || key == "reset") {
      continue;
    } else if (key == "drop") {
      s = read_probability(v, key, out.drop);
    } else if (key == "corrupt") {
      s = read_probability(v, key, out.corrupt);
    } else if (key == "bad_check") {
      s = read_probability(v, key, out.bad_check);
    } else if (key == "noise") {
      s = read_probability(v, key, out.noise);
    } else if (key == "late") {
      s = read_probability(v, key, out.late);
    } else if (key == "noise_bytes") {
      s = read_uint(v, key, kMaxNoiseBytes, n);
      out.noise_bytes = static_cast<std::uint32_t>(n);
    } else if (key == "late_ms") {
      s = read_uint(v, key, kMaxLateMs, n);
      out.late_ms = static_cast<std::uint32_t>(n);
    } else if (key == "wake_nuls") {
      s = read_uint(v, key, 1000, n);
      out.wake_nuls = static_cast<std::uint32_t>(n);
    } else if (key == "wake_after_ms") {
      s = read_uint(v, key, 86'400'000, n);
      out.wake_after_ms = static_cast<std::uint32_t>(n);
    } else if (key == "echo") {
      if (!v.is_boolean()) return bad("fault 'echo' must be true or false");
      out.echo = v.get<bool>();
    } else if (key == "silent_after") {
      if (v.is_null()) {
        out.silent_after.reset();
      } else {
        s = read_uint(v, key, 1'000'000'000, n);
        out.silent_after = n;
      }
    } else {
      return bad("unknown fault '" + key +
                 "' (known: drop, corrupt, bad_check, noise_bytes, noise, late_ms, late, echo, "
                 "silent_after, wake_nuls, wake_after_ms, reset)");
    }
    if (!s) return s.error();
  }
  f = out;
  return core::Ok{};
}

FaultPlan plan_faults(const FaultConfig& f, std::uint64_t seed, std::uint64_t request_no,
                      std::size_t reply_size) {
  // Always the same draws in the same order, whatever is enabled.
  Rng rng = stream(seed, request_no, Stream::faults);
  FaultPlan p;
  p.drop = rng.chance(f.drop) && f.drop > 0;
  p.corrupt = rng.chance(f.corrupt) && f.corrupt > 0;
  const std::uint64_t pos = rng.next();
  const std::uint64_t bit = rng.next();
  p.bad_check = rng.chance(f.bad_check) && f.bad_check > 0;
  const bool noisy = rng.chance(f.noise) && f.noise > 0 && f.noise_bytes > 0;
  const bool late = rng.chance(f.late) && f.late > 0 && f.late_ms > 0;
  Rng noise_rng(rng.next());
  if (reply_size > 0) p.corrupt_index = static_cast<std::size_t>(pos % reply_size);
  p.corrupt_bit = static_cast<std::uint8_t>(bit % 8);
  if (noisy) {
    p.noise.resize(f.noise_bytes);
    for (auto& b : p.noise)
      b = noise_rng.byte();
  }
  if (late) p.extra_delay_ms = f.late_ms;
  if (reply_size == 0) p.corrupt = false;
  return p;
}

core::Bytes garbage_bytes(std::uint64_t seed, std::uint64_t request_no, std::size_t n) {
  Rng rng = stream(seed, request_no, Stream::garbage);
  core::Bytes out(n);
  for (auto& b : out)
    b = rng.byte();
  return out;
}

}  // namespace ml::sim
