// What a meter measures, as the server and its operators see it: heat, water or electricity.
// One row per kind; everything that differs between kinds (the name in the database, the API
// and the command line, whether the meter has a valve, the unit prepaid credit is counted in)
// is read from this table. Which readers produce which kind is the driver table's business
// (src/meter/drivers.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ml::core::meter {

enum class Kind : std::uint8_t { heat, water, electricity };

struct KindInfo {
  Kind kind;
  std::string_view name;         // as stored and typed: "heat", "water", "electricity"
  bool valve;                    // the device can drive a valve (open, close, status, open_until)
  std::string_view credit_unit;  // what prepaid credit and the limit count: "kWh" or "m3"
};

inline constexpr std::array<KindInfo, 3> kKinds{{
    {Kind::heat, "heat", true, "kWh"},
    {Kind::water, "water", false, "m3"},
    {Kind::electricity, "electricity", false, "kWh"},
}};

inline constexpr Kind kDefaultKind = Kind::heat;

const KindInfo& info(Kind kind);
std::optional<Kind> kind_from_name(std::string_view name);
// "heat, water, electricity": for error messages and --help.
std::string kind_names();

}  // namespace ml::core::meter
