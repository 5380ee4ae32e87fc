#include "core/homeassistant/discovery.hpp"

#include <array>
#include <cstdio>

#include "core/kmp/registers.hpp"
#include "core/kmp/units.hpp"

namespace ml::core::homeassistant {
namespace {

using Q = kmp::Quantity;

// Home Assistant attributes per quantity of the register catalogue (a row for every Quantity;
// `publish` false: no entity). Energy and volume totals use total_increasing, which the energy
// dashboard accepts (https://developers.home-assistant.io/docs/core/entity/sensor/). The
// temperature difference has no device class: Home Assistant would convert a "K" temperature as
// an absolute temperature.
struct QuantityRow {
  Q quantity;
  bool publish;
  std::string_view device_class;
  std::string_view state_class;
  bool diagnostic;
  bool enabled_by_default;
  bool total;
};

constexpr std::array kQuantityRows = {
    QuantityRow{Q::none, false, "", "", false, false, false},
    QuantityRow{Q::energy, true, "energy", "total_increasing", false, true, true},
    QuantityRow{Q::reactive_energy, false, "", "", false, false, false},
    QuantityRow{Q::apparent_energy, false, "", "", false, false, false},
    QuantityRow{Q::power, true, "power", "measurement", false, true, false},
    QuantityRow{Q::reactive_power, false, "", "", false, false, false},
    QuantityRow{Q::apparent_power, false, "", "", false, false, false},
    QuantityRow{Q::voltage, true, "voltage", "measurement", false, true, false},
    QuantityRow{Q::current, true, "current", "measurement", false, true, false},
    QuantityRow{Q::temperature, true, "temperature", "measurement", false, true, false},
    QuantityRow{Q::temperature_difference, true, "", "measurement", false, true, false},
    QuantityRow{Q::volume, true, "water", "total_increasing", false, true, true},
    QuantityRow{Q::flow, true, "volume_flow_rate", "measurement", false, true, false},
    QuantityRow{Q::volume_temperature, false, "", "", false, false, false},
    QuantityRow{Q::mass, false, "", "", false, false, false},
    QuantityRow{Q::mass_flow, false, "", "", false, false, false},
    QuantityRow{Q::duration, true, "duration", "total_increasing", true, false, true},
    QuantityRow{Q::clock, false, "", "", false, false, false},
    QuantityRow{Q::date, false, "", "", false, false, false},
    QuantityRow{Q::pressure, true, "pressure", "measurement", false, true, false},
    QuantityRow{Q::bitfield, false, "", "", true, false, false},
    QuantityRow{Q::text, false, "", "", false, false, false},
};

constexpr bool rows_cover_quantities() {
  if (kQuantityRows.size() != static_cast<std::size_t>(Q::text) + 1) return false;
  for (std::size_t i = 0; i < kQuantityRows.size(); ++i) {
    if (static_cast<std::size_t>(kQuantityRows[i].quantity) != i) return false;
  }
  return true;
}
static_assert(rows_cover_quantities(), "every Quantity needs one row, in enum order");

struct UnitRow {
  std::string_view meter;  // as in the unit table / sample text
  std::string_view ha;     // Home Assistant's spelling
};
constexpr std::array kUnits = {
    UnitRow{"C", "°C"},      UnitRow{"K", "K"},     UnitRow{"m3", "m³"},   UnitRow{"l", "L"},
    UnitRow{"m3/h", "m³/h"}, UnitRow{"l/h", "L/h"}, UnitRow{"Wh", "Wh"},   UnitRow{"kWh", "kWh"},
    UnitRow{"MWh", "MWh"},   UnitRow{"GJ", "GJ"},   UnitRow{"Gj", "GJ"},   UnitRow{"MJ", "MJ"},
    UnitRow{"W", "W"},       UnitRow{"kW", "kW"},   UnitRow{"MW", "MW"},   UnitRow{"h", "h"},
    UnitRow{"V", "V"},       UnitRow{"A", "A"},     UnitRow{"bar", "bar"},
};

// Sample keys that are not register names or sample keys of the catalogue but name one.
struct KeyAlias {
  std::string_view key;
  std::string_view register_name;
};
constexpr std::array kAliases = {KeyAlias{"t3", "T3"}};

std::optional<kmp::RegisterInfo> register_for_key(std::string_view key) {
  for (const KeyAlias& a : kAliases) {
    if (a.key == key) return kmp::register_by_name(a.register_name);
  }
  auto r = kmp::register_by_name(key);
  if (r && r->sample_key == key) return r;
  return std::nullopt;
}

std::string replace_serial(std::string_view base, std::string_view serial) {
  std::string out(base);
  const std::string_view marker = "{serial}";
  for (std::size_t at = out.find(marker); at != std::string::npos;
       at = out.find(marker, at + serial.size())) {
    out.replace(at, marker.size(), serial);
  }
  return out;
}

std::string field(std::string_view name, std::string_view value) {
  return json_string(name) + ":" + json_string(value);
}

std::string entity_config(const Gateway& gateway, const Options& options,
                          const sample::Reading& reading, std::string_view model,
                          std::string_view sw_version, const EntityKind& kind,
                          std::string_view object_suffix, std::string_view device_class,
                          std::string_view name, std::string_view node_id) {
  const std::string object_id =
      std::string(node_id) + "_" + std::string(kind.key) + std::string(object_suffix);
  std::string j = "{";
  j += field("unique_id", object_id) + ",";
  j += field("object_id", object_id) + ",";
  j += field("name", name) + ",";
  j += field("state_topic", state_topic(options, reading.serial)) + ",";
  j += field("value_template", "{{ value_json." + std::string(kind.key) + " }}") + ",";
  j += field("availability_topic", gateway.availability_topic) + ",";
  j += field("payload_available", "online") + ",";
  j += field("payload_not_available", "offline") + ",";
  if (!device_class.empty()) j += field("device_class", device_class) + ",";
  if (!kind.unit.empty()) j += field("unit_of_measurement", kind.unit) + ",";
  j += field("state_class", kind.state_class) + ",";
  if (kind.diagnostic) j += field("entity_category", "diagnostic") + ",";
  if (!kind.enabled_by_default) j += "\"enabled_by_default\":false,";
  j += "\"device\":{\"identifiers\":[" + json_string(node_id) + "],";
  j += field("manufacturer", "Kamstrup") + ",";
  j += field("model", model) + ",";
  j += field("name", std::string(model) + " " + reading.serial) + ",";
  j += field("serial_number", reading.serial) + ",";
  if (!sw_version.empty()) j += field("sw_version", sw_version) + ",";
  j += field("via_device", "meterlogger_" + gateway.id) + "}}";
  return j;
}

}  // namespace

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::optional<std::string_view> ha_unit(std::string_view meter_unit) {
  for (const UnitRow& u : kUnits) {
    if (u.meter == meter_unit || u.ha == meter_unit) return u.ha;
  }
  return std::nullopt;
}

std::optional<EntityKind> entity_for(std::string_view key, std::string_view meter_unit) {
  const auto reg = register_for_key(key);
  if (!reg) return std::nullopt;
  const QuantityRow& row = kQuantityRows[static_cast<std::size_t>(reg->quantity)];
  if (!row.publish) return std::nullopt;
  EntityKind kind{.key = key,
                  .device_class = row.device_class,
                  .unit = "",
                  .state_class = row.state_class,
                  .diagnostic = row.diagnostic,
                  .enabled_by_default = row.enabled_by_default,
                  .total = row.total};
  // A unit-less value takes the register's typical unit (the pulse meter's hour counter).
  std::string_view unit = meter_unit;
  if (unit.empty()) {
    if (auto typical = kmp::unit_by_code(reg->unit_code)) unit = typical->text;
  }
  const auto u = ha_unit(unit);
  if (!u) return std::nullopt;
  const auto meter = kmp::unit_by_text(unit);
  // The unit must measure the register's quantity ("K" for a temperature would be wrong).
  if (meter && meter->quantity != reg->quantity) return std::nullopt;
  kind.unit = *u;
  return kind;
}

std::string state_topic(const Options& options, std::string_view serial) {
  return replace_serial(options.base_topic, serial) + "/state";
}

std::string availability_topic(const Options& options, std::string_view serial) {
  return replace_serial(options.base_topic, serial) + "/availability";
}

std::vector<Message> discovery_messages(const Gateway& gateway, const Options& options,
                                        const sample::Reading& reading, std::string_view model,
                                        std::string_view sw_version) {
  std::vector<Message> out;
  const std::string node_id = "meterlogger_" + reading.serial;
  const auto topic = [&](std::string_view object) {
    return options.prefix + "/sensor/" + node_id + "/" + std::string(object) + "/config";
  };
  for (std::string_view key : sample::sample_keys(reading.kind, reading.flow_meter)) {
    const auto value = reading.values.find(key);
    if (value == reading.values.end()) continue;
    const auto kind = entity_for(key, value->second.unit);
    if (!kind) continue;
    const auto reg = register_for_key(key);
    out.push_back({topic(key),
                   entity_config(gateway, options, reading, model, sw_version, *kind, "",
                                 kind->device_class, reg->description, node_id),
                   true});
    if (options.heat_as_gas && key == "e1" && kind->device_class == "energy") {
      out.push_back({topic(std::string(key) + "_gas"),
                     entity_config(gateway, options, reading, model, sw_version, *kind, "_gas",
                                   "gas", "Heat energy E1 (as gas)", node_id),
                     true});
    }
  }
  return out;
}

std::vector<Message> removal_messages(const std::vector<Message>& discovery) {
  std::vector<Message> out;
  out.reserve(discovery.size());
  for (const Message& m : discovery)
    out.push_back({m.topic, "", true});
  return out;
}

std::optional<Message> StateTracker::state_message(const Options& options,
                                                   const sample::Reading& reading) {
  std::string j = "{";
  bool any = false;
  for (std::string_view key : sample::sample_keys(reading.kind, reading.flow_meter)) {
    const auto value = reading.values.find(key);
    if (value == reading.values.end()) continue;
    const auto kind = entity_for(key, value->second.unit);
    if (!kind) continue;
    if (kind->total) {
      const std::string memo = reading.serial + "/" + std::string(key);
      const auto last = last_totals_.find(memo);
      if (last != last_totals_.end() && compare(value->second.value, last->second) < 0) continue;
      last_totals_.insert_or_assign(memo, value->second.value);
    }
    if (any) j += ",";
    j += json_string(key) + ":" + value->second.value.to_string();
    any = true;
  }
  if (!any) return std::nullopt;
  j += "}";
  return Message{state_topic(options, reading.serial), j, false};
}

}  // namespace ml::core::homeassistant
