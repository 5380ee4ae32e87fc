#include "agent/system_info.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace ml::agent {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (in) std::getline(in, line);
  return line;
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

}  // namespace ml::agent
