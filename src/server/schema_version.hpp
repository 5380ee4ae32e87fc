// The one rule both store backends apply when opened for reading only: the database must be at
// exactly this program's schema version (a read-only command never migrates). Header only, for
// server/sqlite and server/postgresql.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace ml::server {

// Ok when `version` is `latest`; otherwise an error naming the database (`name`) that says what
// to do: migrate an older one, or use a newer program for a newer one.
inline core::Status check_read_only_schema(const std::string& name, std::int64_t version,
                                           std::int64_t latest) {
  if (version < latest) {
    return core::make_error(
        core::Errc::storage_failure,
        name + ": schema version " + std::to_string(version) + ", this program needs " +
            std::to_string(latest) +
            "; a read-only command does not migrate: run `meterlogger-server migrate` (or a "
            "writing command such as `run`) first");
  }
  if (version > latest) {
    return core::make_error(core::Errc::storage_failure, name + ": schema version " +
                                                             std::to_string(version) +
                                                             " is newer than this program knows (" +
                                                             std::to_string(latest) + ")");
  }
  return core::Ok{};
}

}  // namespace ml::server
