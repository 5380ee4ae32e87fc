// The KMP register catalogue: id, short name, description, quantity, typical unit and (for the
// eight registers the original reads) the key in the v2 sample text. One table; adding a register
// is one line in registers.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/kmp/units.hpp"

namespace ml::core::kmp {

enum class MeterFamily : std::uint8_t { heat, electricity };

struct RegisterInfo {
  std::uint16_t id;
  std::string_view name;         // short stable label, e.g. "E1", "T1-T2", "HR"
  std::string_view description;  // e.g. "Heat energy E1"
  Quantity quantity;
  std::uint8_t unit_code;       // typical unit (the meter's reply says the actual one)
  std::string_view sample_key;  // key in the v2 sample text, or "" when not sampled
  MeterFamily family;
};

// The catalogue entry for a register id, or nullopt when unknown. Register maps differ between
// product families; ids are unique within this table.
std::optional<RegisterInfo> register_by_id(std::uint16_t id);
// Case-insensitive lookup by short name ("e1", "T1-T2") or sample key ("tdif").
std::optional<RegisterInfo> register_by_name(std::string_view name);
std::span<const RegisterInfo> all_registers();

// The eight registers the original firmware requests each cycle, in its order
// (docs/protocols/kmp.md, "Units and registers"):
// E1, V1, HR, T1, T2, T1-T2, FLOW1, POWER1.
std::span<const std::uint16_t> sample_registers();

}  // namespace ml::core::kmp
