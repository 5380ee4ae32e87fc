#include "server/homeassistant.hpp"

#include <chrono>

#include "platform/log/log.hpp"

namespace ml::server {

namespace ha = core::homeassistant;
namespace log = platform::log;

namespace {

constexpr std::string_view kOnline = "online";
constexpr std::string_view kOffline = "offline";
constexpr std::string_view kServerId = "server";

ha::Message text_message(std::string topic, std::string_view text, bool retained) {
  return {std::move(topic), std::string(text), retained};
}

}  // namespace

ha::Options homeassistant_options(const HomeAssistantConfig& config) {
  return {config.prefix, config.base_topic, config.heat_as_gas};
}

ha::Gateway homeassistant_gateway(const HomeAssistantConfig& config, std::string sw_version) {
  const auto options = homeassistant_options(config);
  return {std::string(kServerId), "MeterLogger server", "MeterLogger server", std::move(sw_version),
          ha::availability_topic(options, kServerId)};
}

HomeAssistantPublisher::HomeAssistantPublisher(asio::any_io_executor executor, ServerStore& store,
                                               const HomeAssistantConfig& config,
                                               std::string sw_version, std::string client_id)
    : executor_(executor),
      store_(store),
      config_(config),
      options_(homeassistant_options(config)),
      gateway_(homeassistant_gateway(config, std::move(sw_version))),
      client_id_(std::move(client_id)),
      refresh_timer_(executor),
      groups_(config.groups.begin(), config.groups.end()) {}

HomeAssistantPublisher::~HomeAssistantPublisher() {
  stop();
}

core::Status HomeAssistantPublisher::start() {
  refresh();
  platform::MqttOptions o;
  o.host = config_.host;
  o.port = config_.port;
  o.client_id = client_id_;
  o.clean_session = true;
  o.keepalive = std::chrono::seconds(config_.keepalive_s);
  if (!config_.username.empty()) o.username = config_.username;
  if (!config_.password.empty()) o.password = config_.password;
  o.tls = config_.tls;
  o.will = platform::MqttWill{gateway_.availability_topic,
                              core::Bytes(kOffline.begin(), kOffline.end()), 1, true};
  o.max_unacknowledged = static_cast<std::size_t>(config_.queue_max);
  mqtt_ = std::make_unique<platform::MqttClient>(executor_, o);
  mqtt_->on_connected([this](bool) { on_connected(); });
  mqtt_->on_disconnected([this](const platform::MqttDisconnect& d) {
    if (d.was_connected || d.attempt == 1) {
      log::warning("homeassistant: broker " + mqtt_->broker() + ": " + d.reason + "; retrying in " +
                   std::to_string(d.retry_in.count()) + " ms");
    }
  });
  mqtt_->on_message([this](const platform::MqttMessage& m) { on_message(m); });
  ML_TRY(mqtt_->subscribe(config_.prefix + "/status", 1));
  ML_TRY(mqtt_->subscribe(config_.prefix + "/sensor/+/+/config", 1));
  ML_TRY(mqtt_->start());
  schedule_refresh();
  return core::Ok{};
}

void HomeAssistantPublisher::stop() {
  if (stopped_) return;
  stopped_ = true;
  refresh_timer_.cancel();
  if (!mqtt_) return;
  // The will only comes on a lost connection: a clean stop says "offline" itself (QoS 1, sent
  // before the DISCONNECT that stop() writes after it).
  if (mqtt_->connected()) {
    publish(text_message(gateway_.availability_topic, kOffline, true), 1);
  }
  mqtt_->stop();
}

void HomeAssistantPublisher::schedule_refresh() {
  refresh_timer_.expires_after(std::chrono::seconds(config_.refresh_s));
  refresh_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    refresh();
    schedule_refresh();
  });
}

void HomeAssistantPublisher::refresh() {
  auto meters = store_.meters();
  if (!meters) {
    log::error("homeassistant: cannot read the meters: " + meters.error().message());
    return;
  }
  std::set<std::string, std::less<>> present;
  for (const auto& m : *meters) {
    present.insert(m.serial);
    MeterState& state = meters_[m.serial];
    state.kind = m.kind;
    state.in_groups = groups_.contains(m.group);
    state.version_read = false;  // a new `version` reply is seen within `refresh`
  }
  for (auto it = meters_.begin(); it != meters_.end();) {
    if (!present.contains(it->first)) it->second.in_groups = false;
    if (!it->second.in_groups) {
      remove(it->first, it->second);
      if (!present.contains(it->first)) {
        it = meters_.erase(it);
        continue;
      }
    }
    ++it;
  }
}

void HomeAssistantPublisher::on_sample(const std::string& serial, std::int64_t time,
                                       const core::sample::ParsedSample& sample) {
  if (stopped_) return;
  const auto it = meters_.find(serial);
  if (it == meters_.end() || !it->second.in_groups) {
    ++counters_.not_in_groups;
    return;
  }
  MeterState& meter = it->second;
  if (meter.last && time < meter.last_time) return;  // an older sample sent late
  meter.last = sample;
  meter.last_time = time;
  if (!mqtt_ || !mqtt_->connected()) {
    ++counters_.dropped;
    if (!outage_logged_) {
      log::warning("homeassistant: broker " + (mqtt_ ? mqtt_->broker() : std::string("-")) +
                   " not connected: states are dropped until it is back");
      outage_logged_ = true;
    }
    return;
  }
  announce(serial, meter);
  publish_state(serial, meter);
}

void HomeAssistantPublisher::announce(const std::string& serial, MeterState& meter) {
  if (!meter.last) return;
  const ha::Values values = ha::values_of(serial, *meter.last);
  // The model: from the meter's `version` reply, else from what the sample holds, else the kind
  // of meter the store knows.
  if (!meter.version_read) {
    meter.version_kind.reset();
    auto version = store_.diagnostic(serial, "version");
    if (version && *version) meter.version_kind = ha::kind_from_version((*version)->text);
    meter.version_read = version.ok();
  }
  std::optional<core::sample::MeterKind> kind = meter.version_kind;
  if (!kind) kind = ha::kind_from_sample(*meter.last);
  ha::MeterDevice device;
  device.availability_topic = gateway_.availability_topic;
  if (kind) {
    const auto& row = ha::model_of(*kind);
    device.manufacturer = std::string(row.manufacturer);
    device.model = std::string(row.model);
  } else {
    device.manufacturer = "";
    device.model = std::string(core::meter::info(meter.kind).name) + " meter";
  }
  auto configs = ha::discovery_messages(gateway_, options_, values, device);
  if (configs.empty() || configs == meter.announced) return;
  // Entities no longer in the sample (heat_as_gas turned off, a key gone) are cleared.
  for (const auto& old : meter.announced) {
    bool kept = false;
    for (const auto& c : configs)
      kept = kept || c.topic == old.topic;
    if (!kept && publish({old.topic, "", true}, 1)) ++counters_.removed;
  }
  for (const auto& c : configs) {
    if (publish(c, 1)) ++counters_.announced;
  }
  meter.announced = std::move(configs);
}

void HomeAssistantPublisher::publish_state(const std::string& serial, MeterState& meter) {
  if (!meter.last) return;
  if (auto m = states_.state_message(options_, ha::values_of(serial, *meter.last))) {
    if (publish(*m, 0)) ++counters_.states;
  }
}

void HomeAssistantPublisher::remove(const std::string& serial, MeterState& meter) {
  if (meter.announced.empty()) return;
  for (const auto& m : ha::removal_messages(meter.announced)) {
    if (publish(m, 1)) ++counters_.removed;
  }
  log::info("homeassistant: meter " + serial + " left the groups: its entities are removed");
  meter.announced.clear();
  meter.last.reset();
  meter.last_time = 0;
  states_.forget(serial);
}

bool HomeAssistantPublisher::publish(const ha::Message& m, int qos) {
  if (!mqtt_) return false;
  if (auto s = mqtt_->publish(m.topic, core::as_bytes(m.payload), qos, m.retained); !s) {
    ++counters_.dropped;
    if (!outage_logged_) {
      log::warning("homeassistant: " + m.topic + ": " + s.error().message() +
                   "; messages are dropped until the broker takes them again");
      outage_logged_ = true;
    }
    return false;
  }
  return true;
}

void HomeAssistantPublisher::on_connected() {
  log::info("homeassistant: connected to " + mqtt_->broker());
  outage_logged_ = false;
  publish(text_message(gateway_.availability_topic, kOnline, true), 1);
  for (const auto& m : ha::gateway_messages(gateway_, options_))
    publish(m, 1);
  for (auto& [serial, meter] : meters_) {
    if (!meter.in_groups) continue;
    meter.announced.clear();  // a new session: announce again
    announce(serial, meter);
    publish_state(serial, meter);
  }
}

void HomeAssistantPublisher::on_message(const platform::MqttMessage& m) {
  const std::string_view payload(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
  if (m.topic == config_.prefix + "/status") {
    // Home Assistant's birth message: it (re)started and needs the configs again.
    if (payload == kOnline) on_connected();
    return;
  }
  // A retained config from before: cleared when it is the server's and its meter is not (or no
  // longer) in the groups.
  if (!m.retain || payload.empty()) return;
  const std::string head = config_.prefix + "/sensor/meterlogger_";
  if (m.topic.rfind(head, 0) != 0) return;
  const std::string_view rest = std::string_view(m.topic).substr(head.size());
  const std::string serial(rest.substr(0, rest.find('/')));
  if (serial == kServerId) return;
  const std::string via = "\"via_device\":" + ha::json_string("meterlogger_" + gateway_.id);
  if (payload.find(via) == std::string_view::npos) return;
  const auto it = meters_.find(serial);
  if (it != meters_.end() && it->second.in_groups) return;
  if (publish({m.topic, "", true}, 1)) ++counters_.removed;
}

}  // namespace ml::server
