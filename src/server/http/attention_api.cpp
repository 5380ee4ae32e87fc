// The "needs attention" route of the HTTP API (docs/api.md, "Needs attention"): what needs an
// operator now, for the meters the caller looks after: the open alarms (critical first), the
// meters offline, running out of credit, closed with credit left or still open with none, the
// devices whose messages were rejected in the last day, the commands sent long ago with no reply,
// and the fleet's counts and energy per group. The meters' facts are read as the meter list
// reads them (views.hpp), for the whole fleet at once, and kept (fleet_summary.hpp: beyond
// [http] attention_cache_above meters a page answers from the newest snapshot, `as_of`); the
// alarms, rejections and unanswered commands are read for each page, in one read each; the
// sorting and sums are server/attention.hpp (pure).
//
// Who sees what: an admin the meters of their groups (every group: `*`); a viewer, who has no
// groups, every meter (docs/api.md, "Roles"). Rows about a serial that is no meter (an unknown
// device) are for an admin of every group only, as /api/unknown-serials is for admins.
#include <algorithm>
#include <map>
#include <span>
#include <string_view>
#include <unordered_map>

#include "core/alarm/lifecycle.hpp"
#include "server/attention.hpp"
#include "server/estimate.hpp"
#include "server/http/api.hpp"
#include "server/http/api_support.hpp"
#include "server/http/fleet_summary.hpp"
#include "server/http/views.hpp"
#include "server/usecases/estimates.hpp"

namespace ml::server::http {
namespace {

namespace al = core::alarm;

// A command sent this long ago (first send) with no reply needs a look.
constexpr std::int64_t kUnansweredAfterS = 15 * 60;
// Rejections whose newest came this long ago or less.
constexpr std::int64_t kRejectedWindowS = 24 * 3600;
// At most this many rejection rows and unanswered commands are read (the counts say "at least"
// beyond it: docs/api.md).
constexpr int kMaxFleetRows = 20000;

// Whether `user` looks after meters of `group`.
bool looks_after(const User& user, const std::string& group) {
  if (user.role == Role::viewer && user.groups.empty()) return true;
  return std::any_of(user.groups.begin(), user.groups.end(),
                     [&](const std::string& g) { return g == "*" || g == group; });
}

std::optional<core::Decimal> decimal_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  auto d = core::Decimal::parse(it->get<std::string>());
  if (!d) return std::nullopt;
  return *d;
}

// A capped list: its first kListLimit rows.
void push_capped(json& list, json row) {
  if (list.size() < static_cast<std::size_t>(kListLimit)) list.push_back(std::move(row));
}

}  // namespace

core::Result<FleetSnapshot> Api::read_fleet(ServerStore& store, std::int64_t now) {
  auto all = store.meters();
  if (!all) return all.error();
  // The facts of each meter, as the meter list shows them.
  const std::int64_t today = estimate::day_of(now);
  const auto civil = estimate::civil_from_days(today);
  const std::int64_t month_start = estimate::days_from_civil(civil.year, civil.month, 1);
  const std::int64_t first_day = today - kSummaryDays;  // one more: the use across midnight
  FleetSnapshot out;
  out.as_of = now;
  out.meters.reserve(all->size());
  out.texts.reserve(all->size());
  auto text = [](const json& v, const char* key) -> std::optional<std::string> {
    auto it = v.find(key);
    if (it == v.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  // What the views need, in one read each for the whole fleet (the estimates' history aside,
  // which daily_use_ keeps between readings).
  auto reads = read_every_meter(store, *all, now);
  if (!reads) return reads.error();
  auto day_rollups = store.every_rollup(Period::day, first_day * estimate::kDaySeconds, now);
  if (!day_rollups) return day_rollups.error();
  // Each meter's rollups are a run of the list (by serial): read where they are, not copied.
  std::unordered_map<std::string_view, std::span<const Rollup>> days_of;
  days_of.reserve(all->size());
  for (auto it = day_rollups->begin(); it != day_rollups->end();) {
    auto end = std::find_if(it, day_rollups->end(),
                            [&](const Rollup& r) { return r.serial != it->serial; });
    days_of.emplace(it->serial, std::span<const Rollup>(&*it, static_cast<std::size_t>(end - it)));
    it = end;
  }
  for (const Meter& m : *all) {
    auto v = meter_view(store, m, reads->at(m.serial), now, config_.http.offline_after_s, false,
                        &daily_use_);
    if (!v) return v.error();
    MeterFacts f;
    f.serial = m.serial;
    f.name = m.name;
    f.group = m.group;
    f.water = m.kind == core::meter::Kind::water;
    f.online = v->value("online", false);
    f.last_seen = v->value("last_seen", std::int64_t{0});
    f.valve_installed = m.valve_installed;
    if (auto it = v->find("valve"); it != v->end() && it->is_string()) f.valve = *it;
    f.remaining = decimal_of(*v, "remaining");
    f.days_left = decimal_of(*v, "days_left");
    auto days = days_of.find(m.serial);
    f.daily = usecase::daily_use(days == days_of.end() ? std::span<const Rollup>() : days->second,
                                 f.water);
    FleetSnapshot::Texts t{text(*v, "valve"), text(*v, "remaining"), text(*v, "days_left"),
                           text(*v, "method"), std::nullopt};
    if (auto it = v->find("closes_at"); it != v->end() && it->is_number_integer())
      t.closes_at = it->get<std::int64_t>();
    out.meters.push_back(std::move(f));
    out.texts.push_back(std::move(t));
  }
  out.all = attention(out.meters, today, month_start, AttentionConfig{});
  for (std::size_t i = 0; i < out.meters.size(); ++i)
    out.index.emplace(out.meters[i].serial, i);
  for (auto& f : out.meters)
    f.daily.clear();  // summed: the page needs no more of it
  return out;
}

Response Api::attention_get(const Request& /*r*/, const Caller& c) {
  const auto now = now_();
  auto snapshot = fleet_.get(store());
  if (!snapshot) return store_error(snapshot.error());
  const FleetSnapshot& fleet = **snapshot;
  const auto& facts = fleet.meters;
  std::vector<bool> mine(facts.size());
  for (std::size_t i = 0; i < facts.size(); ++i) {
    mine[i] = looks_after(c.user, facts[i].group);
  }

  json counts = json::object();
  auto opt_text = [](const std::optional<std::string>& t) { return t ? json(*t) : json(nullptr); };
  auto meter_row = [&](std::size_t i) {
    const auto& f = facts[i];
    return json{{"serial", f.serial},
                {"name", f.name},
                {"group", f.group},
                {"last_seen", f.last_seen},
                {"valve", opt_text(fleet.texts[i].valve)},
                {"remaining", opt_text(fleet.texts[i].remaining)}};
  };
  auto meter_list = [&](const char* name, const std::vector<std::size_t>& rows, bool estimate) {
    json list = json::array();
    std::size_t count = 0;
    for (std::size_t i : rows) {
      if (!mine[i]) continue;
      ++count;
      json row = meter_row(i);
      if (estimate) {
        const auto& t = fleet.texts[i];
        row["days_left"] = opt_text(t.days_left);
        row["closes_at"] = t.closes_at ? json(*t.closes_at) : json(nullptr);
        row["method"] = opt_text(t.method);
      }
      push_capped(list, std::move(row));
    }
    counts[name] = count;
    return list;
  };

  // The open alarms of these meters: critical, warning, info; the newest raised first in each.
  auto rules = store().alarm_rules();
  if (!rules) return store_error(rules.error());
  std::map<std::int64_t, const AlarmRule*> rule_by_id;
  for (const auto& rule : *rules)
    rule_by_id[rule.id] = &rule;
  auto open = store().open_alarms();
  if (!open) return store_error(open.error());
  struct OpenAlarm {
    const al::State* state;
    const AlarmRule* rule;
    const MeterFacts* meter;
    al::Severity severity;
  };
  std::vector<OpenAlarm> alarms;
  for (const auto& s : *open) {
    const MeterFacts* meter = fleet.find(s.serial);
    if (meter == nullptr ? !is_global_admin(c.user) : !looks_after(c.user, meter->group)) continue;
    const auto rule = rule_by_id.find(s.rule_id);
    const AlarmRule* r = rule != rule_by_id.end() ? rule->second : nullptr;
    alarms.push_back({&s, r, meter, r != nullptr ? r->severity : al::Severity::warning});
  }
  std::stable_sort(alarms.begin(), alarms.end(), [](const OpenAlarm& x, const OpenAlarm& y) {
    if (x.severity != y.severity) return x.severity < y.severity;
    return x.state->raised > y.state->raised;
  });
  json alarm_list = json::array();
  for (const auto& o : alarms) {
    push_capped(alarm_list,
                open_alarm_view(*o.state, o.rule, o.meter != nullptr ? o.meter->name : "",
                                o.meter != nullptr ? o.meter->group : ""));
  }
  counts["alarms"] = alarms.size();

  // Devices whose messages were refused in the last day.
  auto rejected = store().recent_rejections(now - kRejectedWindowS, kMaxFleetRows);
  if (!rejected) return store_error(rejected.error());
  json rejected_list = json::array();
  std::size_t rejected_count = 0;
  for (const auto& rj : *rejected) {
    const MeterFacts* meter = fleet.find(rj.serial);
    if (meter == nullptr ? !is_global_admin(c.user) : !looks_after(c.user, meter->group)) continue;
    ++rejected_count;
    push_capped(rejected_list, {{"serial", rj.serial},
                                {"name", meter != nullptr ? meter->name : ""},
                                {"group", meter != nullptr ? meter->group : ""},
                                {"meter", meter != nullptr},
                                {"reason", rj.reason},
                                {"count", rj.count},
                                {"first_time", rj.first_time},
                                {"last_time", rj.last_time}});
  }
  counts["rejected"] = rejected_count;

  // Commands sent long ago that nothing answered (and no newer one replaced).
  auto unanswered = store().unanswered_commands(now - kUnansweredAfterS, kMaxFleetRows);
  if (!unanswered) return store_error(unanswered.error());
  json unanswered_list = json::array();
  std::size_t unanswered_count = 0;
  for (const auto& cmd : *unanswered) {
    const MeterFacts* meter = fleet.find(cmd.serial);
    if (meter == nullptr || !looks_after(c.user, meter->group)) continue;
    ++unanswered_count;
    push_capped(unanswered_list, {{"id", cmd.id},
                                  {"serial", cmd.serial},
                                  {"name", meter->name},
                                  {"group", meter->group},
                                  {"command", cmd.command},
                                  {"sent", cmd.first_sent},
                                  {"last_sent", cmd.last_sent},
                                  {"sent_count", cmd.sent_count}});
  }
  counts["unanswered"] = unanswered_count;

  json groups = json::array();
  for (const auto& g : fleet.all.groups) {
    if (!looks_after(c.user, g.group)) continue;
    json daily = json::array();
    for (const auto& [day, kwh] : g.daily)
      daily.push_back(json::array({day * estimate::kDaySeconds, kwh.to_string()}));
    groups.push_back({{"group", g.group},
                      {"meters", g.meters},
                      {"online", g.online},
                      {"offline", g.offline},
                      {"today", g.today.to_string()},
                      {"month", g.month.to_string()},
                      {"daily", std::move(daily)}});
  }

  json out = {{"now", now}, {"as_of", fleet.as_of}, {"alarms", std::move(alarm_list)}};
  out["offline"] = meter_list("offline", fleet.all.offline, false);
  out["running_out"] = meter_list("running_out", fleet.all.running_out, true);
  out["closed_with_credit"] = meter_list("closed_with_credit", fleet.all.closed_with_credit, false);
  out["used_up"] = meter_list("used_up", fleet.all.used_up, false);
  out["rejected"] = std::move(rejected_list);
  out["unanswered"] = std::move(unanswered_list);
  out["groups"] = std::move(groups);
  out["counts"] = {
      {"alarms", counts["alarms"]},           {"offline", counts["offline"]},
      {"running_out", counts["running_out"]}, {"closed_with_credit", counts["closed_with_credit"]},
      {"used_up", counts["used_up"]},         {"rejected", counts["rejected"]},
      {"unanswered", counts["unanswered"]}};
  // The broker dropped messages in the last day (run's $SYS watch, server/broker_watch.hpp):
  // fleet-wide, so for those who look after every group.
  out["broker"] = nullptr;
  if (is_global_admin(c.user)) {
    auto health = store().broker_health();
    if (!health) return store_error(health.error());
    if (health->increased > 0 && health->increased >= now - kRejectedWindowS) {
      out["broker"] = {
          {"dropped", health->dropped}, {"increased", health->increased}, {"heard", health->time}};
    }
  }
  out["limit"] = kListLimit;
  out["running_out_days"] = AttentionConfig{}.running_out_days.to_string();
  out["unanswered_after_s"] = kUnansweredAfterS;
  return json_response(200, out);
}

}  // namespace ml::server::http
