// What devices sent: samples and their hourly and daily rollups, diagnostic replies, events,
// and the messages that were rejected. A focused part of the server's store (server/store.hpp).
// A backend only persists: the rules of ingest (what a message changes, rollups, valve events,
// the quarantine's size) are backend-neutral, in server/store_ingest.hpp and server/rollup.hpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/decimal.hpp"
#include "core/result.hpp"
#include "core/sample/sample.hpp"

namespace ml::server {

// The sample keys (docs/protocols/sample.md, "Format") the exports give a column each (CSV,
// `export`), in this order.
inline constexpr std::string_view kSampleKeys[] = {"heap",  "t1",      "t2", "t3", "tdif",
                                                   "flow1", "effect1", "hr", "v1", "e1"};

struct StoredSample {
  std::string serial;
  std::int64_t time = 0;
  std::map<std::string, std::optional<std::string>> values;  // key -> exact text (nullopt: NaN)
  std::map<std::string, std::string> units;                  // key -> unit as sent
  std::optional<std::string> energy_kwh;                     // normalised, exact
  std::optional<std::string> volume_m3;
  // Firmware defects the sample shows (core::sample::ParsedSample::quirks), "" when none.
  std::string quirks;
};

// What a backend keeps of a sample (docs/server.md, "Storage"): the text as received, which
// holds every value with its unit in the order sent, and what is derived from it once at ingest
// (the normalised energy and volume, exact; the quirks). Built by sample_record() and read back
// by stored_sample() (server/sample_record.hpp).
struct SampleRecord {
  std::string serial;
  std::int64_t time = 0;
  std::string text;
  std::optional<core::Decimal> energy_kwh;
  std::optional<core::Decimal> volume_m3;
  std::string quirks;  // "" when none
  std::int64_t received = 0;
};

// An unpacked sample's row as a read gives it (SampleStore::unpacked_samples).
struct SampleRow {
  std::int64_t time = 0;
  std::string text;  // as received ("" when only the times were asked for)
  std::optional<std::string> energy_kwh;
  std::optional<std::string> volume_m3;
};

// Which samples a read wants: those in [from, to], at most `limit`, oldest or newest first.
struct SampleRange {
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::size_t limit = SIZE_MAX;
  bool newest_first = false;
  // The limit as a query parameter: SIZE_MAX (every one) as the largest a sum in SQL cannot pass.
  std::int64_t sql_limit() const {
    return static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX / 4));
  }
};

// One meter's UTC day of samples packed into one value (server/sample_pack.hpp).
struct PackedDay {
  std::string serial;
  std::int64_t day = 0;  // days since 1970-01-01
  std::int64_t samples = 0;
  std::int64_t first_time = 0;
  std::int64_t last_time = 0;
  std::vector<std::uint8_t> data;
};

// One message from a device, already verified and opened, to store.
struct IngestItem {
  enum class Kind : std::uint8_t { sample, diagnostic, event } kind = Kind::sample;
  std::string serial;
  std::int64_t time = 0;              // the topic time (server time for offline)
  std::string function;               // "sample", a reply name, "offline"
  std::string text;                   // the opened text
  core::sample::ParsedSample sample;  // for kind sample
};

// What happened to one item. will_ignored: a last will for a meter already offline (forged
// wills add no event rows).
enum class IngestOutcome : std::uint8_t {
  stored,
  duplicate,
  older_ignored,
  event_logged,
  will_ignored
};

// A message that was not stored, with why (counted by reason; the message kept for a look).
struct Rejection {
  std::string reason;  // unknown_serial, bad_mac, implausible_time, bad_text, ...
  std::string serial;  // from the topic; empty when the topic does not name one
  std::string topic;
  std::string detail;
  std::vector<std::uint8_t> payload;
  std::int64_t time = 0;
};

// How many messages naming a serial were rejected for one reason, and when (server time).
struct SerialRejection {
  std::string serial;
  std::string reason;
  std::int64_t count = 0;
  std::int64_t first_time = 0;
  std::int64_t last_time = 0;
};

// The exact sum and count of one averaged field in a bucket (average = sum / count). available
// false: a sum left 64 bits, so the field's average is unavailable for this bucket.
struct AverageSum {
  core::Decimal sum{};
  std::int64_t count = 0;
  bool available = true;
  bool operator==(const AverageSum&) const = default;
};

struct Rollup {
  std::string serial;
  std::int64_t bucket = 0;  // unix seconds at the bucket's start (UTC hour or day)
  std::int64_t samples = 0;
  std::int64_t first_time = 0;
  std::int64_t last_time = 0;
  std::optional<std::string> energy_first, energy_last;  // kWh at first_time / last_time
  std::optional<std::string> volume_first, volume_last;  // m3
  // Exact sums and counts of the averaged fields (server/rollup.hpp, kAveragedFields).
  std::map<std::string, AverageSum> sums;
};

enum class Period : std::uint8_t { hour, day };

// An event of a meter (offline, reset_reason, valve changes, ...).
struct Event {
  std::int64_t time;
  std::string kind;
  std::string detail;
};

// The newest value of one diagnostic reply and the device's time of it.
struct Diagnostic {
  std::string text;
  std::int64_t time = 0;
};

// A meter's diagnostic reply, or an unpacked sample's row, in a read of the whole fleet.
struct MeterDiagnostic {
  std::string serial;
  std::string function;
  Diagnostic value;
};
struct MeterSampleRow {
  std::string serial;
  SampleRow row;
};

class SampleStore {
 public:
  virtual ~SampleStore() = default;

  // ---- persistence (the rules that call these: server/store_ingest.hpp) ----
  // Stores the sample unless one with its serial and time is kept: true when stored.
  virtual core::Result<bool> insert_sample(const SampleRecord& record) = 0;
  // One bucket of a rollup; one with samples == 0 when there is none yet.
  virtual core::Result<Rollup> rollup_bucket(const std::string& serial, Period period,
                                             std::int64_t bucket) = 0;
  // Writes a bucket (r.serial, period, r.bucket), replacing what it held.
  virtual core::Status write_rollup(Period period, const Rollup& r) = 0;
  // The same for a batch (store_ingest.hpp): a backend may do each in one statement; these
  // defaults call the ones above.
  // insert_sample for each record (no two with the same serial and time): whether each was stored.
  virtual core::Result<std::vector<bool>> insert_samples(const std::vector<SampleRecord>& records) {
    std::vector<bool> stored;
    stored.reserve(records.size());
    for (const auto& r : records) {
      auto one = insert_sample(r);
      if (!one) return one.error();
      stored.push_back(*one);
    }
    return stored;
  }
  // rollup_bucket for each (serial, bucket), no two the same, in their order.
  virtual core::Result<std::vector<Rollup>> rollup_buckets(
      Period period, const std::vector<std::pair<std::string, std::int64_t>>& buckets) {
    std::vector<Rollup> out;
    out.reserve(buckets.size());
    for (const auto& [serial, bucket] : buckets) {
      auto r = rollup_bucket(serial, period, bucket);
      if (!r) return r.error();
      out.push_back(std::move(r).value());
    }
    return out;
  }
  // write_rollup for each (no two the same bucket).
  virtual core::Status write_rollups(Period period, const std::vector<Rollup>& rollups) {
    for (const auto& r : rollups)
      ML_TRY(write_rollup(period, r));
    return core::Ok{};
  }
  // Makes ahead what storing samples with times in [from, to] needs, each part in a transaction of
  // its own, outside any batch: PostgreSQL creates the missing month partitions of `samples`
  // (creating one locks the table until its transaction ends, which in a batch would hold up
  // every other worker's batches); SQLite needs nothing.
  virtual core::Status prepare_for_samples(std::int64_t from, std::int64_t to) {
    (void)from;
    (void)to;
    return core::Ok{};
  }
  // The newest value of one diagnostic reply, if any.
  virtual core::Result<std::optional<Diagnostic>> diagnostic(const std::string& serial,
                                                             const std::string& function) = 0;
  // Writes a reply's value unless the one kept has a later time: true when written.
  virtual core::Result<bool> write_diagnostic_if_newer(const std::string& serial,
                                                       const std::string& function,
                                                       const Diagnostic& value,
                                                       std::int64_t received) = 0;
  virtual core::Status add_event(const std::string& serial, const Event& event) = 0;
  // Counts one rejection for a reason (the counts are kept forever).
  virtual core::Status count_rejection(const std::string& reason) = 0;
  // Counts one rejection of a message naming `serial`, at `time` (server time).
  virtual core::Status count_serial_rejection(const std::string& serial, const std::string& reason,
                                              std::int64_t time) = 0;
  // Keeps the message for a look; returns its number (increasing: 1, 2, ...).
  virtual core::Result<std::int64_t> quarantine(const Rejection& rejection) = 0;
  // Keeps only the newest `kept` quarantined messages.
  virtual core::Status trim_quarantine(std::int64_t kept) = 0;
  // Keeps the per-serial rejection counts of only the `kept` serials rejected most recently.
  virtual core::Status trim_serial_rejections(std::int64_t kept) = 0;

  // ---- reading ----
  virtual core::Result<std::map<std::string, std::int64_t>> rejection_counts() = 0;
  // A serial's rejections by reason.
  virtual core::Result<std::vector<SerialRejection>> rejections_for(const std::string& serial) = 0;
  // The serials rejected as unknown that are still not meters, the most recent first: devices
  // to adopt with `meters add` (or noise).
  virtual core::Result<std::vector<SerialRejection>> unknown_serials(int limit) = 0;
  // Every serial's rejections (by reason) whose newest came at or after `since` (server time),
  // the most recent first, at most `limit`: the devices sending what is refused now (a wrong
  // key, a clock far off), one read for the whole fleet.
  virtual core::Result<std::vector<SerialRejection>> recent_rejections(std::int64_t since,
                                                                       int limit) = 0;

  // The newest value of each diagnostic reply (version, status, uptime, ...) with its time.
  virtual core::Result<std::map<std::string, Diagnostic>> diagnostics(
      const std::string& serial) = 0;
  virtual core::Result<std::vector<Rollup>> rollups(const std::string& serial, Period period,
                                                    std::int64_t from, std::int64_t to) = 0;
  // Events, oldest first.
  virtual core::Result<std::vector<Event>> events(const std::string& serial) = 0;

  // ---- the whole fleet, one statement each (the fleet summary's reading) ----
  // Every meter's diagnostic replies, by serial.
  virtual core::Result<std::vector<MeterDiagnostic>> every_diagnostic() = 0;
  // Every meter's rollups of `period` with a bucket in [from, to], by serial, then bucket,
  // without their sums (left empty): the fleet's reading needs the readings only, and decoding
  // the sums of a month of every meter was a third of it.
  virtual core::Result<std::vector<Rollup>> every_rollup(Period period, std::int64_t from,
                                                         std::int64_t to) = 0;
  // For every meter whose newest sample (meters.last_sample_time) is at or after `since`: that
  // sample and the oldest at or after its time less `span`, from the unpacked rows only (the
  // caller sees to it that none so recent can be packed yet), by serial, then time; a sample that
  // is both comes twice. A meter whose newest sample has no row is left out.
  virtual core::Result<std::vector<MeterSampleRow>> every_rate_window(std::int64_t since,
                                                                      std::int64_t span) = 0;

  // ---- samples, wherever they are kept (server/sample_days.cpp) ----
  // A sample is kept in one of two places (docs/server.md, "Packed days"): its own row in
  // `samples`, or in its meter's packed day in `sample_days` (server/sample_pack.hpp) once the
  // day is old enough to be packed (server/sample_days.hpp). These reads give both, merged;
  // a backend provides the two primitives below them.
  core::Result<std::vector<StoredSample>> samples(const std::string& serial, std::int64_t from,
                                                  std::int64_t to);
  // At most `limit` of the samples in [from, to], oldest first: a page (the next one starts one
  // second after the last sample of this one), so a long range is read in bounded pieces.
  core::Result<std::vector<StoredSample>> samples_page(const std::string& serial, std::int64_t from,
                                                       std::int64_t to, std::size_t limit);
  // The times of the samples in [from, to], oldest first: what gaps are found in
  // (server/gaps.hpp).
  core::Result<std::vector<std::int64_t>> sample_times(const std::string& serial, std::int64_t from,
                                                       std::int64_t to);
  // The newest sample, and the oldest one at or after `from` (what the time left is estimated
  // from); nullopt when there is none.
  core::Result<std::optional<StoredSample>> latest_sample(const std::string& serial);
  core::Result<std::optional<StoredSample>> first_sample_since(const std::string& serial,
                                                               std::int64_t from);
  // A meter's newest `count` samples, newest first (the alarm round's).
  core::Result<std::vector<StoredSample>> newest_samples(const std::string& serial,
                                                         std::int64_t count);

  // ---- the two places, for the reads above and for packing (server/sample_days.hpp) ----
  // The unpacked samples of `serial` in [range.from, range.to], oldest first (newest first when
  // range.newest_first), at most range.limit; with times_only each row's text is left empty.
  virtual core::Result<std::vector<SampleRow>> unpacked_samples(const std::string& serial,
                                                                const SampleRange& range,
                                                                bool times_only) = 0;
  // The packed days of `serial` that hold a sample in [range.from, range.to] by their first and
  // last times, in day order (newest first when range.newest_first), no more than needed to
  // hold range.limit samples.
  virtual core::Result<std::vector<PackedDay>> packed_days(const std::string& serial,
                                                           const SampleRange& range) = 0;
  // The unpacked samples of one meter and UTC day as stored, oldest first.
  virtual core::Result<std::vector<SampleRecord>> unpacked_day(const std::string& serial,
                                                               std::int64_t day) = 0;
  // Every meter (in `meters`) with an unpacked sample before `before`, and the time of its
  // oldest: what is left to pack.
  virtual core::Result<std::vector<std::pair<std::string, std::int64_t>>> oldest_unpacked(
      std::int64_t before) = 0;
  // Replaces the packed day (day.serial, day.day) with `day`, and deletes the unpacked samples
  // of that meter at `times`, which the new packed day holds.
  virtual core::Status write_packed_day(const PackedDay& day,
                                        const std::vector<std::int64_t>& times) = 0;
  // The packed days of these (serial, day) keys that exist, in no particular order: one read
  // for a batch's late samples.
  virtual core::Result<std::vector<PackedDay>> packed_days_of(
      const std::vector<std::pair<std::string, std::int64_t>>& keys) = 0;
  // Waits for and holds the meters' rows until the transaction ends (PostgreSQL: FOR UPDATE, in
  // serial order), so that a day being packed and a late sample of that day are not checked at
  // once; SQLite has one writer and does nothing.
  virtual core::Status lock_meters(const std::vector<std::string>& serials) = 0;
};

}  // namespace ml::server
