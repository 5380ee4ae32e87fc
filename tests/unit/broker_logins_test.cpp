// Per-device broker logins (src/server/broker_logins.hpp): the access rules each login gets, the
// commands for mosquitto's dynamic security plugin, and reading its answers.
#include "server/broker_logins.hpp"

#include <gtest/gtest.h>

#include "core/topic/names.hpp"
#include "server/broker_sys.hpp"

namespace ml::server::broker_logins {
namespace {

bool has(const std::vector<Acl>& acls, const std::string& type, const std::string& topic,
         bool allow) {
  for (const auto& a : acls)
    if (a.type == type && a.topic == topic && a.allow == allow) return true;
  return false;
}

TEST(BrokerLogins, ADeviceMayUseOnlyItsOwnTopicsAndNeverSendCommands) {
  const auto acls = device_acls("6892850");
  EXPECT_TRUE(has(acls, "publishClientSend", "/+/v2/6892850/#", true));
  EXPECT_TRUE(has(acls, "publishClientSend", "/offline/v1/6892850", true));
  EXPECT_TRUE(has(acls, "subscribePattern", "/config/v2/6892850/#", true));
  // The deny for its own command topic is checked before the wildcard that would allow it.
  int deny = -1000;
  int wildcard = -1000;
  for (const auto& a : acls) {
    if (a.topic == "/config/v2/6892850/#" && a.type == "publishClientSend") {
      EXPECT_FALSE(a.allow);
      deny = a.priority;
    }
    if (a.topic == "/+/v2/6892850/#") wildcard = a.priority;
  }
  EXPECT_GT(deny, wildcard);
  for (const auto& a : acls)
    EXPECT_NE(a.topic.find("6892850"), std::string::npos) << a.topic;
}

TEST(BrokerLogins, TheServerMayReadEveryDeviceFunctionAndSendCommands) {
  const auto acls = server_acls();
  for (const auto& f : core::topic::kDeviceFunctions)
    EXPECT_TRUE(has(acls, "subscribePattern", "/" + std::string(f.name) + "/v2/#", true)) << f.name;
  EXPECT_TRUE(has(acls, "subscribePattern", "/offline/v1/#", true));
  EXPECT_TRUE(has(acls, "publishClientSend", "/config/v2/#", true));
  EXPECT_TRUE(has(acls, "publishClientSend", "$CONTROL/dynamic-security/#", true));
  EXPECT_TRUE(has(acls, "subscribePattern", "$SYS/#", true));
  const auto legacy = legacy_acls();
  EXPECT_TRUE(has(legacy, "publishClientSend", "/config/v2/#", false));
  EXPECT_TRUE(has(legacy, "subscribePattern", "/config/v2/#", true));
}

TEST(BrokerLogins, RoleNamesCarryTheSerial) {
  EXPECT_EQ(device_role("0000040"), "meterlogger-device-0000040");
  EXPECT_EQ(serial_of_role("meterlogger-device-0000040"), "0000040");
  EXPECT_EQ(serial_of_role("meterlogger-device-"), "");
  EXPECT_EQ(serial_of_role("admin"), "");
  EXPECT_EQ(serial_of_role(kServerRole), "");
}

TEST(BrokerLogins, CommandsAreWhatThePluginDocuments) {
  const auto message = nlohmann::json::parse(
      control_message({create_role("r", {{"publishClientSend", "/a/#", true, 2}}),
                       create_client("6892850", "pw", "6892850", {"r"}), delete_client("x"),
                       delete_role("r"), set_client_password("u", "p2"), add_client_role("u", "r"),
                       get_client("u"), list_roles(500, 500)},
                      "t"));
  const auto& c = message.at("commands");
  ASSERT_EQ(c.size(), 8u);
  EXPECT_EQ(c[0].at("command"), "createRole");
  EXPECT_EQ(c[0].at("acls")[0].at("acltype"), "publishClientSend");
  EXPECT_EQ(c[0].at("acls")[0].at("priority"), 2);
  EXPECT_EQ(c[1].at("command"), "createClient");
  EXPECT_EQ(c[1].at("clientid"), "6892850");
  EXPECT_EQ(c[1].at("roles")[0].at("rolename"), "r");
  EXPECT_FALSE(create_client("u", "p", "", {}).contains("clientid"));
  EXPECT_EQ(c[4].at("command"), "setClientPassword");
  EXPECT_EQ(c[7].at("offset"), 500);
  for (std::size_t i = 0; i < c.size(); ++i)
    EXPECT_EQ(c[i].at("correlationData"), "t-" + std::to_string(i));
}

TEST(BrokerLogins, AnswersAreReadAndBadOnesRefusedWithTheReason) {
  auto r = parse_responses(
      R"({"responses":[{"command":"createRole","error":"Role already exists","correlationData":"t-0"},)"
      R"({"command":"listRoles","data":{"roles":["admin","meterlogger-device-1"]}},)"
      R"({"command":"getClient","data":{"client":{"roles":[{"rolename":"admin"}]}}},)"
      R"({"command":"createClient","error":"Role not found"}]})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_TRUE(already_so((*r)[0]));
  EXPECT_EQ((*r)[0].correlation, "t-0");
  EXPECT_EQ(role_names((*r)[1].data), (std::vector<std::string>{"admin", "meterlogger-device-1"}));
  EXPECT_EQ(client_roles((*r)[2].data), std::vector<std::string>{"admin"});
  EXPECT_FALSE(already_so((*r)[3]));  // a missing role is not "already so" for a new client
  auto role = parse_responses(
      R"({"responses":[{"command":"getRole","data":{"role":{"rolename":"r","acls":[)"
      R"({"acltype":"subscribePattern","topic":"/a/#","allow":true},{"acltype":5},)"
      R"({"acltype":"publishClientSend","topic":"/b"}]}}}]})");
  ASSERT_TRUE(role.ok()) << role.error().message();
  EXPECT_EQ(role_acls(role->front().data),
            (std::vector<std::pair<std::string, std::string>>{{"subscribePattern", "/a/#"},
                                                              {"publishClientSend", "/b"}}));
  EXPECT_TRUE(role_acls((*r)[2].data).empty());
  const std::pair<std::string, std::string> bad[] = {
      {"nope", "not JSON"},
      {"[]", "no \"responses\" array"},
      {R"({"responses":[{}]})", "a response without command"},
      {R"({"responses":[{"command":"x","error":5}]})", "\"error\" of x is not text"},
      {R"({"responses":[{"command":"x","data":[]}]})", "\"data\" of x is not an object"},
  };
  for (const auto& [text, why] : bad) {
    auto p = parse_responses(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_NE(p.error().detail.find(why), std::string::npos) << p.error().detail;
  }
}

// $SYS counts (server/broker_sys.hpp) and the warning when the broker drops messages.
TEST(BrokerSys, CountsAreDigitsOnlyAndEachIncreaseIsWarnedOf) {
  EXPECT_EQ(broker_sys::parse_count("0").value(), 0);
  EXPECT_EQ(broker_sys::parse_count("123456789012345678").value(), 123456789012345678);
  for (const char* bad : {"", "-1", "1.5", " 1", "1234567890123456789", "12a"})
    EXPECT_FALSE(broker_sys::parse_count(bad).ok()) << bad;
  EXPECT_FALSE(broker_sys::dropped_warning(std::nullopt, 0));
  EXPECT_FALSE(broker_sys::dropped_warning(7, 7));
  const auto first = broker_sys::dropped_warning(std::nullopt, 300);
  ASSERT_TRUE(first);
  EXPECT_NE(first->find("dropped 300 messages (300 since it started)"), std::string::npos)
      << *first;
  EXPECT_NE(first->find("max_queued_messages 0"), std::string::npos);
  const auto more = broker_sys::dropped_warning(300, 310);
  ASSERT_TRUE(more);
  EXPECT_NE(more->find("dropped 10 messages more"), std::string::npos) << *more;
  // The broker restarted: its count began again.
  EXPECT_FALSE(broker_sys::dropped_warning(310, 0));
  const auto after_restart = broker_sys::dropped_warning(310, 4);
  ASSERT_TRUE(after_restart);
  EXPECT_NE(after_restart->find("dropped 4 messages more (4 since it started)"), std::string::npos)
      << *after_restart;
}

}  // namespace
}  // namespace ml::server::broker_logins
