// `run`'s watch on the broker's own account of itself ($SYS, server/broker_sys.hpp): a warning in
// the log whenever mosquitto drops messages, and the count in the store for GET /metrics and the
// dashboard (docs/mqtt.md, "Broker configuration"). Its own connection (client id
// "<client_id>-sys", clean session), with the server's login and TLS; a broker that publishes no
// $SYS (sys_interval 0, or an ACL) is simply not heard. A restarted `run` starts from the count
// recorded before, so the same drops are not reported twice.
#pragma once

#include <asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "core/result.hpp"
#include "platform/mqtt/client.hpp"
#include "server/config.hpp"
#include "server/store.hpp"

namespace ml::server {

class BrokerWatch {
 public:
  using Now = std::function<std::int64_t()>;
  BrokerWatch(asio::any_io_executor executor, ServerStore& store, const ServerMqttConfig& mqtt,
              Now now);
  ~BrokerWatch();
  BrokerWatch(const BrokerWatch&) = delete;
  BrokerWatch& operator=(const BrokerWatch&) = delete;

  core::Status start();
  void stop();

 private:
  void on_dropped(std::int64_t total);

  ServerStore& store_;
  Now now_;
  std::unique_ptr<platform::MqttClient> mqtt_;
  std::optional<std::int64_t> dropped_;  // the last count heard (or recorded by a `run` before)
  std::int64_t increased_ = 0;           // when it last grew
};

}  // namespace ml::server
