// Home Assistant MQTT discovery for the meters the agent reads and the server republishes
// (docs/homeassistant.md): the retained config messages that announce one device per meter (and
// the gateway or server they are reached through) and one sensor entity per sample key, and the
// JSON state message for a reading. Pure: no I/O, no clock.
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

// The device the meters are reached through (their `via_device`): the agent's gateway, or the
// MeterLogger server when the server republishes (docs/homeassistant.md). It is announced as a
// device of its own by gateway_messages(), so Home Assistant can link the meters to it.
struct Gateway {
  std::string id;     // stable; the device identifier is "meterlogger_<id>"
  std::string name;   // "boiler-room" (the gateway's host name), "MeterLogger server"
  std::string model;  // "MeterLogger agent", "MeterLogger server"
  std::string sw_version;
  // Where its "online"/"offline" is (its connection's last will), "" when none: then its entity
  // is always available.
  std::string availability_topic;
};

// What Home Assistant shows about one meter's device.
struct MeterDevice {
  std::string manufacturer = "Kamstrup";  // "" for none (model_of() gives it)
  std::string model;                      // "MULTICAL 66C": model_of()
  std::string sw_version;                 // "" when unknown
  // The meter's entities are available while this topic says "online" (retained; the publishing
  // connection's last will says "offline").
  std::string availability_topic;
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
  bool operator==(const Message&) const = default;
};

// One value of a reading with the unit it was sent in.
struct Value {
  std::string key;  // sample key: "e1"
  sample::Measurement measurement;
};

// A meter's values in the order they were sent: what discovery and states are made of, from the
// agent's reading or from a sample the server decoded.
struct Values {
  std::string serial;
  std::vector<Value> values;
};

// The reading's values in the sample order of its kind (sample::sample_keys).
Values values_of(const sample::Reading& reading);
// The values of a decoded sample text in the order sent; NaN values and the program number
// (which have no decimal value) are left out.
Values values_of(std::string_view serial, const sample::ParsedSample& sample);

// Manufacturer and model of a meter read by a driver of this kind; a row per MeterKind:
// "MULTICAL 66C", and for the KMP driver, which reads the MULTICAL 601/602/603/403 without
// asking which one, "MULTICAL 601/602/603/403". Pulse meters have no manufacturer.
struct ModelRow {
  sample::MeterKind kind;
  std::string_view manufacturer;
  std::string_view model;
};
const ModelRow& model_of(sample::MeterKind kind);

// The meter kind named by a device's `version` reply ("linux-1.5.0-MC_B-THERMO_NC-...": KMP, MC,
// MC_B, IMPULSE; FLOW for a flow meter, which for IMPULSE is the water pulse meter), nullopt when
// it names none.
std::optional<sample::MeterKind> kind_from_version(std::string_view version_reply);
// The kind a decoded sample's keys show (docs/protocols/sample.md): "program" with "t3" is a
// MULTICAL 66C, "program" alone a 66B, "t1" or "e1" with "hr" a KMP meter; nullopt otherwise.
std::optional<sample::MeterKind> kind_from_sample(const sample::ParsedSample& sample);

// The state topic of a meter, <base>/state, and its availability topic, <base>/availability
// ("online" / "offline", retained, the offline one as the connection's last will).
std::string state_topic(const Options& options, std::string_view serial);
std::string availability_topic(const Options& options, std::string_view serial);

// The meter's retained configs: one per entity of the values' keys (in their order), plus the gas
// copy of e1 when heat_as_gas; each device names the gateway as via_device.
std::vector<Message> discovery_messages(const Gateway& gateway, const Options& options,
                                        const Values& values, const MeterDevice& meter);
std::vector<Message> discovery_messages(const Gateway& gateway, const Options& options,
                                        const sample::Reading& reading, const MeterDevice& meter);

// The gateway's own device: the retained config of its "Software version" sensor (diagnostic) and
// its retained state, {"version":"<sw_version>"} on <base with {serial} = id>/state.
std::vector<Message> gateway_messages(const Gateway& gateway, const Options& options);

// Empty retained payloads on the same topics: they remove the entities from Home Assistant.
std::vector<Message> removal_messages(const std::vector<Message>& discovery);

// Remembers the last published total per meter and key so a total never goes down in what Home
// Assistant sees (it reads any decrease of a total_increasing sensor as a meter reset).
class StateTracker {
 public:
  // The state message for a reading: a JSON object with every value of the reading that has an
  // entity, written as the exact decimal text the meter gave. A total that is missing, or lower
  // than the last one published for the meter, is left out; nullopt when nothing is left.
  std::optional<Message> state_message(const Options& options, const Values& values);
  std::optional<Message> state_message(const Options& options, const sample::Reading& reading);
  // Forgets a meter's totals (it was removed from Home Assistant).
  void forget(std::string_view serial);

 private:
  std::map<std::string, Decimal, std::less<>> last_totals_;  // "<serial>/<key>"
};

// JSON string escaping (quotes, backslash, control characters), for the payloads above.
std::string json_string(std::string_view text);

}  // namespace ml::core::homeassistant
