// What mosquitto publishes about itself on $SYS (mosquitto(8), "Broker Status"), as far as the
// server watches it (server/broker_watch.hpp): the count of messages it dropped because a
// client's queue was full. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace ml::server::broker_sys {

inline constexpr std::string_view kDroppedTopic = "$SYS/broker/publish/messages/dropped";

// A $SYS count: decimal digits only (at most 18), as mosquitto writes them.
core::Result<std::int64_t> parse_count(std::string_view text);

// The warning for a dropped count that went from `before` (nullopt: the first one seen) to `now`,
// or nullopt when there is nothing to warn of (no drops, or none new; after a broker restart the
// count starts again from 0).
std::optional<std::string> dropped_warning(std::optional<std::int64_t> before, std::int64_t now);

}  // namespace ml::server::broker_sys
