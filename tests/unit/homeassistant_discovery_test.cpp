// Home Assistant discovery and state messages (core/homeassistant/discovery.hpp) checked against
// the fields and values Home Assistant documents for MQTT sensors:
// https://www.home-assistant.io/integrations/sensor.mqtt/ and
// https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/homeassistant/discovery.hpp"

namespace ml::core::homeassistant {
namespace {

Decimal dec(std::string_view s) {
  auto r = Decimal::parse(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? r.value() : Decimal{};
}

sample::Reading kmp_reading(std::string_view e1 = "12345.678", std::string_view e1_unit = "MWh") {
  sample::Reading r;
  r.kind = sample::MeterKind::kmp;
  r.serial = "6012345";
  r.values["t1"] = {dec("71.35"), "C"};
  r.values["t2"] = {dec("41.02"), "C"};
  r.values["tdif"] = {dec("30.33"), "K"};
  r.values["flow1"] = {dec("112"), "l/h"};
  r.values["effect1"] = {dec("3.9"), "kW"};
  r.values["hr"] = {dec("40123"), "h"};
  r.values["v1"] = {dec("4567.89"), "m3"};
  r.values["e1"] = {dec(e1), std::string(e1_unit)};
  return r;
}

Gateway gateway() {
  return {"gw42", "Boiler room", "MeterLogger agent", "1.5.0", ""};
}

MeterDevice device(std::string model, std::string sw_version = "") {
  return {"Kamstrup", std::move(model), std::move(sw_version), "meterlogger/6012345/availability"};
}

std::map<std::string, nlohmann::json> configs(const std::vector<Message>& messages) {
  std::map<std::string, nlohmann::json> out;
  for (const Message& m : messages) {
    EXPECT_TRUE(m.retained) << m.topic;
    auto j = nlohmann::json::parse(m.payload, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << m.payload;
    out[m.topic] = j;
  }
  return out;
}

struct Expected {
  std::string_view key;
  const char* device_class;  // nullptr: none
  std::string_view unit;
  std::string_view state_class;
  bool diagnostic;
};

TEST(HomeAssistantDiscovery, EveryEntityCarriesTheDocumentedFields) {
  const auto msgs = discovery_messages(gateway(), Options{}, kmp_reading(), device("MULTICAL 603"));
  const auto by_topic = configs(msgs);
  const std::array expected = {
      Expected{"t1", "temperature", "°C", "measurement", false},
      Expected{"t2", "temperature", "°C", "measurement", false},
      Expected{"tdif", nullptr, "K", "measurement", false},
      Expected{"flow1", "volume_flow_rate", "L/h", "measurement", false},
      Expected{"effect1", "power", "kW", "measurement", false},
      Expected{"hr", "duration", "h", "total_increasing", true},
      Expected{"v1", "water", "m³", "total_increasing", false},
      Expected{"e1", "energy", "MWh", "total_increasing", false},
  };
  ASSERT_EQ(msgs.size(), expected.size());
  for (const Expected& e : expected) {
    const std::string topic =
        "homeassistant/sensor/meterlogger_6012345/" + std::string(e.key) + "/config";
    ASSERT_TRUE(by_topic.contains(topic)) << topic;
    const nlohmann::json& j = by_topic.at(topic);
    SCOPED_TRACE(j.dump());
    EXPECT_EQ(j["unique_id"], "meterlogger_6012345_" + std::string(e.key));
    EXPECT_EQ(j["object_id"], j["unique_id"]);
    EXPECT_TRUE(j["name"].is_string());
    EXPECT_EQ(j["state_topic"], "meterlogger/6012345/state");
    EXPECT_EQ(j["value_template"], "{{ value_json." + std::string(e.key) + " }}");
    EXPECT_EQ(j["availability_topic"], "meterlogger/6012345/availability");
    EXPECT_EQ(j["payload_available"], "online");
    EXPECT_EQ(j["payload_not_available"], "offline");
    if (e.device_class) {
      EXPECT_EQ(j["device_class"], e.device_class);
    } else {
      EXPECT_FALSE(j.contains("device_class"));
    }
    EXPECT_EQ(j["unit_of_measurement"], e.unit);
    EXPECT_EQ(j["state_class"], e.state_class);
    if (e.diagnostic) {
      EXPECT_EQ(j["entity_category"], "diagnostic");
      EXPECT_EQ(j["enabled_by_default"], false);
    } else {
      EXPECT_FALSE(j.contains("entity_category"));
      EXPECT_FALSE(j.contains("enabled_by_default"));
    }
    const nlohmann::json& d = j["device"];
    ASSERT_TRUE(d["identifiers"].is_array());
    EXPECT_EQ(d["identifiers"][0], "meterlogger_6012345");
    EXPECT_EQ(d["manufacturer"], "Kamstrup");
    EXPECT_EQ(d["model"], "MULTICAL 603");
    EXPECT_EQ(d["serial_number"], "6012345");
    EXPECT_EQ(d["via_device"], "meterlogger_gw42");
    EXPECT_TRUE(d["name"].is_string());
  }
}

TEST(HomeAssistantDiscovery, TemperatureDifferenceIsNeverATemperatureInKelvin) {
  const auto kind = entity_for("tdif", "K");
  ASSERT_TRUE(kind);
  EXPECT_EQ(kind->device_class, "");
  EXPECT_EQ(kind->unit, "K");
  // The MULTICAL 66 sends its tdif in C: the same number, in K.
  EXPECT_EQ(entity_for("tdif", "C")->unit, "K");
  // A temperature register reported in K is not announced at all.
  EXPECT_FALSE(entity_for("t1", "K"));
}

TEST(HomeAssistantDiscovery, UnitsTakeHomeAssistantSpelling) {
  EXPECT_EQ(entity_for("flow1", "m3/h")->unit, "m³/h");
  EXPECT_EQ(entity_for("e1", "GJ")->unit, "GJ");
  EXPECT_EQ(entity_for("e1", "Gj")->unit, "GJ");
  EXPECT_EQ(entity_for("e1", "kWh")->unit, "kWh");
  EXPECT_EQ(entity_for("t3", "C")->device_class, "temperature");
  EXPECT_FALSE(entity_for("e1", "m3xC"));
  EXPECT_FALSE(entity_for("program", ""));
  EXPECT_FALSE(entity_for("nonsense", "kWh"));
  // The pulse meter's unit-less hour counter takes the register's unit.
  EXPECT_EQ(entity_for("hr", "")->unit, "h");
}

TEST(HomeAssistantDiscovery, UniqueIdsAreStableAcrossReadingsAndUnits) {
  const auto a = discovery_messages(gateway(), Options{}, kmp_reading("1.000", "GJ"), device("M"));
  const auto b =
      discovery_messages(gateway(), Options{}, kmp_reading("99999.9", "MWh"), device("M"));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].topic, b[i].topic);
    EXPECT_EQ(nlohmann::json::parse(a[i].payload)["unique_id"],
              nlohmann::json::parse(b[i].payload)["unique_id"]);
  }
}

TEST(HomeAssistantDiscovery, HeatAsGasAddsAGasCopyOfE1) {
  Options o;
  o.heat_as_gas = true;
  o.prefix = "ha";
  const auto by_topic =
      configs(discovery_messages(gateway(), o, kmp_reading(), device("M", "2.1")));
  const std::string topic = "ha/sensor/meterlogger_6012345/e1_gas/config";
  ASSERT_TRUE(by_topic.contains(topic));
  const auto& j = by_topic.at(topic);
  EXPECT_EQ(j["device_class"], "gas");
  EXPECT_EQ(j["state_class"], "total_increasing");
  EXPECT_EQ(j["unit_of_measurement"], "MWh");
  EXPECT_EQ(j["value_template"], "{{ value_json.e1 }}");
  EXPECT_EQ(j["unique_id"], "meterlogger_6012345_e1_gas");
  EXPECT_EQ(j["device"]["sw_version"], "2.1");
  EXPECT_EQ(by_topic.at("ha/sensor/meterlogger_6012345/e1/config")["device_class"], "energy");
}

TEST(HomeAssistantDiscovery, RemovalIsAnEmptyRetainedPayloadOnTheSameTopic) {
  const auto msgs = discovery_messages(gateway(), Options{}, kmp_reading(), device("M"));
  const auto gone = removal_messages(msgs);
  ASSERT_EQ(gone.size(), msgs.size());
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(gone[i].topic, msgs[i].topic);
    EXPECT_EQ(gone[i].payload, "");
    EXPECT_TRUE(gone[i].retained);
  }
}

TEST(HomeAssistantState, ValuesAreTheMetersExactDecimalText) {
  StateTracker tracker;
  const auto m = tracker.state_message(Options{}, kmp_reading("12345.678"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, "meterlogger/6012345/state");
  EXPECT_FALSE(m->retained);
  EXPECT_NE(m->payload.find("\"e1\":12345.678"), std::string::npos) << m->payload;
  EXPECT_NE(m->payload.find("\"v1\":4567.89"), std::string::npos) << m->payload;
  EXPECT_NE(m->payload.find("\"effect1\":3.9,"), std::string::npos) << m->payload;
  const auto j = nlohmann::json::parse(m->payload);
  EXPECT_EQ(j.size(), 8u);
  EXPECT_EQ(j["t1"].dump(), "71.35");
}

TEST(HomeAssistantState, TrailingZerosSurvive) {
  StateTracker tracker;
  const auto m = tracker.state_message(Options{}, kmp_reading("200.00", "kWh"));
  ASSERT_TRUE(m);
  EXPECT_NE(m->payload.find("\"e1\":200.00"), std::string::npos) << m->payload;
}

TEST(HomeAssistantState, AMissingOrFallingTotalIsLeftOut) {
  StateTracker tracker;
  ASSERT_TRUE(tracker.state_message(Options{}, kmp_reading("500.5")));
  // A garbled reading that went to zero: e1 is skipped, the other values still go out.
  auto m = tracker.state_message(Options{}, kmp_reading("0.0"));
  ASSERT_TRUE(m);
  auto j = nlohmann::json::parse(m->payload);
  EXPECT_FALSE(j.contains("e1")) << m->payload;
  EXPECT_TRUE(j.contains("t1"));
  // A reading without e1 (read failure): no e1 key.
  sample::Reading r = kmp_reading("600");
  r.values.erase("e1");
  m = tracker.state_message(Options{}, r);
  ASSERT_TRUE(m);
  EXPECT_FALSE(nlohmann::json::parse(m->payload).contains("e1"));
  // Equal and higher totals go out again.
  m = tracker.state_message(Options{}, kmp_reading("500.5"));
  EXPECT_EQ(nlohmann::json::parse(m->payload)["e1"].dump(), "500.5");
  m = tracker.state_message(Options{}, kmp_reading("500.6"));
  EXPECT_EQ(nlohmann::json::parse(m->payload)["e1"].dump(), "500.6");
  // Another meter's totals are tracked apart.
  r = kmp_reading("1.0");
  r.serial = "7";
  m = tracker.state_message(Options{}, r);
  EXPECT_EQ(nlohmann::json::parse(m->payload)["e1"].dump(), "1.0");
}

TEST(HomeAssistantState, NothingToSayIsNoMessage) {
  StateTracker tracker;
  sample::Reading r;
  r.serial = "1";
  EXPECT_FALSE(tracker.state_message(Options{}, r));
}

TEST(HomeAssistantGateway, TheGatewayIsADeviceOfItsOwnThatMetersPointTo) {
  const auto msgs = gateway_messages(gateway(), Options{});
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].topic, "homeassistant/sensor/meterlogger_gw42/version/config");
  EXPECT_TRUE(msgs[0].retained);
  const auto j = nlohmann::json::parse(msgs[0].payload);
  EXPECT_EQ(j["unique_id"], "meterlogger_gw42_version");
  EXPECT_EQ(j["state_topic"], "meterlogger/gw42/state");
  EXPECT_EQ(j["value_template"], "{{ value_json.version }}");
  EXPECT_EQ(j["entity_category"], "diagnostic");
  EXPECT_FALSE(j.contains("availability_topic"));
  EXPECT_EQ(j["device"]["identifiers"][0], "meterlogger_gw42");
  EXPECT_EQ(j["device"]["name"], "Boiler room");
  EXPECT_EQ(j["device"]["model"], "MeterLogger agent");
  EXPECT_EQ(j["device"]["sw_version"], "1.5.0");
  EXPECT_FALSE(j["device"].contains("via_device"));
  // The identifier the meters name as via_device is this device's.
  const auto meter = configs(discovery_messages(gateway(), Options{}, kmp_reading(), device("M")));
  EXPECT_EQ(meter.begin()->second["device"]["via_device"], j["device"]["identifiers"][0]);
  EXPECT_EQ(msgs[1].topic, "meterlogger/gw42/state");
  EXPECT_TRUE(msgs[1].retained);
  EXPECT_EQ(nlohmann::json::parse(msgs[1].payload)["version"], "1.5.0");
}

TEST(HomeAssistantGateway, TheServerGatewayCarriesItsConnectionsAvailability) {
  const Gateway server{"server", "MeterLogger server", "MeterLogger server", "2.0.0",
                       "meterlogger/server/availability"};
  const auto j = nlohmann::json::parse(gateway_messages(server, Options{})[0].payload);
  EXPECT_EQ(j["availability_topic"], "meterlogger/server/availability");
  EXPECT_EQ(j["payload_available"], "online");
  EXPECT_EQ(j["payload_not_available"], "offline");
  EXPECT_EQ(j["device"]["identifiers"][0], "meterlogger_server");
}

TEST(HomeAssistantModel, EveryKindHasAModelAndOnlyKamstrupMetersAManufacturer) {
  EXPECT_EQ(model_of(sample::MeterKind::mc66c).model, "MULTICAL 66C");
  EXPECT_EQ(model_of(sample::MeterKind::mc66b).model, "MULTICAL 66B");
  EXPECT_EQ(model_of(sample::MeterKind::kmp).model, "MULTICAL 601/602/603/403");
  EXPECT_EQ(model_of(sample::MeterKind::kmp).manufacturer, "Kamstrup");
  EXPECT_EQ(model_of(sample::MeterKind::pulse_electricity).manufacturer, "");
  EXPECT_EQ(model_of(sample::MeterKind::pulse_water).model, "Pulse water meter");
  MeterDevice pulse{"", "S0 pulse electricity meter", "", "a/availability"};
  const auto msgs = discovery_messages(gateway(), Options{}, kmp_reading(), pulse);
  ASSERT_FALSE(msgs.empty());
  EXPECT_FALSE(nlohmann::json::parse(msgs[0].payload)["device"].contains("manufacturer"));
}

TEST(HomeAssistantModel, KindFromTheVersionReply) {
  using K = sample::MeterKind;
  EXPECT_EQ(kind_from_version("linux-1.5.0-KMP-THERMO_NC-DEBUG_STACK_TRACE"), K::kmp);
  EXPECT_EQ(kind_from_version("linux-1.5.0-MC-DEBUG_STACK_TRACE"), K::mc66c);
  EXPECT_EQ(kind_from_version("1.4.2-1.5.0-MC_B-FLOW-THERMO_NO"), K::mc66b);
  EXPECT_EQ(kind_from_version("sdk-1.0-IMPULSE"), K::pulse_electricity);
  EXPECT_EQ(kind_from_version("linux-1.5.0-IMPULSE-FLOW-DEBUG_STACK_TRACE"), K::pulse_water);
  EXPECT_FALSE(kind_from_version("linux-1.5.0-THERMO_NC"));
  EXPECT_FALSE(kind_from_version(""));
  EXPECT_FALSE(kind_from_version(std::string(300, 'K')));
}

sample::ParsedSample parsed(std::string_view text) {
  auto p = sample::parse_sample(text);
  EXPECT_TRUE(p.ok()) << text;
  return p.ok() ? std::move(p).value() : sample::ParsedSample{};
}

TEST(HomeAssistantServer, ADecodedSampleGivesTheSameEntitiesInTheOrderSent) {
  const auto p = parsed(
      "heap=20000&t1=71.35 C&t2=41.02 C&tdif=30.33 K&flow1=112 l/h&effect1=3.9 kW&hr=40123 h&"
      "v1=4567.89 m3&e1=12345.678 MWh&");
  const Values v = values_of("6012345", p);
  ASSERT_EQ(v.values.size(), 9u);  // heap too; it has no entity
  EXPECT_EQ(v.values[1].key, "t1");
  EXPECT_EQ(kind_from_sample(p), sample::MeterKind::kmp);
  const auto from_sample = discovery_messages(gateway(), Options{}, v, device("M"));
  const auto from_reading = discovery_messages(gateway(), Options{}, kmp_reading(), device("M"));
  ASSERT_EQ(from_sample.size(), from_reading.size());
  for (std::size_t i = 0; i < from_sample.size(); ++i) {
    EXPECT_EQ(from_sample[i].topic, from_reading[i].topic);
    EXPECT_EQ(from_sample[i].payload, from_reading[i].payload);
  }
  StateTracker tracker;
  const auto m = tracker.state_message(Options{}, v);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload,
            "{\"t1\":71.35,\"t2\":41.02,\"tdif\":30.33,\"flow1\":112,\"effect1\":3.9,"
            "\"hr\":40123,\"v1\":4567.89,\"e1\":12345.678}");
}

TEST(HomeAssistantServer, NaNAndTheProgramNumberAreLeftOut) {
  const auto p = parsed(
      "heap=1&program=123456789012&e1=NaN GJ&v1=12.5 m3&hr=5 h&t1=20 C&t2=10 C&t3=5 C&tdif=10 K&"
      "flow1=0 l/h&effect1=0.0 kW&");
  const Values v = values_of("7", p);
  for (const Value& value : v.values) {
    EXPECT_NE(value.key, "program");
    EXPECT_NE(value.key, "e1");
  }
  EXPECT_EQ(kind_from_sample(p), sample::MeterKind::mc66c);
  EXPECT_FALSE(kind_from_sample(parsed("heap=1&e1=5 kWh&")));
  StateTracker tracker;
  const auto m = tracker.state_message(Options{}, v);
  ASSERT_TRUE(m);
  EXPECT_FALSE(nlohmann::json::parse(m->payload).contains("e1"));
  EXPECT_EQ(nlohmann::json::parse(m->payload)["v1"].dump(), "12.5");
}

TEST(HomeAssistantState, ForgetLetsATotalStartAgain) {
  StateTracker tracker;
  ASSERT_TRUE(tracker.state_message(Options{}, kmp_reading("500")));
  EXPECT_FALSE(nlohmann::json::parse(tracker.state_message(Options{}, kmp_reading("1"))->payload)
                   .contains("e1"));
  tracker.forget("6012345");
  EXPECT_TRUE(nlohmann::json::parse(tracker.state_message(Options{}, kmp_reading("1"))->payload)
                  .contains("e1"));
}

TEST(HomeAssistantJson, StringsAreEscaped) {
  EXPECT_EQ(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
}

}  // namespace
}  // namespace ml::core::homeassistant
