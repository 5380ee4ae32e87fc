// The weather the residents' consumption is corrected for (docs/residents.md, "Weather"):
// importing a file of heating degree days (server/degree_days.hpp reads it) into the store, all
// of it or nothing, audited as degree_days.import.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/result.hpp"
#include "server/store.hpp"
#include "server/usecases/users.hpp"

namespace ml::server::usecase {

struct DegreeDayImport {
  std::size_t days = 0;    // in the file (a day already stored takes the file's value)
  std::int64_t first = 0;  // day numbers of the first and last day
  std::int64_t last = 0;
};
// Errc::invalid_argument naming the file's first problem, "the file holds no days" when empty;
// then nothing is stored.
core::Result<DegreeDayImport> import_degree_days(ServerStore& store, std::string_view text,
                                                 const Actor& actor, std::int64_t now);

}  // namespace ml::server::usecase
