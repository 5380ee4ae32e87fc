// Test support for the agent: its configuration, the agent process, and an independent client
// that plays the server: it opens every message with the core envelope and sends commands.
#pragma once

#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/envelope/envelope.hpp"
#include "core/topic/topic.hpp"
#include "harness.hpp"
#include "platform/mqtt/client.hpp"

namespace ml::test {

inline constexpr const char* kTestKey = "ef500c9268cf749016d26d6cbfaaf7bf";

struct AgentMeter {
  std::string protocol = "kmp";
  std::string port;   // serial link (kmp, mc66c, mc66b)
  std::string input;  // pulse input (sim:/path)
  std::string serial;
  int interval = 60;
  std::string extra;  // more TOML lines for this meter
};

AgentMeter serial_meter(const std::string& protocol, const std::string& port, int interval);
AgentMeter pulse_meter(const std::string& input, const std::string& serial, int interval);

// Writes <dir>/agent.toml and returns its path.
std::string write_agent_config(const TempDir& dir, int broker_port,
                               const std::vector<AgentMeter>& meters,
                               const std::string& extra_top = "");

// `meterlogger agent --config FILE` as a child process, logging to <dir>/agent-N.log.
std::unique_ptr<Process> start_agent(const TempDir& dir, const std::string& config);

// How many samples the agent has written to its outbox so far, from its debug log ("queued
// /sample/..."): the event that a reading was taken, also while the broker is down.
std::size_t samples_queued(const Process& agent);
// Waits until the agent has queued at least `n` samples.
bool wait_for_samples_queued(const Process& agent, std::size_t n,
                             std::chrono::milliseconds timeout = scaled(std::chrono::seconds(20)));

struct Received {
  std::string topic;
  core::topic::Topic parsed;
  std::string text;
};

// The server side of the test: subscribes to every device topic with a persistent session and
// QoS 2, opens each message with the meter key, and publishes sealed commands.
class TestServer {
 public:
  TestServer(asio::io_context& io, int port, const std::string& key_hex = kTestKey,
             const std::string& client_id = "test-server");
  ~TestServer();

  std::vector<Received> received;     // opened messages, in arrival order
  std::vector<std::string> unopened;  // topics of messages that did not open

  bool connected() const { return client_->connected(); }
  // Seals `argument` for /config/v2/<serial>/<now + offset_s>/<command> and publishes it (QoS 1).
  // Returns the payload sent (to replay it).
  core::Bytes send(const std::string& serial, const std::string& command,
                   const std::string& argument = "1", std::int64_t offset_s = 0);
  void publish_raw(const std::string& topic, const core::Bytes& payload);

  // Runs the loop until a message satisfies `match` (searching from index `from`), or timeout.
  std::optional<Received> wait_for(
      const std::function<bool(const Received&)>& match,
      std::chrono::milliseconds timeout = scaled(std::chrono::seconds(15)), std::size_t from = 0);
  // The first reply on function `fn` arriving at or after index `from`.
  std::optional<Received> reply(
      const std::string& fn, std::size_t from,
      std::chrono::milliseconds timeout = scaled(std::chrono::seconds(15)));
  // Sends a command and returns the text of its reply on the topic of the same name, or
  // "<none>" when none arrives within scaled(15 s).
  std::string ask(const std::string& serial, const std::string& command,
                  const std::string& argument = "1");

 private:
  asio::io_context& io_;
  core::envelope::Keys keys_{};
  std::unique_ptr<platform::MqttClient> client_;
};

std::int64_t unix_now();

}  // namespace ml::test
