// How the server's own connections reach its broker ([mqtt] in server.toml): the address, the
// login, TLS and the reconnect policy of ingest, the command sender and `check`, decided once.
#pragma once

#include <string_view>

#include "platform/mqtt/client.hpp"
#include "server/config.hpp"

namespace ml::server {

// The client options for one of the server's connections; `suffix` tells them apart at the
// broker (client id "<client_id><suffix>": "" for ingest's persistent session, "-commands", ...).
platform::MqttOptions broker_options(const ServerMqttConfig& mqtt, std::string_view suffix);

}  // namespace ml::server
