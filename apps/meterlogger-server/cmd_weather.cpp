// `meterlogger-server degree-days`: the heating degree days the residents' consumption is
// corrected for (docs/residents.md, "Weather"): import a file of them, list what is stored.
#include <iostream>

#include "common.hpp"
#include "server/degree_days.hpp"
#include "server/estimate.hpp"
#include "server/usecases/weather.hpp"

namespace ml::server_app {
namespace {

void degree_days_import(const std::string& config_path, const std::string& file) {
  const std::string text = read_input(file, server::kMaxDegreeDayFile);
  auto store = open_store(config_from(config_path));
  auto done = server::usecase::import_degree_days(*store, text, cli_actor(), unix_now());
  if (!done) fail(file + ": " + done.error().detail);
  std::cout << done->days << " days of degree days from " << server::day_text(done->first) << " to "
            << server::day_text(done->last) << " stored\n";
}

void degree_days_list(const std::string& config_path, const std::string& from,
                      const std::string& to) {
  auto store = open_store(config_from(config_path));
  using server::estimate::day_of;
  const std::int64_t to_day = day_of(to.empty() ? unix_now() : parse_time(to, "--to")) + 1;
  const std::int64_t from_day = from.empty() ? to_day - 31 : day_of(parse_time(from, "--from"));
  const auto days = ok(store->degree_days(from_day, to_day));
  if (days.empty()) {
    std::cout << "no degree days from " << server::day_text(from_day) << " to "
              << server::day_text(to_day - 1)
              << "; import them with `meterlogger-server degree-days import FILE`\n";
    return;
  }
  std::cout << "day,degree_days\n";
  for (const auto& d : days)
    std::cout << server::day_text(d.day) << "," << d.value.to_string() << "\n";
}

}  // namespace

void add_weather_commands(CLI::App& app, const std::string& config) {
  auto* dd = app.add_subcommand(
      "degree-days",
      "Heating degree days: last year's heat use corrected to this year's weather on the "
      "residents' page ([residents] weather_correction)");
  dd->require_subcommand(1);

  // (Not named `import`: clang-format takes that for C++20's module keyword.)
  auto file = std::make_shared<std::string>();
  auto* import_cmd = dd->add_subcommand("import", "Store a file of degree days, a day a line");
  import_cmd->add_option("file", *file, "the file (- for standard input)")->required();
  import_cmd->footer(
      "The file: YYYY-MM-DD,VALUE a line (a semicolon and a decimal comma also do), an\n"
      "optional header line; a day already stored takes the file's value. A bad line stores\n"
      "nothing and is named.\n"
      "Example:\n"
      "  meterlogger-server degree-days import graddage-2026.csv");
  import_cmd->callback([file, &config] { degree_days_import(config, *file); });

  auto range = std::make_shared<std::pair<std::string, std::string>>();
  auto* list = dd->add_subcommand("list", "The stored degree days as CSV (default: 31 days)");
  list->add_option("--from", range->first, "the first day, YYYY-MM-DD");
  list->add_option("--to", range->second, "the last day, YYYY-MM-DD (default: today)");
  list->footer("Example:\n  meterlogger-server degree-days list --from 2026-01-01 --to 2026-01-31");
  list->callback([range, &config] { degree_days_list(config, range->first, range->second); });
}

}  // namespace ml::server_app
