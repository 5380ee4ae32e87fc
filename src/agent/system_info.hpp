// Facts about the machine the agent runs on, in the forms the original's diagnostic commands
// reply with (docs/agent.md, "Commands"): free memory, supply voltage, chip and flash ids, flash
// size, boot id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

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

}  // namespace ml::agent
