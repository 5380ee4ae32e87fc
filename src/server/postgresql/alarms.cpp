// PostgresStore: alarm rules, group time zones, alarm states and the transitions log
// (store/alarms.hpp). Stored as on SQLite (server/sqlite/alarms.cpp): severities and statuses by
// their names; a state's `for` times as "node:since,node:since"; a rule's recipients and channels
// as comma-separated names.
#include <charconv>

#include "server/postgresql/store.hpp"
#include "server/sample_record.hpp"

namespace ml::server {
namespace {

namespace pg = platform::postgresql;
namespace al = core::alarm;

constexpr const char* kAlarmsRuleColumns =
    "id, name, grp, text, severity, settle_s, repeat_s, quiet, enabled, template, recipients, "
    "channels";
constexpr const char* kAlarmsStateColumns =
    "rule_id, serial, episode, status, raised, last_true, acked_by, ack_note, snoozed_until, "
    "next_repeat, repeat_count, held";
constexpr const char* kAlarmsTransitionColumns =
    "id, episode, rule_id, serial, time, from_status, to_status, actor, note";

core::Error alarms_bad_row(const std::string& what, std::int64_t id, const std::string& value) {
  return core::make_error(core::Errc::invalid_argument,
                          what + " of #" + std::to_string(id) + " \"" + value + "\" is not one");
}

// A LIMIT parameter: SQLite reads a negative limit as none, PostgreSQL refuses it (NULL is none).
pg::Param alarms_limit(std::int64_t limit) {
  if (limit < 0) return std::nullopt;
  return limit;
}

std::vector<std::string> alarms_split_names(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    if (comma != 0) out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return out;
}

std::string alarms_join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

std::string alarms_encode_recipients(const std::vector<AlarmRecipient>& recipients) {
  std::vector<std::string> names;
  for (const auto r : recipients)
    names.emplace_back(alarm_recipient_name(r));
  return alarms_join_names(names);
}

core::Result<AlarmRule> alarms_read_rule(const pg::Rows& rows, int i) {
  AlarmRule r;
  r.id = rows.int64(i, 0);
  r.name = rows.text(i, 1);
  r.group = rows.text(i, 2);
  r.text = rows.text(i, 3);
  const std::string sev = rows.text(i, 4);
  const auto s = al::severity_from_name(sev);
  if (!s) return alarms_bad_row("the severity of alarm rule", r.id, sev);
  r.severity = *s;
  r.settle_s = rows.int64(i, 5);
  r.repeat_s = rows.int64(i, 6);
  r.quiet = rows.text(i, 7);
  r.enabled = rows.int64(i, 8) != 0;
  r.template_name = rows.text(i, 9);
  r.recipients.clear();
  for (const auto& name : alarms_split_names(rows.text(i, 10))) {
    const auto kind = alarm_recipient_from_name(name);
    if (!kind) return alarms_bad_row("a recipient of alarm rule", r.id, name);
    r.recipients.push_back(*kind);
  }
  r.channels = alarms_split_names(rows.text(i, 11));
  return r;
}

std::string alarms_encode_held(const std::map<std::size_t, std::int64_t>& held) {
  std::string out;
  for (const auto& [node, since] : held) {
    if (!out.empty()) out += ',';
    out += std::to_string(node) + ":" + std::to_string(since);
  }
  return out;
}

// Entries that do not read are dropped (a `for` time then starts again).
std::map<std::size_t, std::int64_t> alarms_decode_held(std::string_view text) {
  std::map<std::size_t, std::int64_t> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const auto colon = item.find(':');
    if (colon == std::string_view::npos) continue;
    std::size_t node = 0;
    std::int64_t since = 0;
    const auto a = std::from_chars(item.data(), item.data() + colon, node);
    const auto b = std::from_chars(item.data() + colon + 1, item.data() + item.size(), since);
    if (a.ec == std::errc{} && b.ec == std::errc{}) out[node] = since;
  }
  return out;
}

core::Result<al::State> alarms_read_state(const pg::Rows& rows, int i) {
  al::State s;
  s.rule_id = rows.int64(i, 0);
  s.serial = rows.text(i, 1);
  s.episode = rows.int64(i, 2);
  const std::string st = rows.text(i, 3);
  const auto status = al::status_from_name(st);
  if (!status) return alarms_bad_row("the status of alarm episode", s.episode, st);
  s.status = *status;
  s.raised = rows.int64(i, 4);
  s.last_true = rows.int64(i, 5);
  s.acked_by = rows.text(i, 6);
  s.ack_note = rows.text(i, 7);
  s.snoozed_until = rows.int64(i, 8);
  s.next_repeat = rows.int64(i, 9);
  s.repeat_count = rows.int64(i, 10);
  s.held = alarms_decode_held(rows.text(i, 11));
  return s;
}

core::Result<al::Transition> alarms_read_transition(const pg::Rows& rows, int i) {
  al::Transition t;
  t.id = rows.int64(i, 0);
  t.episode = rows.int64(i, 1);
  t.rule_id = rows.int64(i, 2);
  t.serial = rows.text(i, 3);
  t.time = rows.int64(i, 4);
  const std::string from = rows.text(i, 5);
  if (!from.empty()) {
    const auto f = al::status_from_name(from);
    if (!f) return alarms_bad_row("the from-status of alarm transition", t.id, from);
    t.from = *f;
  }
  const std::string to = rows.text(i, 6);
  const auto s = al::status_from_name(to);
  if (!s) return alarms_bad_row("the to-status of alarm transition", t.id, to);
  t.to = *s;
  t.actor = rows.text(i, 7);
  t.note = rows.text(i, 8);
  return t;
}

// Every row read by `read`; the first row that does not read is the error.
template <class T, class Read>
core::Result<std::vector<T>> alarms_read_rows(const core::Result<pg::Rows>& rows, Read read) {
  if (!rows) return rows.error();
  std::vector<T> out;
  std::optional<core::Error> bad;
  for (int i = 0; i < rows->size(); ++i) {
    auto row = read(*rows, i);
    if (row) {
      out.push_back(std::move(row).value());
    } else if (!bad) {
      bad = row.error();
    }
  }
  if (bad) return *bad;
  return out;
}

}  // namespace

// ---- rules ----

core::Result<std::int64_t> PostgresStore::insert_alarm_rule(const AlarmRule& r) {
  auto rows = db_.query(
      "INSERT INTO alarm_rules(name, grp, text, severity, settle_s, repeat_s, quiet, enabled, "
      "template, recipients, channels) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id",
      {r.name, r.group, r.text, al::severity_name(r.severity), r.settle_s, r.repeat_s, r.quiet,
       r.enabled, r.template_name, alarms_encode_recipients(r.recipients),
       alarms_join_names(r.channels)});
  if (!rows) return rows.error();
  return rows->int64(0, 0);
}

core::Status PostgresStore::update_alarm_rule(const AlarmRule& r) {
  auto rows = db_.query(
      "UPDATE alarm_rules SET name=$1, grp=$2, text=$3, severity=$4, settle_s=$5, repeat_s=$6, "
      "quiet=$7, enabled=$8, template=$9, recipients=$10, channels=$11 WHERE id=$12",
      {r.name, r.group, r.text, al::severity_name(r.severity), r.settle_s, r.repeat_s, r.quiet,
       r.enabled, r.template_name, alarms_encode_recipients(r.recipients),
       alarms_join_names(r.channels), r.id});
  if (!rows) return rows.error();
  if (rows->affected() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no alarm rule #" + std::to_string(r.id));
  }
  return core::Ok{};
}

core::Status PostgresStore::remove_alarm_rule(std::int64_t id) {
  pg::Transaction tx(db_);  // the rule and its states go together
  ML_TRY(tx.begun());
  auto rule = db_.query("DELETE FROM alarm_rules WHERE id=$1", {id});
  if (!rule) return rule.error();
  if (rule->affected() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no alarm rule #" + std::to_string(id));
  }
  ML_TRY(db_.query("DELETE FROM alarm_states WHERE rule_id=$1", {id}));
  return tx.commit();
}

core::Result<std::optional<AlarmRule>> PostgresStore::alarm_rule(std::int64_t id) {
  auto rows = alarms_read_rows<AlarmRule>(
      db_.query(std::string("SELECT ") + kAlarmsRuleColumns + " FROM alarm_rules WHERE id=$1",
                {id}),
      alarms_read_rule);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<AlarmRule>{};
  return std::optional<AlarmRule>(std::move(rows->front()));
}

core::Result<std::vector<AlarmRule>> PostgresStore::alarm_rules() {
  return alarms_read_rows<AlarmRule>(
      db_.query(std::string("SELECT ") + kAlarmsRuleColumns + " FROM alarm_rules ORDER BY id"),
      alarms_read_rule);
}

// ---- group time zones ----

core::Status PostgresStore::set_group_zone(const std::string& group, const std::string& zone) {
  ML_TRY(
      db_.query("INSERT INTO group_zones(grp, zone) VALUES($1,$2) "
                "ON CONFLICT(grp) DO UPDATE SET zone=excluded.zone",
                {group, zone}));
  return core::Ok{};
}

core::Result<std::map<std::string, std::string>> PostgresStore::group_zones() {
  auto rows = db_.query("SELECT grp, zone FROM group_zones ORDER BY grp COLLATE \"C\"");
  if (!rows) return rows.error();
  std::map<std::string, std::string> out;
  for (int i = 0; i < rows->size(); ++i)
    out[rows->text(i, 0)] = rows->text(i, 1);
  return out;
}

// ---- states ----

core::Status PostgresStore::write_alarm_state(const al::State& s) {
  ML_TRY(db_.query(
      "INSERT INTO alarm_states(rule_id, serial, episode, status, raised, last_true, acked_by, "
      "ack_note, snoozed_until, next_repeat, repeat_count, held) "
      "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) "
      "ON CONFLICT(rule_id, serial) DO UPDATE SET episode=excluded.episode, "
      "status=excluded.status, raised=excluded.raised, last_true=excluded.last_true, "
      "acked_by=excluded.acked_by, ack_note=excluded.ack_note, "
      "snoozed_until=excluded.snoozed_until, next_repeat=excluded.next_repeat, "
      "repeat_count=excluded.repeat_count, held=excluded.held",
      {s.rule_id, s.serial, s.episode, al::status_name(s.status), s.raised, s.last_true, s.acked_by,
       s.ack_note, s.snoozed_until, s.next_repeat, s.repeat_count, alarms_encode_held(s.held)}));
  return core::Ok{};
}

core::Status PostgresStore::remove_alarm_state(std::int64_t rule_id, const std::string& serial) {
  ML_TRY(db_.query("DELETE FROM alarm_states WHERE rule_id=$1 AND serial=$2", {rule_id, serial}));
  return core::Ok{};
}

core::Result<std::vector<al::State>> PostgresStore::alarm_states() {
  return alarms_read_rows<al::State>(
      db_.query(std::string("SELECT ") + kAlarmsStateColumns +
                " FROM alarm_states ORDER BY rule_id, serial COLLATE \"C\""),
      alarms_read_state);
}

core::Result<std::vector<al::State>> PostgresStore::open_alarms() {
  return alarms_read_rows<al::State>(
      db_.query(std::string("SELECT ") + kAlarmsStateColumns +
                " FROM alarm_states WHERE episode<>0 AND status<>'cleared' "
                "ORDER BY raised DESC, episode DESC, rule_id, serial COLLATE \"C\""),
      alarms_read_state);
}

core::Result<std::optional<al::State>> PostgresStore::alarm_episode(std::int64_t episode) {
  auto rows = alarms_read_rows<al::State>(
      db_.query(std::string("SELECT ") + kAlarmsStateColumns +
                    " FROM alarm_states WHERE episode=$1 AND episode<>0 "
                    "ORDER BY rule_id, serial COLLATE \"C\" LIMIT 1",
                {episode}),
      alarms_read_state);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<al::State>{};
  return std::optional<al::State>(std::move(rows->front()));
}

core::Result<std::int64_t> PostgresStore::new_alarm_episode(std::int64_t rule_id,
                                                            const std::string& serial,
                                                            std::int64_t time) {
  auto rows =
      db_.query("INSERT INTO alarm_episodes(rule_id, serial, raised) VALUES($1,$2,$3) RETURNING id",
                {rule_id, serial, time});
  if (!rows) return rows.error();
  return rows->int64(0, 0);
}

// ---- transitions ----

core::Status PostgresStore::append_alarm_transition(const al::Transition& t) {
  ML_TRY(db_.query(
      "INSERT INTO alarm_transitions(episode, rule_id, serial, time, from_status, to_status, "
      "actor, note) VALUES($1,$2,$3,$4,$5,$6,$7,$8)",
      {t.episode, t.rule_id, t.serial, t.time,
       t.from ? al::status_name(*t.from) : std::string_view(""), al::status_name(t.to), t.actor,
       t.note}));
  return core::Ok{};
}

core::Result<std::vector<al::Transition>> PostgresStore::alarm_transitions_of_meter(
    const std::string& serial, int limit) {
  return alarms_read_rows<al::Transition>(
      db_.query(std::string("SELECT ") + kAlarmsTransitionColumns +
                    " FROM alarm_transitions WHERE serial=$1 ORDER BY id DESC LIMIT $2",
                {serial, alarms_limit(limit)}),
      alarms_read_transition);
}

core::Result<std::vector<al::Transition>> PostgresStore::alarm_transitions_of_episode(
    std::int64_t episode) {
  return alarms_read_rows<al::Transition>(
      db_.query(std::string("SELECT ") + kAlarmsTransitionColumns +
                    " FROM alarm_transitions WHERE episode=$1 ORDER BY id DESC",
                {episode}),
      alarms_read_transition);
}

core::Result<std::vector<al::Transition>> PostgresStore::recent_alarm_transitions(int limit) {
  return alarms_read_rows<al::Transition>(
      db_.query(std::string("SELECT ") + kAlarmsTransitionColumns +
                    " FROM alarm_transitions ORDER BY id DESC LIMIT $1",
                {alarms_limit(limit)}),
      alarms_read_transition);
}

// ---- bulk reads ----

core::Result<std::map<std::string, ValveInfo>> PostgresStore::valve_states() {
  auto rows = db_.query(
      "SELECT d.serial, d.value, (SELECT MAX(e.time) FROM events e WHERE e.serial=d.serial AND "
      "e.kind='valve') FROM diagnostics d WHERE d.function='status'");
  if (!rows) return rows.error();
  std::map<std::string, ValveInfo> out;
  for (int i = 0; i < rows->size(); ++i) {
    out[rows->text(i, 0)] = {rows->text(i, 1), rows->is_null(i, 2) ? 0 : rows->int64(i, 2)};
  }
  return out;
}

}  // namespace ml::server
