// `meterlogger-server serve`: answers the dashboard and its HTTP API (docs/api.md) until
// stopped.
#include <pthread.h>
#include <signal.h>

#include <thread>

#include "common.hpp"
#include "platform/log/log.hpp"
#include "platform/systemd/notify.hpp"
#include "server/http/api.hpp"
#include "server/http/server.hpp"
#include "server/http/store_pool.hpp"
#include "server/web_dir.hpp"

namespace ml::server_app {
namespace {

namespace log = platform::log;

void serve(const std::string& config_path) {
  // The signals go to a thread that stops the server; every other thread blocks them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto config = config_from(config_path);
  log::set_level(config.log_level);
  // The dashboard's folder (server/web_dir.hpp): web_dir, else the packaged one, else the build
  // tree's.
  const auto web = server::find_web_dir(
      server::web_dir_candidates(config.http.web_dir, server::this_executable()));
  if (!web.found.empty()) config.http.web_dir = web.found;
  auto store = open_store(config);
  // A connection per request being answered (store_pool.hpp): no request waits for another.
  auto stores =
      std::make_shared<server::http::StorePool>([config] { return try_open_store(config); },
                                                static_cast<std::size_t>(2 * config.http.threads));
  server::http::Api api(stores, config, unix_now);
  server::http::Server http(api, config, ML_VERSION);
  http.set_missing_dashboard_page(server::missing_dashboard_page(web, config.path));
  const int port = ok(http.bind());
  if (!http.has_dashboard()) log::warning(server::missing_dashboard_text(web, config.path));
  if (ok(store->users()).empty()) {
    log::warning("no users yet: add one with `meterlogger-server users add NAME --role admin`");
  }
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (sig == SIGTERM || sig == SIGINT) {
      log::info("stopping");
      platform::systemd::notify("STOPPING=1");
    }
    http.stop();
  });
  log::info("meterlogger-server " ML_VERSION ": dashboard and API on http://" + config.http.host +
            ":" + std::to_string(port) + "/, database " + config.database.name());
  platform::systemd::notify("READY=1");
  http.run();
  pthread_kill(watcher.native_handle(), SIGTERM);  // when run() ended on its own
  watcher.join();
}

}  // namespace

void add_serve_command(CLI::App& app, const std::string& config) {
  auto* serve_cmd =
      app.add_subcommand("serve", "Answer the dashboard and its HTTP API until stopped");
  serve_cmd->footer(
      "Listens on [http] listen (default 127.0.0.1:8080): the dashboard's files from [http]\n"
      "web_dir (default /usr/share/meterlogger/web, else the build tree's web/ beside this\n"
      "program; without index.html / answers a page saying where it looked), the JSON API\n"
      "under /api/ (docs/api.md) and GET /metrics for Prometheus (docs/metrics.md; [http]\n"
      "metrics, metrics_token). Runs beside `run`, on the same\n"
      "database: commands and payments entered here are sent by `run`. Log in as a user made\n"
      "with `users add`. SIGTERM stops it.\n\n"
      "Example:\n  meterlogger-server --config server.toml serve");
  serve_cmd->callback([=, &config] { serve(config); });
}

}  // namespace ml::server_app
