// Home Assistant MQTT discovery for the meters the agent reads (docs/homeassistant.md): the
// retained config messages that announce one device per meter and one sensor entity per sample
// key, and the JSON state message for a reading. Pure: no I/O, no clock.
//
// Every entity comes from the register catalogue (core/kmp/registers.hpp): a sample key names a
// register, its quantity selects the Home Assistant row in kQuantityRows (discovery.cpp), so a new
// register is one line in the catalogue. Field names and values follow Home Assistant's public
// documentation: https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery and
// https://www.home-assistant.io/integrations/sensor.mqtt/ (device classes, units and state
// classes: https://developers.home-assistant.io/docs/core/entity/sensor/).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/sample/sample.hpp"

namespace ml::core::homeassistant {

// The Home Assistant attributes of one sample key.
struct EntityKind {
  std::string_view key;           // sample key, e.g. "e1"
  std::string_view device_class;  // "" for none
  std::string_view unit;          // Home Assistant unit text ("°C", "m³", "kWh"), "" for none
  std::string_view state_class;   // "measurement" or "total_increasing"
  bool diagnostic = false;        // entity_category: diagnostic
  bool enabled_by_default = true;
  bool total = false;  // a meter total: never decreases in what is published
};

// The entity for a sample key with the unit the meter sent ("C", "m3", "MWh", "l/h"), or
// nullopt when the key is not a register of the catalogue or its quantity has no entity.
std::optional<EntityKind> entity_for(std::string_view key, std::string_view meter_unit);

// The Home Assistant spelling of a unit the meter sent ("m3" -> "m³", "C" -> "°C"); the input
// when it already is one, nullopt for units Home Assistant does not know for the quantity.
std::optional<std::string_view> ha_unit(std::string_view meter_unit);

struct Gateway {
  std::string id;  // device id of the gateway, stable
  std::string name;
  std::string sw_version;
  std::string availability_topic;  // "online"/"offline", the agent connection's last will
};

struct Options {
  std::string prefix = "homeassistant";
  // State topic base; "{serial}" is replaced by the meter serial. The state topic is
  // <base>/state.
  std::string base_topic = "meterlogger/{serial}";
  bool heat_as_gas = false;  // an extra copy of e1 with device_class gas (docs/homeassistant.md)
};

struct Message {
  std::string topic;
  std::string payload;
  bool retained = false;
};

// The state topic of a meter, <base>/state, and its availability topic, <base>/availability
// ("online" / "offline", retained, the offline one as the connection's last will).
std::string state_topic(const Options& options, std::string_view serial);
std::string availability_topic(const Options& options, std::string_view serial);

// The gateway's own device announcement is implied by via_device; the meters' configs:
// one retained config per entity of the reading's keys (in sample order), plus the gas copy of
// e1 when heat_as_gas. `model` is e.g. "MULTICAL 603"; `sw_version` may be "".
std::vector<Message> discovery_messages(const Gateway& gateway, const Options& options,
                                        const sample::Reading& reading, std::string_view model,
                                        std::string_view sw_version);

// Empty retained payloads on the same topics: they remove the entities from Home Assistant.
std::vector<Message> removal_messages(const std::vector<Message>& discovery);

// Remembers the last published total per meter and key so a total never goes down in what Home
// Assistant sees (it reads any decrease of a total_increasing sensor as a meter reset).
class StateTracker {
 public:
  // The state message for a reading: a JSON object with every value of the reading that has an
  // entity, written as the exact decimal text the meter gave. A total that is missing, or lower
  // than the last one published for the meter, is left out; nullopt when nothing is left.
  std::optional<Message> state_message(const Options& options, const sample::Reading& reading);

 private:
  std::map<std::string, Decimal, std::less<>> last_totals_;  // "<serial>/<key>"
};

// JSON string escaping (quotes, backslash, control characters), for the payloads above.
std::string json_string(std::string_view text);

}  // namespace ml::core::homeassistant
