// SqliteStore: alarm rules, group time zones, alarm states and the transitions log
// (store/alarms.hpp). Severities and statuses are stored by their names; a state's `for` times
// as "node:since,node:since"; a rule's recipients and channels as comma-separated names.
#include <charconv>

#include "server/sample_record.hpp"
#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {
namespace {

namespace sq = platform::sqlite;
namespace al = core::alarm;
using namespace sqlite_rows;

constexpr const char* kRuleColumns =
    "id, name, grp, text, severity, settle_s, repeat_s, quiet, enabled, template, recipients, "
    "channels";
constexpr const char* kStateColumns =
    "rule_id, serial, episode, status, raised, last_true, acked_by, ack_note, snoozed_until, "
    "next_repeat, repeat_count, held";
constexpr const char* kTransitionColumns =
    "id, episode, rule_id, serial, time, from_status, to_status, actor, note";

core::Error bad_row(const std::string& what, std::int64_t id, const std::string& value) {
  return core::make_error(core::Errc::invalid_argument,
                          what + " of #" + std::to_string(id) + " \"" + value + "\" is not one");
}

std::vector<std::string> split_names(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    if (comma != 0) out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return out;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

std::string encode_recipients(const std::vector<AlarmRecipient>& recipients) {
  std::vector<std::string> names;
  for (const auto r : recipients)
    names.emplace_back(alarm_recipient_name(r));
  return join_names(names);
}

core::Result<AlarmRule> read_rule(const sq::Statement& q) {
  AlarmRule r;
  r.id = q.int64(0);
  r.name = q.text(1);
  r.group = q.text(2);
  r.text = q.text(3);
  const std::string sev = q.text(4);
  const auto s = al::severity_from_name(sev);
  if (!s) return bad_row("the severity of alarm rule", r.id, sev);
  r.severity = *s;
  r.settle_s = q.int64(5);
  r.repeat_s = q.int64(6);
  r.quiet = q.text(7);
  r.enabled = q.int64(8) != 0;
  r.template_name = q.text(9);
  r.recipients.clear();
  for (const auto& name : split_names(q.text(10))) {
    const auto kind = alarm_recipient_from_name(name);
    if (!kind) return bad_row("a recipient of alarm rule", r.id, name);
    r.recipients.push_back(*kind);
  }
  r.channels = split_names(q.text(11));
  return r;
}

std::string encode_held(const std::map<std::size_t, std::int64_t>& held) {
  std::string out;
  for (const auto& [node, since] : held) {
    if (!out.empty()) out += ',';
    out += std::to_string(node) + ":" + std::to_string(since);
  }
  return out;
}

// Entries that do not read are dropped (a `for` time then starts again).
std::map<std::size_t, std::int64_t> decode_held(std::string_view text) {
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

core::Result<al::State> read_state(const sq::Statement& q) {
  al::State s;
  s.rule_id = q.int64(0);
  s.serial = q.text(1);
  s.episode = q.int64(2);
  const std::string st = q.text(3);
  const auto status = al::status_from_name(st);
  if (!status) return bad_row("the status of alarm episode", s.episode, st);
  s.status = *status;
  s.raised = q.int64(4);
  s.last_true = q.int64(5);
  s.acked_by = q.text(6);
  s.ack_note = q.text(7);
  s.snoozed_until = q.int64(8);
  s.next_repeat = q.int64(9);
  s.repeat_count = q.int64(10);
  s.held = decode_held(q.text(11));
  return s;
}

core::Result<al::Transition> read_transition(const sq::Statement& q) {
  al::Transition t;
  t.id = q.int64(0);
  t.episode = q.int64(1);
  t.rule_id = q.int64(2);
  t.serial = q.text(3);
  t.time = q.int64(4);
  const std::string from = q.text(5);
  if (!from.empty()) {
    const auto f = al::status_from_name(from);
    if (!f) return bad_row("the from-status of alarm transition", t.id, from);
    t.from = *f;
  }
  const std::string to = q.text(6);
  const auto s = al::status_from_name(to);
  if (!s) return bad_row("the to-status of alarm transition", t.id, to);
  t.to = *s;
  t.actor = q.text(7);
  t.note = q.text(8);
  return t;
}

template <class T, class Read>
core::Result<std::vector<T>> read_rows(sq::Statement& q, Read read) {
  std::vector<T> out;
  std::optional<core::Error> bad;
  auto stepped = each_row(q, [&] {
    auto row = read(q);
    if (row) {
      out.push_back(std::move(row).value());
    } else if (!bad) {
      bad = row.error();
    }
  });
  q.reset();
  if (!stepped) return stepped.error();
  if (bad) return *bad;
  return out;
}

void bind_rule(sq::Statement& q, const AlarmRule& r) {
  q.bind(1, r.name)
      .bind(2, r.group)
      .bind(3, r.text)
      .bind(4, al::severity_name(r.severity))
      .bind(5, r.settle_s)
      .bind(6, r.repeat_s)
      .bind(7, r.quiet)
      .bind(8, std::int64_t{r.enabled ? 1 : 0})
      .bind(9, r.template_name)
      .bind(10, encode_recipients(r.recipients))
      .bind(11, join_names(r.channels));
}

}  // namespace

// ---- rules ----

core::Result<std::int64_t> SqliteStore::insert_alarm_rule(const AlarmRule& r) {
  auto q = db_.prepare(
      "INSERT INTO alarm_rules(name, grp, text, severity, settle_s, repeat_s, quiet, enabled, "
      "template, recipients, channels) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  if (!q) return q.error();
  bind_rule(*q, r);
  ML_TRY(q->run());
  return db_.last_insert_id();
}

core::Status SqliteStore::update_alarm_rule(const AlarmRule& r) {
  auto q = db_.prepare(
      "UPDATE alarm_rules SET name=?, grp=?, text=?, severity=?, settle_s=?, repeat_s=?, quiet=?, "
      "enabled=?, template=?, recipients=?, channels=? WHERE id=?");
  if (!q) return q.error();
  bind_rule(*q, r);
  ML_TRY(q->bind(12, r.id).run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no alarm rule #" + std::to_string(r.id));
  }
  return core::Ok{};
}

core::Status SqliteStore::remove_alarm_rule(std::int64_t id) {
  auto q = db_.prepare("DELETE FROM alarm_rules WHERE id=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, id).run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no alarm rule #" + std::to_string(id));
  }
  auto s = db_.prepare("DELETE FROM alarm_states WHERE rule_id=?");
  if (!s) return s.error();
  return s->bind(1, id).run();
}

core::Result<std::optional<AlarmRule>> SqliteStore::alarm_rule(std::int64_t id) {
  auto q = db_.prepare(std::string("SELECT ") + kRuleColumns + " FROM alarm_rules WHERE id=?");
  if (!q) return q.error();
  q->bind(1, id);
  auto rows = read_rows<AlarmRule>(*q, read_rule);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<AlarmRule>{};
  return std::optional<AlarmRule>(std::move(rows->front()));
}

core::Result<std::vector<AlarmRule>> SqliteStore::alarm_rules() {
  auto q = db_.prepare(std::string("SELECT ") + kRuleColumns + " FROM alarm_rules ORDER BY id");
  if (!q) return q.error();
  return read_rows<AlarmRule>(*q, read_rule);
}

// ---- group time zones ----

core::Status SqliteStore::set_group_zone(const std::string& group, const std::string& zone) {
  auto q = db_.prepare(
      "INSERT INTO group_zones(grp, zone) VALUES(?,?) "
      "ON CONFLICT(grp) DO UPDATE SET zone=excluded.zone");
  if (!q) return q.error();
  return q->bind(1, group).bind(2, zone).run();
}

core::Result<std::map<std::string, std::string>> SqliteStore::group_zones() {
  auto q = db_.prepare("SELECT grp, zone FROM group_zones ORDER BY grp");
  if (!q) return q.error();
  std::map<std::string, std::string> out;
  ML_TRY(each_row(*q, [&] { out[q->text(0)] = q->text(1); }));
  return out;
}

// ---- states ----

core::Status SqliteStore::write_alarm_state(const al::State& s) {
  auto q = cached(
      "INSERT INTO alarm_states(rule_id, serial, episode, status, raised, last_true, acked_by, "
      "ack_note, snoozed_until, next_repeat, repeat_count, held) VALUES(?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(rule_id, serial) DO UPDATE SET episode=excluded.episode, "
      "status=excluded.status, raised=excluded.raised, last_true=excluded.last_true, "
      "acked_by=excluded.acked_by, ack_note=excluded.ack_note, "
      "snoozed_until=excluded.snoozed_until, next_repeat=excluded.next_repeat, "
      "repeat_count=excluded.repeat_count, held=excluded.held");
  if (!q) return q.error();
  return (*q)
      ->bind(1, s.rule_id)
      .bind(2, s.serial)
      .bind(3, s.episode)
      .bind(4, al::status_name(s.status))
      .bind(5, s.raised)
      .bind(6, s.last_true)
      .bind(7, s.acked_by)
      .bind(8, s.ack_note)
      .bind(9, s.snoozed_until)
      .bind(10, s.next_repeat)
      .bind(11, s.repeat_count)
      .bind(12, encode_held(s.held))
      .run();
}

core::Status SqliteStore::remove_alarm_state(std::int64_t rule_id, const std::string& serial) {
  auto q = cached("DELETE FROM alarm_states WHERE rule_id=? AND serial=?");
  if (!q) return q.error();
  return (*q)->bind(1, rule_id).bind(2, serial).run();
}

core::Result<std::vector<al::State>> SqliteStore::alarm_states() {
  auto q = db_.prepare(std::string("SELECT ") + kStateColumns +
                       " FROM alarm_states ORDER BY rule_id, serial");
  if (!q) return q.error();
  return read_rows<al::State>(*q, read_state);
}

core::Result<std::vector<al::State>> SqliteStore::open_alarms() {
  auto q = db_.prepare(std::string("SELECT ") + kStateColumns +
                       " FROM alarm_states WHERE episode<>0 AND status<>'cleared' "
                       "ORDER BY raised DESC, episode DESC");
  if (!q) return q.error();
  return read_rows<al::State>(*q, read_state);
}

core::Result<std::optional<al::State>> SqliteStore::alarm_episode(std::int64_t episode) {
  auto q = db_.prepare(std::string("SELECT ") + kStateColumns +
                       " FROM alarm_states WHERE episode=? AND episode<>0");
  if (!q) return q.error();
  q->bind(1, episode);
  auto rows = read_rows<al::State>(*q, read_state);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<al::State>{};
  return std::optional<al::State>(std::move(rows->front()));
}

core::Result<std::int64_t> SqliteStore::new_alarm_episode(std::int64_t rule_id,
                                                          const std::string& serial,
                                                          std::int64_t time) {
  auto q = cached("INSERT INTO alarm_episodes(rule_id, serial, raised) VALUES(?,?,?)");
  if (!q) return q.error();
  ML_TRY((*q)->bind(1, rule_id).bind(2, serial).bind(3, time).run());
  return db_.last_insert_id();
}

// ---- transitions ----

core::Status SqliteStore::append_alarm_transition(const al::Transition& t) {
  auto q = cached(
      "INSERT INTO alarm_transitions(episode, rule_id, serial, time, from_status, to_status, "
      "actor, note) VALUES(?,?,?,?,?,?,?,?)");
  if (!q) return q.error();
  return (*q)
      ->bind(1, t.episode)
      .bind(2, t.rule_id)
      .bind(3, t.serial)
      .bind(4, t.time)
      .bind(5, t.from ? al::status_name(*t.from) : std::string_view(""))
      .bind(6, al::status_name(t.to))
      .bind(7, t.actor)
      .bind(8, t.note)
      .run();
}

core::Result<std::vector<al::Transition>> SqliteStore::alarm_transitions_of_meter(
    const std::string& serial, int limit) {
  auto q = db_.prepare(std::string("SELECT ") + kTransitionColumns +
                       " FROM alarm_transitions WHERE serial=? ORDER BY id DESC LIMIT ?");
  if (!q) return q.error();
  q->bind(1, serial).bind(2, std::int64_t{limit});
  return read_rows<al::Transition>(*q, read_transition);
}

core::Result<std::vector<al::Transition>> SqliteStore::alarm_transitions_of_episode(
    std::int64_t episode) {
  auto q = db_.prepare(std::string("SELECT ") + kTransitionColumns +
                       " FROM alarm_transitions WHERE episode=? ORDER BY id DESC");
  if (!q) return q.error();
  q->bind(1, episode);
  return read_rows<al::Transition>(*q, read_transition);
}

core::Result<std::vector<al::Transition>> SqliteStore::recent_alarm_transitions(int limit) {
  auto q = db_.prepare(std::string("SELECT ") + kTransitionColumns +
                       " FROM alarm_transitions ORDER BY id DESC LIMIT ?");
  if (!q) return q.error();
  q->bind(1, std::int64_t{limit});
  return read_rows<al::Transition>(*q, read_transition);
}

// ---- bulk reads ----

core::Result<std::map<std::string, ValveInfo>> SqliteStore::valve_states() {
  auto q = db_.prepare(
      "SELECT d.serial, d.value, (SELECT MAX(e.time) FROM events e WHERE e.serial=d.serial AND "
      "e.kind='valve') FROM diagnostics d WHERE d.function='status'");
  if (!q) return q.error();
  std::map<std::string, ValveInfo> out;
  ML_TRY(each_row(*q, [&] { out[q->text(0)] = {q->text(1), q->is_null(2) ? 0 : q->int64(2)}; }));
  return out;
}

}  // namespace ml::server
