// Facts about the machine the agent runs on, in the forms the original's diagnostic commands
// reply with (spec §9): free memory, supply voltage, chip and flash ids, flash size, boot id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ml::agent {

// Free memory in bytes (MemAvailable), for `mem` ("heap=<n>") and the sample's heap field.
std::uint64_t available_memory();

// `vdd`: volts with 3 decimals from a sysfs/hwmon file holding millivolts ("3315" -> "3.315");
// "unknown" when no file is configured or it cannot be read.
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
