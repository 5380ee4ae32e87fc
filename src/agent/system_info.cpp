#include "agent/system_info.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/topic/names.hpp"

#ifndef ML_VERSION
#define ML_VERSION "dev"
#endif

namespace ml::agent {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (in) std::getline(in, line);
  return line;
}

std::string fixed3(std::uint64_t thousandths) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llu.%03llu", static_cast<unsigned long long>(thousandths / 1000),
                static_cast<unsigned long long>(thousandths % 1000));
  return buf;
}

std::string fixed2(std::uint64_t hundredths) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llu.%02llu", static_cast<unsigned long long>(hundredths / 100),
                static_cast<unsigned long long>(hundredths % 100));
  return buf;
}

}  // namespace

std::uint64_t available_memory() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return 0;
}

std::uint32_t heap_bytes() {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(available_memory(), UINT32_MAX));
}

std::string vdd_text(const std::string& file) {
  if (file.empty()) return "0.000";
  const std::string text = first_line(file);
  // Millivolts: the leading whole number of the line (blanks before it skipped).
  const std::size_t begin = std::min(text.find_first_not_of(" \t"), text.size());
  std::uint64_t millivolts = 0;
  if (std::from_chars(text.data() + begin, text.data() + text.size(), millivolts).ec !=
      std::errc()) {
    return "0.000";
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llu.%03llu", static_cast<unsigned long long>(millivolts / 1000),
                static_cast<unsigned long long>(millivolts % 1000));
  return buf;
}

std::string chip_id_text() {
  std::string id = first_line("/etc/machine-id");
  if (id.size() < 6) return "0x000000";
  return "0x" + id.substr(0, 6);
}

std::string flash_id_text(const std::string& state_dir) {
  struct stat st {};
  if (::stat(state_dir.c_str(), &st) != 0) return "0x0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(st.st_dev));
  return buf;
}

std::string flash_size_text(const std::string& state_dir) {
  struct statvfs vfs {};
  if (::statvfs(state_dir.c_str(), &vfs) != 0) return "0 kB";
  const unsigned long long bytes =
      static_cast<unsigned long long>(vfs.f_blocks) * static_cast<unsigned long long>(vfs.f_frsize);
  return std::to_string(bytes / 1024) + " kB";
}

std::string boot_id() {
  return first_line("/proc/sys/kernel/random/boot_id");
}

std::string version_text(const meter::Driver& driver, bool flow_meter) {
  std::string model(driver.model);
  if (flow_meter) model += "-FLOW";
  if (meter::has_valve(driver)) model += "-THERMO_NC";
  model += "-DEBUG_STACK_TRACE";
  return std::string(core::topic::kAgentVersionPrefix) + ML_VERSION + "-" + model;
}

std::string reset_reason_text(RunEnd previous) {
  // The original's reasons: 0 power-on, 1 hardware watchdog, 2 exception, 3 software watchdog,
  // 4 software restart, 6 external reset.
  int reason = 0;
  switch (previous) {
    case RunEnd::first_start:
    case RunEnd::power_loss:
      reason = 0;
      break;
    case RunEnd::crash:
      reason = 2;
      break;
    case RunEnd::watchdog:
      reason = 3;
      break;
    case RunEnd::restart:
      reason = 4;
      break;
    case RunEnd::clean_stop:
      reason = 6;
      break;
  }
  return "reason=" + std::to_string(reason) +
         "&exccause=0&epc1=0x00000000&epc2=0x00000000&epc3=0x00000000&excvaddr=0x00000000"
         "&depc=0x00000000";
}

std::string network_quality_text(const std::deque<std::uint64_t>& round_trips_us,
                                 const std::deque<bool>& delivered, std::uint64_t disconnects) {
  if (round_trips_us.empty()) {
    return "ping_response_time=unknown&ping_average_packet_loss=unknown&disconnect_count=" +
           std::to_string(disconnects);
  }
  std::uint64_t sum = 0;
  for (std::uint64_t us : round_trips_us)
    sum += us;
  const std::uint64_t avg_us = sum / round_trips_us.size();
  std::uint64_t failed = 0;
  for (bool d : delivered)
    failed += d ? 0 : 1;
  const std::uint64_t loss_hundredths = delivered.empty() ? 0 : failed * 10000 / delivered.size();
  return "ping_response_time=" + fixed3(avg_us) +
         " mS&ping_average_packet_loss=" + fixed2(loss_hundredths) +
         "%&disconnect_count=" + std::to_string(disconnects);
}

}  // namespace ml::agent
