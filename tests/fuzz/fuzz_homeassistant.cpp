// Fuzz target: Home Assistant discovery from what devices send (core/homeassistant/discovery.hpp):
// the `version` reply's model words and a decoded sample's values turned into configs and a
// state. Invariants: no crash; the model of a recognised kind is never empty; every config and
// state payload starts with "{" and ends with "}"; a state comes only with configs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/homeassistant/discovery.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ml::core;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto kind = homeassistant::kind_from_version(text);
  if (kind && homeassistant::model_of(*kind).model.empty()) std::abort();
  auto parsed = sample::parse_sample(text);
  if (!parsed.ok()) return 0;
  const auto values = homeassistant::values_of("6012345", *parsed);
  homeassistant::Options options;
  options.heat_as_gas = true;
  const homeassistant::Gateway gateway{"server", "MeterLogger server", "MeterLogger server", "1",
                                       "meterlogger/server/availability"};
  homeassistant::MeterDevice device;
  device.model = "M";
  device.availability_topic = gateway.availability_topic;
  const auto configs = homeassistant::discovery_messages(gateway, options, values, device);
  for (const auto& m : configs) {
    if (m.payload.empty() || m.payload.front() != '{' || m.payload.back() != '}') std::abort();
  }
  homeassistant::StateTracker tracker;
  if (auto state = tracker.state_message(options, values)) {
    if (configs.empty() || state->payload.front() != '{' || state->payload.back() != '}') {
      std::abort();
    }
  }
  return 0;
}
