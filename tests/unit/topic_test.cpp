#include "core/topic/topic.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/topic/names.hpp"

namespace ml::core::topic {
namespace {

Serial serial(std::string_view text) {
  auto r = Serial::parse(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? r.value() : Serial::from_number(0);
}

std::string rejection(std::string_view topic) {
  auto r = parse(topic);
  EXPECT_FALSE(r.ok()) << "parsed: " << topic;
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code, Errc::topic_invalid);
  return r.error().detail;
}

#define EXPECT_REJECTED(topic, part)                                                  \
  do {                                                                                \
    const std::string detail_ = rejection(topic);                                     \
    EXPECT_NE(detail_.find(part), std::string::npos) << (topic) << " -> " << detail_; \
  } while (0)

// --- serials -----------------------------------------------------------------------------------

TEST(TopicSerial, NumbersHaveAtLeastSevenDigits) {
  EXPECT_EQ(Serial::from_number(40).text(), "0000040");
  EXPECT_EQ(Serial::from_number(0).text(), "0000000");
  EXPECT_EQ(Serial::from_number(7210086).text(), "7210086");
  EXPECT_EQ(Serial::from_number(12345678).text(), "12345678");
  EXPECT_EQ(Serial::from_number(4294967295u).text(), "4294967295");
}

TEST(TopicSerial, TextSerials) {
  EXPECT_EQ(serial("kWh-meter_01").text(), "kWh-meter_01");
  EXPECT_EQ(serial("7").text(), "7");
  for (std::string_view bad : {"", "abcdefghijklm", "a b", "a/b", "a.b", "a+b", "ø"}) {
    auto r = Serial::parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::topic_invalid);
  }
  EXPECT_NE(Serial::parse("a.b").error().detail.find("'.' at position 1"), std::string::npos);
  EXPECT_NE(Serial::parse("abcdefghijklm").error().detail.find("longer than 12"),
            std::string::npos);
}

// The original firmware publishes KMP samples on %u and everything else on %07u: serials
// compare as numbers.
TEST(TopicSerial, NumbersCompareAsNumbers) {
  EXPECT_EQ(serial("40").canonical().text(), "0000040");
  EXPECT_EQ(serial("0000040").canonical().text(), "0000040");
  EXPECT_EQ(serial("00000000040").canonical().text(), "0000040");
  EXPECT_EQ(serial("0").canonical().text(), "0000000");
  EXPECT_EQ(serial("7210086").canonical().text(), "7210086");
  EXPECT_EQ(serial("012345678").canonical().text(), "12345678");
  EXPECT_EQ(serial("999999999999").canonical().text(), "999999999999");
  EXPECT_EQ(serial("kWh-40").canonical().text(), "kWh-40");
  EXPECT_EQ(serial("0040a").canonical().text(), "0040a");
  auto texts = [](const Serial& s) {
    std::vector<std::string> out;
    for (const Serial& f : s.topic_forms())
      out.push_back(f.text());
    return out;
  };
  EXPECT_EQ(texts(serial("40")), (std::vector<std::string>{"0000040", "40"}));
  EXPECT_EQ(texts(serial("0000040")), (std::vector<std::string>{"0000040", "40"}));
  EXPECT_EQ(texts(serial("0")), (std::vector<std::string>{"0000000", "0"}));
  EXPECT_EQ(texts(serial("7210086")), (std::vector<std::string>{"7210086"}));
  EXPECT_EQ(texts(serial("meter-1")), (std::vector<std::string>{"meter-1"}));
  EXPECT_EQ(canonical_serial("40"), "0000040");
  EXPECT_EQ(canonical_serial("a/b"), "a/b");  // no serial: unchanged, finds nothing
}

// --- building ----------------------------------------------------------------------------------

TEST(TopicBuild, DeviceMessages) {
  EXPECT_EQ(device_topic("sample", Serial::from_number(7210086), 1466572820).value(),
            "/sample/v2/7210086/1466572820");
  // The KMP sample topic, too, carries the zero-padded serial.
  EXPECT_EQ(device_topic("sample", Serial::from_number(40), 1466572820).value(),
            "/sample/v2/0000040/1466572820");
  EXPECT_EQ(device_topic("open_until", Serial::from_number(7210086), 1466572825).value(),
            "/open_until/v2/7210086/1466572825");
  EXPECT_EQ(device_topic("version", serial("pulse01"), 0).value(), "/version/v2/pulse01/0");
  EXPECT_EQ(device_topic("x", Serial::from_number(1), 18446744073709551615u).value(),
            "/x/v2/0000001/18446744073709551615");
}

TEST(TopicBuild, CommandsLastWillAndFilter) {
  const Serial s = Serial::from_number(7210086);
  EXPECT_EQ(command_topic(s, 1466572820, "open_until").value(),
            "/config/v2/7210086/1466572820/open_until");
  EXPECT_EQ(command_topic(Serial::from_number(40), 1, "ping").value(), "/config/v2/0000040/1/ping");
  EXPECT_EQ(offline_topic(s), "/offline/v1/7210086");
  EXPECT_EQ(offline_topic(Serial::from_number(40)), "/offline/v1/0000040");
  EXPECT_EQ(command_filter(s), "/config/v2/7210086/#");
  EXPECT_EQ(command_filter(Serial::from_number(40)), "/config/v2/0000040/#");
}

TEST(TopicBuild, BadNamesAreRejected) {
  const Serial s = Serial::from_number(7210086);
  for (std::string_view bad :
       {"", "Sample", "sam-ple", "a/b", "a+", "#", "sample ", "abcdefghijklmnopqrstuvwxyz_01234"}) {
    EXPECT_FALSE(device_topic(bad, s, 1).ok()) << bad;
    EXPECT_FALSE(command_topic(s, 1, bad).ok()) << bad;
    EXPECT_FALSE(check_name(bad).ok()) << bad;
  }
  EXPECT_TRUE(check_name("abcdefghijklmnopqrstuvwxyz_0123").ok());  // 31 characters
  // The first elements that mark the other kinds cannot be device functions.
  EXPECT_NE(device_topic("config", s, 1).error().detail.find("reserved"), std::string::npos);
  EXPECT_NE(device_topic("offline", s, 1).error().detail.find("reserved"), std::string::npos);
}

// --- parsing -----------------------------------------------------------------------------------

TEST(TopicParse, DeviceMessage) {
  auto t = parse("/sample/v2/7210086/1466572820");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->kind, Kind::device_message);
  EXPECT_EQ(t->name, "sample");
  EXPECT_EQ(t->version, 2u);
  EXPECT_EQ(t->serial.text(), "7210086");
  EXPECT_EQ(t->time, 1466572820u);
}

TEST(TopicParse, Command) {
  auto t = parse("/config/v2/0000040/1466572820/open_until_delta");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->kind, Kind::command);
  EXPECT_EQ(t->name, "open_until_delta");
  EXPECT_EQ(t->version, 2u);
  EXPECT_EQ(t->serial.text(), "0000040");
  EXPECT_EQ(t->time, 1466572820u);
}

TEST(TopicParse, LastWill) {
  auto t = parse("/offline/v1/7210086");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->kind, Kind::offline);
  EXPECT_EQ(t->name, "offline");
  EXPECT_EQ(t->version, 1u);
  EXPECT_EQ(t->serial.text(), "7210086");
  EXPECT_EQ(t->time, 0u);
}

TEST(TopicParse, RoundTrips) {
  for (std::string_view text :
       {"/sample/v2/7210086/1466572820", "/config/v2/7210086/1466572820/open_until",
        "/offline/v1/7210086", "/scan_result/v2/pulse-meter1/0", "/a/v2/A/18446744073709551615",
        "/config/v2/x_-Y/5/restart", "/abcdefghijklmnopqrstuvwxyz_0123/v2/abcdefghijkl/1"}) {
    auto t = parse(text);
    ASSERT_TRUE(t.ok()) << text << ": " << t.error().message();
    auto back = format(*t);
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(*back, text);
    auto again = parse(*back);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *t);
  }
  // Builders and parser agree for every known name.
  const Serial s = Serial::from_number(40);
  for (const auto& f : kDeviceFunctions) {
    auto text = device_topic(f.name, s, 1700000000);
    ASSERT_TRUE(text.ok()) << f.name;
    auto t = parse(*text);
    ASSERT_TRUE(t.ok()) << *text;
    EXPECT_EQ(*t, (Topic{Kind::device_message, std::string(f.name), 2, s, 1700000000}));
  }
  for (const auto& c : kCommands) {
    auto text = command_topic(s, 1700000000, c.name);
    ASSERT_TRUE(text.ok()) << c.name;
    auto t = parse(*text);
    ASSERT_TRUE(t.ok()) << *text;
    EXPECT_EQ(*t, (Topic{Kind::command, std::string(c.name), 2, s, 1700000000}));
  }
  // Leading zeros of a time are read, and not written back.
  auto t = parse("/sample/v2/7210086/0001");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->time, 1u);
  EXPECT_EQ(format(*t).value(), "/sample/v2/7210086/1");
}

TEST(TopicParse, LengthAndShape) {
  EXPECT_REJECTED("", "empty");
  const std::string long_topic = "/sample/v2/7210086/" + std::string(109, '1');  // 128 bytes
  ASSERT_EQ(long_topic.size(), 128u);
  EXPECT_REJECTED(long_topic, "128 bytes, at most 127");
  // 127 bytes passes the length check (and then fails on its 108-digit time).
  EXPECT_REJECTED(long_topic.substr(0, 127), "more than 20 digits");
  EXPECT_REJECTED("sample/v2/7210086/1466572820", "does not start with '/'");
  EXPECT_REJECTED("/sample/v2/+/1466572820", "wildcard '+'");
  EXPECT_REJECTED("/config/v2/7210086/#", "wildcard '#'");
  EXPECT_REJECTED("/sample/v2/7210086/1466572820#", "wildcard '#'");
  EXPECT_REJECTED("/sample//v2/7210086/1466572820", "empty element at offset 8");
  EXPECT_REJECTED("//sample/v2/7210086/1466572820", "empty element at offset 1");
  EXPECT_REJECTED("/sample/v2/7210086/1466572820/", "trailing '/'");
  EXPECT_REJECTED("/", "trailing '/'");
  EXPECT_REJECTED("/sample/v2/7210086", "have 4 elements");
  EXPECT_REJECTED("/sample/v2/7210086/1/open", "have 4 elements");
  EXPECT_REJECTED("/config/v2/7210086/1", "have 5 elements");
  EXPECT_REJECTED("/config/v2/7210086/1/a/b", "more than 5 elements");
  EXPECT_REJECTED("/offline/v1/7210086/1", "have 3 elements");
  EXPECT_REJECTED("/offline/v1", "have 3 elements");
}

TEST(TopicParse, Versions) {
  EXPECT_REJECTED("/sample/v1/7210086/1466572820", "version v2, not 'v1'");
  EXPECT_REJECTED("/sample/V2/7210086/1466572820", "version v2");
  EXPECT_REJECTED("/config/v3/7210086/1466572820/ping", "version v2");
  EXPECT_REJECTED("/offline/v2/7210086", "version v1, not 'v2'");
}

TEST(TopicParse, Names) {
  EXPECT_REJECTED("/Sample/v2/7210086/1", "'S' at position 0");
  EXPECT_REJECTED("/sam.ple/v2/7210086/1", "'.' at position 3");
  EXPECT_REJECTED("/abcdefghijklmnopqrstuvwxyz_01234/v2/7210086/1", "longer than 31");
  EXPECT_REJECTED("/config/v2/7210086/1/Open", "command name 'Open'");
  EXPECT_REJECTED("/config/v2/7210086/1/open until", "' ' at position 4");
  EXPECT_REJECTED(std::string_view("/config/v2/7210086/1/op\0en", 26), "'\\x00' at position 2");
  EXPECT_REJECTED("/sample/v2/7210086/1\n", "not an unsigned decimal");
}

TEST(TopicParse, Serials) {
  EXPECT_REJECTED("/sample/v2/7210086.5/1", "'.' at position 7");
  EXPECT_REJECTED("/sample/v2/abcdefghijklm/1", "longer than 12");
  EXPECT_TRUE(parse("/sample/v2/abcdefghijkl/1").ok());
  EXPECT_REJECTED("/offline/v1/a b", "' ' at position 1");
}

TEST(TopicParse, Times) {
  EXPECT_REJECTED("/sample/v2/7210086/+1466572820", "wildcard");
  EXPECT_REJECTED("/sample/v2/7210086/-1466572820", "not an unsigned decimal");
  EXPECT_REJECTED("/sample/v2/7210086/14665728x0", "not an unsigned decimal");
  EXPECT_REJECTED("/sample/v2/7210086/0x10", "not an unsigned decimal");
  EXPECT_REJECTED("/sample/v2/7210086/ 1", "not an unsigned decimal");
  EXPECT_REJECTED("/sample/v2/7210086/18446744073709551616", "does not fit 64 bits");
  EXPECT_REJECTED("/sample/v2/7210086/99999999999999999999", "does not fit 64 bits");
  EXPECT_REJECTED("/sample/v2/7210086/000000000000000000001", "more than 20 digits");
  auto max = parse("/sample/v2/7210086/18446744073709551615");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->time, 18446744073709551615u);
  auto zero = parse("/sample/v2/7210086/0");
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->time, 0u);
}

TEST(TopicFormat, RejectsInconsistentTopics) {
  const Serial s = Serial::from_number(1);
  EXPECT_FALSE(format(Topic{Kind::device_message, "sample", 1, s, 5}).ok());
  EXPECT_FALSE(format(Topic{Kind::device_message, "config", 2, s, 5}).ok());
  EXPECT_FALSE(format(Topic{Kind::command, "Ping", 2, s, 5}).ok());
  EXPECT_FALSE(format(Topic{Kind::offline, "offline", 1, s, 5}).ok());
  EXPECT_FALSE(format(Topic{Kind::offline, "gone", 1, s, 0}).ok());
  EXPECT_EQ(format(Topic{Kind::offline, "offline", 1, s, 0}).value(), "/offline/v1/0000001");
}

// --- the replay window ---------------------------------------------------------------------------

TEST(TopicTime, WindowEdges) {
  const std::uint64_t now = 1466572820;
  EXPECT_EQ(check_command_time(now, now), TimeCheck::ok);
  EXPECT_EQ(check_command_time(now - 1800, now), TimeCheck::ok);
  EXPECT_EQ(check_command_time(now + 1800, now), TimeCheck::ok);
  EXPECT_EQ(check_command_time(now - 1801, now), TimeCheck::too_old);
  EXPECT_EQ(check_command_time(now + 1801, now), TimeCheck::too_new);
  EXPECT_EQ(check_command_time(0, now), TimeCheck::too_old);
  EXPECT_EQ(check_command_time(now + 10, now, 10), TimeCheck::ok);
  EXPECT_EQ(check_command_time(now + 11, now, 10), TimeCheck::too_new);
  EXPECT_EQ(check_command_time(now, now, 0), TimeCheck::ok);
  EXPECT_EQ(check_command_time(now + 1, now, 0), TimeCheck::too_new);
}

TEST(TopicTime, UnsetClockRejectsEverything) {
  for (std::uint64_t t : {0ull, 1ull, 1800ull, 1466572820ull, 18446744073709551615ull}) {
    EXPECT_EQ(check_command_time(t, 0), TimeCheck::clock_unset) << t;
  }
  EXPECT_EQ(time_check_name(TimeCheck::clock_unset), "clock_unset");
  EXPECT_EQ(time_check_name(TimeCheck::too_old), "too_old");
  EXPECT_EQ(time_check_name(TimeCheck::too_new), "too_new");
  EXPECT_EQ(time_check_name(TimeCheck::ok), "ok");
}

TEST(TopicTime, NoWrapAroundNearTheEnds) {
  EXPECT_EQ(check_command_time(0, 100), TimeCheck::ok);
  EXPECT_EQ(check_command_time(0, 1800), TimeCheck::ok);
  EXPECT_EQ(check_command_time(0, 1801), TimeCheck::too_old);
  const std::uint64_t max = 18446744073709551615ull;
  EXPECT_EQ(check_command_time(max, max), TimeCheck::ok);
  EXPECT_EQ(check_command_time(max, max - 1800), TimeCheck::ok);
  EXPECT_EQ(check_command_time(max, max - 1801), TimeCheck::too_new);
  EXPECT_EQ(check_command_time(max, 1), TimeCheck::too_new);
  EXPECT_EQ(check_command_time(1, max), TimeCheck::too_old);
}

// --- the name tables ---------------------------------------------------------------------------

TEST(TopicNames, TablesAreValidAndConsistent) {
  std::set<std::string_view> functions;
  for (const auto& f : kDeviceFunctions) {
    EXPECT_TRUE(check_name(f.name).ok()) << f.name;
    EXPECT_TRUE(functions.insert(f.name).second) << "duplicate " << f.name;
    EXPECT_EQ(find_device_function(f.name), &f);
  }
  std::set<std::string_view> commands;
  for (const auto& c : kCommands) {
    EXPECT_TRUE(check_name(c.name).ok()) << c.name;
    EXPECT_TRUE(commands.insert(c.name).second) << "duplicate " << c.name;
    EXPECT_EQ(find_command(c.name), c.over_mqtt() ? &c : nullptr) << c.name;
    EXPECT_EQ(find_cron_command(c.name), c.from_cron() ? &c : nullptr) << c.name;
    // Every reply is published under a known device function.
    if (!c.reply.empty()) {
      EXPECT_TRUE(functions.count(c.reply)) << c.name << " -> " << c.reply;
    }
    if (c.then_status) {
      EXPECT_TRUE(functions.count("status"));
    }
    if (!c.over_mqtt()) {
      // Cron's own commands publish nothing and are confirmed by nothing.
      EXPECT_EQ(c.reply, "") << c.name;
      EXPECT_EQ(c.confirmation.function, "") << c.name;
      continue;
    }
    // Every command the server may queue has a reply that confirms it, and it is one the
    // server subscribes to.
    EXPECT_FALSE(c.confirming_function().empty()) << c.name;
    EXPECT_TRUE(functions.count(c.confirming_function())) << c.name;
    EXPECT_EQ(c.confirmation.match == Match::text, !c.confirmation.text.empty()) << c.name;
    // What the server asks for after a command is itself a command, replying under that name.
    if (c.confirmation.asked) {
      const CommandInfo* query = find_command(c.confirmation.function);
      ASSERT_NE(query, nullptr) << c.name;
      EXPECT_EQ(query->reply, c.confirmation.function) << c.name;
      EXPECT_TRUE(query->argument.empty()) << c.name;
      EXPECT_EQ(follow_up(c.name), c.confirmation.function) << c.name;
    } else {
      EXPECT_EQ(follow_up(c.name), "") << c.name;
    }
  }
  // `save` was never implemented: no command, and no reply function "saved".
  EXPECT_EQ(find_command("save"), nullptr);
  EXPECT_EQ(find_cron_command("save"), nullptr);
  EXPECT_EQ(find_device_function("saved"), nullptr);
  EXPECT_EQ(find_command("config"), nullptr);
  EXPECT_EQ(find_device_function("offline"), nullptr);
  EXPECT_EQ(find_command("scan")->reply, "scan_result");
  EXPECT_EQ(find_command("open")->reply, "");
  EXPECT_TRUE(find_command("open_until")->then_status);
  EXPECT_EQ(find_command("restart")->since, Revision::head);
  EXPECT_EQ(find_command("open")->confirming_function(), "status");
  EXPECT_EQ(find_command("open")->confirmation.text, "open");
  EXPECT_EQ(find_command("reconnect")->confirming_function(), "version");
  EXPECT_EQ(find_command("open_until")->confirmation.match, Match::amount);
  EXPECT_EQ(follow_up("open"), "status");
  EXPECT_EQ(follow_up("stop_ap"), "ap_status");
  EXPECT_EQ(follow_up("reconnect"), "");
  EXPECT_EQ(follow_up("no_such_command"), "");
  // Cron-only commands are no MQTT command.
  EXPECT_EQ(find_command("off"), nullptr);
  EXPECT_EQ(find_cron_command("off")->feature, Feature::valve);
  EXPECT_EQ(find_cron_command("ping"), nullptr);
  EXPECT_EQ(find_cron_command("open")->feature, Feature::valve);
  EXPECT_EQ(find_device_function("flash_error")->since, Revision::head);
  EXPECT_EQ(find_device_function("sample")->since, Revision::seed);
}

TEST(Secrets, PasswordsAreMaskedWhereverTheyAreShown) {
  EXPECT_EQ(masked_argument("set_pwd", "hunter22"), "***");
  EXPECT_EQ(masked_argument("set_pwd", ""), "");
  EXPECT_EQ(masked_argument("set_ap_mesh_pwd", "w1reless"), "***");
  EXPECT_EQ(masked_argument("set_ssid_pwd", "ssid=Loppen&pwd=secret123"), "ssid=Loppen&pwd=***");
  EXPECT_EQ(masked_argument("set_ssid_pwd", "pwd=a%26b&ssid=x"), "pwd=***&ssid=x");
  EXPECT_EQ(masked_argument("set_ssid_pwd", "ssid=my_pwd=x&pwd="), "ssid=my_pwd=x&pwd=");
  EXPECT_EQ(
      masked_argument("set_cron", "minute=0&hour=3&command=set_ssid_pwd=ssid=the_ssid&pwd=secret"),
      "minute=0&hour=3&command=set_ssid_pwd=ssid=the_ssid&pwd=***");
  EXPECT_EQ(masked_argument("set_ssid", "Loppen"), "Loppen");
  EXPECT_EQ(masked_argument("open_until", "11588.235"), "11588.235");
  EXPECT_EQ(masked_argument("no_such_command", "pwd=x"), "pwd=x");
  // Replies by the function they come under.
  EXPECT_EQ(masked_reply("set_pwd", "hunter22"), "***");
  EXPECT_EQ(masked_reply("set_ssid_pwd", "ssid=Loppen&pwd=secret123"), "ssid=Loppen&pwd=***");
  EXPECT_EQ(masked_reply("cron", "minute=0&command=set_ssid_pwd=ssid=a&pwd=b;"),
            "minute=0&command=set_ssid_pwd=ssid=a&pwd=***");
  EXPECT_EQ(masked_reply("ssid", "Loppen"), "Loppen");
  // Each command with a secret replies under a function that masks it too.
  for (const auto& c : kCommands) {
    if (c.secret == Secret::none || c.reply.empty()) continue;
    ASSERT_NE(find_device_function(c.reply), nullptr) << c.name;
    EXPECT_NE(find_device_function(c.reply)->secret, Secret::none) << c.name;
  }
}

// The replies that are events: a valve change from status, every reset_reason and flash_error,
// scan_result only as events, the replies to resend (how many samples) and set_key; nothing
// else.
TEST(TopicFunctions, WhichRepliesAreEvents) {
  std::vector<std::string> logged;
  for (const auto& f : kDeviceFunctions) {
    if (f.logged != Logged::no) logged.emplace_back(f.name);
  }
  EXPECT_EQ(logged, (std::vector<std::string>{"status", "scan_result", "reset_reason",
                                              "flash_error", "resend", "set_key"}));
  EXPECT_EQ(find_device_function("scan_result")->logged, Logged::only);
  EXPECT_EQ(find_device_function("status")->logged, Logged::on_change);
  EXPECT_EQ(find_device_function("status")->event_kind, "valve");
  EXPECT_EQ(find_device_function("reset_reason")->logged, Logged::each);
}

}  // namespace
}  // namespace ml::core::topic
