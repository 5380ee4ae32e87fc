// The KMP side of an emulated Kamstrup MULTICAL 601/602/603/403: which registers each model has,
// the unit and exponent it sends each with, and the answer to one request frame. Pure: the
// caller passes the installation's state; the I/O runtime is kmp_emulator.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/kmp/codec.hpp"
#include "core/kmp/messages.hpp"
#include "sim/installation.hpp"
#include "sim/line_check.hpp"
#include "sim/quantities.hpp"

namespace ml::sim {

enum class KmpModel : std::uint8_t { mc601, mc602, mc603, mc403 };

struct KmpModelInfo {
  KmpModel model;
  std::string_view name;  // "mc601"
  std::string_view description;
  std::uint16_t meter_type;   // GetType reply (the emulator's own values, see docs/emulators.md)
  std::uint16_t sw_revision;  // high byte letter (1 = A), low byte number
  EnergyUnit default_energy_unit;
  std::uint16_t high_res_register;  // 0x009B (MULTICAL 60x) or 0x010A (MULTICAL 403)
  bool battery;                     // a battery meter (403): no pressures, no T4
};

std::span<const KmpModelInfo> kmp_models();
const KmpModelInfo& kmp_model_info(KmpModel model);
std::optional<KmpModel> kmp_model_from_name(std::string_view name);

// The installation state a meter reads its registers from.
struct HeatState {
  std::int64_t sim_ms = 0;
  Instant now;
  Totals totals;
};

// The unit code and exponent a register is sent with.
struct RegisterFormat {
  std::uint8_t unit_code;
  std::int32_t exponent;
};

struct KmpMeterConfig {
  KmpModel model = KmpModel::mc601;
  std::uint32_t serial = 0;
  std::optional<EnergyUnit> energy_unit;  // default: the model's
  std::uint64_t customer_number = 0;      // registers 0x0070 / 0x03F2
};

// Registers PutRegister may change (others are read-only: the meter stays silent).
inline constexpr std::uint16_t kWritableRegisters[] = {0x0042, 0x0043, 0x0062, 0x0070, 0x03F2};

struct KmpOutcome {
  bool reply = false;                     // false: the meter stays silent
  std::string request;                    // "GetRegister", ... or "CID 0x9B"
  Reject reason = Reject::unsupported;    // when !reply
  std::string why;                        // when !reply
  core::Bytes wire;                       // the reply as sent
  std::optional<core::kmp::Frame> frame;  // the reply frame (nullopt for a lone ACK)
  nlohmann::json detail;                  // what the reply says, for last_reply
};

class KmpMeter {
 public:
  explicit KmpMeter(const KmpMeterConfig& config);

  const KmpModelInfo& model() const { return kmp_model_info(config_.model); }
  EnergyUnit energy_unit() const { return energy_unit_; }
  std::uint32_t serial() const { return config_.serial; }
  // Meter clock = simulated time + this offset (changed by SetClock).
  std::int64_t clock_offset_ms() const { return clock_offset_ms_; }

  // The answer to one CRC-valid request frame.
  KmpOutcome handle(const core::kmp::Frame& request, const HeatState& state);

  // A register's format on this model, or nullopt when the model does not have the register
  // (GetRegister then leaves it out of the reply).
  std::optional<RegisterFormat> format(std::uint16_t id) const;
  // A register's value now, in the model's unit and exponent.
  std::optional<core::kmp::RegisterValue> value(std::uint16_t id, const HeatState& state) const;

  nlohmann::json describe() const;

 private:
  KmpMeterConfig config_;
  EnergyUnit energy_unit_;
  std::int64_t clock_offset_ms_ = 0;
  std::map<std::uint16_t, core::kmp::RegisterValue> written_;  // by PutRegister
};

// The JSON form of a register value: id, name, unit, unit code, exact value text.
nlohmann::json register_json(const core::kmp::RegisterValue& v);

// The frame with its CRC XORed with `mask` (non-zero): a reply that fails the CRC check.
core::Bytes encode_with_bad_crc(const core::kmp::Frame& frame, std::uint16_t mask);

}  // namespace ml::sim
