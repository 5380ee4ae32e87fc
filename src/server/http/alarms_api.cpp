// The alarm and notification routes of the HTTP API (docs/api.md, "Alarms" and "Notifications"):
// the alarms with their history, acknowledging and snoozing one, the alarm rules and templates,
// adding and editing a rule (who gets it, on which channels), checking a rule as typed, its
// backtest over a meter's samples (admins of the meter's group), the notification log and the
// channels' state. Who may do what: everyone logged in sees the alarms and the rules; an admin of a
// meter's group acknowledges and snoozes its alarms; an admin of a rule's group changes the rule (a
// rule of every group: an admin of every group); the notification log (recipients' addresses) and
// the channels are for admins, each seeing the messages about meters of their groups.
#include <map>

#include "core/alarm/rule.hpp"
#include "core/topic/topic.hpp"
#include "server/alarm_round.hpp"
#include "server/http/api.hpp"
#include "server/http/api_support.hpp"
#include "server/http/views.hpp"
#include "server/notify/notifier.hpp"

namespace ml::server::http {
namespace {

namespace al = core::alarm;

constexpr std::size_t kMaxNote = 500;

json transition_json(const al::Transition& t) {
  return {{"id", t.id},
          {"episode", t.episode},
          {"rule_id", t.rule_id},
          {"serial", t.serial},
          {"time", t.time},
          {"from", t.from ? json(al::status_name(*t.from)) : json(nullptr)},
          {"to", al::status_name(t.to)},
          {"actor", t.actor},
          {"note", t.note}};
}

json recipients_json(const std::vector<AlarmRecipient>& recipients) {
  json out = json::array();
  for (const auto kind : recipients)
    out.push_back(alarm_recipient_name(kind));
  return out;
}

json rule_json(const AlarmRule& r, bool can_change) {
  return {{"id", r.id},
          {"name", r.name},
          {"group", r.group},
          {"rule", r.text},
          {"severity", al::severity_name(r.severity)},
          {"settle_s", r.settle_s},
          {"repeat_s", r.repeat_s},
          {"quiet", r.quiet},
          {"enabled", r.enabled},
          {"template", r.template_name},
          {"to", recipients_json(r.recipients)},
          {"channels", r.channels},
          {"can_admin", can_change}};
}

// Whether `user` may change a rule of `group` ("" : every group, an admin of every group).
bool can_admin_rule(const User& user, const std::string& group) {
  return group.empty() ? is_global_admin(user) : can_admin(user, group);
}

// A duration field ("10min", "2h", 600); `fallback` when absent.
core::Result<std::int64_t> duration_field(const json& body, const char* name,
                                          std::int64_t fallback) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (it->is_number_integer()) {
    const auto seconds = it->get<std::int64_t>();
    if (seconds < 1 || seconds > al::kMaxDurationSeconds) {
      return core::make_error(core::Errc::invalid_argument,
                              std::string(name) + ": from 1 s to 400 days");
    }
    return seconds;
  }
  if (!it->is_string()) {
    return core::make_error(core::Errc::invalid_argument,
                            std::string(name) + " must be a duration such as \"10min\"");
  }
  auto d = al::parse_duration(it->get<std::string>());
  if (!d)
    return core::make_error(core::Errc::invalid_argument,
                            std::string(name) + ": " + d.error().detail);
  return *d;
}

// The fields of an add or edit body over `rule`: a field that is missing (or null) keeps its
// value; so does an empty name, rule or severity (none is valid). Errors name the field; the
// rule itself is checked by check_alarm_rule.
core::Result<AlarmRule> rule_fields(const json& body, AlarmRule rule) {
  const auto bad = [](const std::string& what) {
    return core::make_error(core::Errc::invalid_argument, what);
  };
  auto name = string_field(body, "name", 100);
  if (!name) return name.error();
  if (!name->empty()) rule.name = *name;
  auto text = string_field(body, "rule", al::kMaxRuleBytes + 1);
  if (!text) return text.error();
  if (!text->empty()) rule.text = *text;
  auto group = string_field(body, "group", 100);
  if (!group) return group.error();
  if (has_field(body, "group")) rule.group = *group;
  auto severity = string_field(body, "severity", 20);
  if (!severity) return severity.error();
  if (!severity->empty()) {
    auto sev = al::severity_from_name(*severity);
    if (!sev) return bad("severity: critical, warning or info, not \"" + *severity + "\"");
    rule.severity = *sev;
  }
  auto quiet = string_field(body, "quiet", 20);
  if (!quiet) return quiet.error();
  if (has_field(body, "quiet")) rule.quiet = *quiet;
  auto settle = duration_field(body, "settle", rule.settle_s);
  if (!settle) return settle.error();
  rule.settle_s = *settle;
  auto repeat = duration_field(body, "repeat", rule.repeat_s);
  if (!repeat) return repeat.error();
  rule.repeat_s = *repeat;
  if (has_field(body, "to")) {
    auto to = string_list_field(body, "to", kAlarmRecipients.size() * 2, 20);
    if (!to) return to.error();
    rule.recipients.clear();
    for (const auto& who : *to) {
      const auto kind = alarm_recipient_from_name(who);
      if (!kind) return bad("to: \"" + who + "\" is not one of operators, customer");
      rule.recipients.push_back(*kind);
    }
  }
  if (has_field(body, "channels")) {
    auto channels = string_list_field(body, "channels", 32, 32);
    if (!channels) return channels.error();
    rule.channels = std::move(channels).value();
  }
  return rule;
}

// Field `name` in unix seconds; `fallback` when absent.
core::Result<std::int64_t> time_field(const json& body, const char* name, std::int64_t fallback) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) {
    return core::make_error(core::Errc::invalid_argument,
                            std::string(name) + " must be a time in unix seconds");
  }
  return it->get<std::int64_t>();
}

std::string not_yours(const std::string& group) {
  return group.empty() ? "a rule for every group is for admins of every group"
                       : "group " + group + " is not in your groups";
}

}  // namespace

Response Api::alarms_route(const Request& r, const Caller& c,
                           const std::vector<std::string>& parts) {
  const bool get = r.method == "GET";
  const auto now = now_();
  if (parts.size() == 2 && get) {
    // The open alarms (newest raised first), or with ?serial= that meter's history too.
    auto meters = store().meters();
    if (!meters) return store_error(meters.error());
    std::map<std::string, const Meter*> by_serial;
    for (const auto& m : *meters)
      by_serial[m.serial] = &m;
    auto rules = store().alarm_rules();
    if (!rules) return store_error(rules.error());
    std::map<std::int64_t, const AlarmRule*> by_id;
    for (const auto& rule : *rules)
      by_id[rule.id] = &rule;
    // ?serial=: that meter's open alarms and history, and how many enabled rules apply to it.
    std::string only;
    if (auto q = r.query.find("serial"); q != r.query.end() && !q->second.empty()) {
      only = core::topic::canonical_serial(q->second);
      if (by_serial.find(only) == by_serial.end()) return error(404, "no meter " + q->second);
    }
    auto open = store().open_alarms();
    if (!open) return store_error(open.error());
    json list = json::array();
    for (const auto& s : *open) {
      if (!only.empty() && s.serial != only) continue;
      const auto m = by_serial.find(s.serial);
      const auto rule = by_id.find(s.rule_id);
      const Meter* meter = m != by_serial.end() ? m->second : nullptr;
      auto row = open_alarm_view(s, rule != by_id.end() ? rule->second : nullptr,
                                 meter != nullptr ? meter->name : "",
                                 meter != nullptr ? meter->group : "");
      row["can_admin"] = can_admin(c.user, meter != nullptr ? meter->group : "");
      list.push_back(std::move(row));
      if (list.size() >= static_cast<std::size_t>(kListLimit)) break;
    }
    auto recent = only.empty() ? store().recent_alarm_transitions(100)
                               : store().alarm_transitions_of_meter(only, 100);
    if (!recent) return store_error(recent.error());
    json history = json::array();
    for (const auto& t : *recent)
      history.push_back(transition_json(t));
    json answer{{"now", now}, {"alarms", std::move(list)}, {"transitions", std::move(history)}};
    if (!only.empty()) {
      const std::string& group = by_serial[only]->group;
      int applying = 0;
      for (const auto& rule : *rules)
        applying += rule.enabled && (rule.group.empty() || rule.group == group) ? 1 : 0;
      answer["serial"] = only;
      answer["rules_apply"] = applying;
    }
    return json_response(200, answer);
  }
  if (parts.size() < 3) return error(405, "GET");
  const auto episode = path_id(parts[2]);
  if (!episode) return error(404, "no alarm " + parts[2]);
  auto state = store().alarm_episode(*episode);
  if (!state) return store_error(state.error());
  if (!*state) return error(404, "no alarm " + parts[2]);
  auto meter = store().meter((*state)->serial);
  if (!meter) return store_error(meter.error());
  const std::string group = *meter ? (*meter)->group : "";
  if (parts.size() == 3 && get) {
    auto transitions = store().alarm_transitions_of_episode(*episode);
    if (!transitions) return store_error(transitions.error());
    json list = json::array();
    for (const auto& t : *transitions)
      list.push_back(transition_json(t));
    return json_response(200, json{{"episode", *episode},
                                   {"serial", (*state)->serial},
                                   {"status", al::status_name((*state)->status)},
                                   {"can_admin", can_admin(c.user, group)},
                                   {"transitions", std::move(list)}});
  }
  if (parts.size() != 4 || r.method != "POST")
    return error(405, "GET, or POST .../ack or .../snooze");
  if (!can_admin(c.user, group)) {
    return error(403, "meter " + (*state)->serial + " is not in your groups");
  }
  ML_FIELD(body, body_object(r));
  ML_FIELD(note, string_field(body, "note", kMaxNote));
  core::Status done = core::Ok{};
  std::string detail;
  if (parts[3] == "ack") {
    done = acknowledge_alarm(store(), *episode, c.user.name, note, now);
    detail = "alarm " + parts[2] + (note.empty() ? "" : ": " + note);
  } else if (parts[3] == "snooze") {
    ML_FIELD(seconds, duration_field(body, "for", 3600));
    done = snooze_alarm(store(), *episode, now + seconds, c.user.name, now);
    detail = "alarm " + parts[2] + " for " + std::to_string(seconds) + " s";
  } else {
    return error(404, "no such API: POST " + r.path);
  }
  if (!done) {
    if (done.error().code == core::Errc::invalid_argument) return error(409, done.error().detail);
    return store_error(done.error());
  }
  audit(c.user.name, r, "alarm." + parts[3], (*state)->serial, detail);
  Response ok;
  ok.status = 204;
  return ok;
}

Response Api::alarm_rules_route(const Request& r, const Caller& c,
                                const std::vector<std::string>& parts) {
  const bool get = r.method == "GET";
  const bool post = r.method == "POST";
  if (parts.size() == 2 && get) {
    auto rules = store().alarm_rules();
    if (!rules) return store_error(rules.error());
    json list = json::array();
    for (const auto& rule : *rules)
      list.push_back(rule_json(rule, can_admin_rule(c.user, rule.group)));
    json templates = json::array();
    for (const auto& t : kAlarmTemplates) {
      templates.push_back({{"name", t.name},
                           {"rule", t.text},
                           {"severity", al::severity_name(t.severity)},
                           {"description", t.description}});
    }
    return json_response(200, json{{"rules", std::move(list)},
                                   {"templates", std::move(templates)},
                                   {"channel_names", config_.notify.channel_names()}});
  }
  if (!post) return error(405, "GET or POST");
  ML_FIELD(body, body_object(r));
  if (parts.size() == 3 && parts[2] == "check") {
    // A rule as typed, checked without storing anything: its canonical text or where it is wrong.
    ML_FIELD(text, string_field(body, "rule", al::kMaxRuleBytes + 1));
    auto parsed = al::parse_rule(text);
    if (!parsed) return error(400, parsed.error().detail);
    return json_response(200, json{{"rule", al::print_rule(*parsed)}});
  }
  if (parts.size() == 3 && parts[2] == "test") return alarm_rule_test(r, c);
  if (parts.size() == 2) {
    AlarmRule base;
    ML_FIELD(from_template, string_field(body, "template", 100));
    if (!from_template.empty()) {
      const AlarmTemplate* t = find_alarm_template(from_template);
      if (t == nullptr) return error(400, "template: no template \"" + from_template + "\"");
      base.text = std::string(t->text);
      base.name = std::string(t->name);
      base.severity = t->severity;
      base.template_name = from_template;
    }
    ML_FIELD(rule, rule_fields(body, base));
    if (!can_admin_rule(c.user, rule.group)) return error(403, not_yours(rule.group));
    auto id = add_alarm_rule(store(), rule, config_.notify.channel_names());
    if (!id) {
      if (id.error().code == core::Errc::invalid_argument) return error(400, id.error().detail);
      return store_error(id.error());
    }
    audit(c.user.name, r, "rule.add", "",
          "#" + std::to_string(*id) + " " + rule.name + ": " + rule.text);
    auto stored = store().alarm_rule(*id);
    if (!stored) return store_error(stored.error());
    return json_response(201, rule_json(stored->value_or(rule), true));
  }
  if (parts.size() == 3) {
    // Edit: the fields given change, the others stay.
    const auto id = path_id(parts[2]);
    if (!id) return error(404, "no rule " + parts[2]);
    auto old = store().alarm_rule(*id);
    if (!old) return store_error(old.error());
    if (!*old) return error(404, "no rule " + parts[2]);
    if (!can_admin_rule(c.user, (*old)->group)) return error(403, not_yours((*old)->group));
    ML_FIELD(rule, rule_fields(body, **old));
    if (rule.group != (*old)->group && !can_admin_rule(c.user, rule.group)) {
      return error(403, not_yours(rule.group));
    }
    auto done = edit_alarm_rule(store(), rule, config_.notify.channel_names(), c.user.name, now_());
    if (!done) {
      if (done.error().code == core::Errc::invalid_argument) return error(400, done.error().detail);
      return store_error(done.error());
    }
    auto stored = store().alarm_rule(*id);
    if (!stored) return store_error(stored.error());
    const AlarmRule& now_stored = stored->value_or(rule);
    audit(c.user.name, r, "rule.edit", "",
          "#" + parts[2] + " " + now_stored.name + ": " + now_stored.text);
    return json_response(200, rule_json(now_stored, true));
  }
  if (parts.size() != 4) return error(404, "no such API: POST " + r.path);
  const auto id = path_id(parts[2]);
  if (!id) return error(404, "no rule " + parts[2]);
  auto rule = store().alarm_rule(*id);
  if (!rule) return store_error(rule.error());
  if (!*rule) return error(404, "no rule " + parts[2]);
  if (!can_admin_rule(c.user, (*rule)->group)) {
    return error(403, (*rule)->group.empty()
                          ? "a rule for every group is for admins of every group"
                          : "group " + (*rule)->group + " is not in your groups");
  }
  core::Status done = core::Ok{};
  std::string action;
  if (parts[3] == "enable") {
    ML_FIELD(enabled, bool_field(body, "enabled"));
    done = set_alarm_rule_enabled(store(), *id, enabled, c.user.name, now_());
    action = enabled ? "rule.enable" : "rule.disable";
  } else if (parts[3] == "remove") {
    done = store().remove_alarm_rule(*id);
    action = "rule.remove";
  } else {
    return error(404, "no such API: POST " + r.path);
  }
  if (!done) return store_error(done.error());
  audit(c.user.name, r, action, "", "#" + parts[2] + " " + (*rule)->name);
  Response ok;
  ok.status = 204;
  return ok;
}

Response Api::alarm_rule_test(const Request& r, const Caller& c) {
  // A backtest (alarm_round.hpp): the rule replayed over a meter's stored samples, minute by
  // minute, writing nothing. For admins of the meter's group: a tuning tool.
  ML_FIELD(body, body_object(r));
  ML_FIELD(serial_text, string_field(body, "serial", 64));
  if (serial_text.empty()) return error(400, "serial: required");
  ML_FIELD(until, time_field(body, "until", now_()));
  ML_FIELD(from, time_field(body, "from", until - 86400));
  AlarmRule rule;
  rule.name = "test";
  ML_FIELD(text, string_field(body, "rule", al::kMaxRuleBytes + 1));
  ML_FIELD(severity, string_field(body, "severity", 20));
  ML_FIELD(quiet, string_field(body, "quiet", 20));
  ML_FIELD(settle, duration_field(body, "settle", al::kDefaultSettleSeconds));
  ML_FIELD(repeat, duration_field(body, "repeat", al::kDefaultRepeatSeconds));
  auto meter = store().meter(core::topic::canonical_serial(serial_text));
  if (!meter) return store_error(meter.error());
  if (!*meter) return error(404, "no meter " + serial_text);
  if (!can_admin(c.user, (*meter)->group)) {
    return error(403, "meter " + (*meter)->serial + " is not in your groups");
  }
  auto parsed = al::parse_rule(text);
  if (!parsed) return error(400, "rule: " + parsed.error().detail);
  rule.text = al::print_rule(*parsed);
  if (!severity.empty()) {
    auto sev = al::severity_from_name(severity);
    if (!sev) return error(400, "severity: critical, warning or info, not \"" + severity + "\"");
    rule.severity = *sev;
  }
  rule.quiet = quiet;
  rule.settle_s = settle;
  rule.repeat_s = repeat;
  if (until < from) return error(400, "until is before from");
  if ((until - from) / 60 > kMaxBacktestMinutes) {
    return error(400, "at most " + std::to_string(kMaxBacktestMinutes / 1440) +
                          " days at a time: give a shorter from/until");
  }
  auto events = backtest(store(), rule, (*meter)->serial, from, until);
  if (!events) {
    if (events.error().code == core::Errc::invalid_argument)
      return error(400, events.error().detail);
    return store_error(events.error());
  }
  json list = json::array();
  for (const auto& e : *events) {
    json transitions = json::array();
    for (const auto& t : e.transitions)
      transitions.push_back(transition_json(t));
    list.push_back({{"time", e.time},
                    {"transitions", std::move(transitions)},
                    {"notify", e.notify ? json(al::notify_name(*e.notify)) : json(nullptr)}});
  }
  return json_response(200, json{{"rule", rule.text},
                                 {"serial", (*meter)->serial},
                                 {"from", from},
                                 {"until", until},
                                 {"events", std::move(list)}});
}

Response Api::notifications_get(const Request& r, const Caller& c, const std::string& what) {
  if (c.user.role != Role::admin) return error(403, "notifications are for admins");
  if (what == "channels") {
    auto channels = notify::channel_statuses(store(), config_.notify);
    if (!channels) return store_error(channels.error());
    json list = json::array();
    for (const auto& ch : *channels) {
      list.push_back({{"name", ch.name},
                      {"type", ch.type},
                      {"target", ch.target},
                      {"last_success", ch.activity.last_success},
                      {"last_failure", ch.activity.last_failure},
                      {"last_error", ch.activity.last_error},
                      {"waiting", ch.activity.waiting},
                      {"failed", ch.activity.failed}});
    }
    return json_response(200, json{{"channels", std::move(list)}});
  }
  NotificationFilter filter;
  if (auto it = r.query.find("serial"); it != r.query.end()) filter.serial = it->second;
  filter.limit = kListLimit;
  auto log = store().notification_log(filter);
  if (!log) return store_error(log.error());
  auto meters = store().meters();
  if (!meters) return store_error(meters.error());
  std::map<std::string, std::string> group_of;
  for (const auto& m : *meters)
    group_of[m.serial] = m.group;
  const bool every = is_global_admin(c.user);
  json list = json::array();
  for (const auto& n : *log) {
    // An admin of some groups sees the messages about their meters; the rest are not theirs.
    if (!every) {
      const auto g = group_of.find(n.serial);
      if (n.serial.empty() || g == group_of.end() || !can_admin(c.user, g->second)) continue;
    }
    list.push_back({{"id", n.id},
                    {"channel", n.channel},
                    {"recipient", n.recipient},
                    {"serial", n.serial},
                    {"subject", n.subject},
                    {"created", n.created},
                    {"state", notification_state_name(n.state)},
                    {"attempts", n.attempts},
                    {"sent_time", n.sent_time},
                    {"last_error", n.last_error}});
  }
  return json_response(200, json{{"notifications", std::move(list)}});
}

}  // namespace ml::server::http
