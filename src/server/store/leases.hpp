// Leases: which of several `run` processes sharing one database does the work only one may do
// (sending commands, alarm and gap rounds, notifications: docs/scaling.md, "Several workers").
// A lease is a name, its holder and when it expires; the holder renews it well before then, and
// once it has expired anyone may take it. A focused part of the server's store
// (server/store.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace ml::server {

struct Lease {
  std::string holder;
  std::int64_t expires = 0;
};

class LeaseStore {
 public:
  virtual ~LeaseStore() = default;
  // Takes or renews `name` for `holder` until now + ttl_s, in one statement: true when `holder`
  // has it now (it was free, expired at `now`, or already its own), false when another holder's
  // lease still runs (that one is left as it is).
  virtual core::Result<bool> take_lease(const std::string& name, const std::string& holder,
                                        std::int64_t now, std::int64_t ttl_s) = 0;
  // Gives it up at once (a clean stop), when `holder` has it.
  virtual core::Status release_lease(const std::string& name, const std::string& holder) = 0;
  // Who has it (an empty holder when nobody ever took it).
  virtual core::Result<Lease> lease(const std::string& name) = 0;
};

}  // namespace ml::server
