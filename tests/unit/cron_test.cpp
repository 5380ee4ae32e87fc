#include "core/cron/cron.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/topic/names.hpp"
#include "platform/tz/zone.hpp"

namespace ml::core::cron {
namespace {

// --- helpers -----------------------------------------------------------------------------------

// UTC minutes of a UTC calendar time.
std::int64_t utc(int y, unsigned mo, unsigned d, int h, int mi) {
  const std::chrono::sys_days day{std::chrono::year{y} / mo / d};
  return std::int64_t{day.time_since_epoch().count()} * 1440 + h * 60 + mi;
}

Job job(std::string_view argument) {
  auto r = parse_set_cron(argument);
  EXPECT_TRUE(r.ok()) << argument << " -> " << (r.ok() ? "" : r.error().message());
  return r.ok() ? r.value() : Job{};
}

Error rejection(std::string_view argument) {
  auto r = parse_set_cron(argument);
  EXPECT_FALSE(r.ok()) << "accepted: " << argument;
  if (r.ok()) return make_error(Errc::invalid_argument);
  return r.error();
}

// The detail of a cron_invalid rejection.
std::string invalid(std::string_view argument) {
  const Error e = rejection(argument);
  EXPECT_EQ(e.code, Errc::cron_invalid) << argument;
  return e.detail;
}

// The values 0..63 a field allows.
std::vector<int> values(FieldKind kind, std::string_view text) {
  auto f = Field::parse(kind, text);
  EXPECT_TRUE(f.ok()) << text << " -> " << (f.ok() ? "" : f.error().message());
  std::vector<int> out;
  if (!f.ok()) return out;
  for (int v = 0; v < 64; ++v)
    if (f->matches(v)) out.push_back(v);
  return out;
}

std::vector<int> seq(int first, int last, int step = 1) {
  std::vector<int> out;
  for (int v = first; v <= last; v += step)
    out.push_back(v);
  return out;
}

std::string clock_text(const LocalTime& t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d", t.year, t.month, t.day, t.hour,
                t.minute);
  return buf;
}

// The local wall-clock time of a UTC minute.
std::string local_text(std::int64_t utc_minute, const ZoneRules& zone) {
  const std::int64_t offset = zone.utc_offset_seconds(utc_minute * 60) / 60;
  return clock_text(local_time(utc_minute + offset));
}

// What the agent does: once a minute, from `first` to `last` (UTC minutes, inclusive).
std::vector<Due> run_minutes(const std::vector<Job>& jobs, std::int64_t first, std::int64_t last,
                             const ZoneRules& zone) {
  std::vector<Due> out;
  std::int64_t evaluated = first - 1;
  for (std::int64_t now = first; now <= last; ++now) {
    const auto d = due(jobs, evaluated, now, zone);
    out.insert(out.end(), d.begin(), d.end());
    evaluated = now;
  }
  return out;
}

// The local times (when it ran) of each run of job `index`.
std::vector<std::string> runs_of(const std::vector<Due>& runs, std::size_t index,
                                 const ZoneRules& zone) {
  std::vector<std::string> out;
  for (const Due& d : runs)
    if (d.job == index) out.push_back(local_text(d.utc_minute, zone));
  return out;
}

// The UTC minutes of each run of job `index`.
std::vector<std::int64_t> minutes_of(const std::vector<Due>& runs, std::size_t index) {
  std::vector<std::int64_t> out;
  for (const Due& d : runs)
    if (d.job == index) out.push_back(d.utc_minute);
  return out;
}

// The local times each run of job `index` was scheduled for.
std::vector<std::string> scheduled_of(const std::vector<Due>& runs, std::size_t index) {
  std::vector<std::string> out;
  for (const Due& d : runs)
    if (d.job == index) out.push_back(clock_text(d.local));
  return out;
}

std::size_t count_of(const std::vector<Due>& runs, std::size_t index) {
  std::size_t n = 0;
  for (const Due& d : runs)
    if (d.job == index) ++n;
  return n;
}

platform::Zone zone(std::string_view name) {
  auto z = platform::load_zone(name);
  if (!z.ok()) {
    ADD_FAILURE() << name << ": " << z.error().message();
    std::abort();
  }
  return z.value();
}

using Strings = std::vector<std::string>;

// --- parsing set_cron --------------------------------------------------------------------------

TEST(CronParse, TheSpecForm) {
  const Job j = job("minute=30&hour=6&day_of_month=*&month=*&day_of_week=1&command=open");
  EXPECT_EQ(j.minute.text(), "30");
  EXPECT_EQ(j.hour.text(), "6");
  EXPECT_EQ(j.day_of_month.text(), "*");
  EXPECT_EQ(j.month.text(), "*");
  EXPECT_EQ(j.day_of_week.text(), "1");
  EXPECT_EQ(j.command, "open");
  EXPECT_EQ(j.params, "");
}

TEST(CronParse, SetSsidPwdKeepsEverythingAfterTheCommandAsParams) {
  const Job j = job("minute=0&hour=3&command=set_ssid_pwd=ssid=the_ssid&pwd=secret");
  EXPECT_EQ(j.command, "set_ssid_pwd");
  EXPECT_EQ(j.params, "ssid=the_ssid&pwd=secret");
  EXPECT_EQ(j.minute.text(), "0");
  EXPECT_EQ(j.hour.text(), "3");
  // Params may hold '=', '&' and even "command=" and field names.
  const Job k = job("command=set_ssid_pwd=ssid=a%26b&pwd=minute=5&command=x");
  EXPECT_EQ(k.params, "ssid=a%26b&pwd=minute=5&command=x");
  EXPECT_EQ(k.minute.text(), "*");
  // An empty password.
  EXPECT_EQ(job("command=set_ssid_pwd=ssid=x&pwd=").params, "ssid=x&pwd=");
}

TEST(CronParse, MissingAndEmptyFieldsAreWildcards) {
  const Job j = job("command=close");
  for (const Field* f : {&j.minute, &j.hour, &j.day_of_month, &j.month, &j.day_of_week}) {
    EXPECT_EQ(f->text(), "*");
    EXPECT_EQ(*f, Field::any(f->kind()));
  }
  const Job e = job("minute=&hour=&day_of_month=&month=&day_of_week=&command=close");
  EXPECT_EQ(e.minute.text(), "");
  for (int v = 0; v < 60; ++v)
    EXPECT_TRUE(e.minute.matches(v)) << v;
  for (int v = 0; v <= 7; ++v)
    EXPECT_TRUE(e.day_of_week.matches(v)) << v;
  EXPECT_FALSE(e.hour.matches(24));
  EXPECT_FALSE(e.day_of_month.matches(0));
}

TEST(CronParse, UnknownKeysAndEmptyPiecesAreIgnored) {
  const Job j = job("foo=bar&&second=5&minute=7&x&command=test");
  EXPECT_EQ(j.minute.text(), "7");
  EXPECT_EQ(j.command, "test");
  // The first "command=" counts, even inside another key (the original's strstr).
  EXPECT_EQ(job("minute=1&xcommand=off").command, "off");
  // Fields in any order.
  const Job k = job("day_of_week=0&month=12&day_of_month=24&hour=18&minute=0&command=off");
  EXPECT_EQ(to_text(k), "minute=0&hour=18&day_of_month=24&month=12&day_of_week=0&command=off");
}

TEST(CronParse, EveryCronCommand) {
  const std::vector<std::string_view> want = {"set_ssid_pwd", "reconnect",  "start_ap",
                                              "stop_ap",      "clear_cron", "open",
                                              "close",        "off",        "test"};
  ASSERT_EQ(cron_commands().size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(cron_commands()[i], want[i]);
    EXPECT_TRUE(is_cron_command(want[i]));
    EXPECT_EQ(job("command=" + std::string(want[i])).command, want[i]);
  }
  for (std::string_view no :
       {"ping", "set_cron", "cron", "open_until", "restart", "status", "OPEN", "open "}) {
    EXPECT_FALSE(is_cron_command(no)) << no;
  }
}

// Cron's commands are the rows of the command table flagged for cron, in the table's order; a
// refused command's error lists them.
TEST(CronParse, CronCommandsAreTheTablesFlaggedRows) {
  std::vector<std::string_view> flagged;
  for (const auto& c : topic::kCommands) {
    EXPECT_EQ(is_cron_command(c.name), c.from_cron()) << c.name;
    if (c.from_cron()) flagged.push_back(c.name);
  }
  ASSERT_EQ(cron_commands().size(), flagged.size());
  for (std::size_t i = 0; i < flagged.size(); ++i)
    EXPECT_EQ(cron_commands()[i], flagged[i]);
  // Cron-only rows are no MQTT command; MQTT-only rows are no cron command.
  EXPECT_TRUE(is_cron_command("off"));
  EXPECT_EQ(topic::find_command("off"), nullptr);
  EXPECT_NE(topic::find_command("set_cron"), nullptr);
  EXPECT_FALSE(is_cron_command("set_cron"));
  auto refused = parse_set_cron("minute=0&command=ping");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::cron_bad_command);
  for (std::string_view c : flagged)
    EXPECT_NE(refused.error().detail.find(c), std::string::npos) << c;
}

TEST(CronParse, CommandRejections) {
  EXPECT_EQ(invalid("minute=5&hour=6"), "command: missing (command=<name> comes last)");
  EXPECT_EQ(invalid(""), "command: missing (command=<name> comes last)");
  EXPECT_EQ(invalid("minute=5&command="), "command: no name after command=");
  EXPECT_EQ(invalid("command==x"), "command: no name after command=");
  EXPECT_EQ(invalid("command=" + std::string(32, 'a')), "command: longer than 31 characters");

  const Error ping = rejection("minute=5&command=ping");
  EXPECT_EQ(ping.code, Errc::cron_bad_command);
  EXPECT_EQ(ping.message(),
            "command cannot run from cron: 'ping' (cron runs set_ssid_pwd, reconnect, "
            "start_ap, stop_ap, clear_cron, open, close, off, test)");
  // The command comes last: a field after it is part of the command text.
  EXPECT_EQ(rejection("command=open&minute=5").code, Errc::cron_bad_command);
  EXPECT_EQ(rejection("command=open&minute").code, Errc::cron_bad_command);

  EXPECT_EQ(invalid("command=set_ssid_pwd=" + std::string(96, 'x')),
            "command parameters: longer than 95 characters");
  EXPECT_EQ(job("command=set_ssid_pwd=" + std::string(95, 'x')).params.size(), 95u);
  EXPECT_EQ(invalid("command=set_ssid_pwd=ssid=a\nb"),
            "command parameters: control character at 6");
  EXPECT_EQ(invalid("command=set_ssid_pwd=ssid=\x7f"),
            "command parameters: control character at 5");
  // UTF-8 in a parameter is fine.
  EXPECT_EQ(job("command=set_ssid_pwd=ssid=K\xc3\xa6lder&pwd=x").params,
            "ssid=K\xc3\xa6lder&pwd=x");
}

TEST(CronParse, ArgumentRejections) {
  std::string big = "foo=" + std::string(500, 'x') + "&command=open";
  EXPECT_EQ(big.size(), 517u);
  EXPECT_EQ(invalid(big), "the job is 517 bytes long, at most 512");
  big.resize(512 - std::string_view("&command=open").size());
  EXPECT_EQ(job(big + "&command=open").command, "open");
  EXPECT_EQ(invalid(std::string("minute=5\0&command=open", 22)), "the job contains a NUL byte");
  EXPECT_EQ(invalid("minute=1&minute=2&command=open"), "minute: given twice");
  EXPECT_EQ(invalid("minute=*&hour=1&minute=*&command=open"), "minute: given twice");
  EXPECT_EQ(invalid("hour&command=open"), "hour: no '=' and value");
  const Error e = rejection("minute=0&hour=24&command=open");
  EXPECT_EQ(e.message(), "invalid cron job: hour: 24 is out of range 0-23");
}

TEST(CronParse, TheExamplesOfDocsAgentMd) {
  const std::int64_t monday = utc(2026, 6, 1, 0, 0);  // 2026-06-01 is a Monday
  const auto at = [&](std::string_view argument, int day, int hour, int minute) {
    return matches(job(argument), local_time(monday + day * 1440 + hour * 60 + minute));
  };
  EXPECT_TRUE(at("minute=0&hour=6&day_of_week=1-5&command=open", 4, 6, 0));
  EXPECT_FALSE(at("minute=0&hour=6&day_of_week=1-5&command=open", 5, 6, 0));
  EXPECT_TRUE(at("minute=30&hour=22&command=close", 6, 22, 30));
  EXPECT_TRUE(at("minute=0&hour=6,18&day_of_month=1&command=test", 0, 18, 0));
  EXPECT_FALSE(at("minute=0&hour=6,18&day_of_month=1&command=test", 1, 18, 0));
  EXPECT_TRUE(at("minute=*/15&hour=8-17&command=open", 2, 17, 45));
  EXPECT_FALSE(at("minute=*/15&hour=8-17&command=open", 2, 18, 0));
  const Job xmas =
      job("minute=0&hour=3&day_of_month=24&month=12&command=set_ssid_pwd=ssid=the_ssid&pwd=secret");
  EXPECT_TRUE(matches(xmas, LocalTime{2026, 12, 24, 3, 0, 4}));
  EXPECT_EQ(xmas.params, "ssid=the_ssid&pwd=secret");
  EXPECT_EQ(to_text(job("minute=0&hour=6&day_of_week=1-5&command=open")),
            "minute=0&hour=6&day_of_month=*&month=*&day_of_week=1-5&command=open");

  const std::vector<std::pair<std::string, std::string>> errors = {
      {"hour=24&command=open", "invalid cron job: hour: 24 is out of range 0-23"},
      {"minute=30-10&command=open", "invalid cron job: minute: range 30-10 is reversed"},
      {"minute=*/0&command=open", "invalid cron job: minute: step 0 in '*/0' is not allowed"},
      {"minute=5/10&command=open",
       "invalid cron job: minute: '5/10' has a step without a range (write 5-59/10 or */10)"},
      {"minute=5a&command=open", "invalid cron job: minute: '5a' is not a number"},
      {"minute=1&minute=2&command=open", "invalid cron job: minute: given twice"},
      {"minute=1", "invalid cron job: command: missing (command=<name> comes last)"},
      {"command=ping",
       "command cannot run from cron: 'ping' (cron runs set_ssid_pwd, reconnect, start_ap, "
       "stop_ap, clear_cron, open, close, off, test)"},
  };
  for (const auto& [argument, message] : errors)
    EXPECT_EQ(rejection(argument).message(), message);
}

// --- fields --------------------------------------------------------------------------------------

TEST(CronField, Names) {
  EXPECT_EQ(field_name(FieldKind::minute), "minute");
  EXPECT_EQ(field_name(FieldKind::hour), "hour");
  EXPECT_EQ(field_name(FieldKind::day_of_month), "day_of_month");
  EXPECT_EQ(field_name(FieldKind::month), "month");
  EXPECT_EQ(field_name(FieldKind::day_of_week), "day_of_week");
}

TEST(CronField, NumbersRangesListsAndSteps) {
  using K = FieldKind;
  EXPECT_EQ(values(K::minute, "*"), seq(0, 59));
  EXPECT_EQ(values(K::minute, ""), seq(0, 59));
  EXPECT_EQ(values(K::minute, "5"), std::vector<int>{5});
  EXPECT_EQ(values(K::minute, "05"), std::vector<int>{5});
  EXPECT_EQ(values(K::minute, "0"), std::vector<int>{0});
  EXPECT_EQ(values(K::minute, "59"), std::vector<int>{59});
  EXPECT_EQ(values(K::minute, "1-5"), seq(1, 5));
  EXPECT_EQ(values(K::minute, "0,30"), (std::vector<int>{0, 30}));
  EXPECT_EQ(values(K::minute, "*/15"), (std::vector<int>{0, 15, 30, 45}));
  EXPECT_EQ(values(K::minute, "10-50/10"), (std::vector<int>{10, 20, 30, 40, 50}));
  EXPECT_EQ(values(K::minute, "10-55/20"), (std::vector<int>{10, 30, 50}));
  EXPECT_EQ(values(K::minute, "*/59"), (std::vector<int>{0, 59}));
  EXPECT_EQ(values(K::minute, "7-7"), std::vector<int>{7});
  EXPECT_EQ(values(K::minute, "30,5,1-3,*/20,5"), (std::vector<int>{0, 1, 2, 3, 5, 20, 30, 40}));
  EXPECT_EQ(values(K::minute, "0-59"), seq(0, 59));
  EXPECT_EQ(values(K::hour, "*"), seq(0, 23));
  EXPECT_EQ(values(K::hour, "22-23,0-2"), (std::vector<int>{0, 1, 2, 22, 23}));
  EXPECT_EQ(values(K::hour, "*/6"), (std::vector<int>{0, 6, 12, 18}));
  EXPECT_EQ(values(K::hour, "8-17/3"), (std::vector<int>{8, 11, 14, 17}));
  EXPECT_EQ(values(K::day_of_month, "*"), seq(1, 31));
  EXPECT_EQ(values(K::day_of_month, "*/10"), (std::vector<int>{1, 11, 21, 31}));
  EXPECT_EQ(values(K::day_of_month, "1,15"), (std::vector<int>{1, 15}));
  EXPECT_EQ(values(K::month, "*"), seq(1, 12));
  EXPECT_EQ(values(K::month, "*/3"), (std::vector<int>{1, 4, 7, 10}));
  EXPECT_EQ(values(K::month, "10-12,1-4"), (std::vector<int>{1, 2, 3, 4, 10, 11, 12}));
  EXPECT_EQ(values(K::month, "*/12"), std::vector<int>{1});
}

TEST(CronField, DayOfWeekSevenIsSunday) {
  using K = FieldKind;
  // values() asks 0..63; 7 is Sunday again, so it matches wherever 0 does.
  EXPECT_EQ(values(K::day_of_week, "*"), seq(0, 7));
  EXPECT_EQ(values(K::day_of_week, "0"), (std::vector<int>{0, 7}));
  EXPECT_EQ(values(K::day_of_week, "7"), (std::vector<int>{0, 7}));
  EXPECT_EQ(values(K::day_of_week, "1-5"), seq(1, 5));
  EXPECT_EQ(values(K::day_of_week, "5-7"), (std::vector<int>{0, 5, 6, 7}));
  EXPECT_EQ(values(K::day_of_week, "0-7"), seq(0, 7));
  EXPECT_EQ(values(K::day_of_week, "6,0"), (std::vector<int>{0, 6, 7}));
  EXPECT_EQ(values(K::day_of_week, "*/2"), (std::vector<int>{0, 2, 4, 6, 7}));
  EXPECT_EQ(values(K::day_of_week, "*/7"), (std::vector<int>{0, 7}));
  EXPECT_EQ(values(K::day_of_week, "1-7/3"), (std::vector<int>{0, 1, 4, 7}));
  EXPECT_EQ(values(K::day_of_week, "0-7/3"), (std::vector<int>{0, 3, 6, 7}));
}

TEST(CronField, Rejections) {
  struct Case {
    std::string argument;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {"minute=60", "minute: 60 is out of range 0-59"},
      {"hour=24", "hour: 24 is out of range 0-23"},
      {"day_of_month=0", "day_of_month: 0 is out of range 1-31"},
      {"day_of_month=32", "day_of_month: 32 is out of range 1-31"},
      {"month=0", "month: 0 is out of range 1-12"},
      {"month=13", "month: 13 is out of range 1-12"},
      {"day_of_week=8", "day_of_week: 8 is out of range 0-7"},
      {"minute=99999999999", "minute: '99999999999' is out of range 0-59"},
      {"hour=1-24", "hour: 24 is out of range 0-23"},
      {"minute=30-10", "minute: range 30-10 is reversed"},
      {"day_of_week=6-1", "day_of_week: range 6-1 is reversed"},
      {"minute=*/0", "minute: step 0 in '*/0' is not allowed"},
      {"minute=10-50/0", "minute: step 0 in '10-50/0' is not allowed"},
      {"minute=*/60", "minute: step 60 is out of range 1-59"},
      {"hour=*/24", "hour: step 24 is out of range 1-23"},
      {"month=*/13", "month: step 13 is out of range 1-12"},
      {"minute=*/99999999", "minute: step '99999999' is out of range 1-59"},
      {"minute=*/", "minute: a step is missing in '*/'"},
      {"minute=*/x", "minute: step 'x' is not a number"},
      {"minute=*/-5", "minute: step '-5' is not a number"},
      {"minute=*/5/2", "minute: step '5/2' is not a number"},
      {"minute=5/10", "minute: '5/10' has a step without a range (write 5-59/10 or */10)"},
      {"hour=3/2", "hour: '3/2' has a step without a range (write 3-23/2 or */2)"},
      {"minute=1,,2", "minute: empty item in the list"},
      {"minute=,", "minute: empty item in the list"},
      {"minute=5,", "minute: empty item in the list"},
      {"minute=x", "minute: 'x' is not a number"},
      {"minute=5a", "minute: '5a' is not a number"},  // atoi would have taken 5
      {"minute= 5", "minute: ' 5' is not a number"},
      {"minute=+5", "minute: '+5' is not a number"},
      {"minute=**", "minute: '**' is not a number"},
      {"minute=*-5", "minute: '*' is not a number"},
      {"minute=-5", "minute: a number is missing in '-5'"},
      {"minute=5-", "minute: a number is missing in '5-'"},
      {"minute=1-2-3", "minute: '2-3' is not a number"},
      {"minute=5%2C6", "minute: '5%2C6' is not a number"},
      {"day_of_week=mon", "day_of_week: 'mon' is not a number"},
      {"month=jan", "month: 'jan' is not a number"},
      {"minute=" + std::string(65, '1'), "minute: longer than 64 characters"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(invalid(c.argument + "&command=open"), c.detail) << c.argument;
    // The same error from Field::parse.
    const auto eq = c.argument.find('=');
    FieldKind kind = FieldKind::minute;
    for (auto k : {FieldKind::minute, FieldKind::hour, FieldKind::day_of_month, FieldKind::month,
                   FieldKind::day_of_week}) {
      if (field_name(k) == c.argument.substr(0, eq)) kind = k;
    }
    const auto f = Field::parse(kind, c.argument.substr(eq + 1));
    ASSERT_FALSE(f.ok()) << c.argument;
    EXPECT_EQ(f.error().detail, c.detail);
  }
  // 64 characters are fine.
  std::string longest;
  for (int i = 0; i < 31; ++i)
    longest += "1,";
  longest += "10";
  ASSERT_EQ(longest.size(), 64u);
  EXPECT_EQ(job("minute=" + longest + "&command=open").minute.text(), longest);
}

TEST(CronField, LongErrorTextsAreShortenedAndPrintable) {
  const std::string detail = invalid("minute=" + std::string(50, 'z') + "\x01&command=open");
  EXPECT_EQ(detail, "minute: '" + std::string(40, 'z') + "...' is not a number");
  EXPECT_EQ(invalid("minute=\x01&command=open"), "minute: '?' is not a number");
}

// --- the stored form -----------------------------------------------------------------------------

TEST(CronStore, CanonicalText) {
  EXPECT_EQ(to_text(job("command=open")),
            "minute=*&hour=*&day_of_month=*&month=*&day_of_week=*&command=open");
  EXPECT_EQ(to_text(job("hour=6&minute=30&foo=1&command=close")),
            "minute=30&hour=6&day_of_month=*&month=*&day_of_week=*&command=close");
  EXPECT_EQ(to_text(job("minute=*/15&hour=&command=set_ssid_pwd=ssid=the_ssid&pwd=secret")),
            "minute=*/15&hour=&day_of_month=*&month=*&day_of_week=*&command=set_ssid_pwd="
            "ssid=the_ssid&pwd=secret");
}

TEST(CronStore, RoundTrip) {
  std::string longest;
  for (int i = 0; i < 31; ++i)
    longest += "1,";
  longest += "10";
  const std::vector<std::string> arguments = {
      "command=open",
      "minute=0&hour=6&day_of_month=*&month=*&day_of_week=1-5&command=open",
      "minute=*/15&command=test",
      "minute=10-50/10&hour=22-23,0-2&day_of_month=1,15&month=*/3&day_of_week=7&command=off",
      "minute=&hour=&day_of_month=&month=&day_of_week=&command=reconnect",
      "command=set_ssid_pwd=ssid=the_ssid&pwd=secret",
      "command=set_ssid_pwd=ssid=a=b&command=open&minute=5",
      "foo=bar&month=12&command=clear_cron",
      "minute=" + longest + "&hour=" + longest.substr(0, 63) + "&day_of_month=" + longest +
          "&month=" + longest + "&day_of_week=1&command=set_ssid_pwd=" + std::string(95, '&'),
      "minute=" + longest + "&hour=0&command=set_ssid_pwd=" + std::string(95, '='),
  };
  for (const auto& argument : arguments) {
    const Job j = job(argument);
    const std::string stored = to_text(j);
    EXPECT_LE(stored.size(), kMaxArgumentSize) << argument;
    auto back = parse_set_cron(stored);
    ASSERT_TRUE(back.ok()) << stored << " -> " << back.error().message();
    EXPECT_EQ(*back, j) << stored;
    EXPECT_EQ(to_text(*back), stored);
  }
}

TEST(CronStore, TheLongestStoredFormFits) {
  // Five fields of 64 characters, the longest command and 95 characters of parameters.
  std::string f64;
  for (int i = 0; i < 31; ++i)
    f64 += "1,";
  f64 += "10";
  // 1,1,...,1,10 is a valid hour, day_of_month and month too; 1,1,...,1,01 a day_of_week.
  const std::string dow = f64.substr(0, 62) + "01";
  ASSERT_EQ(dow.size(), 64u);
  Job j = job("minute=" + f64 + "&hour=" + f64 + "&day_of_month=" + f64 + "&month=" + f64 +
              "&day_of_week=" + dow + "&command=set_ssid_pwd=" + std::string(95, 'p'));
  const std::string stored = to_text(j);
  EXPECT_LE(stored.size(), kMaxArgumentSize);
  EXPECT_EQ(parse_set_cron(stored).value(), j);
}

// --- matching ------------------------------------------------------------------------------------

TEST(CronMatch, AllFiveFieldsMustMatch) {
  const Job j = job("minute=30&hour=6&command=open");
  EXPECT_TRUE(matches(j, LocalTime{2026, 6, 1, 6, 30, 1}));
  EXPECT_FALSE(matches(j, LocalTime{2026, 6, 1, 6, 31, 1}));
  EXPECT_FALSE(matches(j, LocalTime{2026, 6, 1, 7, 30, 1}));

  // day_of_month and day_of_week both restricted: both must match (docs/agent.md, "Jobs"), not
  // either as in Vixie cron. 2026-06-01 is a Monday.
  const Job k = job("minute=0&hour=0&day_of_month=1&day_of_week=1&command=test");
  EXPECT_TRUE(matches(k, LocalTime{2026, 6, 1, 0, 0, 1}));
  EXPECT_FALSE(matches(k, LocalTime{2026, 6, 8, 0, 0, 1}));  // a Monday, not the 1st
  EXPECT_FALSE(matches(k, LocalTime{2026, 7, 1, 0, 0, 3}));  // the 1st, a Wednesday

  const Job sunday = job("day_of_week=7&minute=0&hour=12&command=off");
  EXPECT_TRUE(matches(sunday, LocalTime{2026, 3, 29, 12, 0, 0}));
  EXPECT_FALSE(matches(sunday, LocalTime{2026, 3, 28, 12, 0, 6}));

  const Job xmas = job("minute=0&hour=18&day_of_month=24&month=12&command=close");
  EXPECT_TRUE(matches(xmas, LocalTime{2026, 12, 24, 18, 0, 4}));
  EXPECT_FALSE(matches(xmas, LocalTime{2026, 11, 24, 18, 0, 2}));
}

// --- time ----------------------------------------------------------------------------------------

TEST(CronTime, UtcMinutes) {
  EXPECT_EQ(utc_minute(0), 0);
  EXPECT_EQ(utc_minute(59), 0);
  EXPECT_EQ(utc_minute(60), 1);
  EXPECT_EQ(utc_minute(-1), -1);
  EXPECT_EQ(utc_minute(-60), -1);
  EXPECT_EQ(utc_minute(-61), -2);
  EXPECT_EQ(utc_minute(1774746000), utc(2026, 3, 29, 1, 0));
}

TEST(CronTime, LocalTimeFromMinutes) {
  EXPECT_EQ(local_time(0), (LocalTime{1970, 1, 1, 0, 0, 4}));
  EXPECT_EQ(local_time(-1), (LocalTime{1969, 12, 31, 23, 59, 3}));
  EXPECT_EQ(local_time(utc(2026, 3, 29, 2, 30)), (LocalTime{2026, 3, 29, 2, 30, 0}));
  EXPECT_EQ(local_time(utc(2024, 2, 29, 23, 59)), (LocalTime{2024, 2, 29, 23, 59, 4}));
  EXPECT_EQ(local_time(utc(2000, 3, 1, 0, 0)), (LocalTime{2000, 3, 1, 0, 0, 3}));
  EXPECT_EQ(local_time(utc(2100, 3, 1, 0, 0)), (LocalTime{2100, 3, 1, 0, 0, 1}));
  // Against <chrono> for many days.
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::int64_t> dist(-800000, 800000);  // days
  for (int i = 0; i < 2000; ++i) {
    const std::int64_t d = dist(rng);
    const std::chrono::sys_days day{std::chrono::days{d}};
    const std::chrono::year_month_day ymd{day};
    const std::chrono::weekday wd{day};
    const LocalTime t = local_time(d * 1440 + 13 * 60 + 7);
    EXPECT_EQ(t.year, int{ymd.year()});
    EXPECT_EQ(t.month, static_cast<int>(unsigned{ymd.month()}));
    EXPECT_EQ(t.day, static_cast<int>(unsigned{ymd.day()}));
    EXPECT_EQ(t.weekday, static_cast<int>(wd.c_encoding()));
    EXPECT_EQ(t.hour, 13);
    EXPECT_EQ(t.minute, 7);
  }
}

// --- due(): the evaluation -----------------------------------------------------------------------

TEST(CronDue, UtcRunsEveryMinuteOnce) {
  const FixedOffset utc_zone;
  const std::vector<Job> jobs = {job("command=test"), job("minute=0&command=open"),
                                 job("minute=*/15&command=close"),
                                 job("minute=30&hour=2&day_of_month=29&month=3&command=off")};
  const auto runs = run_minutes(jobs, utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 23, 59), utc_zone);
  EXPECT_EQ(count_of(runs, 0), 1440u);
  EXPECT_EQ(count_of(runs, 1), 24u);
  EXPECT_EQ(count_of(runs, 2), 96u);
  EXPECT_EQ(runs_of(runs, 3, utc_zone), Strings{"2026-03-29 02:30"});
  // In order of minute, then job.
  for (std::size_t i = 1; i < runs.size(); ++i) {
    EXPECT_TRUE(runs[i - 1].utc_minute < runs[i].utc_minute ||
                (runs[i - 1].utc_minute == runs[i].utc_minute && runs[i - 1].job < runs[i].job));
  }
  // The real zone "UTC" does the same.
  const auto real = zone("UTC");
  EXPECT_EQ(run_minutes(jobs, utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 23, 59), real), runs);
  EXPECT_EQ(run_minutes(jobs, utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 23, 59), real).size(),
            1440u + 24u + 96u);
}

TEST(CronDue, IntervalEdgesAndCatchUp) {
  const FixedOffset utc_zone;
  const std::vector<Job> jobs = {job("command=test")};
  const std::int64_t m = utc(2026, 6, 1, 12, 0);
  EXPECT_TRUE(due(jobs, m, m, utc_zone).empty());
  EXPECT_TRUE(due(jobs, m, m - 10, utc_zone).empty());  // the clock went back
  EXPECT_EQ(due(jobs, m - 1, m, utc_zone), (std::vector<Due>{{0, m, local_time(m)}}));
  // Late by 3 minutes: the 3 minutes are evaluated.
  EXPECT_EQ(due(jobs, m - 3, m, utc_zone).size(), 3u);
  // Late by 100 minutes (suspended, or the clock stepped): only the last 5.
  const auto late = due(jobs, m - 100, m, utc_zone);
  ASSERT_EQ(late.size(), static_cast<std::size_t>(kMaxCatchUpMinutes));
  EXPECT_EQ(late.front().utc_minute, m - kMaxCatchUpMinutes + 1);
  EXPECT_EQ(late.back().utc_minute, m);
  // The caller's first call ever, and absurd inputs.
  EXPECT_EQ(due(jobs, INT64_MIN, m, utc_zone).size(), static_cast<std::size_t>(kMaxCatchUpMinutes));
  EXPECT_TRUE(due(jobs, INT64_MIN, INT64_MAX, utc_zone).empty());
  EXPECT_TRUE(due(jobs, INT64_MAX - 1, INT64_MAX, utc_zone).empty());
  EXPECT_TRUE(due({}, m - 1, m, utc_zone).empty());
  // Before 1970 works too.
  EXPECT_EQ(due(jobs, utc(1969, 12, 31, 23, 58), utc(1969, 12, 31, 23, 59), utc_zone).size(), 1u);
}

TEST(CronDue, FixedOffsets) {
  const FixedOffset plus_five_45(5 * 3600 + 45 * 60);  // Asia/Kathmandu
  const FixedOffset minus_three_30(-(3 * 3600 + 30 * 60));
  const std::vector<Job> jobs = {job("minute=0&hour=0&command=open")};
  const auto a = run_minutes(jobs, utc(2026, 1, 1, 0, 0), utc(2026, 1, 2, 23, 59), plus_five_45);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].utc_minute, utc(2026, 1, 1, 18, 15));
  EXPECT_EQ(a[0].local, (LocalTime{2026, 1, 2, 0, 0, 5}));
  const auto b = run_minutes(jobs, utc(2026, 1, 1, 0, 0), utc(2026, 1, 1, 23, 59), minus_three_30);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].utc_minute, utc(2026, 1, 1, 3, 30));
}

// Europe/Copenhagen, 2026-03-29: at 01:00 UTC the clock goes from 02:00 to 03:00.
TEST(CronDst, CopenhagenSpringForward) {
  const auto cph = zone("Europe/Copenhagen");
  EXPECT_EQ(cph.name(), "Europe/Copenhagen");
  EXPECT_EQ(cph.utc_offset_seconds(utc(2026, 3, 29, 0, 59) * 60), 3600);
  EXPECT_EQ(cph.utc_offset_seconds(utc(2026, 3, 29, 1, 0) * 60), 7200);

  const std::vector<Job> jobs = {
      job("minute=30&hour=2&command=open"),      // 0: in the skipped hour
      job("minute=0&hour=3&command=close"),      // 1: right after it
      job("minute=*/15&command=test"),           // 2
      job("minute=0&command=off"),               // 3: hourly
      job("command=reconnect"),                  // 4: every minute
      job("minute=59&hour=1&command=start_ap"),  // 5: the last minute before the jump
      job("hour=2&command=stop_ap"),             // 6: every minute of the skipped hour
      job("minute=0&hour=2&day_of_month=29&month=3&day_of_week=0&command=clear_cron"),  // 7
      job("minute=0&hour=2&day_of_month=30&command=off"),  // 8: another day
  };
  // Local 00:00 CET to 04:59 CEST: 240 real minutes.
  const auto runs = run_minutes(jobs, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 2, 59), cph);

  // 02:30 does not exist: the job runs once, at 03:00 local (01:00 UTC), and says 02:30.
  EXPECT_EQ(runs_of(runs, 0, cph), Strings{"2026-03-29 03:00"});
  EXPECT_EQ(minutes_of(runs, 0), std::vector<std::int64_t>{utc(2026, 3, 29, 1, 0)});
  EXPECT_EQ(scheduled_of(runs, 0), Strings{"2026-03-29 02:30"});
  EXPECT_EQ(runs_of(runs, 1, cph), Strings{"2026-03-29 03:00"});
  // */15: once for the whole skipped hour (at 03:00), not 4 extra times; 15 real minutes apart.
  EXPECT_EQ(
      runs_of(runs, 2, cph),
      (Strings{"2026-03-29 00:00", "2026-03-29 00:15", "2026-03-29 00:30", "2026-03-29 00:45",
               "2026-03-29 01:00", "2026-03-29 01:15", "2026-03-29 01:30", "2026-03-29 01:45",
               "2026-03-29 03:00", "2026-03-29 03:15", "2026-03-29 03:30", "2026-03-29 03:45",
               "2026-03-29 04:00", "2026-03-29 04:15", "2026-03-29 04:30", "2026-03-29 04:45"}));
  EXPECT_EQ(runs_of(runs, 3, cph), (Strings{"2026-03-29 00:00", "2026-03-29 01:00",
                                            "2026-03-29 03:00", "2026-03-29 04:00"}));
  EXPECT_EQ(count_of(runs, 4), 240u);  // once per real minute
  EXPECT_EQ(runs_of(runs, 5, cph), Strings{"2026-03-29 01:59"});
  EXPECT_EQ(runs_of(runs, 6, cph), Strings{"2026-03-29 03:00"});
  EXPECT_EQ(runs_of(runs, 7, cph), Strings{"2026-03-29 03:00"});
  EXPECT_EQ(count_of(runs, 8), 0u);
  // No job runs twice in one minute.
  std::set<std::pair<std::int64_t, std::size_t>> seen;
  for (const Due& d : runs)
    EXPECT_TRUE(seen.insert({d.utc_minute, d.job}).second);
}

// Europe/Copenhagen, 2026-10-25: at 01:00 UTC the clock goes from 03:00 back to 02:00.
TEST(CronDst, CopenhagenFallBack) {
  const auto cph = zone("Europe/Copenhagen");
  EXPECT_EQ(cph.utc_offset_seconds(utc(2026, 10, 25, 0, 59) * 60), 7200);
  EXPECT_EQ(cph.utc_offset_seconds(utc(2026, 10, 25, 1, 0) * 60), 3600);

  const std::vector<Job> jobs = {
      job("minute=30&hour=2&command=open"),      // 0: in the repeated hour
      job("minute=0&command=off"),               // 1: hourly
      job("minute=0&hour=3&command=close"),      // 2: right after the repeated hour
      job("minute=*/15&command=test"),           // 3
      job("command=reconnect"),                  // 4: every minute
      job("minute=59&hour=2&command=start_ap"),  // 5: the last repeated minute
      job("minute=0&hour=2&command=stop_ap"),    // 6
  };
  // Local 00:00 CEST to 04:59 CET: 360 real minutes.
  const auto runs = run_minutes(jobs, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 3, 59), cph);

  // 02:30 happens twice: the job runs at the first (summer time, 00:30 UTC) only.
  EXPECT_EQ(runs_of(runs, 0, cph), Strings{"2026-10-25 02:30"});
  EXPECT_EQ(minutes_of(runs, 0), std::vector<std::int64_t>{utc(2026, 10, 25, 0, 30)});
  // Hourly: 02:00 once, not twice.
  EXPECT_EQ(runs_of(runs, 1, cph),
            (Strings{"2026-10-25 00:00", "2026-10-25 01:00", "2026-10-25 02:00", "2026-10-25 03:00",
                     "2026-10-25 04:00"}));
  EXPECT_EQ(minutes_of(runs, 6), std::vector<std::int64_t>{utc(2026, 10, 25, 0, 0)});
  EXPECT_EQ(count_of(runs, 6), 1u);
  EXPECT_EQ(runs_of(runs, 2, cph), Strings{"2026-10-25 03:00"});
  EXPECT_EQ(minutes_of(runs, 2), std::vector<std::int64_t>{utc(2026, 10, 25, 2, 0)});
  // */15 keeps to the wall clock: no run while it repeats 02:00-02:59.
  EXPECT_EQ(count_of(runs, 3), 20u);
  // Every minute: the 60 repeated wall-clock minutes do not run again.
  EXPECT_EQ(count_of(runs, 4), 300u);
  EXPECT_EQ(runs_of(runs, 5, cph), Strings{"2026-10-25 02:59"});
  // No wall-clock minute runs twice.
  std::set<std::pair<std::string, std::size_t>> seen;
  for (const Due& d : runs)
    EXPECT_TRUE(seen.insert({clock_text(d.local), d.job}).second) << clock_text(d.local);
}

TEST(CronDst, CopenhagenWholeYearRunsEachWallClockMinuteOnce) {
  const auto cph = zone("Europe/Copenhagen");
  const std::vector<Job> jobs = {job("minute=0&hour=2&command=open"),
                                 job("minute=30&hour=2&command=close"),
                                 job("minute=0&hour=3&command=off")};
  // Evaluated in 5-minute steps (a late timer) across 2026: every job once a day, 365 times.
  std::vector<Due> runs;
  std::int64_t last = utc(2025, 12, 31, 22, 59);
  for (std::int64_t now = last + 5; now <= utc(2026, 12, 31, 22, 59); now += 5) {
    const auto d = due(jobs, last, now, cph);
    runs.insert(runs.end(), d.begin(), d.end());
    last = now;
  }
  EXPECT_EQ(count_of(runs, 0), 365u);
  EXPECT_EQ(count_of(runs, 1), 365u);
  EXPECT_EQ(count_of(runs, 2), 365u);
}

TEST(CronDst, CopenhagenAfter2037) {
  // The zone file lists transitions to 2037; later years repeat the 28-year cycle.
  const auto cph = zone("Europe/Copenhagen");
  using namespace std::chrono;
  for (int y : {2037, 2038, 2040, 2066, 2099}) {
    const sys_days march{year_month_weekday_last{year{y}, March, weekday_last{Sunday}}};
    const sys_days october{year_month_weekday_last{year{y}, October, weekday_last{Sunday}}};
    const std::int64_t spring = march.time_since_epoch().count() * 86400LL + 3600;
    const std::int64_t autumn = october.time_since_epoch().count() * 86400LL + 3600;
    EXPECT_EQ(cph.utc_offset_seconds(spring - 1), 3600) << y;
    EXPECT_EQ(cph.utc_offset_seconds(spring), 7200) << y;
    EXPECT_EQ(cph.utc_offset_seconds(autumn - 1), 7200) << y;
    EXPECT_EQ(cph.utc_offset_seconds(autumn), 3600) << y;
  }
  // A zone without summer time keeps its offset.
  const auto tokyo = zone("Asia/Tokyo");
  EXPECT_EQ(tokyo.utc_offset_seconds(utc(2045, 7, 1, 0, 0) * 60), 9 * 3600);
  const auto phoenix = zone("America/Phoenix");
  EXPECT_EQ(phoenix.utc_offset_seconds(utc(2045, 7, 1, 0, 0) * 60), -7 * 3600);
  EXPECT_EQ(phoenix.utc_offset_seconds(std::int64_t{1} << 60), -7 * 3600);
  EXPECT_EQ(cph.utc_offset_seconds(-(std::int64_t{1} << 60)), cph.utc_offset_seconds(-5364662400));
}

// America/New_York, 2026: 03-08 02:00 EST -> 03:00 EDT (07:00 UTC); 11-01 02:00 EDT -> 01:00 EST
// (06:00 UTC).
TEST(CronDst, NewYork) {
  const auto ny = zone("America/New_York");
  const std::vector<Job> jobs = {job("minute=30&hour=2&command=open"),
                                 job("minute=30&hour=1&command=close"), job("minute=0&command=off"),
                                 job("command=test")};
  const auto spring = run_minutes(jobs, utc(2026, 3, 8, 5, 0), utc(2026, 3, 8, 8, 59), ny);
  EXPECT_EQ(runs_of(spring, 0, ny), Strings{"2026-03-08 03:00"});
  EXPECT_EQ(runs_of(spring, 1, ny), Strings{"2026-03-08 01:30"});
  EXPECT_EQ(runs_of(spring, 2, ny), (Strings{"2026-03-08 00:00", "2026-03-08 01:00",
                                             "2026-03-08 03:00", "2026-03-08 04:00"}));
  EXPECT_EQ(count_of(spring, 3), 240u);

  const auto autumn = run_minutes(jobs, utc(2026, 11, 1, 4, 0), utc(2026, 11, 1, 8, 59), ny);
  EXPECT_EQ(runs_of(autumn, 0, ny), Strings{"2026-11-01 02:30"});
  EXPECT_EQ(runs_of(autumn, 1, ny), Strings{"2026-11-01 01:30"});
  EXPECT_EQ(minutes_of(autumn, 1),
            std::vector<std::int64_t>{utc(2026, 11, 1, 5, 30)});  // EDT, the first
  EXPECT_EQ(runs_of(autumn, 2, ny), (Strings{"2026-11-01 00:00", "2026-11-01 01:00",
                                             "2026-11-01 02:00", "2026-11-01 03:00"}));
  EXPECT_EQ(count_of(autumn, 3), 300u - 60u);
}

// Australia/Sydney, 2026: 04-05 03:00 AEDT -> 02:00 AEST (04-04 16:00 UTC); 10-04 02:00 AEST ->
// 03:00 AEDT (10-03 16:00 UTC).
TEST(CronDst, Sydney) {
  const auto syd = zone("Australia/Sydney");
  const std::vector<Job> jobs = {job("minute=30&hour=2&command=open"), job("minute=0&command=off")};
  const auto autumn = run_minutes(jobs, utc(2026, 4, 4, 13, 0), utc(2026, 4, 4, 18, 59), syd);
  EXPECT_EQ(runs_of(autumn, 0, syd), Strings{"2026-04-05 02:30"});
  EXPECT_EQ(minutes_of(autumn, 0),
            std::vector<std::int64_t>{utc(2026, 4, 4, 15, 30)});  // AEDT, the first
  EXPECT_EQ(runs_of(autumn, 1, syd),
            (Strings{"2026-04-05 00:00", "2026-04-05 01:00", "2026-04-05 02:00", "2026-04-05 03:00",
                     "2026-04-05 04:00"}));
  const auto spring = run_minutes(jobs, utc(2026, 10, 3, 14, 0), utc(2026, 10, 3, 17, 59), syd);
  EXPECT_EQ(runs_of(spring, 0, syd), Strings{"2026-10-04 03:00"});
  EXPECT_EQ(runs_of(spring, 1, syd), (Strings{"2026-10-04 00:00", "2026-10-04 01:00",
                                              "2026-10-04 03:00", "2026-10-04 04:00"}));
}

// Australia/Lord_Howe moves its clock by 30 minutes: 2026-04-05 02:00 -> 01:30 (04-04 15:00 UTC),
// 2026-10-04 02:00 -> 02:30 (10-03 15:30 UTC).
TEST(CronDst, LordHoweHalfHour) {
  const auto lh = zone("Australia/Lord_Howe");
  const std::vector<Job> jobs = {job("minute=45&hour=1&command=open"),
                                 job("minute=15&hour=2&command=close"),
                                 job("minute=*/30&command=test")};
  const auto autumn = run_minutes(jobs, utc(2026, 4, 4, 13, 0), utc(2026, 4, 4, 16, 59), lh);
  EXPECT_EQ(runs_of(autumn, 0, lh), Strings{"2026-04-05 01:45"});
  EXPECT_EQ(runs_of(autumn, 2, lh),
            (Strings{"2026-04-05 00:00", "2026-04-05 00:30", "2026-04-05 01:00", "2026-04-05 01:30",
                     "2026-04-05 02:00", "2026-04-05 02:30", "2026-04-05 03:00"}));
  const auto spring = run_minutes(jobs, utc(2026, 10, 3, 13, 0), utc(2026, 10, 3, 16, 59), lh);
  EXPECT_EQ(runs_of(spring, 1, lh), Strings{"2026-10-04 02:30"});
  EXPECT_EQ(scheduled_of(spring, 1), Strings{"2026-10-04 02:15"});
}

// A zone made up for the test: UTC+0, at T a 2-hour jump forward, at T+6h a 3-hour jump back,
// at T+1d a whole day forward (as Samoa in 2011).
class FakeZone final : public ZoneRules {
 public:
  explicit FakeZone(std::int64_t t_minute) : t_(t_minute * 60) {}
  std::int32_t utc_offset_seconds(std::int64_t s) const override {
    ++calls;
    if (s < t_) return 0;
    if (s < t_ + 6 * 3600) return 2 * 3600;
    if (s < t_ + 24 * 3600) return -1 * 3600;
    return 23 * 3600;
  }
  mutable long calls = 0;

 private:
  std::int64_t t_;
};

TEST(CronDue, FakeZoneRules) {
  const std::int64_t t = utc(2026, 5, 10, 12, 0);  // a Sunday
  const FakeZone fake(t);
  const std::vector<Job> jobs = {
      job("minute=0&command=open"),                             // 0: hourly
      job("minute=30&hour=13&command=close"),                   // 1: skipped by the jump forward
      job("minute=30&hour=18&command=test"),                    // 2: repeated by the jump back
      job("minute=0&hour=12&day_of_month=11&command=off"),      // 3: on the skipped day
      job("minute=0&hour=12&day_of_week=1&command=reconnect"),  // 4: Monday, skipped too
      job("command=start_ap"),                                  // 5: every minute
  };
  const auto runs = run_minutes(jobs, t - 60, t + 26 * 60, fake);
  // Wall clock: 11:00-11:59, then (UTC 12:00) 14:00-19:59, then (UTC 18:00) 17:00 again: 17:00
  // to 19:59 do not run twice; 20:00 (UTC 21:00) on to the 11th 10:59; then (the 11th, UTC
  // 12:00) the 12th 11:00: the whole day skipped runs once.
  const std::vector<std::string> hourly = runs_of(runs, 0, fake);
  std::vector<std::string> want = {"2026-05-10 11:00", "2026-05-10 14:00", "2026-05-10 15:00",
                                   "2026-05-10 16:00", "2026-05-10 17:00", "2026-05-10 18:00",
                                   "2026-05-10 19:00"};
  for (int h = 20; h < 24; ++h)
    want.push_back("2026-05-10 " + std::to_string(h) + ":00");
  for (int h = 0; h <= 10; ++h)
    want.push_back((h < 10 ? "2026-05-11 0" : "2026-05-11 ") + std::to_string(h) + ":00");
  want.insert(want.end(), {"2026-05-12 11:00", "2026-05-12 12:00", "2026-05-12 13:00"});
  EXPECT_EQ(hourly, want);
  EXPECT_EQ(runs_of(runs, 1, fake), (Strings{"2026-05-10 14:00", "2026-05-12 11:00"}));
  EXPECT_EQ(runs_of(runs, 2, fake), (Strings{"2026-05-10 18:30", "2026-05-12 11:00"}));
  // The first 18:30 only; then once more for the skipped day.
  EXPECT_EQ(minutes_of(runs, 2), (std::vector<std::int64_t>{t + 4 * 60 + 30, t + 24 * 60}));
  EXPECT_EQ(runs_of(runs, 3, fake), Strings{"2026-05-12 11:00"});
  EXPECT_EQ(runs_of(runs, 4, fake), Strings{"2026-05-12 11:00"});
  EXPECT_EQ(scheduled_of(runs, 3), Strings{"2026-05-11 12:00"});
  EXPECT_EQ(scheduled_of(runs, 4), Strings{"2026-05-11 12:00"});
  // Every minute: one run per UTC minute, except the 180 repeated wall-clock minutes.
  EXPECT_EQ(count_of(runs, 5), static_cast<std::size_t>(27 * 60 + 1 - 180));
  EXPECT_GT(fake.calls, 0);
}

TEST(CronDue, NoWallClockMinuteRunsTwiceWhateverTheZoneDoes) {
  // Random offsets that change every 97 minutes, within ±3 hours (jumps back by up to 6 hours:
  // within kRepeatLookbackMinutes).
  class Wild final : public ZoneRules {
   public:
    explicit Wild(std::uint64_t seed) {
      std::mt19937_64 rng(seed);
      std::uniform_int_distribution<int> offset(-3 * 60, 3 * 60);
      for (auto& o : offsets_)
        o = offset(rng) * 60;
    }
    std::int32_t utc_offset_seconds(std::int64_t s) const override {
      const auto i = static_cast<std::size_t>((s / 60 / 97) % 64 + 64) % 64;
      return offsets_[i];
    }

   private:
    std::array<std::int32_t, 64> offsets_{};
  };
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const Wild wild(seed);
    const std::vector<Job> jobs = {job("command=test"), job("minute=0&command=open")};
    const auto runs = run_minutes(jobs, 1000000, 1000000 + 3 * 1440, wild);
    std::set<std::pair<std::string, std::size_t>> seen;
    for (const Due& d : runs)
      EXPECT_TRUE(seen.insert({clock_text(d.local), d.job}).second) << seed;
    EXPECT_GT(runs.size(), 100u);
  }
}

// --- the zone adapter ----------------------------------------------------------------------------

// A zone that gives only offsets: due() then looks back minute by minute.
class OffsetsOnly final : public ZoneRules {
 public:
  explicit OffsetsOnly(const ZoneRules& zone) : zone_(zone) {}
  std::int32_t utc_offset_seconds(std::int64_t s) const override {
    return zone_.utc_offset_seconds(s);
  }

 private:
  const ZoneRules& zone_;
};

TEST(CronZone, NextChangeIsExactAndDueAgreesWithAMinuteByMinuteLook) {
  for (std::string_view name :
       {"Europe/Copenhagen", "America/New_York", "Australia/Lord_Howe", "Asia/Tokyo", "UTC"}) {
    const auto z = zone(name);
    std::mt19937_64 rng(42);
    // 1750 to 2150.
    std::uniform_int_distribution<std::int64_t> when(-6900000000, 5700000000);
    for (int i = 0; i < 300; ++i) {
      const std::int64_t t = when(rng);
      const std::int64_t until = z.next_change(t);
      ASSERT_GT(until, t) << name << " " << t;
      const std::int32_t offset = z.utc_offset_seconds(t);
      if (until == std::numeric_limits<std::int64_t>::max()) continue;
      EXPECT_EQ(z.utc_offset_seconds(until - 1), offset) << name << " " << t;
      EXPECT_EQ(z.utc_offset_seconds(t + (until - t) / 2), offset) << name << " " << t;
    }
    const OffsetsOnly slow(z);
    const std::vector<Job> jobs = {job("command=test"), job("minute=0&command=open"),
                                   job("minute=30&hour=1,2&command=close")};
    // Two hours before the changes of 2026 in Copenhagen, New York, Sydney, Lord Howe, and 2045.
    for (std::int64_t start :
         {utc(2026, 3, 28, 23, 0), utc(2026, 10, 24, 23, 0), utc(2026, 3, 8, 5, 0),
          utc(2026, 11, 1, 4, 0), utc(2026, 4, 4, 13, 30), utc(2026, 10, 3, 13, 30),
          utc(2045, 3, 25, 23, 0)}) {
      EXPECT_EQ(run_minutes(jobs, start, start + 4 * 60, z),
                run_minutes(jobs, start, start + 4 * 60, slow))
          << name << " " << start;
    }
  }
}

TEST(CronZone, Names) {
  EXPECT_EQ(zone("UTC").utc_offset_seconds(0), 0);
  EXPECT_EQ(zone("Etc/UTC").utc_offset_seconds(1774746000), 0);
  EXPECT_EQ(zone(platform::kDefaultZone).name(), "Europe/Copenhagen");
  EXPECT_EQ(zone("Asia/Kathmandu").utc_offset_seconds(1774746000), 5 * 3600 + 45 * 60);
  EXPECT_EQ(zone("Etc/GMT-14").utc_offset_seconds(1774746000), 14 * 3600);
}

TEST(CronZone, UnknownZones) {
  const auto unknown = platform::load_zone("Europe/Kopenhagen");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::time_zone_unknown);
  EXPECT_EQ(unknown.error().message(),
            "unknown time zone: 'Europe/Kopenhagen': Europe/Kopenhagen not found in timezone "
            "database");
  for (std::string_view bad : {"", "/etc/localtime", "../../etc/passwd", "Europe/Copenhagen ",
                               "Europe\\Copenhagen", "right/../UTC"}) {
    const auto r = platform::load_zone(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::time_zone_unknown);
  }
  EXPECT_EQ(platform::load_zone("../../etc/passwd").error().detail,
            "'../../etc/passwd' is not a time zone name (such as Europe/Copenhagen)");
  EXPECT_FALSE(platform::load_zone(std::string(65, 'A')).ok());
  EXPECT_FALSE(platform::load_zone("Nowhere/Atlantis").ok());
}

}  // namespace
}  // namespace ml::core::cron
