#include "agent_support.hpp"

#include <fstream>

#include "mqtt_support.hpp"
#include "platform/crypto/random.hpp"

namespace ml::test {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

AgentMeter serial_meter(const std::string& protocol, const std::string& port, int interval) {
  AgentMeter m;
  m.protocol = protocol;
  m.port = port;
  m.interval = interval;
  return m;
}

AgentMeter pulse_meter(const std::string& input, const std::string& serial, int interval) {
  AgentMeter m;
  m.protocol = "pulse";
  m.input = input;
  m.serial = serial;
  m.interval = interval;
  return m;
}

std::string write_agent_config(const TempDir& dir, int broker_port,
                               const std::vector<AgentMeter>& meters,
                               const std::string& extra_top) {
  const std::string path = dir.file("agent.toml");
  std::ofstream out(path);
  out << "state_dir = \"" << dir.file("state") << "\"\n"
      << "log_level = \"debug\"\n"
      << extra_top << "\n[mqtt]\nhost = \"127.0.0.1\"\nport = " << broker_port << "\n";
  for (const AgentMeter& m : meters) {
    out << "\n[[meter]]\nprotocol = \"" << m.protocol << "\"\n";
    if (!m.port.empty()) out << "port = \"" << m.port << "\"\n";
    if (!m.input.empty()) out << "input = \"" << m.input << "\"\n";
    if (!m.serial.empty()) out << "serial = \"" << m.serial << "\"\n";
    out << "key = \"" << kTestKey << "\"\ninterval = " << m.interval << "\n" << m.extra << "\n";
  }
  return path;
}

std::unique_ptr<Process> start_agent(const TempDir& dir, const std::string& config) {
  static int n = 0;
  return std::make_unique<Process>(
      std::vector<std::string>{meterlogger(), "agent", "--config", config},
      dir.file("agent-" + std::to_string(++n) + ".log"));
}

std::size_t samples_queued(const Process& agent) {
  const std::string log = agent.log();
  const std::string mark = ": queued /sample/";
  std::size_t n = 0;
  for (std::size_t at = log.find(mark); at != std::string::npos; at = log.find(mark, at + 1))
    ++n;
  return n;
}

bool wait_for_samples_queued(const Process& agent, std::size_t n,
                             std::chrono::milliseconds timeout) {
  return wait_until([&] { return samples_queued(agent) >= n; }, timeout,
                    std::chrono::milliseconds(50));
}

TestServer::TestServer(asio::io_context& io, int port, const std::string& key_hex,
                       const std::string& client_id)
    : io_(io) {
  keys_ = core::envelope::derive_keys_from_hex(key_hex).value();
  platform::MqttOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.client_id = client_id;
  o.clean_session = false;
  o.backoff.initial = std::chrono::milliseconds(100);
  o.backoff.max = std::chrono::milliseconds(500);
  client_ = std::make_unique<platform::MqttClient>(io.get_executor(), o);
  client_->on_message([this](const platform::MqttMessage& m) {
    auto parsed = core::topic::parse(m.topic);
    if (!parsed || parsed->kind == core::topic::Kind::command) return;
    if (parsed->kind == core::topic::Kind::offline) {
      received.push_back({m.topic, *parsed, ""});
      return;
    }
    auto opened =
        core::envelope::open_message(keys_, m.topic, m.payload, core::envelope::EmptyText::accept);
    if (!opened) {
      unopened.push_back(m.topic);
      return;
    }
    received.push_back({m.topic, *parsed, opened->text});
  });
  (void)client_->subscribe("/+/v2/#", 2);
  (void)client_->subscribe("/offline/v1/#", 2);
  (void)client_->start();
  run_until(io_, [this] { return client_->connected(); });
}

TestServer::~TestServer() {
  client_->stop();
}

core::Bytes TestServer::send(const std::string& serial, const std::string& command,
                             const std::string& argument, std::int64_t offset_s) {
  const auto s = core::topic::Serial::parse(serial).value();
  const std::string topic =
      core::topic::command_topic(s, static_cast<std::uint64_t>(unix_now() + offset_s), command)
          .value();
  const core::Bytes payload =
      platform::seal_random(keys_, topic, argument, core::envelope::Padding::pkcs7).value();
  publish_raw(topic, payload);
  return payload;
}

void TestServer::publish_raw(const std::string& topic, const core::Bytes& payload) {
  bool done = false;
  (void)client_->publish(topic, payload, 1, false, [&done](bool) { done = true; });
  run_until(io_, [&done] { return done; });
}

std::optional<Received> TestServer::wait_for(const std::function<bool(const Received&)>& match,
                                             std::chrono::milliseconds timeout, std::size_t from) {
  std::optional<Received> found;
  run_until(
      io_,
      [&] {
        for (std::size_t i = from; i < received.size(); ++i) {
          if (match(received[i])) {
            found = received[i];
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

std::optional<Received> TestServer::reply(const std::string& fn, std::size_t from,
                                          std::chrono::milliseconds timeout) {
  return wait_for([&fn](const Received& r) { return r.parsed.name == fn; }, timeout, from);
}

std::string TestServer::ask(const std::string& serial, const std::string& command,
                            const std::string& argument) {
  const std::size_t from = received.size();
  send(serial, command, argument);
  auto r = reply(command, from, scaled(std::chrono::seconds(15)));
  return r ? r->text : std::string("<none>");
}

}  // namespace ml::test
