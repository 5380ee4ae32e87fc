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

// Manufacturer and model per driver kind, a row per MeterKind in enum order. The KMP driver does
// not ask the meter for its type, so its row names the family it reads (docs/drivers.md).
constexpr std::array kModels = {
    ModelRow{sample::MeterKind::kmp, "Kamstrup", "MULTICAL 601/602/603/403"},
    ModelRow{sample::MeterKind::mc66c, "Kamstrup", "MULTICAL 66C"},
    ModelRow{sample::MeterKind::mc66b, "Kamstrup", "MULTICAL 66B"},
    ModelRow{sample::MeterKind::pulse_electricity, "", "S0 pulse electricity meter"},
    ModelRow{sample::MeterKind::pulse_water, "", "Pulse water meter"},
};

constexpr bool models_cover_kinds() {
  for (std::size_t i = 0; i < kModels.size(); ++i) {
    if (static_cast<std::size_t>(kModels[i].kind) != i) return false;
  }
  return kModels.size() == static_cast<std::size_t>(sample::MeterKind::pulse_water) + 1;
}
static_assert(models_cover_kinds(), "every MeterKind needs one row, in enum order");

// The model words of the `version` reply (docs/compatibility.md, docs/agent.md) and the kind they
// name.
struct VersionModel {
  std::string_view word;
  sample::MeterKind kind;
  sample::MeterKind flow_kind;
};
constexpr std::array kVersionModels = {
    VersionModel{"KMP", sample::MeterKind::kmp, sample::MeterKind::kmp},
    VersionModel{"MC", sample::MeterKind::mc66c, sample::MeterKind::mc66c},
    VersionModel{"MC_B", sample::MeterKind::mc66b, sample::MeterKind::mc66b},
    VersionModel{"IMPULSE", sample::MeterKind::pulse_electricity, sample::MeterKind::pulse_water},
};

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

std::string device_id(std::string_view id) {
  return "meterlogger_" + std::string(id);
}

std::string entity_config(const Gateway& gateway, const Options& options, const Values& values,
                          const MeterDevice& meter, const EntityKind& kind,
                          std::string_view object_suffix, std::string_view device_class,
                          std::string_view name, std::string_view node_id) {
  const std::string object_id =
      std::string(node_id) + "_" + std::string(kind.key) + std::string(object_suffix);
  std::string j = "{";
  j += field("unique_id", object_id) + ",";
  j += field("object_id", object_id) + ",";
  j += field("name", name) + ",";
  j += field("state_topic", state_topic(options, values.serial)) + ",";
  j += field("value_template", "{{ value_json." + std::string(kind.key) + " }}") + ",";
  j += field("availability_topic", meter.availability_topic) + ",";
  j += field("payload_available", "online") + ",";
  j += field("payload_not_available", "offline") + ",";
  if (!device_class.empty()) j += field("device_class", device_class) + ",";
  if (!kind.unit.empty()) j += field("unit_of_measurement", kind.unit) + ",";
  j += field("state_class", kind.state_class) + ",";
  if (kind.diagnostic) j += field("entity_category", "diagnostic") + ",";
  if (!kind.enabled_by_default) j += "\"enabled_by_default\":false,";
  j += "\"device\":{\"identifiers\":[" + json_string(node_id) + "],";
  if (!meter.manufacturer.empty()) j += field("manufacturer", meter.manufacturer) + ",";
  j += field("model", meter.model) + ",";
  j += field("name", meter.model + " " + values.serial) + ",";
  j += field("serial_number", values.serial) + ",";
  if (!meter.sw_version.empty()) j += field("sw_version", meter.sw_version) + ",";
  j += field("via_device", device_id(gateway.id)) + "}}";
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
  // A temperature difference sent in °C (the MULTICAL 66's tdif) is the same number in K.
  if (reg->quantity == Q::temperature_difference) {
    const auto sent = kmp::unit_by_text(unit);
    if (sent && sent->quantity == Q::temperature) unit = "K";
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

Values values_of(const sample::Reading& reading) {
  Values out{reading.serial, {}};
  for (std::string_view key : sample::sample_keys(reading.kind, reading.flow_meter)) {
    const auto value = reading.values.find(key);
    if (value != reading.values.end()) out.values.push_back({std::string(key), value->second});
  }
  return out;
}

Values values_of(std::string_view serial, const sample::ParsedSample& parsed) {
  Values out{std::string(serial), {}};
  for (const sample::SampleField& f : parsed.fields()) {
    if (f.value) out.values.push_back({std::string(f.key), {*f.value, std::string(f.unit)}});
  }
  return out;
}

const ModelRow& model_of(sample::MeterKind kind) {
  return kModels[static_cast<std::size_t>(kind)];
}

std::optional<sample::MeterKind> kind_from_version(std::string_view version_reply) {
  if (version_reply.size() > 256) return std::nullopt;
  std::optional<sample::MeterKind> kind;
  bool flow = false;
  const VersionModel* model = nullptr;
  while (!version_reply.empty()) {
    const std::size_t dash = version_reply.find('-');
    const std::string_view word = version_reply.substr(0, dash);
    version_reply = dash == std::string_view::npos ? "" : version_reply.substr(dash + 1);
    if (word == "FLOW") flow = true;
    for (const VersionModel& v : kVersionModels) {
      if (v.word == word) model = &v;
    }
  }
  if (model) kind = flow ? model->flow_kind : model->kind;
  return kind;
}

std::optional<sample::MeterKind> kind_from_sample(const sample::ParsedSample& parsed) {
  const auto has = [&](std::string_view key) { return parsed.find(key) != nullptr; };
  if (has("program")) return has("t3") ? sample::MeterKind::mc66c : sample::MeterKind::mc66b;
  if (has("t1") || (has("e1") && has("hr"))) return sample::MeterKind::kmp;
  return std::nullopt;
}

std::vector<Message> discovery_messages(const Gateway& gateway, const Options& options,
                                        const Values& values, const MeterDevice& meter) {
  std::vector<Message> out;
  const std::string node_id = device_id(values.serial);
  const auto topic = [&](std::string_view object) {
    return options.prefix + "/sensor/" + node_id + "/" + std::string(object) + "/config";
  };
  for (const Value& value : values.values) {
    const std::string_view key = value.key;
    const auto kind = entity_for(key, value.measurement.unit);
    if (!kind) continue;
    const auto reg = register_for_key(key);
    out.push_back({topic(key),
                   entity_config(gateway, options, values, meter, *kind, "", kind->device_class,
                                 reg->description, node_id),
                   true});
    if (options.heat_as_gas && key == "e1" && kind->device_class == "energy") {
      out.push_back({topic(std::string(key) + "_gas"),
                     entity_config(gateway, options, values, meter, *kind, "_gas", "gas",
                                   "Heat energy E1 (as gas)", node_id),
                     true});
    }
  }
  return out;
}

std::vector<Message> discovery_messages(const Gateway& gateway, const Options& options,
                                        const sample::Reading& reading, const MeterDevice& meter) {
  return discovery_messages(gateway, options, values_of(reading), meter);
}

std::vector<Message> gateway_messages(const Gateway& gateway, const Options& options) {
  const std::string node_id = device_id(gateway.id);
  const std::string state = state_topic(options, gateway.id);
  std::string j = "{";
  j += field("unique_id", node_id + "_version") + ",";
  j += field("object_id", node_id + "_version") + ",";
  j += field("name", "Software version") + ",";
  j += field("state_topic", state) + ",";
  j += field("value_template", "{{ value_json.version }}") + ",";
  if (!gateway.availability_topic.empty()) {
    j += field("availability_topic", gateway.availability_topic) + ",";
    j += field("payload_available", "online") + ",";
    j += field("payload_not_available", "offline") + ",";
  }
  j += field("entity_category", "diagnostic") + ",";
  j += "\"device\":{\"identifiers\":[" + json_string(node_id) + "],";
  j += field("manufacturer", "MeterLogger") + ",";
  j += field("model", gateway.model) + ",";
  j += field("name", gateway.name);
  if (!gateway.sw_version.empty()) j += "," + field("sw_version", gateway.sw_version);
  j += "}}";
  return {
      {options.prefix + "/sensor/" + node_id + "/version/config", j, true},
      {state, "{" + field("version", gateway.sw_version) + "}", true},
  };
}

std::vector<Message> removal_messages(const std::vector<Message>& discovery) {
  std::vector<Message> out;
  out.reserve(discovery.size());
  for (const Message& m : discovery)
    out.push_back({m.topic, "", true});
  return out;
}

std::optional<Message> StateTracker::state_message(const Options& options, const Values& values) {
  std::string j = "{";
  bool any = false;
  for (const Value& value : values.values) {
    const auto kind = entity_for(value.key, value.measurement.unit);
    if (!kind) continue;
    if (kind->total) {
      const std::string memo = values.serial + "/" + value.key;
      const auto last = last_totals_.find(memo);
      if (last != last_totals_.end() && compare(value.measurement.value, last->second) < 0) {
        continue;
      }
      last_totals_.insert_or_assign(memo, value.measurement.value);
    }
    if (any) j += ",";
    j += json_string(value.key) + ":" + value.measurement.value.to_string();
    any = true;
  }
  if (!any) return std::nullopt;
  j += "}";
  return Message{state_topic(options, values.serial), j, false};
}

std::optional<Message> StateTracker::state_message(const Options& options,
                                                   const sample::Reading& reading) {
  return state_message(options, values_of(reading));
}

void StateTracker::forget(std::string_view serial) {
  const std::string from = std::string(serial) + "/";
  auto it = last_totals_.lower_bound(from);
  while (it != last_totals_.end() && it->first.rfind(from, 0) == 0)
    it = last_totals_.erase(it);
}

}  // namespace ml::core::homeassistant
