#include "server/broker_watch.hpp"

#include "platform/log/log.hpp"
#include "server/broker.hpp"
#include "server/broker_sys.hpp"

namespace ml::server {

namespace log = platform::log;

BrokerWatch::BrokerWatch(asio::any_io_executor executor, ServerStore& store,
                         const ServerMqttConfig& mqtt, Now now)
    : store_(store), now_(std::move(now)) {
  platform::MqttOptions o = broker_options(mqtt, "-sys");
  o.clean_session = true;
  mqtt_ = std::make_unique<platform::MqttClient>(executor, o);
}

BrokerWatch::~BrokerWatch() {
  stop();
}

core::Status BrokerWatch::start() {
  if (auto before = store_.broker_health(); before && before->time > 0) {
    dropped_ = before->dropped;
    increased_ = before->increased;
  }
  mqtt_->on_message([this](const platform::MqttMessage& m) {
    if (m.topic != broker_sys::kDroppedTopic) return;
    auto n = broker_sys::parse_count(
        std::string_view(reinterpret_cast<const char*>(m.payload.data()), m.payload.size()));
    if (!n) {
      log::warning("broker: " + std::string(broker_sys::kDroppedTopic) + ": " + n.error().text());
      return;
    }
    on_dropped(*n);
  });
  ML_TRY(mqtt_->subscribe(broker_sys::kDroppedTopic, 0));
  return mqtt_->start();
}

void BrokerWatch::stop() {
  if (mqtt_) mqtt_->stop();
}

void BrokerWatch::on_dropped(std::int64_t total) {
  const std::int64_t now = now_();
  if (auto warning = broker_sys::dropped_warning(dropped_, total)) {
    log::warning(*warning);
    increased_ = now;
  }
  const bool changed = dropped_ != total;
  dropped_ = total;
  if (!changed) return;
  if (auto st = store_.record_broker_health({total, now, increased_}); !st) {
    log::error("broker: " + st.error().text());
  }
}

}  // namespace ml::server
