#include "server/http/views.hpp"

#include <algorithm>

#include "core/decimal.hpp"
#include "server/ledger.hpp"
#include "server/usecases/estimates.hpp"
#include "server/usecases/meters.hpp"

namespace ml::server::http {

using json = nlohmann::ordered_json;  // as in api_support.hpp

namespace {

using core::Decimal;

constexpr std::int64_t kDay = 86400;
constexpr int kAverageDecimals = 3;

json opt(const std::optional<std::string>& v) {
  return v ? json(*v) : json(nullptr);
}

std::optional<std::string> value_of(const StoredSample& s, const char* key) {
  auto it = s.values.find(key);
  if (it == s.values.end()) return std::nullopt;
  return it->second;
}

json latest_json(const StoredSample& s) {
  return {{"time", s.time},
          {"energy_kwh", opt(s.energy_kwh)},
          {"volume_m3", opt(s.volume_m3)},
          {"hours", opt(value_of(s, "hr"))},
          {"power_kw", opt(value_of(s, "effect1"))},
          {"t1", opt(value_of(s, "t1"))},
          {"t2", opt(value_of(s, "t2"))},
          {"tdif", opt(value_of(s, "tdif"))},
          {"flow", opt(value_of(s, "flow1"))}};
}

// A stored decimal as a JSON number token with the same digits; "null" for anything else.
void append_number(std::string& out, const std::optional<std::string>& text) {
  if (!text) {
    out += "null";
    return;
  }
  auto d = Decimal::parse(*text);
  out += d ? d->to_string() : "null";
}

// sum / count to kAverageDecimals; none when unavailable.
std::optional<std::string> average(const Rollup& r, const char* key) {
  auto it = r.sums.find(key);
  if (it == r.sums.end() || !it->second.available || it->second.count <= 0) return std::nullopt;
  auto avg =
      it->second.sum.multiplied(1, static_cast<std::uint64_t>(it->second.count), kAverageDecimals);
  if (!avg) return std::nullopt;
  return avg->to_string();
}

struct Columns {
  static constexpr const char* kNames[] = {"time", "energy", "volume", "t1",
                                           "t2",   "tdif",   "flow",   "power"};
  std::string col[8];
  std::size_t rows = 0;
  void add(std::int64_t time, const std::optional<std::string> (&values)[7]) {
    const char* sep = rows == 0 ? "" : ",";
    col[0] += sep + std::to_string(time);
    for (int i = 0; i < 7; ++i) {
      col[i + 1] += sep;
      append_number(col[i + 1], values[i]);
    }
    ++rows;
  }
};

std::string csv_field(const std::optional<Decimal>& d) {
  return d ? d->to_string() : "";
}

}  // namespace

void add_estimate(json& j, const estimate::Estimate& e, bool water) {
  j["days_left"] = e.days_left ? json(e.days_left->to_string()) : json(nullptr);
  j["closes_at"] = e.closes_at ? json(*e.closes_at) : json(nullptr);
  j["beyond_horizon"] = e.beyond_horizon;
  j["method"] = std::string(estimate::method_name(e.method));
  // kWh per hour is kW; a water meter's rate is m3/h, not a power.
  j["rate_kw"] = e.rate && !water ? json(e.rate->to_string()) : json(nullptr);
}

core::Result<json> meter_view(ServerStore& store, const Meter& m, std::int64_t now,
                              int offline_after_s, bool can_admin, usecase::DailyUseCache* cache) {
  MeterReads reads;
  auto diag = store.diagnostics(m.serial);
  if (!diag) return diag.error();
  reads.diagnostics = std::move(diag).value();
  // The time left is estimated as `meters show` does (usecases/meters.hpp).
  auto window = usecase::rate_window(store, m.serial);
  if (!window) return window.error();
  reads.window = std::move(window).value();
  auto entries = store.payments(m.serial);
  if (!entries) return entries.error();
  reads.payments = std::move(entries).value();
  return meter_view(store, m, reads, now, offline_after_s, can_admin, cache);
}

core::Result<std::unordered_map<std::string, MeterReads>> read_every_meter(
    ServerStore& store, const std::vector<Meter>& meters, std::int64_t now) {
  std::unordered_map<std::string, MeterReads> out;
  out.reserve(meters.size());
  for (const Meter& m : meters)
    out.try_emplace(m.serial);
  auto diagnostics = store.every_diagnostic();
  if (!diagnostics) return diagnostics.error();
  for (auto& d : *diagnostics) {
    if (auto it = out.find(d.serial); it != out.end())
      it->second.diagnostics[d.function] = std::move(d.value);
  }
  auto payments = store.every_payment();
  if (!payments) return payments.error();
  for (auto& p : *payments) {
    if (auto it = out.find(p.serial); it != out.end()) it->second.payments.push_back(std::move(p));
  }
  auto windows = usecase::rate_windows(store, meters, now);
  if (!windows) return windows.error();
  for (auto& [serial, window] : *windows)
    out[serial].window = std::move(window);
  return out;
}

core::Result<json> meter_view(ServerStore& store, const Meter& m, const MeterReads& reads,
                              std::int64_t now, int offline_after_s, bool can_admin,
                              usecase::DailyUseCache* cache) {
  const auto& diag = reads.diagnostics;
  const auto& window = reads.window;
  const auto& entries = reads.payments;
  const StoredSample* latest = window.empty() ? nullptr : &window.back();

  // Seen: the newest authentic message (a sample or a reply). The last will is not
  // authenticated: it only marks the meter offline until the next authentic message.
  std::int64_t last_seen = m.last_sample_time;
  for (const auto& [fn, v] : diag)
    last_seen = std::max(last_seen, v.time);
  const bool online = last_seen > 0 && m.offline_since == 0 && now - last_seen <= offline_after_s;
  auto diag_value = [&](const char* fn) {
    auto it = diag.find(fn);
    return it == diag.end() ? json(nullptr) : json(it->second.text);
  };

  json j = {{"serial", m.serial},
            {"name", m.name},
            {"kind", core::meter::info(m.kind).name},
            {"group", m.group},
            {"valve_installed", m.valve_installed},
            // A meter without a valve is not prepaid: no valve state, nothing remaining.
            {"valve", m.valve_installed ? diag_value("status") : json(nullptr)},
            {"version", diag_value("version")},
            {"last_seen", last_seen},
            {"online", online},
            {"latest", latest != nullptr ? latest_json(*latest) : json(nullptr)},
            {"setup_value", m.setup_value.to_string()}};
  auto total = paid(entries);
  auto limit = open_until_limit(m, entries);
  if (!total) return total.error();
  if (!limit) return limit.error();
  j["paid"] = total->to_string();
  j["open_until"] = limit->to_string();
  const auto rest = remaining(*limit, m.valve_installed ? window : std::vector<StoredSample>{},
                              m.kind == core::meter::Kind::water);
  j["remaining"] = rest.units ? json(rest.units->to_string()) : json(nullptr);
  j["rate_per_hour"] = rest.rate_per_hour.empty() ? json(nullptr) : json(rest.rate_per_hour);
  j["hours_remaining"] = rest.hours ? json(*rest.hours) : json(nullptr);
  // The estimate from the daily history (usecases/estimates.hpp; docs/server.md, "Estimates").
  usecase::MeterEstimate est;
  if (m.valve_installed) {
    auto e = usecase::estimate_for(store, m, *limit, latest, now, cache);
    if (!e) return e.error();
    est = std::move(e).value();
  }
  add_estimate(j, est.estimate, m.kind == core::meter::Kind::water);
  j["can_admin"] = can_admin;
  return j;
}

core::Result<Resolution> pick_resolution(std::string_view name, std::int64_t from,
                                         std::int64_t to) {
  if (name == "raw") return Resolution::raw;
  if (name == "hour") return Resolution::hour;
  if (name == "day") return Resolution::day;
  if (!name.empty() && name != "auto") {
    return core::make_error(core::Errc::invalid_argument,
                            "resolution must be auto, raw, hour or day");
  }
  const std::int64_t span = to - from;
  if (span <= 3 * kDay) return Resolution::raw;
  if (span <= 400 * kDay) return Resolution::hour;
  return Resolution::day;
}

const char* resolution_name(Resolution r) {
  switch (r) {
    case Resolution::raw:
      return "raw";
    case Resolution::hour:
      return "hour";
    case Resolution::day:
      return "day";
  }
  return "raw";
}

core::Result<std::string> series_json(ServerStore& store, const Meter& m, std::int64_t from,
                                      std::int64_t to, Resolution resolution) {
  Columns c;
  std::vector<StoredSample> raw_rows;
  if (resolution == Resolution::raw) {
    auto rows = store.samples_page(m.serial, from, to, kMaxRawPoints + 1);
    if (!rows) return rows.error();
    raw_rows = std::move(rows).value();
    // Too many for a chart: the rollups instead, as "auto" would pick beyond 3 days.
    if (raw_rows.size() > kMaxRawPoints) {
      resolution = to - from <= 400 * kDay ? Resolution::hour : Resolution::day;
      raw_rows.clear();
    }
  }
  if (resolution == Resolution::raw) {
    const auto* rows = &raw_rows;
    for (const auto& s : *rows) {
      const std::optional<std::string> v[7] = {
          s.energy_kwh,        s.volume_m3,          value_of(s, "t1"),     value_of(s, "t2"),
          value_of(s, "tdif"), value_of(s, "flow1"), value_of(s, "effect1")};
      c.add(s.time, v);
    }
  } else {
    const Period period = resolution == Resolution::hour ? Period::hour : Period::day;
    const std::int64_t size = period == Period::hour ? 3600 : kDay;
    // Buckets that overlap the range: the one `from` falls in is included.
    auto rows = store.rollups(m.serial, period, from - (from % size + size) % size, to);
    if (!rows) return rows.error();
    for (const auto& r : *rows) {
      const std::optional<std::string> v[7] = {
          r.energy_last,      r.volume_last,       average(r, "t1"),     average(r, "t2"),
          average(r, "tdif"), average(r, "flow1"), average(r, "effect1")};
      c.add(r.last_time, v);
    }
  }
  std::string out = "{\"serial\":" + json(m.serial).dump() + ",\"resolution\":\"" +
                    resolution_name(resolution) + "\",\"from\":" + std::to_string(from) +
                    ",\"to\":" + std::to_string(to) +
                    ",\"setup_value\":" + json(m.setup_value.to_string()).dump() +
                    ",\"points\":" + std::to_string(c.rows);
  for (int i = 0; i < 8; ++i) {
    out += ",\"";
    out += Columns::kNames[i];
    out += "\":[" + c.col[i] + "]";
  }
  out += "}";
  return out;
}

core::Result<json> payments_view(ServerStore& store, const Meter& m) {
  auto entries = store.payments(m.serial);
  if (!entries) return entries.error();
  json list = json::array();
  Decimal running{};
  for (const auto& p : *entries) {
    auto units = credited(p);
    if (!units) return units.error();
    json after = nullptr;
    if (p.state == PaymentState::active) {
      auto next = core::sum(running, *units);
      if (!next) return next.error();
      running = *next;
      auto shown = running.multiplied(1, 1, kLimitDecimals);
      if (!shown) return shown.error();
      after = shown->to_string();
    }
    list.push_back({{"id", p.id},
                    {"time", p.time},
                    {"amount", p.amount.to_string()},
                    {"price", p.price.to_string()},
                    {"kwh", units->to_string()},
                    {"note", p.note},
                    {"state", std::string(state_name(p.state))},
                    {"replaces", p.replaces},
                    {"paid_after", after}});
  }
  auto total = paid(*entries);
  auto limit = open_until_limit(m, *entries);
  if (!total) return total.error();
  if (!limit) return limit.error();
  return json{{"payments", std::move(list)},
              {"paid", total->to_string()},
              {"setup_value", m.setup_value.to_string()},
              {"open_until", limit->to_string()}};
}

std::string samples_csv_header() {
  std::string out = "time";
  for (auto k : kSampleKeys) {
    out += ',';
    out += k;
  }
  out += ",energy_kwh,volume_m3,quirks\n";
  return out;
}

void append_samples_csv(const std::vector<StoredSample>& rows, std::string& out) {
  for (const auto& s : rows) {
    out += std::to_string(s.time);
    for (auto k : kSampleKeys) {
      auto it = s.values.find(std::string(k));
      out += ',';
      out += it == s.values.end() ? "" : it->second.value_or("NaN");
    }
    out += ',' + s.energy_kwh.value_or("") + ',' + s.volume_m3.value_or("") + ',' + s.quirks + "\n";
  }
}

std::string samples_csv(const std::vector<StoredSample>& rows) {
  std::string out = samples_csv_header();
  append_samples_csv(rows, out);
  return out;
}

core::Result<EnergyCsv> EnergyCsv::make(const Meter& m, std::vector<Payment> entries) {
  EnergyCsv w;
  w.water_ = m.kind == core::meter::Kind::water;
  w.setup_ = m.setup_value;
  w.entries_ = std::move(entries);
  auto total = paid(w.active_);
  if (!total) return total.error();
  w.total_ = *total;
  return w;
}

std::string EnergyCsv::header() const {
  return water_ ? "time,volume_m3,since_setup_m3,paid_m3,remaining_m3\n"
                : "time,energy_kwh,since_setup_kwh,paid_kwh,remaining_kwh\n";
}

core::Status EnergyCsv::append(const std::vector<StoredSample>& rows, std::string& out) {
  for (const auto& s : rows) {
    bool changed = false;
    while (next_entry_ < entries_.size() && entries_[next_entry_].time <= s.time) {
      active_.push_back(entries_[next_entry_++]);
      changed = true;
    }
    if (changed) {
      auto total = paid(active_);
      if (!total) return total.error();
      total_ = *total;
    }
    const auto& reading = water_ ? s.volume_m3 : s.energy_kwh;
    std::optional<Decimal> value, since, left;
    if (reading) {
      if (auto v = Decimal::parse(*reading)) {
        value = *v;
        if (auto d = core::difference(*v, setup_)) since = *d;
        if (auto limit = core::sum(setup_, total_)) {
          if (auto l = core::difference(*limit, *v)) left = *l;
        }
      }
    }
    out += std::to_string(s.time) + ',' + csv_field(value) + ',' + csv_field(since) + ',' +
           total_.to_string() + ',' + csv_field(left) + "\n";
  }
  return core::Ok{};
}

core::Result<std::string> energy_csv(ServerStore& store, const Meter& m, std::int64_t from,
                                     std::int64_t to) {
  auto rows = store.samples(m.serial, from, to);
  if (!rows) return rows.error();
  auto entries = store.payments(m.serial);
  if (!entries) return entries.error();
  auto writer = EnergyCsv::make(m, std::move(entries).value());
  if (!writer) return writer.error();
  std::string out = writer->header();
  ML_TRY(writer->append(*rows, out));
  return out;
}

json open_alarm_view(const core::alarm::State& s, const AlarmRule* rule, const std::string& name,
                     const std::string& group) {
  namespace al = core::alarm;
  return {{"episode", s.episode},
          {"rule_id", s.rule_id},
          {"rule", rule != nullptr ? rule->name : ""},
          {"severity", al::severity_name(rule != nullptr ? rule->severity : al::Severity::warning)},
          {"serial", s.serial},
          {"name", name},
          {"group", group},
          {"status", al::status_name(s.status)},
          {"raised", s.raised},
          {"last_true", s.last_true},
          {"acked_by", s.acked_by},
          {"ack_note", s.ack_note},
          {"snoozed_until", s.snoozed_until},
          {"repeat_count", s.repeat_count}};
}

}  // namespace ml::server::http
