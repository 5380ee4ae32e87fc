#include "server/broker.hpp"

namespace ml::server {

platform::MqttOptions broker_options(const ServerMqttConfig& mqtt, std::string_view suffix) {
  platform::MqttOptions o;
  o.host = mqtt.host;
  o.port = mqtt.port;
  o.client_id = mqtt.client_id + std::string(suffix);
  o.keepalive = std::chrono::seconds(mqtt.keepalive_s);
  if (!mqtt.username.empty()) o.username = mqtt.username;
  if (!mqtt.password.empty()) o.password = mqtt.password;
  o.tls = mqtt.tls;
  // Back soon after a broker restart, and never more than half a minute away.
  o.backoff.initial = std::chrono::milliseconds(500);
  o.backoff.max = std::chrono::seconds(30);
  return o;
}

}  // namespace ml::server
