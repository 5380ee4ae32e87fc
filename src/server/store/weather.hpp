// The weather the residents' consumption is corrected for (docs/residents.md, "Weather"): one
// series of heating degree days for the installation, a value per UTC day (server/degree_days.hpp
// reads the files it comes from). A focused part of the server's store (server/store.hpp): a
// backend only persists it.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.hpp"
#include "server/degree_days.hpp"

namespace ml::server {

class WeatherStore {
 public:
  virtual ~WeatherStore() = default;
  // Stores the days, a day already there taking the new value.
  virtual core::Status put_degree_days(const std::vector<DegreeDay>& days) = 0;
  // The days in [from, to) (day numbers), oldest first.
  virtual core::Result<std::vector<DegreeDay>> degree_days(std::int64_t from, std::int64_t to) = 0;
};

}  // namespace ml::server
