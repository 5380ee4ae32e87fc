// The alarm engine: templates, the evaluation round, user actions and the backtest (the contract
// is in alarm_round.hpp; docs/alarms.md).
#include "server/alarm_round.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "platform/tz/zone.hpp"

namespace ml::server {
namespace {

namespace al = core::alarm;
using core::Decimal;

// What a rule needs of a meter beyond the newest samples.
struct Needs {
  std::int64_t newest = al::kDefaultMedianSamples;  // samples for medians
  std::set<std::int64_t> windows;                   // delta/rate windows in seconds
  bool valve = false;
  bool credit = false;
  bool days_left = false;
  void add(const al::Rule& r) {
    for (const auto& n : r.nodes) {
      switch (n.kind) {
        case al::Kind::median:
          newest = std::max(newest, n.seconds);
          break;
        case al::Kind::delta:
        case al::Kind::rate:
          windows.insert(n.seconds);
          break;
        case al::Kind::valve:
          valve = true;
          break;
        case al::Kind::credit_kwh:
          credit = true;
          break;
        case al::Kind::days_left:
          days_left = true;
          break;
        default:
          break;
      }
    }
  }
};

std::optional<Decimal> median_of(std::vector<Decimal> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end(),
            [](const Decimal& a, const Decimal& b) { return compare(a, b) < 0; });
  const std::size_t mid = v.size() / 2;
  if (v.size() % 2 == 1) return v[mid];
  auto s = core::sum(v[mid - 1], v[mid]);
  if (!s) return std::nullopt;
  auto q = core::quotient(*s, Decimal{false, 2, 0}, std::max(1, s->decimals() + 1));
  if (!q) return std::nullopt;
  return *q;
}

// A zone per group, loaded once per round (the default when none is set or it does not load).
class Zones {
 public:
  explicit Zones(std::map<std::string, std::string> names) : names_(std::move(names)) {}
  const platform::Zone& of(const std::string& group, std::vector<AlarmProblem>* problems) {
    auto it = loaded_.find(group);
    if (it != loaded_.end()) return it->second;
    const auto name = names_.find(group);
    auto z =
        platform::load_zone(name == names_.end() ? std::string(kDefaultGroupZone) : name->second);
    if (!z) {
      if (problems != nullptr) {
        problems->push_back(
            {0, "group \"" + group + "\": " + z.error().text() + "; using Europe/Copenhagen"});
      }
      z = platform::load_zone(kDefaultGroupZone);
    }
    if (!z) {  // no tz database: every group in UTC
      z = platform::load_zone("UTC");
    }
    return loaded_.emplace(group, std::move(z).value()).first->second;
  }

 private:
  std::map<std::string, std::string> names_;
  std::map<std::string, platform::Zone> loaded_;
};

std::string notification_text(const AlarmRule& rule, const Meter& meter, al::Notify kind) {
  std::string what = kind == al::Notify::raised   ? "raised"
                     : kind == al::Notify::repeat ? "still active"
                                                  : "cleared";
  std::string m = meter.serial + (meter.name.empty() ? "" : " (" + meter.name + ")");
  return std::string(al::severity_name(rule.severity)) + ": " + rule.name + " " + what + " on " +
         m + ": " + rule.text;
}

bool applies(const AlarmRule& rule, const Meter& meter) {
  return rule.enabled && (rule.group.empty() || rule.group == meter.group);
}

// The credit and the days it lasts (the time-left estimate every screen shows,
// usecases/estimates.hpp), for a meter with ledger entries and a sample.
core::Status read_credit(ServerStore& store, const Meter& meter, const StoredSample* latest,
                         std::int64_t now, usecase::DailyUseCache* cache, MeterView& view) {
  auto payments = store.payments(meter.serial);
  if (!payments) return payments.error();
  if (payments->empty()) return core::Ok{};
  auto limit = open_until_limit(meter, *payments);
  if (!limit) return core::Ok{};  // an inexact ledger has no credit figure
  auto e = usecase::estimate_for(store, meter, *limit, latest, now, cache);
  if (!e) return e.error();
  view.credit_kwh = e->left;
  view.days_left = usecase::days_left_of(e->estimate);
  return core::Ok{};
}

}  // namespace

al::ValveState valve_state(const std::string& status) {
  if (status == "open") return al::ValveState::open;
  if (status == "close" || status == "closed") return al::ValveState::closed;
  return al::ValveState::unknown;
}

const AlarmTemplate* find_alarm_template(std::string_view name) {
  for (const auto& t : kAlarmTemplates)
    if (t.name == name) return &t;
  return nullptr;
}

std::optional<Decimal> key_value(const StoredSample& s, std::string_view key) {
  const auto parse = [](const std::optional<std::string>& t) -> std::optional<Decimal> {
    if (!t) return std::nullopt;
    auto d = Decimal::parse(*t);
    if (!d) return std::nullopt;
    return *d;
  };
  if (key == "e1") return parse(s.energy_kwh);
  if (key == "v1") return parse(s.volume_m3);
  const auto it = s.values.find(std::string(key));
  if (it == s.values.end()) return std::nullopt;
  auto v = parse(it->second);
  if (!v) return std::nullopt;
  const auto unit = s.units.find(std::string(key));
  const al::KeyRow* row = al::find_key(key);
  if (row == nullptr) return std::nullopt;
  if (unit == s.units.end() || unit->second.empty()) {
    if (row->dim == al::Dim::time) return std::nullopt;  // hr without a unit: hours or seconds?
    return v;
  }
  for (const auto& u : al::kUnits) {
    if (u.name != unit->second || u.dim != row->dim) continue;
    auto factor = Decimal::parse(u.factor);
    if (!factor) return std::nullopt;
    auto p = core::product(*v, *factor);
    if (!p) return std::nullopt;
    return *p;
  }
  return std::nullopt;
}

core::Result<ParsedRule> parse_stored_rule(const AlarmRule& row) {
  auto rule = al::parse_rule(row.text);
  if (!rule) {
    return core::make_error(core::Errc::invalid_argument,
                            "rule #" + std::to_string(row.id) + " \"" + row.name +
                                "\" no longer parses: " + rule.error().text());
  }
  auto quiet = al::parse_quiet_hours(row.quiet);
  if (!quiet) {
    return core::make_error(core::Errc::invalid_argument,
                            "rule #" + std::to_string(row.id) + ": " + quiet.error().text());
  }
  return ParsedRule{std::move(rule).value(), *quiet};
}

al::Step evaluate_and_step(const al::Rule& rule, const AlarmRule& settings, const MeterView& view,
                           const al::State& state, std::int64_t now, bool quiet) {
  const auto& samples = *view.samples;
  const std::size_t end = view.end;
  al::Context ctx;
  ctx.median = [&](std::string_view key, std::int64_t count) -> std::optional<Decimal> {
    std::vector<Decimal> values;
    for (std::size_t i = end; i > 0 && static_cast<std::int64_t>(values.size()) < count; --i) {
      if (auto v = key_value(samples[i - 1], key)) values.push_back(*v);
    }
    return median_of(std::move(values));
  };
  ctx.delta = [&](std::string_view key, std::int64_t seconds) -> std::optional<Decimal> {
    if (end == 0) return std::nullopt;
    const StoredSample& newest = samples[end - 1];
    const auto last = key_value(newest, key);
    if (!last) return std::nullopt;
    const std::int64_t start = newest.time - seconds;
    for (std::size_t i = 0; i + 1 < end; ++i) {
      if (samples[i].time < start) continue;
      const auto first = key_value(samples[i], key);
      if (!first) continue;
      auto d = core::difference(*last, *first);
      if (!d) return std::nullopt;
      return *d;
    }
    return std::nullopt;
  };
  if (end > 0) ctx.age = std::max<std::int64_t>(0, now - samples[end - 1].time);
  ctx.credit_kwh = view.credit_kwh;
  ctx.days_left = view.days_left;
  ctx.valve = view.valve;
  if (view.valve_since) ctx.valve_seconds = std::max<std::int64_t>(0, now - *view.valve_since);
  ctx.held = [&](std::size_t node) -> std::int64_t {
    const auto it = state.held.find(node);
    return it == state.held.end() ? 0 : std::max<std::int64_t>(0, now - it->second);
  };
  const al::Outcome out = al::evaluate(rule, ctx);
  al::State next = state;
  for (const auto& [node, inner] : out.inner) {
    if (!inner) {
      next.held.erase(node);
    } else if (!next.held.contains(node)) {
      next.held[node] = now;
    }
  }
  return al::step(next, out.fires, now, {settings.severity, settings.settle_s, settings.repeat_s},
                  quiet);
}

core::Result<RoundResult> run_alarm_round(ServerStore& store, std::int64_t now,
                                          const RoundOptions& options) {
  RoundResult result;
  struct Change {
    al::Step step;
    const AlarmRule* rule;
    const Meter* meter;
  };
  std::vector<AlarmRule> rows;
  std::vector<ParsedRule> parsed;  // parallel to usable
  std::vector<const AlarmRule*> usable;
  std::vector<Meter> meters;
  std::vector<Change> changes;
  const core::Status read_snapshot_done = store.read_snapshot([&]() -> core::Status {
    auto r = store.alarm_rules();
    if (!r) return r.error();
    rows = std::move(r).value();
    for (const auto& row : rows) {
      if (!row.enabled) continue;
      auto p = parse_stored_rule(row);
      if (!p) {
        result.problems.push_back({row.id, p.error().text()});
        continue;
      }
      parsed.push_back(std::move(p).value());
      usable.push_back(&row);
      if (!options.channel_names) continue;
      for (const auto& name : row.channels) {
        const auto& known = *options.channel_names;
        if (std::find(known.begin(), known.end(), name) != known.end()) continue;
        std::string list;
        for (const auto& n : known)
          list += (list.empty() ? "" : ", ") + n;
        result.problems.push_back(
            {row.id, "rule #" + std::to_string(row.id) + " \"" + row.name + "\" names channel \"" +
                         name + "\", which is not configured (" +
                         (list.empty() ? std::string("none is") : list + " are") +
                         "): its notifications do not go out there"});
      }
    }
    if (usable.empty()) return core::Ok{};
    auto zone_names = store.group_zones();
    if (!zone_names) return zone_names.error();
    Zones zones(std::move(zone_names).value());
    auto m = store.meters();
    if (!m) return m.error();
    meters = std::move(m).value();
    auto st = store.alarm_states();
    if (!st) return st.error();
    std::map<std::pair<std::int64_t, std::string>, al::State> states;
    for (auto& s : *st) {
      auto key = std::make_pair(s.rule_id, s.serial);
      states.emplace(std::move(key), std::move(s));
    }
    std::map<std::string, ValveInfo> valves;
    bool any_valve = false;
    for (const auto& p : parsed) {
      Needs n;
      n.add(p.rule);
      any_valve = any_valve || n.valve;
    }
    if (any_valve) {
      auto v = store.valve_states();
      if (!v) return v.error();
      valves = std::move(v).value();
    }
    std::vector<StoredSample> samples;
    for (const auto& meter : meters) {
      Needs needs;
      std::vector<std::size_t> mine;
      for (std::size_t i = 0; i < usable.size(); ++i) {
        if (!applies(*usable[i], meter)) continue;
        mine.push_back(i);
        needs.add(parsed[i].rule);
      }
      if (mine.empty()) continue;
      ++result.meters;
      auto newest = store.newest_samples(meter.serial, needs.newest);
      if (!newest) return newest.error();
      samples.assign(newest->rbegin(), newest->rend());
      if (!samples.empty()) {
        const std::int64_t latest = samples.back().time;
        for (const std::int64_t w : needs.windows) {
          if (samples.front().time <= latest - w) continue;  // already in what was read
          auto first = store.first_sample_since(meter.serial, latest - w);
          if (!first) return first.error();
          if (*first && (*first)->time < samples.front().time) {
            samples.insert(samples.begin(), std::move(**first));
          }
        }
      }
      MeterView view;
      view.meter = &meter;
      view.samples = &samples;
      view.end = samples.size();
      if (meter.valve_installed) {
        const auto v = valves.find(meter.serial);
        if (v != valves.end()) {
          view.valve = valve_state(v->second.status);
          if (v->second.since > 0) view.valve_since = v->second.since;
        }
      }
      if (needs.credit || needs.days_left) {
        ML_TRY(read_credit(store, meter, samples.empty() ? nullptr : &samples.back(), now,
                           options.daily_use, view));
      }
      const platform::Zone& zone = zones.of(meter.group, &result.problems);
      for (const std::size_t i : mine) {
        const AlarmRule& rule = *usable[i];
        al::State prev;
        const auto it = states.find({rule.id, meter.serial});
        if (it != states.end()) {
          prev = it->second;
        } else {
          prev.rule_id = rule.id;
          prev.serial = meter.serial;
        }
        const bool quiet = al::is_quiet(parsed[i].quiet, now, zone);
        al::Step s = evaluate_and_step(parsed[i].rule, rule, view, prev, now, quiet);
        ++result.evaluations;
        if (s.state == prev && s.transitions.empty() && !s.notify) continue;
        if (it == states.end() && !s.new_episode && s.state.held.empty()) continue;
        changes.push_back({std::move(s), &rule, &meter});
      }
    }
    return core::Ok{};
  });
  if (!read_snapshot_done) return read_snapshot_done.error();
  if (changes.empty()) return result;
  std::vector<AlarmNotification> notes;
  const core::Status write_transaction_done = store.write_transaction([&]() -> core::Status {
    notes.clear();
    for (auto& c : changes) {
      al::Step& s = c.step;
      if (s.new_episode) {
        auto id = store.new_alarm_episode(s.state.rule_id, s.state.serial, now);
        if (!id) return id.error();
        s.state.episode = *id;
        for (auto& t : s.transitions)
          t.episode = *id;
      }
      ML_TRY(store.write_alarm_state(s.state));
      for (const auto& t : s.transitions)
        ML_TRY(store.append_alarm_transition(t));
      if (s.notify) {
        notes.push_back({s.state.episode, c.rule->id, c.rule->name, c.meter->serial,
                         c.rule->severity, *s.notify, now,
                         notification_text(*c.rule, *c.meter, *s.notify), c.rule->recipients,
                         c.rule->channels});
        if (options.hand_off) ML_TRY(options.hand_off(notes.back()));
      }
    }
    return core::Ok{};
  });
  if (!write_transaction_done) return write_transaction_done.error();
  for (const auto& c : changes)
    result.transitions += static_cast<std::int64_t>(c.step.transitions.size());
  result.notifications = std::move(notes);
  return result;
}

// ---- user actions ----

namespace {

core::Status user_step(ServerStore& store, std::int64_t episode,
                       const std::function<core::Result<al::Step>(const al::State&)>& act) {
  return store.write_transaction([&]() -> core::Status {
    auto s = store.alarm_episode(episode);
    if (!s) return s.error();
    if (!*s) {
      return core::make_error(core::Errc::invalid_argument,
                              "no alarm " + std::to_string(episode) +
                                  " (`meterlogger-server alarms list` shows the open ones)");
    }
    auto step = act(**s);
    if (!step) return step.error();
    ML_TRY(store.write_alarm_state(step->state));
    for (const auto& t : step->transitions)
      ML_TRY(store.append_alarm_transition(t));
    return core::Ok{};
  });
}

}  // namespace

core::Status acknowledge_alarm(ServerStore& store, std::int64_t episode, const std::string& user,
                               const std::string& note, std::int64_t now) {
  return user_step(store, episode,
                   [&](const al::State& s) { return al::acknowledge(s, user, note, now); });
}

core::Status snooze_alarm(ServerStore& store, std::int64_t episode, std::int64_t until,
                          const std::string& user, std::int64_t now) {
  return user_step(store, episode,
                   [&](const al::State& s) { return al::snooze(s, until, user, now); });
}

namespace {

// Clears the open alarms of rule `id` that `which` picks, each with a transition by `user`
// noting `note`; inside the caller's write transaction.
core::Status clear_open_alarms(ServerStore& store, std::int64_t id,
                               const std::function<bool(const al::State&)>& which,
                               const std::string& note, const std::string& user, std::int64_t now) {
  auto open = store.open_alarms();
  if (!open) return open.error();
  for (auto& s : *open) {
    if (s.rule_id != id || !which(s)) continue;
    al::Transition t;
    t.episode = s.episode;
    t.rule_id = s.rule_id;
    t.serial = s.serial;
    t.time = now;
    t.from = s.status;
    t.to = al::Status::cleared;
    t.actor = user;
    t.note = note;
    s.status = al::Status::cleared;
    s.next_repeat = 0;
    ML_TRY(store.write_alarm_state(s));
    ML_TRY(store.append_alarm_transition(t));
  }
  return core::Ok{};
}

}  // namespace

core::Status set_alarm_rule_enabled(ServerStore& store, std::int64_t id, bool enabled,
                                    const std::string& user, std::int64_t now) {
  return store.write_transaction([&]() -> core::Status {
    auto rule = store.alarm_rule(id);
    if (!rule) return rule.error();
    if (!*rule) {
      return core::make_error(core::Errc::invalid_argument,
                              "no alarm rule " + std::to_string(id) +
                                  " (`meterlogger-server alarms rules` lists them)");
    }
    (*rule)->enabled = enabled;
    ML_TRY(store.update_alarm_rule(**rule));
    if (enabled) return core::Ok{};
    return clear_open_alarms(
        store, id, [](const al::State&) { return true; }, "rule disabled", user, now);
  });
}

core::Status check_alarm_rule(AlarmRule& rule, const std::vector<std::string>& channel_names) {
  const auto bad = [](const std::string& what) {
    return core::make_error(core::Errc::invalid_argument, what);
  };
  if (rule.name.empty() || rule.name.size() > 100) return bad("name: 1 to 100 characters");
  auto parsed = al::parse_rule(rule.text);
  if (!parsed) return bad("rule: " + parsed.error().text());
  rule.text = al::print_rule(*parsed);
  auto quiet = al::parse_quiet_hours(rule.quiet);
  if (!quiet) return quiet.error();
  rule.quiet = al::print_quiet_hours(*quiet);
  if (rule.settle_s < 0 || rule.settle_s > 7 * 86400) return bad("settle: 0 s to 7 d");
  if (rule.repeat_s < 60 || rule.repeat_s > al::kMaxRepeatSeconds) {
    return bad("repeat: 1 min to 24 h");
  }
  std::vector<AlarmRecipient> recipients;
  for (const auto& row : kAlarmRecipients) {
    if (std::find(rule.recipients.begin(), rule.recipients.end(), row.kind) !=
        rule.recipients.end())
      recipients.push_back(row.kind);
  }
  if (recipients.empty()) return bad("to: give operators, customer or both");
  rule.recipients = std::move(recipients);
  std::vector<std::string> channels;
  for (const auto& name : rule.channels) {
    if (std::find(channel_names.begin(), channel_names.end(), name) == channel_names.end()) {
      std::string known;
      for (const auto& n : channel_names)
        known += (known.empty() ? "" : ", ") + n;
      return bad("channel: \"" + name.substr(0, 40) + "\" is not a [[notify.channel]] (" +
                 (known.empty() ? std::string("none is configured") : "configured: " + known) +
                 ")");
    }
    if (std::find(channels.begin(), channels.end(), name) == channels.end())
      channels.push_back(name);
  }
  rule.channels = std::move(channels);
  return core::Ok{};
}

core::Result<std::int64_t> add_alarm_rule(ServerStore& store, AlarmRule rule,
                                          const std::vector<std::string>& channel_names) {
  ML_TRY(check_alarm_rule(rule, channel_names));
  return store.insert_alarm_rule(rule);
}

core::Status edit_alarm_rule(ServerStore& store, AlarmRule rule,
                             const std::vector<std::string>& channel_names, const std::string& user,
                             std::int64_t now) {
  ML_TRY(check_alarm_rule(rule, channel_names));
  return store.write_transaction([&]() -> core::Status {
    auto old = store.alarm_rule(rule.id);
    if (!old) return old.error();
    if (!*old) {
      return core::make_error(core::Errc::invalid_argument,
                              "no alarm rule " + std::to_string(rule.id) +
                                  " (`meterlogger-server alarms rules` lists them)");
    }
    ML_TRY(store.update_alarm_rule(rule));
    if ((*old)->text != rule.text) {
      auto states = store.alarm_states();
      if (!states) return states.error();
      for (auto& s : *states) {
        if (s.rule_id != rule.id || s.held.empty()) continue;
        s.held.clear();
        ML_TRY(store.write_alarm_state(s));
      }
    }
    if ((*old)->group == rule.group || rule.group.empty()) return core::Ok{};
    // Moved to another group: the open alarms of meters outside it are cleared.
    auto meters = store.meters();
    if (!meters) return meters.error();
    std::map<std::string, std::string> group_of;
    for (const auto& m : *meters)
      group_of[m.serial] = m.group;
    return clear_open_alarms(
        store, rule.id,
        [&](const al::State& s) {
          const auto it = group_of.find(s.serial);
          return it == group_of.end() || it->second != rule.group;
        },
        "rule moved to group " + rule.group, user, now);
  });
}

core::Status set_group_zone(ServerStore& store, const std::string& group, const std::string& zone) {
  auto z = platform::load_zone(zone);
  if (!z) {
    return core::make_error(core::Errc::invalid_argument,
                            z.error().text() + " (give an IANA name such as Europe/Copenhagen)");
  }
  return store.set_group_zone(group, zone);
}

// ---- backtest ----

core::Result<std::vector<BacktestEvent>> backtest(ServerStore& store, const AlarmRule& row,
                                                  const std::string& serial, std::int64_t from,
                                                  std::int64_t to) {
  if (to < from) return core::make_error(core::Errc::invalid_argument, "--to is before --from");
  if ((to - from) / 60 > kMaxBacktestMinutes) {
    return core::make_error(core::Errc::invalid_argument,
                            "at most 93 days at a time: give a shorter --from/--to");
  }
  auto parsed = parse_stored_rule(row);
  if (!parsed) return parsed.error();
  Needs needs;
  needs.add(parsed->rule);
  std::vector<StoredSample> samples;
  std::vector<Event> events;
  std::optional<Meter> meter;
  std::map<std::string, std::string> zone_names;
  const core::Status read_snapshot_done = store.read_snapshot([&]() -> core::Status {
    auto m = store.meter(serial);
    if (!m) return m.error();
    if (!*m) {
      return core::make_error(core::Errc::invalid_argument,
                              "no meter " + serial + " (`meterlogger-server meters list`)");
    }
    meter = std::move(*m);
    const std::int64_t reach =
        std::max<std::int64_t>(needs.windows.empty() ? 0 : *needs.windows.rbegin(), 2 * 86400);
    auto s = store.samples(serial, from - reach, to);
    if (!s) return s.error();
    samples = std::move(s).value();
    auto e = store.events(serial);
    if (!e) return e.error();
    events = std::move(e).value();
    auto z = store.group_zones();
    if (!z) return z.error();
    zone_names = std::move(z).value();
    return core::Ok{};
  });
  if (!read_snapshot_done) return read_snapshot_done.error();
  Zones zones(std::move(zone_names));
  const platform::Zone& zone = zones.of(meter->group, nullptr);
  std::vector<std::pair<std::int64_t, std::string>> valve_changes;  // time, new state
  for (const auto& e : events) {
    if (e.kind != "valve") continue;
    const auto arrow = e.detail.rfind("-> ");
    valve_changes.emplace_back(e.time,
                               arrow == std::string::npos ? e.detail : e.detail.substr(arrow + 3));
  }
  std::stable_sort(valve_changes.begin(), valve_changes.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<BacktestEvent> out;
  al::State state;
  state.rule_id = row.id;
  state.serial = serial;
  std::int64_t episodes = 0;
  std::size_t end = 0;
  std::size_t valve_i = 0;
  for (std::int64_t t = from; t <= to; t += 60) {
    while (end < samples.size() && samples[end].time <= t)
      ++end;
    while (valve_i < valve_changes.size() && valve_changes[valve_i].first <= t)
      ++valve_i;
    MeterView view;
    view.meter = &*meter;
    view.samples = &samples;
    view.end = end;
    if (meter->valve_installed && valve_i > 0) {
      view.valve = valve_state(valve_changes[valve_i - 1].second);
      view.valve_since = valve_changes[valve_i - 1].first;
    }
    al::Step s =
        evaluate_and_step(parsed->rule, row, view, state, t, al::is_quiet(parsed->quiet, t, zone));
    if (s.new_episode) {
      s.state.episode = ++episodes;
      for (auto& tr : s.transitions)
        tr.episode = s.state.episode;
    }
    if (!s.transitions.empty() || s.notify) out.push_back({t, s.transitions, s.notify});
    state = std::move(s.state);
  }
  return out;
}

}  // namespace ml::server
