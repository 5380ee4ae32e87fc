// A resident's own data, for them to take away (docs/residents.md, "Your data"; GDPR article 20):
// what is kept about them and their meters' readings and payments, in the forms they can read
// elsewhere. Read-only, on the caller's store connection (inside its read snapshot).
//
// - export.json: {"exported", "resident": {"name", "email", "phone", "language", "created"},
//   "meters": [{"serial", "name", "kind", "unit", "payments": [{"time", "amount", "price",
//   "credited", "state"}], "days": [{"day", "reading"}]}]}: every day's last reading (UTC days,
//   from the daily rollups) since the meter's first, as exact decimals.
// - readings.csv: serial,day,reading,unit, one row per meter and day.
// - payments.csv: serial,time,amount,price,credited,unit,state.
// The staff's notes on payments are not the resident's data and are left out.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.hpp"
#include "server/store.hpp"

namespace ml::server::http {

core::Result<std::string> resident_export_json(ServerStore& store, const Resident& resident,
                                               std::int64_t now);
core::Result<std::string> resident_readings_csv(ServerStore& store, const Resident& resident,
                                                std::int64_t now);
core::Result<std::string> resident_payments_csv(ServerStore& store, const Resident& resident);

}  // namespace ml::server::http
