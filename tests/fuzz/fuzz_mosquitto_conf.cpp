// Fuzz target: the mosquitto.conf parser of `meterlogger-server check` (server/install_check.hpp).
// Invariants: no crash; every rejection says why; an accepted file has only non-empty keys and
// values without line breaks, and its check gives one line per setting checked (five).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/install_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ml::server::check;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto conf = parse_mosquitto_conf(text);
  if (!conf.ok()) {
    if (conf.error().detail.empty()) std::abort();
    return 0;
  }
  for (const auto& [key, value] : conf->settings) {
    if (key.empty() || value.empty()) std::abort();
    if (key.find('\n') != std::string::npos || value.find('\n') != std::string::npos) std::abort();
  }
  if (check_mosquitto_conf(*conf, "f").size() != 5) std::abort();
  return 0;
}
