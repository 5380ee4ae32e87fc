// `meterlogger-server estimate`: a meter's time-left estimate (`show`) and how well the
// estimator would have done on the stored history (`backtest`); server/usecases/estimates.hpp,
// docs/server.md "Estimates".
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common.hpp"
#include "server/usecases/estimates.hpp"

namespace ml::server_app {
namespace {

namespace est = server::estimate;
using nlohmann::ordered_json;

std::string text(const std::optional<core::Decimal>& d) {
  return d ? d->to_string() : "-";
}

void estimate_show(const std::string& config_path, const std::string& serial, bool json) {
  auto store = open_store(config_from(config_path));
  const auto m = ok(store->meter(serial));
  if (!m) fail("no meter " + serial);
  const auto now = unix_now();
  const auto r = ok(server::usecase::estimate_for(*store, serial, now));
  const auto& e = r.estimate;
  const bool water = m->kind == core::meter::Kind::water;
  if (json) {
    ordered_json j = {{"serial", serial},
                      {"now", now},
                      {"remaining", r.left ? ordered_json(r.left->to_string()) : nullptr},
                      {"method", std::string(est::method_name(e.method))},
                      {"days_left", e.days_left ? ordered_json(e.days_left->to_string()) : nullptr},
                      {"closes_at", e.closes_at ? ordered_json(*e.closes_at) : nullptr},
                      {"beyond_horizon", e.beyond_horizon},
                      {"rate_kw", e.rate && !water ? ordered_json(e.rate->to_string()) : nullptr},
                      {"years_used", e.years_used},
                      {"years_discarded", e.years_discarded}};
    std::cout << j.dump() << "\n";
    return;
  }
  const char* unit = water ? "m3" : "kWh";
  std::printf("meter      %s\n", serial.c_str());
  std::printf("remaining  %s %s\n", text(r.left).c_str(), unit);
  std::printf("method     %s", std::string(est::method_name(e.method)).c_str());
  if (e.method == est::Method::seasonal) {
    std::printf(" (%d earlier year(s) used, %d far off and left out)", e.years_used,
                e.years_discarded);
  }
  std::printf("\n");
  if (e.beyond_horizon) {
    std::printf("days left  more than %d\n", est::kHorizonDays);
  } else {
    std::printf("days left  %s\n", text(e.days_left).c_str());
    std::printf("closes at  %s\n", e.closes_at ? utc(*e.closes_at).c_str() : "-");
  }
  if (water) {
    std::printf("rate       %s m3/h\n", text(e.rate).c_str());
  } else {
    std::printf("rate       %s kW\n", text(e.rate).c_str());
  }
}

struct BacktestArgs {
  std::vector<std::string> serials;
  std::string from, to;
  std::vector<int> ahead{14, 30};
  int step = 7;
  bool json = false;
};

void estimate_backtest(const std::string& config_path, const BacktestArgs& a) {
  auto store = open_store(config_from(config_path));
  const auto now = unix_now();
  est::BacktestOptions o;
  o.first_day =
      a.from.empty() ? est::day_of(now) - 10 * 366 : est::day_of(parse_time(a.from, "--from"));
  o.last_day = a.to.empty() ? est::day_of(now) : est::day_of(parse_time(a.to, "--to"));
  if (o.last_day < o.first_day) fail("--to is before --from");
  if (o.last_day - o.first_day > 100 * 366) fail("--from .. --to spans more than 100 years");
  for (int n : a.ahead) {
    if (n < 1 || n > est::kHorizonDays) {
      fail("--ahead: " + std::to_string(n) + " is not a number of days from 1 to " +
           std::to_string(est::kHorizonDays));
    }
  }
  o.ahead_days = a.ahead;
  o.step_days = a.step;
  std::vector<std::string> serials = a.serials;
  if (serials.empty()) {
    for (const auto& m : ok(store->meters()))
      serials.push_back(m.serial);
  }
  std::vector<est::BacktestRow> all;
  for (const auto& s : serials)
    est::merge_rows(all, ok(server::usecase::backtest_meter(*store, s, o)));
  if (a.json) {
    for (const auto& r : all) {
      const auto mae = r.mean_error_days();
      std::cout << ordered_json{{"method", r.method},
                                {"ahead_days", r.ahead},
                                {"count", r.count},
                                {"mean_abs_error_days",
                                 mae ? ordered_json(mae->to_string()) : nullptr}}
                       .dump()
                << "\n";
    }
    return;
  }
  std::printf("%-12s %6s %7s  %s\n", "method", "ahead", "count", "mean abs error (days)");
  for (const auto& r : all) {
    std::printf("%-12s %6d %7lld  %s\n", r.method.c_str(), r.ahead, static_cast<long long>(r.count),
                text(r.mean_error_days()).c_str());
  }
  if (all.empty()) std::printf("(no start day with the days ahead known)\n");
}

}  // namespace

void add_estimate_commands(CLI::App& app, const std::string& config) {
  auto* estimate = app.add_subcommand("estimate",
                                      "How long the paid energy lasts: a meter's estimate, and a "
                                      "backtest of the estimator on the stored history");
  estimate->require_subcommand(1);

  struct ShowArgs {
    std::string serial;
    bool json = false;
  };
  auto s = std::make_shared<ShowArgs>();
  auto* show = estimate->add_subcommand(
      "show", "A meter's estimate: days left, the closing time, the method and the rate");
  as_serial(show->add_option("serial", s->serial, "the meter's serial"))->required();
  show->add_flag("--json", s->json, "one JSON object");
  show->footer(
      "Methods: seasonal (the same days of earlier years), recent (the last 7 days), none (not\n"
      "one whole day of history); see docs/server.md, \"Estimates\".\n"
      "Example:\n  meterlogger-server estimate show 6892850");
  show->callback([=, &config] { estimate_show(config, s->serial, s->json); });

  auto b = std::make_shared<BacktestArgs>();
  auto* backtest = estimate->add_subcommand(
      "backtest", "Measure the estimator on the stored history: predicted against actual closing");
  as_serial(backtest->add_option("--serial", b->serials,
                                 "a meter (repeat for more; default: every meter)"));
  backtest->add_option("--from", b->from,
                       "first start day: unix seconds, YYYY-MM-DD or ...THH:MM:SSZ (UTC); "
                       "default: 10 years ago");
  backtest->add_option("--to", b->to, "last start day, as --from; default: today");
  backtest->add_option("--ahead", b->ahead, "days of use paid for at each start, e.g. 14,30")
      ->delimiter(',')
      ->capture_default_str();
  backtest->add_option("--step", b->step, "days between start days")
      ->capture_default_str()
      ->check(CLI::Range(1, 366));
  backtest->add_flag("--json", b->json, "one JSON object per row");
  backtest->footer(
      "At each start day a payment of exactly what the meter used over the next N days is\n"
      "pretended; the estimator runs with only the days before, and its closing time is\n"
      "compared with the actual one (the end of the N days). Rows: the method it chose, and\n"
      "recent-only (the same starts with only the last 7 days), with the count and the mean\n"
      "absolute error in days.\n"
      "Examples:\n"
      "  meterlogger-server estimate backtest\n"
      "  meterlogger-server estimate backtest --serial 6892850 --from 2026-09-01 --to "
      "2026-11-30 --ahead 14,30");
  backtest->callback([=, &config] { estimate_backtest(config, *b); });
}

}  // namespace ml::server_app
