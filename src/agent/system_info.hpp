// Facts about the machine and the agent, in the forms the original's diagnostic commands reply
// with (docs/agent.md, "Commands"): free memory, supply voltage, chip and flash ids, flash size,
// boot id; the version and model, how the previous run ended, the connection's quality.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "agent/store.hpp"
#include "meter/drivers.hpp"

namespace ml::agent {

// Free memory in bytes (MemAvailable from /proc/meminfo).
std::uint64_t available_memory();
// What `mem` ("heap=<n>") and the sample's heap field report: available_memory() cut at
// 4294967295, since the original prints the ESP8266's free heap with a 32-bit %u and
// MeterLoggerWeb reads it as such. On Linux it is the memory available to new programs without
// swapping, not a heap: a diagnostic, comparable only between readings of one machine.
std::uint32_t heap_bytes();

// `vdd`: volts with 3 decimals from a sysfs/hwmon file holding millivolts ("3315" -> "3.315");
// "0.000" when no file is configured or it cannot be read (the firmware's format, 3 decimals,
// which MeterLoggerWeb reads as a number; a board without a voltage sensor has no value).
std::string vdd_text(const std::string& file);

// `chip_id`: "0x" + 6 hex digits taken from /etc/machine-id (stable per installation).
std::string chip_id_text();

// `flash_id`: "0x" + the device number of the file system holding the state directory.
std::string flash_id_text(const std::string& state_dir);

// `flash_size`: "<size in kB> kB" of that file system.
std::string flash_size_text(const std::string& state_dir);

// The kernel's boot id: changes on every boot (tells a crash from a power loss).
std::string boot_id();

// `version` and `crypto`: "linux-<version>-<model>", the model string the original's build flags
// make, from the driver and the settings ("KMP-THERMO_NC-DEBUG_STACK_TRACE",
// "IMPULSE-DEBUG_STACK_TRACE").
std::string version_text(const meter::Driver& driver, bool flow_meter);

// `reset_reason`: "reason=N&exccause=0&epc1=0x00000000&…" with the original's reason for how the
// previous run ended: 0 first start or power loss, 2 crash, 3 watchdog, 4 restart, 6 clean stop.
std::string reset_reason_text(RunEnd previous);

// `network_quality`: "ping_response_time=<ms, 3 decimals> mS&ping_average_packet_loss=<%, 2
// decimals>%&disconnect_count=<n>" from the broker's acknowledgement round trips (microseconds)
// and whether each recent message was delivered; "unknown" for both before the first round trip.
std::string network_quality_text(const std::deque<std::uint64_t>& round_trips_us,
                                 const std::deque<bool>& delivered, std::uint64_t disconnects);

}  // namespace ml::agent
