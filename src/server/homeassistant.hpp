// [homeassistant] in `run` (docs/homeassistant.md, "For operators"): the decoded samples of the
// meters in the configured groups, republished in plain text with Home Assistant MQTT discovery,
// with the same generator as the agent (core/homeassistant/discovery.hpp).
//
// Contract:
// - on_sample() is called by Ingest after a sample is committed to the store; it never blocks and
//   never fails ingest: it publishes through a client of its own whose queue is bounded
//   (queue_max). While the broker is away or the queue is full, states are dropped and counted
//   (`dropped`), with one log line per outage. It reconnects by itself.
// - One device per meter (via_device: the "MeterLogger server" device), one sensor per register
//   of the sample; states are the exact decimal text of the stored sample. A state older than the
//   one published for the meter is not published.
// - Availability: the server's connection to that broker ("online", retained; "offline" as its
//   last will and at stop) on <base_topic with {serial} = server>/availability.
// - Only meters whose group is in `groups`: membership is read from the store at start and every
//   `refresh` seconds; a meter that left the groups (or the store) has its retained configs
//   cleared (empty retained payloads). At every connection it also reads the retained configs
//   the server published before (via_device meterlogger_server) and clears those of meters not
//   in the groups, so a restart misses no move.
// - Home Assistant's birth message (<prefix>/status "online") makes it announce again.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/homeassistant/discovery.hpp"
#include "core/meter/kind.hpp"
#include "core/result.hpp"
#include "core/sample/sample.hpp"
#include "platform/mqtt/client.hpp"
#include "server/config.hpp"
#include "server/store.hpp"

namespace ml::server {

struct HomeAssistantCounters {
  std::uint64_t states = 0;         // state messages handed to the client
  std::uint64_t announced = 0;      // discovery configs handed to the client
  std::uint64_t removed = 0;        // configs cleared (meters that left the groups)
  std::uint64_t dropped = 0;        // messages not published: broker away or queue full
  std::uint64_t not_in_groups = 0;  // samples of meters outside the groups
};

// The Home Assistant settings of the generator for a configuration.
core::homeassistant::Options homeassistant_options(const HomeAssistantConfig& config);
// The server's device: id "server", named "MeterLogger server", with its availability topic.
core::homeassistant::Gateway homeassistant_gateway(const HomeAssistantConfig& config,
                                                   std::string sw_version);

class HomeAssistantPublisher {
 public:
  // `store` is read on the executor's thread (groups, the meters' `version` replies). Its MQTT
  // client id is `client_id` (each of several workers needs its own, or the broker lets only one
  // of them stay connected).
  HomeAssistantPublisher(asio::any_io_executor executor, ServerStore& store,
                         const HomeAssistantConfig& config, std::string sw_version,
                         std::string client_id);
  ~HomeAssistantPublisher();
  HomeAssistantPublisher(const HomeAssistantPublisher&) = delete;
  HomeAssistantPublisher& operator=(const HomeAssistantPublisher&) = delete;

  core::Status start();  // reads the groups, starts connecting
  void stop();           // "offline", then disconnects

  void on_sample(const std::string& serial, std::int64_t time,
                 const core::sample::ParsedSample& sample);
  // Reads group membership again now (also run every `refresh` seconds).
  void refresh();

  const HomeAssistantCounters& counters() const { return counters_; }

 private:
  struct MeterState {
    bool in_groups = false;
    core::meter::Kind kind = core::meter::kDefaultKind;
    std::optional<core::sample::ParsedSample> last;  // the newest sample, for announcing
    std::int64_t last_time = 0;
    // The model from the meter's `version` reply, read once per `refresh` (not per sample).
    bool version_read = false;
    std::optional<core::sample::MeterKind> version_kind;
    std::vector<core::homeassistant::Message> announced;  // configs published, for removal
  };
  void on_connected();
  void on_message(const platform::MqttMessage& m);
  void announce(const std::string& serial, MeterState& meter);
  void publish_state(const std::string& serial, MeterState& meter);
  void remove(const std::string& serial, MeterState& meter);
  bool publish(const core::homeassistant::Message& m, int qos);
  void schedule_refresh();

  asio::any_io_executor executor_;
  ServerStore& store_;
  const HomeAssistantConfig& config_;
  core::homeassistant::Options options_;
  core::homeassistant::Gateway gateway_;
  std::string client_id_;
  std::unique_ptr<platform::MqttClient> mqtt_;
  asio::steady_timer refresh_timer_;
  std::set<std::string, std::less<>> groups_;
  std::map<std::string, MeterState, std::less<>> meters_;
  core::homeassistant::StateTracker states_;
  HomeAssistantCounters counters_;
  bool outage_logged_ = false;
  bool stopped_ = false;
};

}  // namespace ml::server
