// bench/ingest/capture_gen: a capture file for `meterlogger-server ingest --from`
// (server/capture.hpp) and the meters that sent it, for bench/ingest_file.sh.
//
//   capture_gen DIR METERS SAMPLES_PER_METER [--by-meter] [--sqlite PATH] [--postgresql URL]
//
// METERS meters (serials 7000001...), each with a key of its own and the history `meterlogger sim
// backfill` publishes (sim/backfill.hpp: the KMP registers the firmware reads, one sample a
// minute, ending an hour ago), each sample sealed with its meter's key as a device seals it.
// Writes DIR/capture.txt, one message a line as mosquitto_sub -F '%t\t%x' prints it, in the order
// a live capture has (minute by minute, every meter's sample of that minute; --by-meter: each
// meter's history in one run, as a backfill sends it), and DIR/meters.txt (serial TAB key).
// --sqlite and --postgresql register the meters in a server database (created and migrated).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/envelope/envelope.hpp"
#include "core/topic/topic.hpp"
#include "platform/crypto/random.hpp"
#include "server/postgresql/store.hpp"
#include "server/sqlite/store.hpp"
#include "sim/backfill.hpp"

using namespace ml;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::cerr << "capture_gen: " << what << "\n";
  std::exit(1);
}

template <class T>
T must(core::Result<T> r, const std::string& what) {
  if (!r) die(what + ": " + r.error().text());
  return std::move(r).value();
}

void register_meters(server::ServerStore& store, const std::vector<server::Meter>& meters) {
  auto s = store.write_transaction([&]() -> core::Status {
    for (const auto& m : meters)
      ML_TRY(store.add_meter(m));
    return core::Ok{};
  });
  if (!s) die("registering the meters: " + s.error().text());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: capture_gen DIR METERS SAMPLES_PER_METER [--by-meter] [--sqlite PATH] "
                 "[--postgresql URL]\n";
    return 2;
  }
  const std::string dir = argv[1];
  const int meters = std::stoi(argv[2]);
  const int per_meter = std::stoi(argv[3]);
  bool by_meter = false;
  std::string sqlite_path, postgresql_url;
  for (int i = 4; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--by-meter") {
      by_meter = true;
    } else if (a == "--sqlite" && i + 1 < argc) {
      sqlite_path = argv[++i];
    } else if (a == "--postgresql" && i + 1 < argc) {
      postgresql_url = argv[++i];
    } else {
      die("unknown argument " + a);
    }
  }
  if (meters < 1 || per_meter < 1) die("METERS and SAMPLES_PER_METER from 1");

  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const std::int64_t to = (now - 3600) / 60 * 60;
  std::vector<server::Meter> registry;
  // lines[meter][sample]
  std::vector<std::vector<std::string>> lines(static_cast<std::size_t>(meters));
  for (int i = 0; i < meters; ++i) {
    const auto serial = static_cast<std::uint32_t>(7000001 + i);
    server::Meter m;
    m.serial = core::topic::Serial::from_number(serial).text();
    m.key_hex = core::to_hex(must(platform::random_bytes(16), "a key"));
    m.created = now;
    registry.push_back(m);
    const auto keys = must(core::envelope::derive_keys_from_hex(m.key_hex), "the key");
    sim::BackfillConfig c;
    c.serial = serial;
    c.seed = static_cast<std::uint64_t>(i + 1);
    c.every_s = 60;
    c.to = to;
    c.from = to - 60 * (per_meter - 1);
    c.end_energy_mwh = 12345000000ULL + static_cast<std::uint64_t>(i) * 1000000ULL;
    c.end_volume_ml = 321500000ULL;
    const auto samples = must(sim::backfill(c), "backfill");
    auto& out = lines[static_cast<std::size_t>(i)];
    for (const auto& s : samples) {
      const auto topic =
          must(core::topic::device_topic("sample", core::topic::Serial::from_number(serial),
                                         static_cast<std::uint64_t>(s.time)),
               "a topic");
      const auto payload =
          must(platform::seal_random(keys, topic, s.text, core::envelope::Padding::pkcs7), "seal");
      out.push_back(topic + "\t" + core::to_hex(payload) + "\n");
    }
  }
  std::ofstream capture(dir + "/capture.txt", std::ios::binary);
  std::size_t written = 0;
  if (by_meter) {
    for (const auto& meter : lines)
      for (const auto& line : meter) {
        capture << line;
        ++written;
      }
  } else {
    for (std::size_t k = 0; k < static_cast<std::size_t>(per_meter); ++k)
      for (const auto& meter : lines) {
        if (k >= meter.size()) continue;
        capture << meter[k];
        ++written;
      }
  }
  if (!capture.flush()) die("cannot write " + dir + "/capture.txt");
  std::ofstream keys_file(dir + "/meters.txt");
  for (const auto& m : registry)
    keys_file << m.serial << "\t" << m.key_hex << "\n";
  if (!keys_file.flush()) die("cannot write " + dir + "/meters.txt");
  if (!sqlite_path.empty()) {
    register_meters(*must(server::SqliteStore::open(sqlite_path), sqlite_path), registry);
  }
  if (!postgresql_url.empty()) {
    register_meters(*must(server::PostgresStore::open(postgresql_url), "PostgreSQL"), registry);
  }
  std::printf("capture: %zu messages from %d meters (%s order)\n", written, meters,
              by_meter ? "meter by meter" : "minute by minute");
  return 0;
}
