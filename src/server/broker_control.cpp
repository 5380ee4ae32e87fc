#include "server/broker_control.hpp"

#include <algorithm>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <map>
#include <set>

#include "core/bytes.hpp"
#include "platform/crypto/random.hpp"
#include "platform/mqtt/client.hpp"
#include "server/broker.hpp"

namespace ml::server {
namespace {

namespace bl = broker_logins;
constexpr std::size_t kBatch = 100;

core::Error failed(std::string what) {
  return core::make_error(core::Errc::mqtt_failure, std::move(what));
}

// Ok when every command did what it asked, or found it already so.
core::Status all_done(const std::vector<bl::Response>& responses) {
  for (const auto& r : responses) {
    if (!r.error.empty() && !bl::already_so(r)) return failed(r.command + ": " + r.error);
  }
  return core::Ok{};
}

}  // namespace

core::Result<std::vector<bl::Response>> broker_control(const ServerMqttConfig& mqtt,
                                                       std::vector<nlohmann::json> commands,
                                                       std::chrono::milliseconds timeout) {
  if (commands.empty()) return std::vector<bl::Response>{};
  auto nonce = platform::random_bytes(6);
  if (!nonce) return nonce.error();
  const std::string tag = core::to_hex(*nonce);
  asio::io_context io(1);
  platform::MqttOptions o = broker_options(mqtt, "-control");
  o.clean_session = true;
  o.connect_timeout = timeout;
  o.backoff.initial = std::chrono::hours(1);  // one attempt: a failure is the answer
  o.backoff.max = std::chrono::hours(1);
  platform::MqttClient client(io.get_executor(), o);
  const std::string where = mqtt.host + ":" + std::to_string(mqtt.port);

  std::map<std::string, bl::Response> answers;  // by correlation data
  std::string failure;
  std::size_t sent = 0;  // commands published so far
  auto send_next = [&] {
    if (sent >= commands.size()) return;
    const std::size_t n = std::min(kBatch, commands.size() - sent);
    std::vector<nlohmann::json> batch;
    for (std::size_t i = 0; i < n; ++i)
      batch.push_back(commands[sent + i]);
    // Correlations "<tag>-<index in `commands`>": control_message numbers a batch from 0.
    std::string text = bl::control_message(std::move(batch), tag + "-" + std::to_string(sent));
    sent += n;
    const core::Bytes payload(text.begin(), text.end());
    auto published = client.publish(bl::kControlTopic, payload, 1, false);
    if (!published) failure = published.error().text();
  };
  client.on_connected([&](bool) { send_next(); });
  client.on_disconnected([&](const platform::MqttDisconnect& d) {
    failure = d.reason;
    io.stop();
  });
  client.on_message([&](const platform::MqttMessage& m) {
    auto parsed = bl::parse_responses(
        std::string_view(reinterpret_cast<const char*>(m.payload.data()), m.payload.size()));
    if (!parsed) return;  // someone else's, or garbage: not ours to judge
    for (auto& r : *parsed) {
      if (r.correlation.rfind(tag + "-", 0) == 0) answers.emplace(r.correlation, std::move(r));
    }
    if (answers.size() == sent) {
      if (sent == commands.size()) {
        io.stop();
      } else {
        send_next();
      }
    }
  });
  if (auto s = client.subscribe(bl::kResponseTopic, 0); !s) return s.error();
  if (auto s = client.start(); !s) return s.error();
  auto work = asio::make_work_guard(io);
  io.run_for(timeout);
  client.stop();
  if (answers.size() < commands.size()) {
    if (!failure.empty()) return failed(failure);
    return failed("no answer from the dynamic security plugin at " + where + " within " +
                  std::to_string(timeout.count() / 1000) +
                  " s: is the plugin loaded (docs/security.md), and may [mqtt] username use "
                  "$CONTROL/dynamic-security (`mosquitto_ctrl dynsec init`)?");
  }
  // In the order of `commands`: batch k's command i is "<tag>-<first of batch>-<i>".
  std::vector<bl::Response> out;
  out.reserve(commands.size());
  for (std::size_t first = 0; first < commands.size(); first += kBatch) {
    for (std::size_t i = 0; i < kBatch && first + i < commands.size(); ++i) {
      auto it = answers.find(tag + "-" + std::to_string(first) + "-" + std::to_string(i));
      if (it == answers.end()) return failed("an answer is missing");
      out.push_back(std::move(it->second));
    }
  }
  return out;
}

core::Result<std::vector<std::string>> broker_device_logins(const ServerMqttConfig& mqtt,
                                                            std::chrono::milliseconds timeout) {
  constexpr int kPage = 500;
  std::vector<std::string> serials;
  for (int offset = 0;; offset += kPage) {
    auto r = broker_control(mqtt, {bl::list_roles(offset, kPage)}, timeout);
    if (!r) return r.error();
    if (!r->front().error.empty()) return failed("listRoles: " + r->front().error);
    const auto names = bl::role_names(r->front().data);
    for (const auto& name : names) {
      if (auto serial = bl::serial_of_role(name); !serial.empty()) serials.push_back(serial);
    }
    if (names.size() < static_cast<std::size_t>(kPage)) break;
  }
  return serials;
}

core::Result<std::string> create_device_login(const ServerMqttConfig& mqtt, std::string_view serial,
                                              std::chrono::milliseconds timeout) {
  auto password = new_broker_password();
  if (!password) return password.error();
  const std::string role = bl::device_role(serial);
  auto r = broker_control(mqtt,
                          {bl::create_role(role, bl::device_acls(serial)),
                           bl::create_client(serial, *password, serial, {role})},
                          timeout);
  if (!r) return r.error();
  if ((*r)[1].error == "Client already exists") {  // a new password for the login it has
    auto again = broker_control(mqtt, {bl::set_client_password(serial, *password)}, timeout);
    if (!again) return again.error();
    ML_TRY(all_done(*again));
  }
  ML_TRY(all_done(*r));
  return password;
}

core::Status remove_device_login(const ServerMqttConfig& mqtt, std::string_view serial,
                                 std::chrono::milliseconds timeout) {
  auto r = broker_control(
      mqtt, {bl::delete_client(serial), bl::delete_role(bl::device_role(serial))}, timeout);
  if (!r) return r.error();
  return all_done(*r);
}

namespace {

// The ACLs of bl::server_acls() the server's role on the broker does not have.
core::Result<std::vector<bl::Acl>> missing_server_acls(const ServerMqttConfig& mqtt,
                                                       std::chrono::milliseconds timeout) {
  auto r = broker_control(mqtt, {bl::get_role(bl::kServerRole)}, timeout);
  if (!r) return r.error();
  ML_TRY(all_done(*r));
  const auto has = bl::role_acls(r->front().data);
  std::vector<bl::Acl> missing;
  for (const bl::Acl& a : bl::server_acls()) {
    if (std::find(has.begin(), has.end(), std::make_pair(a.type, a.topic)) == has.end()) {
      missing.push_back(a);
    }
  }
  return missing;
}

}  // namespace

core::Result<std::vector<std::string>> setup_broker(const ServerMqttConfig& mqtt,
                                                    const std::string& legacy_password,
                                                    std::chrono::milliseconds timeout) {
  std::vector<std::string> done;
  if (mqtt.username.empty()) {
    return core::make_error(core::Errc::invalid_argument,
                            "[mqtt] username is empty: the server needs a login of its own");
  }
  auto roles = broker_control(
      mqtt,
      {bl::create_role(bl::kServerRole, bl::server_acls()),
       bl::create_role(bl::kLegacyRole, bl::legacy_acls()), bl::get_client(mqtt.username)},
      timeout);
  if (!roles) return roles.error();
  ML_TRY(all_done(*roles));
  done.push_back(std::string("role ") + std::string(bl::kServerRole) +
                 ((*roles)[0].error.empty() ? ": created" : ": exists"));
  if (!(*roles)[0].error.empty()) {
    // A role made by an older version lacks what this one adds (a new reply function's
    // subscription). Changing a role disconnects its logins, this one included, so the answer
    // may never come: the role is read again instead.
    auto missing = missing_server_acls(mqtt, timeout);
    if (!missing) return missing.error();
    if (!missing->empty()) {
      std::vector<nlohmann::json> add;
      for (const bl::Acl& a : *missing)
        add.push_back(bl::add_role_acl(bl::kServerRole, a));
      (void)broker_control(mqtt, add, timeout);
      auto still = missing_server_acls(mqtt, timeout);
      if (!still) return still.error();
      if (!still->empty()) {
        return failed("addRoleACL: the role " + std::string(bl::kServerRole) + " still lacks " +
                      still->front().topic);
      }
      done.push_back(std::string("role ") + std::string(bl::kServerRole) + ": " +
                     std::to_string(missing->size()) + " new ACLs");
    }
  }
  done.push_back(std::string("role ") + std::string(bl::kLegacyRole) +
                 ((*roles)[1].error.empty() ? ": created" : ": exists"));
  auto has_role = [&](const nlohmann::json& data) {
    const auto has = bl::client_roles(data);
    return std::find(has.begin(), has.end(), bl::kServerRole) != has.end();
  };
  if (!has_role((*roles)[2].data)) {
    // The plugin disconnects every session of a login whose roles change, this one included, so
    // the answer may never come: whether the role is there is asked again.
    (void)broker_control(mqtt, {bl::add_client_role(mqtt.username, bl::kServerRole)}, timeout);
    auto check = broker_control(mqtt, {bl::get_client(mqtt.username)}, timeout);
    if (!check) return check.error();
    if (!has_role(check->front().data)) {
      return failed("addClientRole: " + mqtt.username + " did not get the role " +
                    std::string(bl::kServerRole));
    }
    done.push_back("login " + mqtt.username + ": given role " + std::string(bl::kServerRole));
  } else {
    done.push_back("login " + mqtt.username + ": has role " + std::string(bl::kServerRole));
  }
  if (!legacy_password.empty()) {
    auto legacy = broker_control(
        mqtt, {bl::create_client(kLegacyUser, legacy_password, "", {std::string(bl::kLegacyRole)})},
        timeout);
    if (!legacy) return legacy.error();
    if (legacy->front().error == "Client already exists") {
      legacy =
          broker_control(mqtt, {bl::set_client_password(kLegacyUser, legacy_password)}, timeout);
      if (!legacy) return legacy.error();
    }
    ML_TRY(all_done(*legacy));
    done.push_back("login " + std::string(kLegacyUser) + " (original firmware): password set");
  }
  return done;
}

core::Result<BrokerSync> sync_device_logins(const ServerMqttConfig& mqtt,
                                            const std::vector<std::string>& meters, bool dry_run,
                                            std::chrono::milliseconds timeout) {
  auto on_broker = broker_device_logins(mqtt, timeout);
  if (!on_broker) return on_broker.error();
  const std::set<std::string> registered(meters.begin(), meters.end());
  BrokerSync sync;
  sync.logins = on_broker->size();
  std::vector<nlohmann::json> removals;
  for (const auto& serial : *on_broker) {
    if (registered.count(serial) != 0) continue;
    sync.removed.push_back(serial);
    removals.push_back(bl::delete_client(serial));
    removals.push_back(bl::delete_role(bl::device_role(serial)));
  }
  if (!dry_run && !removals.empty()) {
    auto r = broker_control(mqtt, std::move(removals), timeout);
    if (!r) return r.error();
    ML_TRY(all_done(*r));
  }
  return sync;
}

core::Result<std::string> new_broker_password() {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  while (out.size() < 32) {
    auto bytes = platform::random_bytes(64);
    if (!bytes) return bytes.error();
    for (std::uint8_t b : *bytes) {
      if (b < 248 && out.size() < 32) out += kAlphabet[b % kAlphabet.size()];  // 248 = 4 × 62
    }
  }
  return out;
}

}  // namespace ml::server
