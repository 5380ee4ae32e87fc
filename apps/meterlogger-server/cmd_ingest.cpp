// `meterlogger-server ingest --from FILE`: stores captured device messages (server/capture.hpp)
// through the same pipeline as `run` (server/ingest.hpp: verified with the meter's key, opened,
// checked, parsed, stored in batches with the rollups, rejections counted and quarantined),
// without a broker: to recover from a capture, load history, or measure the pipeline alone.
//
// Safe to run again on the same file: what is stored already is a duplicate and changes nothing.
// A bad line (capture.hpp) is reported and counted and changes nothing; the rest is ingested. While
// the database is unavailable, reading waits (the pipeline holds and retries, as `run` does): what
// was read is stored once it is back. The commits are lazy (ServerStore::set_lazy_commits) and
// made durable at the end: the file is the copy until then. At the end: the counters, and the
// rate in messages per second (reading, opening and storing, from the first line until all of it
// is on disk).
#include <malloc.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>

#include "common.hpp"
#include "platform/log/log.hpp"
#include "server/capture.hpp"
#include "server/ingest.hpp"

namespace ml::server_app {
namespace {

// Bad lines shown one by one; the rest are counted.
constexpr std::uint64_t kBadLinesShown = 20;
// Lines read in one turn of the loop, before the signals and the pipeline's timers get theirs.
constexpr int kLinesPerTurn = 1000;
// --batch by default, and at most: a batch is held in memory (about 2.3 KB a message) until it is
// stored. A file's batch need not be small (only `run` acknowledges what it stored): in a capture
// of a live fleet it holds several samples of each meter, whose pages are then written once
// (bench/RESULTS.md: 2.7 times the rate of 500 on SQLite; 50 000 is no faster).
constexpr int kFileBatch = 20000;
constexpr int kMaxFileBatch = 50000;
// Memory the allocator keeps for the next batch instead of giving it back to the kernel (glibc
// maps blocks above 128 KiB and unmaps them when freed, and trims the top of its heap): a
// PostgreSQL batch's array texts were faulted in again for every batch, 13 % of the rate
// (bench/RESULTS.md, "`ingest --from` with the allocator keeping a batch's memory"). 32 MiB is
// the most glibc takes for the first on 64-bit systems.
constexpr int kMmapThreshold = 32 << 20;
constexpr int kTrimThreshold = 1 << 30;
// Exit status when every line was ingested but some were bad.
constexpr int kStatusBadLines = 3;

struct IngestFileArgs {
  std::string from;
  int batch = kFileBatch;
};

// Reads the capture and hands its messages to the pipeline on the io_context's thread, pausing
// while the pipeline holds for an unavailable database.
class CaptureFeed {
 public:
  CaptureFeed(asio::io_context& io, server::CaptureReader& reader, server::IngestPipeline& pipeline,
              std::string name, std::function<void()> on_done)
      : io_(io),
        reader_(reader),
        pipeline_(pipeline),
        name_(std::move(name)),
        on_done_(std::move(on_done)),
        wait_(io) {}

  void start() {
    asio::post(io_, [this] { turn(); });
  }
  void interrupt() {
    interrupted_ = true;
    wait_.cancel();
  }
  bool interrupted() const { return interrupted_; }
  std::uint64_t messages() const { return messages_; }
  std::uint64_t bad_lines() const { return bad_lines_; }
  const std::map<std::string, std::uint64_t>& bad_by_reason() const { return bad_by_reason_; }

 private:
  void turn() {
    if (finished_) return;
    if (interrupted_) return finish();
    if (pipeline_.holding()) return later(std::chrono::milliseconds(200));
    for (int i = 0; i < kLinesPerTurn; ++i) {
      const auto read = reader_.next(message_, bad_);
      if (read == server::CaptureRead::end) return finish();
      if (read == server::CaptureRead::bad_line) {
        note_bad_line();
        continue;
      }
      ++messages_;
      platform::ReceivedMessage m;
      m.topic = std::move(message_.topic);
      m.payload = std::move(message_.payload);
      m.qos = 1;
      m.size = m.payload.size();
      pipeline_.take(std::move(m));
      if (pipeline_.holding()) break;
    }
    asio::post(io_, [this] { turn(); });
  }

  void later(std::chrono::milliseconds after) {
    wait_.expires_after(after);
    wait_.async_wait([this](const asio::error_code&) { turn(); });
  }

  // The end of the input (or an interruption): the last batch is stored, after the database is
  // back if it is away.
  void finish() {
    pipeline_.flush();
    if (pipeline_.holding() && !interrupted_) return later(std::chrono::milliseconds(200));
    finished_ = true;
    pipeline_.stop();  // its timers end
    on_done_();
  }

  void note_bad_line() {
    ++bad_lines_;
    ++bad_by_reason_[std::string(server::bad_line_reason_name(bad_.reason))];
    if (bad_lines_ <= kBadLinesShown) {
      std::cerr << name_ << ":" << bad_.line << ": " << server::bad_line_reason_name(bad_.reason)
                << ": " << bad_.detail << "\n";
    }
    if (bad_lines_ == kBadLinesShown + 1) {
      std::cerr << name_ << ": more bad lines: counted, not shown\n";
    }
  }

  asio::io_context& io_;
  server::CaptureReader& reader_;
  server::IngestPipeline& pipeline_;
  std::string name_;
  std::function<void()> on_done_;
  asio::steady_timer wait_;
  server::CapturedMessage message_;
  server::BadLine bad_;
  std::uint64_t messages_ = 0;
  std::uint64_t bad_lines_ = 0;
  std::map<std::string, std::uint64_t> bad_by_reason_;
  bool interrupted_ = false;
  bool finished_ = false;
};

std::string by_reason(const std::map<std::string, std::uint64_t>& counts) {
  std::string out;
  for (const auto& [reason, n] : counts)
    out += " " + reason + "=" + std::to_string(n);
  return out.empty() ? " none" : out;
}

void ingest_file(const std::string& config_path, const IngestFileArgs& a) {
  auto config = config_from(config_path);
  config.ingest.batch_max = a.batch;
  platform::log::set_level(config.log_level);
  for (const auto& w : config.warnings)
    platform::log::warning(w);
  const bool from_stdin = a.from == "-";
  const std::string name = from_stdin ? std::string("stdin") : a.from;
  std::ifstream file;
  if (!from_stdin) {
    file.open(a.from, std::ios::binary);
    if (!file) fail("--from: cannot open " + a.from + ": " + std::strerror(errno));
  }
  std::istream& in = from_stdin ? std::cin : file;
  if (from_stdin) std::ios::sync_with_stdio(false);  // std::cin in blocks, not byte by byte
  auto store = open_store(config);
  mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  mallopt(M_TRIM_THRESHOLD, kTrimThreshold);

  asio::io_context io(1);
  std::uint64_t acknowledged = 0;
  server::IngestPipeline pipeline(io.get_executor(), *store, config, unix_now,
                                  [&](const platform::ReceivedMessage&) { ++acknowledged; });
  server::CaptureLimits limits;
  limits.max_payload = server::kMaxMessageSize;
  server::CaptureReader reader(in, limits);
  asio::signal_set signals(io, SIGTERM, SIGINT);
  CaptureFeed feed(io, reader, pipeline, name, [&] {
    asio::error_code ignored;
    signals.clear(ignored);  // a signal from now on ends the process as usual
    signals.cancel(ignored);
  });
  signals.async_wait([&](const asio::error_code& ec, int) {
    if (!ec) feed.interrupt();
  });

  const auto started = std::chrono::steady_clock::now();
  // The capture stays in its file: a commit need not be on disk before the next batch, only
  // everything before this command ends (a crash in between: run it again).
  ok(store->set_lazy_commits(true));
  pipeline.start();
  feed.start();
  io.run();  // until the feed is done: the last work it leaves is the signals, which it cancels
  const auto durable = store->set_lazy_commits(false);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  const auto& c = pipeline.counters();
  const auto rate = seconds > 0 ? static_cast<double>(feed.messages()) / seconds : 0.0;
  char timing[128];
  std::snprintf(timing, sizeof timing, "%.3f s, %.0f messages/s", seconds, rate);
  std::cout << name << ": " << reader.lines() << " lines, " << feed.messages() << " messages ("
            << timing << ")\n"
            << "stored " << c.stored << ", duplicates " << c.duplicates << ", events " << c.events
            << ", older replies ignored " << c.older_ignored << ", last wills ignored "
            << c.wills_ignored << "\n"
            << "rejected:" << by_reason(c.rejected) << "\n"
            << "bad lines: " << feed.bad_lines()
            << (feed.bad_lines() > 0 ? " (" + by_reason(feed.bad_by_reason()).substr(1) + ")" : "")
            << "\n";
  std::cout.flush();
  if (!durable) {
    fail("what was stored is not confirmed on disk (" + durable.error().text() + "): run it again");
  }
  if (feed.interrupted()) {
    fail("interrupted after line " + std::to_string(reader.lines()) +
         ": run it again to finish (what is stored is skipped as a duplicate)");
  }
  if (acknowledged < feed.messages()) {
    fail(std::to_string(feed.messages() - acknowledged) +
         " messages could not be stored or recorded (see the log): run it again");
  }
  if (feed.bad_lines() > 0) {
    fail(std::to_string(feed.bad_lines()) + " bad lines in " + name +
             " (nothing stored from them; the rest ingested)",
         kStatusBadLines);
  }
}

}  // namespace

void add_ingest_command(CLI::App& app, const std::string& config) {
  auto a = std::make_shared<IngestFileArgs>();
  auto* cmd = app.add_subcommand(
      "ingest", "Store captured device messages from a file, as `run` stores them from the broker");
  cmd->footer(
      "Each line of FILE is one message: the topic, a tab, the payload in hex. Each is verified\n"
      "with its meter's key, opened, checked, parsed and stored in batches with the rollups, and\n"
      "rejections are counted and quarantined, exactly as `run` does (docs/server.md, \"Ingesting\n"
      "a capture file\"). Replies are stored; they confirm no queued command, and nothing is\n"
      "republished ([homeassistant]): that is `run`'s, live. Running it again on the same file\n"
      "stores nothing twice: the second run reports every sample as a duplicate.\n\n"
      "Capture what the broker delivers with mosquitto_sub (%x: the payload in hex):\n"
      "  mosquitto_sub -h broker -u USER -P PASS -q 1 -v -F '%t\\t%x' \\\n"
      "    -t '/sample/v2/#' -t '/offline/v1/#' > capture.txt\n\n"
      "Empty lines and lines beginning with '#' are skipped. A bad line (no tab, a bad topic, bad\n"
      "hex, too long) is reported with its number and changes nothing; the others are ingested.\n"
      "At the end it prints what was stored, the duplicates, the rejections by reason, the bad\n"
      "lines by reason, and the rate in messages/s.\n"
      "Exit status: 0 when every line was a message (stored, duplicate or rejected) or a note; 3\n"
      "when some lines were bad; 1 when it could not finish (run it again).\n\n"
      "Examples:\n"
      "  meterlogger-server --config server.toml ingest --from capture.txt\n"
      "  zcat capture.txt.gz | meterlogger-server ingest --from - --batch 2000");
  cmd->add_option("--from", a->from, "the capture file; - reads standard input")->required();
  cmd->add_option("--batch", a->batch,
                  "messages stored in one transaction at most (`run` stores [ingest] batch_max)")
      ->capture_default_str()
      ->check(CLI::Range(1, kMaxFileBatch));
  cmd->callback([a, &config] { ingest_file(config, *a); });
}

}  // namespace ml::server_app
