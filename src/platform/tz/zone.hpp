// An IANA time zone (Europe/Copenhagen, America/New_York, ...) from the system's tz database
// (/usr/share/zoneinfo, Debian package tzdata), read through Howard Hinnant's date/tz library.
// It gives the cron engine its local time: ml::core::cron::ZoneRules.
//
//   auto zone = ml::platform::load_zone("Europe/Copenhagen");
//   if (!zone) log(zone.error().message());   // "unknown time zone: 'Europe/Kopenhagen' ..."
//   zone->utc_offset_seconds(1774746000);     // 7200: 2026-03-29 01:00 UTC is summer time
//
// Beyond 2037 the zone files list no transitions (the rest is a POSIX rule the library does not
// read): a zone that still changes clocks in 2037 repeats the 28-year calendar cycle, so its
// summer time goes on with the rules of 2037 (exact to 2099); a zone without changes in 2037
// keeps its last offset.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/cron/cron.hpp"
#include "core/result.hpp"

namespace date {
class time_zone;
}

namespace ml::platform {

inline constexpr std::string_view kDefaultZone = "Europe/Copenhagen";

class Zone final : public core::cron::ZoneRules {
 public:
  // The IANA name it was loaded with.
  const std::string& name() const { return name_; }
  std::int32_t utc_offset_seconds(std::int64_t unix_seconds) const override;
  std::int64_t next_change(std::int64_t unix_seconds) const override;

 private:
  friend core::Result<Zone> load_zone(std::string_view name);
  Zone(std::string name, const date::time_zone* zone, bool cycles)
      : name_(std::move(name)), zone_(zone), cycles_(cycles) {}

  std::string name_;
  const date::time_zone* zone_;  // owned by the library's database, lives until exit
  bool cycles_;                  // still changes its clocks in 2037
};

// Looks a zone up by its IANA name ("Europe/Copenhagen", "UTC"). Errors: time_zone_unknown for a
// name that is not in the database or not a zone name at all (at most 64 characters of
// A-Z a-z 0-9 / _ + -), and when the database cannot be read (the detail says why).
// Thread-safe; the first call reads the database's list of zones.
core::Result<Zone> load_zone(std::string_view name);

}  // namespace ml::platform
