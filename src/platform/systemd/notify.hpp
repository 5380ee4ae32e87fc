// The service manager's notification protocol (systemd's sd_notify), written out so that the
// agent does not load libsystemd and the six libraries behind it (~1 MiB resident) for two
// environment variables and one datagram.
//
// NOTIFY_SOCKET names a Unix datagram socket (a path, or "@name" for the abstract namespace);
// each notification is one datagram of newline-separated KEY=VALUE lines. WATCHDOG_USEC (with
// WATCHDOG_PID, when set, naming this process) asks for "WATCHDOG=1" at least that often.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace ml::platform::systemd {

// Sends `state` (e.g. "READY=1") to the service manager. Returns false when there is none
// (NOTIFY_SOCKET unset) or the datagram cannot be sent; a service runs the same either way.
bool notify(std::string_view state);

// The watchdog interval the service manager asks for, or nothing when no watchdog is set for
// this process.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace ml::platform::systemd
