#include "sim/faults.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <string_view>

#include "sim/rng.hpp"

namespace ml::sim {
namespace {

core::Error bad_fault(const std::string& what) {
  return core::make_error(core::Errc::invalid_argument, what);
}

core::Status read_probability(const nlohmann::json& v, const std::string& key, double& out) {
  if (!v.is_number()) return bad_fault("fault '" + key + "' must be a number from 0 to 1");
  const double p = v.get<double>();
  if (!std::isfinite(p) || p < 0.0 || p > 1.0) {
    return bad_fault("fault '" + key + "' must be a number from 0 to 1");
  }
  out = p;
  return core::Ok{};
}

core::Status read_uint(const nlohmann::json& v, const std::string& key, std::uint64_t max,
                       std::uint64_t& out) {
  const bool whole =
      v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0);
  if (!whole) {
    return bad_fault("fault '" + key + "' must be a whole number from 0 to " + std::to_string(max));
  }
  const std::uint64_t n = v.get<std::uint64_t>();
  if (n > max) {
    return bad_fault("fault '" + key + "' must be a whole number from 0 to " + std::to_string(max));
  }
  out = n;
  return core::Ok{};
}

// One row per fault key: how it is read from a control command and written in `faults`. The
// order is the order of the "known:" list in errors.
struct FaultField {
  std::string_view name;
  core::Status (*read)(const nlohmann::json& v, const std::string& key, FaultConfig& f);
  nlohmann::json (*write)(const FaultConfig& f);
};

template <double FaultConfig::*M>
constexpr FaultField probability(std::string_view name) {
  return {name,
          [](const nlohmann::json& v, const std::string& key, FaultConfig& f) {
            return read_probability(v, key, f.*M);
          },
          [](const FaultConfig& f) { return nlohmann::json(f.*M); }};
}

template <std::uint32_t FaultConfig::*M, std::uint64_t Max>
constexpr FaultField count(std::string_view name) {
  return {name,
          [](const nlohmann::json& v, const std::string& key, FaultConfig& f) -> core::Status {
            std::uint64_t n = 0;
            ML_TRY(read_uint(v, key, Max, n));
            f.*M = static_cast<std::uint32_t>(n);
            return core::Ok{};
          },
          [](const FaultConfig& f) { return nlohmann::json(f.*M); }};
}

inline constexpr std::array<FaultField, 11> kFaultFields{{
    probability<&FaultConfig::drop>("drop"),
    probability<&FaultConfig::corrupt>("corrupt"),
    probability<&FaultConfig::bad_check>("bad_check"),
    count<&FaultConfig::noise_bytes, kMaxNoiseBytes>("noise_bytes"),
    probability<&FaultConfig::noise>("noise"),
    count<&FaultConfig::late_ms, kMaxLateMs>("late_ms"),
    probability<&FaultConfig::late>("late"),
    {"echo",
     [](const nlohmann::json& v, const std::string&, FaultConfig& f) -> core::Status {
       if (!v.is_boolean()) return bad_fault("fault 'echo' must be true or false");
       f.echo = v.get<bool>();
       return core::Ok{};
     },
     [](const FaultConfig& f) { return nlohmann::json(f.echo); }},
    {"silent_after",
     [](const nlohmann::json& v, const std::string& key, FaultConfig& f) -> core::Status {
       if (v.is_null()) {
         f.silent_after.reset();
         return core::Ok{};
       }
       std::uint64_t n = 0;
       ML_TRY(read_uint(v, key, 1'000'000'000, n));
       f.silent_after = n;
       return core::Ok{};
     },
     [](const FaultConfig& f) {
       return f.silent_after ? nlohmann::json(*f.silent_after) : nlohmann::json(nullptr);
     }},
    count<&FaultConfig::wake_nuls, 1000>("wake_nuls"),
    count<&FaultConfig::wake_after_ms, 86'400'000>("wake_after_ms"),
}};

}  // namespace

nlohmann::json to_json(const FaultConfig& f) {
  nlohmann::json j = nlohmann::json::object();
  for (const FaultField& field : kFaultFields)
    j[std::string(field.name)] = field.write(f);
  return j;
}

core::Status apply_faults_json(FaultConfig& f, const nlohmann::json& j) {
  if (!j.is_object()) return bad_fault("faults must be a JSON object");
  FaultConfig out = f;
  if (auto it = j.find("reset"); it != j.end()) {
    if (!it->is_boolean()) return bad_fault("fault 'reset' must be true or false");
    if (it->get<bool>()) out = FaultConfig{};
  }
  for (const auto& [key, v] : j.items()) {
    if (key == "cmd" || key == "reset") continue;
    const auto field =
        std::find_if(kFaultFields.begin(), kFaultFields.end(),
                     [&name = key](const FaultField& ff) { return ff.name == name; });
    if (field == kFaultFields.end()) {
      std::string known;
      for (const FaultField& ff : kFaultFields)
        known += std::string(ff.name) + ", ";
      return bad_fault("unknown fault '" + key + "' (known: " + known + "reset)");
    }
    ML_TRY(field->read(v, key, out));
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
