// `meterlogger-server alarms`: the alarm rules, templates, group time zones, the open alarms
// (acknowledge, snooze), their history and the backtest of a rule over stored samples, through
// the alarm engine (server/alarm_round.hpp; docs/alarms.md).
#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>

#include "common.hpp"
#include "server/alarm_round.hpp"

namespace ml::server_app {
namespace {

namespace al = core::alarm;

struct AlarmArgs {
  std::string name;
  std::string rule;
  std::string group;
  std::string severity;
  std::string settle;
  std::string repeat;
  std::string quiet;
  std::int64_t id = 0;
  std::string user;
  std::string note;
  std::string duration;
  std::string serial;
  std::string zone;
  std::string from;
  std::string to;
  std::string recipients;  // --to of add, apply and edit: "operators,customer"
  std::string channels;    // --channel: "mail,sms"; "": every channel
  int limit = 50;
};

al::Severity severity_of(const std::string& text) {
  const auto s = al::severity_from_name(text);
  if (!s) fail("--severity \"" + text + "\": give critical, warning or info");
  return *s;
}

std::int64_t duration_of(const std::string& text, const char* option) {
  auto d = al::parse_duration(text);
  if (!d) fail(std::string(option) + ": " + d.error().text());
  return *d;
}

// "a,b,c" as names (blanks around them dropped, empty ones skipped); at most 32 of 40 bytes.
std::vector<std::string> names_of(const std::string& list, const char* option) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= list.size()) {
    auto comma = list.find(',', at);
    if (comma == std::string::npos) comma = list.size();
    std::string name = list.substr(at, comma - at);
    const auto first = name.find_first_not_of(' ');
    name = first == std::string::npos ? ""
                                      : name.substr(first, name.find_last_not_of(' ') + 1 - first);
    if (!name.empty()) out.push_back(std::move(name));
    at = comma + 1;
  }
  if (out.size() > 32 ||
      std::any_of(out.begin(), out.end(), [](const std::string& n) { return n.size() > 40; }))
    fail(std::string(option) + ": at most 32 names of at most 40 characters");
  return out;
}

std::vector<server::AlarmRecipient> recipients_of(const std::string& list) {
  std::vector<server::AlarmRecipient> out;
  for (const auto& name : names_of(list, "--to")) {
    const auto kind = server::alarm_recipient_from_name(name);
    if (!kind) fail("--to \"" + name + "\": give operators, customer or both (operators,customer)");
    out.push_back(*kind);
  }
  if (out.empty()) fail("--to: give operators, customer or both (operators,customer)");
  return out;
}

std::string recipients_text(const std::vector<server::AlarmRecipient>& recipients) {
  std::string out;
  for (const auto r : recipients)
    out += (out.empty() ? "" : ",") + std::string(server::alarm_recipient_name(r));
  return out;
}

std::string channels_text(const std::vector<std::string>& channels) {
  if (channels.empty()) return "every channel";
  std::string out;
  for (const auto& c : channels)
    out += (out.empty() ? "" : ",") + c;
  return out;
}

std::string rule_name(server::ServerStore& store, std::int64_t id) {
  auto r = store.alarm_rule(id);
  return r && *r ? (*r)->name : "#" + std::to_string(id);
}

void print_rule_row(const server::AlarmRule& r) {
  std::printf(
      "%-4lld %-22s %-10s %-8s %-3s settle %6llds quiet %-11s %s\n", static_cast<long long>(r.id),
      r.name.c_str(), r.group.empty() ? "(all)" : r.group.c_str(),
      std::string(al::severity_name(r.severity)).c_str(), r.enabled ? "on" : "off",
      static_cast<long long>(r.settle_s), r.quiet.empty() ? "-" : r.quiet.c_str(), r.text.c_str());
  std::printf("     to %s on %s\n", recipients_text(r.recipients).c_str(),
              channels_text(r.channels).c_str());
}

void alarms_rules(const std::string& config) {
  auto store = open_store(config_from(config));
  const auto rules = ok(store->alarm_rules());
  if (rules.empty()) {
    std::cout << "no alarm rules (add one with `alarms add` or `alarms apply TEMPLATE`)\n";
    return;
  }
  for (const auto& r : rules) {
    print_rule_row(r);
    if (auto p = server::parse_stored_rule(r); !p) {
      std::cout << "     ! " << p.error().text() << "\n";
    }
  }
}

server::AlarmRule rule_of(const AlarmArgs& a) {
  server::AlarmRule r;
  r.name = a.name;
  r.text = a.rule;
  r.group = a.group;
  if (!a.severity.empty()) r.severity = severity_of(a.severity);
  if (!a.settle.empty()) r.settle_s = duration_of(a.settle, "--settle");
  if (!a.repeat.empty()) r.repeat_s = duration_of(a.repeat, "--repeat");
  r.quiet = a.quiet;
  if (!a.recipients.empty()) r.recipients = recipients_of(a.recipients);
  r.channels = names_of(a.channels, "--channel");
  return r;
}

void alarms_add(const std::string& config, const AlarmArgs& a) {
  const auto c = config_from(config);
  auto store = open_store(c);
  const std::int64_t id = ok(server::add_alarm_rule(*store, rule_of(a), c.notify.channel_names()));
  std::cout << "added alarm rule " << id << "\n";
}

// Changes the fields given on the command line (`given` says which), keeps the others.
void alarms_edit(const std::string& config, const AlarmArgs& a,
                 const std::function<bool(const char*)>& given) {
  const auto c = config_from(config);
  auto store = open_store(c);
  auto found = ok(store->alarm_rule(a.id));
  if (!found)
    fail("no alarm rule " + std::to_string(a.id) + " (`meterlogger-server alarms rules`)");
  server::AlarmRule r = *found;
  if (given("--name")) r.name = a.name;
  if (given("--rule")) r.text = a.rule;
  if (given("--group")) r.group = a.group;
  if (given("--severity")) r.severity = severity_of(a.severity);
  if (given("--settle")) r.settle_s = duration_of(a.settle, "--settle");
  if (given("--repeat")) r.repeat_s = duration_of(a.repeat, "--repeat");
  if (given("--quiet")) r.quiet = a.quiet;
  if (given("--to")) r.recipients = recipients_of(a.recipients);
  if (given("--channel")) r.channels = names_of(a.channels, "--channel");
  bool any = false;
  for (const char* option : {"--name", "--rule", "--group", "--severity", "--settle", "--repeat",
                             "--quiet", "--to", "--channel"})
    any = any || given(option);
  if (!any) fail("nothing to change: give --rule, --name, --severity, ... (--help)");
  ok(server::edit_alarm_rule(*store, r, c.notify.channel_names(), actor_of(""), unix_now()));
  const auto stored = ok(store->alarm_rule(a.id));
  std::cout << "changed alarm rule " << a.id << "\n";
  if (stored) print_rule_row(*stored);
}

void alarms_apply(const std::string& config, const AlarmArgs& a) {
  const server::AlarmTemplate* t = server::find_alarm_template(a.name);
  if (t == nullptr) {
    fail("no template \"" + a.name + "\" (`meterlogger-server alarms templates` lists them)");
  }
  AlarmArgs b = a;
  b.rule = std::string(t->text);
  if (b.severity.empty()) b.severity = std::string(al::severity_name(t->severity));
  server::AlarmRule r = rule_of(b);
  r.template_name = std::string(t->name);
  const auto c = config_from(config);
  auto store = open_store(c);
  const std::int64_t id = ok(server::add_alarm_rule(*store, r, c.notify.channel_names()));
  std::cout << "added alarm rule " << id << " from template " << t->name << " for "
            << (a.group.empty() ? "every group" : "group " + a.group) << "\n";
}

void alarms_remove(const std::string& config, std::int64_t id) {
  auto store = open_store(config_from(config));
  ok(store->remove_alarm_rule(id));
  std::cout << "removed alarm rule " << id << " (its history stays)\n";
}

void alarms_enable(const std::string& config, std::int64_t id, bool on) {
  auto store = open_store(config_from(config));
  ok(server::set_alarm_rule_enabled(*store, id, on, actor_of(""), unix_now()));
  std::cout << (on ? "enabled" : "disabled (its open alarms cleared)") << " alarm rule " << id
            << "\n";
}

void alarms_templates() {
  for (const auto& t : server::kAlarmTemplates) {
    std::printf("%-22s %-8s %s\n    %s\n", std::string(t.name).c_str(),
                std::string(al::severity_name(t.severity)).c_str(), std::string(t.text).c_str(),
                std::string(t.description).c_str());
  }
}

void alarms_list(const std::string& config) {
  auto store = open_store(config_from(config));
  const auto open = ok(store->open_alarms());
  if (open.empty()) {
    std::cout << "no open alarms\n";
    return;
  }
  std::printf("%-6s %-12s %-22s %-13s %-21s %s\n", "alarm", "serial", "rule", "status", "raised",
              "note");
  for (const auto& s : open) {
    std::string note = s.acked_by.empty() ? "" : "by " + s.acked_by + ": " + s.ack_note;
    if (s.snoozed_until > unix_now()) note += " snoozed until " + utc(s.snoozed_until);
    std::printf("%-6lld %-12s %-22s %-13s %-21s %s\n", static_cast<long long>(s.episode),
                s.serial.c_str(), rule_name(*store, s.rule_id).c_str(),
                std::string(al::status_name(s.status)).c_str(), utc(s.raised).c_str(),
                note.c_str());
  }
}

void alarms_ack(const std::string& config, const AlarmArgs& a) {
  auto store = open_store(config_from(config));
  ok(server::acknowledge_alarm(*store, a.id, actor_of(a.user), a.note, unix_now()));
  std::cout << "acknowledged alarm " << a.id << "\n";
}

void alarms_snooze(const std::string& config, const AlarmArgs& a) {
  const std::int64_t now = unix_now();
  const std::int64_t until = now + duration_of(a.duration, "--for");
  auto store = open_store(config_from(config));
  ok(server::snooze_alarm(*store, a.id, until, actor_of(a.user), now));
  std::cout << "snoozed alarm " << a.id << " until " << utc(until) << "\n";
}

void print_transition(server::ServerStore& store, const al::Transition& t) {
  std::printf("%-21s alarm %-5lld %-12s %-22s %-12s -> %-12s %s%s\n", utc(t.time).c_str(),
              static_cast<long long>(t.episode), t.serial.c_str(),
              rule_name(store, t.rule_id).c_str(),
              t.from ? std::string(al::status_name(*t.from)).c_str() : "(new)",
              std::string(al::status_name(t.to)).c_str(),
              t.actor.empty() ? "" : ("by " + t.actor + " ").c_str(), t.note.c_str());
}

void alarms_history(const std::string& config, const AlarmArgs& a) {
  auto store = open_store(config_from(config));
  const auto rows = a.id != 0          ? ok(store->alarm_transitions_of_episode(a.id))
                    : a.serial.empty() ? ok(store->recent_alarm_transitions(a.limit))
                                       : ok(store->alarm_transitions_of_meter(a.serial, a.limit));
  if (rows.empty()) std::cout << "no alarm transitions\n";
  for (const auto& t : rows)
    print_transition(*store, t);
}

void alarms_zone(const std::string& config, const AlarmArgs& a) {
  auto store = open_store(config_from(config));
  if (!a.zone.empty()) {
    ok(server::set_group_zone(*store, a.group, a.zone));
    std::cout << "group " << a.group << ": quiet hours in " << a.zone << "\n";
    return;
  }
  const auto zones = ok(store->group_zones());
  const auto it = zones.find(a.group);
  std::cout << "group " << a.group << ": "
            << (it == zones.end() ? std::string(server::kDefaultGroupZone) + " (the default)"
                                  : it->second)
            << "\n";
}

void alarms_test(const std::string& config, const AlarmArgs& a) {
  server::AlarmRule r = rule_of(a);
  r.name = "test";
  auto parsed = al::parse_rule(r.text);
  if (!parsed) fail("rule: " + parsed.error().text());
  r.text = al::print_rule(*parsed);
  const std::int64_t to = a.to.empty() ? unix_now() : parse_time(a.to, "--to");
  const std::int64_t from = a.from.empty() ? to - 86400 : parse_time(a.from, "--from");
  auto store = open_store(config_from(config));
  const auto events = ok(server::backtest(*store, r, a.serial, from, to));
  std::cout << "rule: " << r.text << "\nmeter " << a.serial << ", " << utc(from) << " to "
            << utc(to) << ", every minute\n";
  int raised = 0;
  for (const auto& e : events) {
    for (const auto& t : e.transitions) {
      raised += t.to == al::Status::raised ? 1 : 0;
      std::cout << utc(e.time) << "  " << (t.from ? al::status_name(*t.from) : "(new)") << " -> "
                << al::status_name(t.to) << "\n";
    }
    if (e.notify) std::cout << utc(e.time) << "  notify " << al::notify_name(*e.notify) << "\n";
  }
  std::cout << raised << " episode(s) raised; nothing was written\n";
}

}  // namespace

void add_alarm_commands(CLI::App& app, const std::string& config) {
  auto a = std::make_shared<AlarmArgs>();
  auto* alarms = app.add_subcommand(
      "alarms", "Alarm rules, templates, open alarms, their history and backtests");
  alarms->require_subcommand(1);
  alarms->footer("See docs/alarms.md for the rule language.");

  const auto settings = [a](CLI::App* c) {
    c->add_option("--group", a->group, "the meter group it applies to (default: every group)");
    c->add_option("--severity", a->severity, "critical, warning or info");
    c->add_option("--settle", a->settle,
                  "how long the condition must be normal before the alarm clears (10min)");
    c->add_option("--repeat", a->repeat,
                  "first repeat of an unacknowledged alarm, doubling up to 24 h (1h)");
    c->add_option("--quiet", a->quiet,
                  "quiet hours in the group's time zone, e.g. 22:00-07:00 (critical ignores "
                  "them)");
    c->add_option("--to", a->recipients,
                  "who is notified: operators (the group's admins), customer (the meter's "
                  "contact) or operators,customer (default: operators)");
    c->add_option("--channel", a->channels,
                  "the [[notify.channel]] names it goes out on, e.g. mail,sms (default: every "
                  "channel)");
  };

  auto* rules = alarms->add_subcommand("rules", "List the alarm rules");
  rules->footer("Example:\n  meterlogger-server alarms rules");
  rules->callback([=, &config] { alarms_rules(config); });

  auto* add = alarms->add_subcommand("add", "Add an alarm rule");
  add->add_option("name", a->name, "a name for people")->required();
  add->add_option("rule", a->rule, "the rule (docs/alarms.md)")->required();
  settings(add);
  add->footer(
      "Examples:\n  meterlogger-server alarms add hot \"t1 > 95 C for 10 min\" --group Loppen "
      "--severity critical --settle 10min --quiet 22:00-07:00\n"
      "  meterlogger-server alarms add leak \"flow1 > 0 m3/h for 5 min and valve == closed\" "
      "--to operators,customer --channel mail,sms");
  add->callback([=, &config] { alarms_add(config, *a); });

  auto* edit = alarms->add_subcommand("edit", "Change an alarm rule: only the fields given");
  edit->add_option("id", a->id, "the rule's id (`alarms rules`)")->required();
  edit->add_option("--rule", a->rule, "the new rule (docs/alarms.md)");
  edit->add_option("--name", a->name, "a new name");
  settings(edit);
  edit->footer(
      "A changed rule text starts its `for` times again; its open alarms stay open (those on\n"
      "meters outside a new --group are cleared). --quiet \"\" removes the quiet hours,\n"
      "--channel \"\" sends on every channel again.\n\n"
      "Examples:\n"
      "  meterlogger-server alarms edit 3 --rule \"t1 > 90 C for 15 min\" --severity warning\n"
      "  meterlogger-server alarms edit 3 --to operators,customer --channel mail,sms");
  edit->callback([=, &config] {
    alarms_edit(config, *a, [edit](const char* option) { return edit->count(option) > 0; });
  });

  auto* remove = alarms->add_subcommand("remove", "Remove an alarm rule (its history stays)");
  remove->add_option("id", a->id, "the rule's id (`alarms rules`)")->required();
  remove->footer("Example:\n  meterlogger-server alarms remove 3");
  remove->callback([=, &config] { alarms_remove(config, a->id); });

  for (const bool on : {true, false}) {
    auto* c = alarms->add_subcommand(
        on ? "enable" : "disable",
        on ? "Enable an alarm rule" : "Disable an alarm rule (its open alarms are cleared)");
    c->add_option("id", a->id, "the rule's id (`alarms rules`)")->required();
    c->footer(std::string("Example:\n  meterlogger-server alarms ") + (on ? "enable" : "disable") +
              " 3");
    c->callback([=, &config] { alarms_enable(config, a->id, on); });
  }

  auto* templates = alarms->add_subcommand("templates", "List the built-in rule templates");
  templates->footer("Example:\n  meterlogger-server alarms templates");
  templates->callback([] { alarms_templates(); });

  auto* apply = alarms->add_subcommand("apply", "Add a rule from a template");
  apply->add_option("template", a->name, "the template's name (`alarms templates`)")->required();
  settings(apply);
  apply->footer("Example:\n  meterlogger-server alarms apply leak --group Loppen");
  apply->callback([=, &config] { alarms_apply(config, *a); });

  auto* list = alarms->add_subcommand("list", "List the open alarms");
  list->footer("Example:\n  meterlogger-server alarms list");
  list->callback([=, &config] { alarms_list(config); });

  auto* ack = alarms->add_subcommand("ack", "Acknowledge an alarm: no more repeats");
  ack->add_option("id", a->id, "the alarm's number (`alarms list`)")->required();
  ack->add_option("--user", a->user, "who acknowledges (default: $SUDO_USER or $USER)");
  ack->add_option("--note", a->note, "what was done");
  ack->footer("Example:\n  meterlogger-server alarms ack 12 --user anna --note \"valve replaced\"");
  ack->callback([=, &config] { alarms_ack(config, *a); });

  auto* snooze = alarms->add_subcommand("snooze", "No notifications of an alarm for a while");
  snooze->add_option("id", a->id, "the alarm's number (`alarms list`)")->required();
  snooze->add_option("--for", a->duration, "how long: 30min, 2h, 1d")->required();
  snooze->add_option("--user", a->user, "who snoozes (default: $SUDO_USER or $USER)");
  snooze->footer("Example:\n  meterlogger-server alarms snooze 12 --for 2h");
  snooze->callback([=, &config] { alarms_snooze(config, *a); });

  auto* history = alarms->add_subcommand("history", "Alarm transitions, newest first");
  as_serial(history->add_option("--serial", a->serial, "only this meter's"));
  history->add_option("--alarm", a->id, "only this alarm's");
  history->add_option("--limit", a->limit, "at most this many")->capture_default_str();
  history->footer("Example:\n  meterlogger-server alarms history --serial 6892850");
  history->callback([=, &config] { alarms_history(config, *a); });

  auto* zone =
      alarms->add_subcommand("zone", "Show or set a group's time zone (quiet hours are in it)");
  zone->add_option("group", a->group, "the meter group")->required();
  zone->add_option("zone", a->zone, "an IANA name, e.g. Europe/Copenhagen");
  zone->footer("Example:\n  meterlogger-server alarms zone Loppen Europe/Copenhagen");
  zone->callback([=, &config] { alarms_zone(config, *a); });

  auto* test = alarms->add_subcommand(
      "test", "Replay a meter's stored samples through a rule, minute by minute, writing nothing");
  test->add_option("rule", a->rule, "the rule (docs/alarms.md)")->required();
  as_serial(test->add_option("--serial", a->serial, "the meter"))->required();
  test->add_option("--from", a->from,
                   "start: unix seconds or UTC YYYY-MM-DDTHH:MM:SSZ (default: 24 h before --to)");
  test->add_option("--to", a->to, "end (default: now)");
  test->add_option("--settle", a->settle, "as for `alarms add` (10min)");
  test->add_option("--severity", a->severity, "as for `alarms add`");
  test->add_option("--quiet", a->quiet, "as for `alarms add`");
  test->footer(
      "Example:\n  meterlogger-server alarms test \"age > 30 min\" --serial 6892850 "
      "--from 2026-11-01T00:00:00Z --to 2026-11-08T00:00:00Z");
  test->callback([=, &config] { alarms_test(config, *a); });
}

}  // namespace ml::server_app
