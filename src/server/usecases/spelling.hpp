// How a front door names a request's fields in the use cases' error texts: the HTTP API as its
// JSON keys ("setup_value", docs/api.md), the command line as its options ("--setup-value",
// `meterlogger-server --help`), a file of meters as its columns ("column setup_value",
// server/usecases/meter_csv.hpp). The use cases take the spelling with the request, so one
// check gives each front door the text its users typed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace ml::server::usecase {

// A request a use case refuses, with the text its user sees.
inline core::Error invalid(std::string detail) {
  return core::make_error(core::Errc::invalid_argument, std::move(detail));
}

enum class Spelling : std::uint8_t { json, option, csv_column };

// The options that are not the JSON key with "--" before it and "-" for "_".
struct OptionName {
  std::string_view field;
  std::string_view option;
};
inline constexpr std::array<OptionName, 1> kOptionNames{{{"timeout_s", "--timeout"}}};

// `name` (a JSON key) as `spelling` writes it.
std::string field(std::string_view name, Spelling spelling);

}  // namespace ml::server::usecase
