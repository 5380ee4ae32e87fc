// Packing old days of samples, and the sample reads that merge both places (sample_days.hpp,
// store/samples.hpp).
#include "server/sample_days.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "server/sample_pack.hpp"
#include "server/sample_record.hpp"

namespace ml::server {
namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// Every sample of a UTC day.
SampleRange day_range(std::int64_t day) {
  return {day * kDaySeconds, day * kDaySeconds + kDaySeconds - 1};
}

// The records a packed day holds.
core::Result<std::vector<SampleRecord>> records_of(const PackedDay& day) {
  return unpack_day(day.data, day.serial, day.day);
}

// The samples of `range` from both places, in its order, at most its limit.
core::Result<std::vector<SampleRow>> merged_rows(SampleStore& store, const std::string& serial,
                                                 const SampleRange& range, bool times_only) {
  auto rows = store.unpacked_samples(serial, range, times_only);
  if (!rows) return rows.error();
  // When the rows alone fill the limit, only a packed sample before the last of them (in the
  // range's order) can be among the first: the newest sample of a meter whose recent days are
  // rows (the meter list asks for it) unpacks no day.
  SampleRange wanted = range;
  if (!rows->empty() && rows->size() >= range.limit) {
    if (range.newest_first) {
      wanted.from = rows->back().time + 1;
    } else {
      wanted.to = rows->back().time - 1;
    }
    if (wanted.from > wanted.to) return rows;
  }
  auto days = store.packed_days(serial, wanted);
  if (!days) return days.error();
  if (days->empty()) return rows;
  std::vector<SampleRow> packed;
  for (const auto& day : *days) {
    auto records = records_of(day);
    if (!records) return records.error();
    for (auto& r : *records) {
      if (r.time < wanted.from || r.time > wanted.to) continue;
      packed.push_back(SampleRow{r.time, times_only ? std::string() : std::move(r.text),
                                 decimal_text(r.energy_kwh), decimal_text(r.volume_m3)});
    }
  }
  const auto before = [&](const SampleRow& a, const SampleRow& b) {
    return range.newest_first ? a.time > b.time : a.time < b.time;
  };
  std::sort(packed.begin(), packed.end(), before);
  std::vector<SampleRow> out;
  out.reserve(std::min(range.limit, rows->size() + packed.size()));
  std::merge(std::make_move_iterator(rows->begin()), std::make_move_iterator(rows->end()),
             std::make_move_iterator(packed.begin()), std::make_move_iterator(packed.end()),
             std::back_inserter(out), before);
  if (out.size() > range.limit) out.resize(range.limit);
  return out;
}

core::Result<std::vector<StoredSample>> stored_samples(SampleStore& store,
                                                       const std::string& serial,
                                                       const SampleRange& range) {
  auto rows = merged_rows(store, serial, range, false);
  if (!rows) return rows.error();
  std::vector<StoredSample> out;
  out.reserve(rows->size());
  for (auto& r : *rows) {
    out.push_back(
        stored_sample(serial, r.time, r.text, std::move(r.energy_kwh), std::move(r.volume_m3)));
  }
  return out;
}

core::Result<std::optional<StoredSample>> one_sample(SampleStore& store, const std::string& serial,
                                                     const SampleRange& range) {
  auto found = stored_samples(store, serial, range);
  if (!found) return found.error();
  if (found->empty()) return std::optional<StoredSample>();
  return std::optional<StoredSample>(std::move(found->front()));
}

// Packs one meter's day in a transaction of its own: the report counts what was written.
core::Status pack_one_day(ServerStore& store, const std::string& serial, std::int64_t day,
                          PackReport& report) {
  PackReport added;
  auto written = store.write_transaction([&]() -> core::Status {
    added = {};
    ML_TRY(store.lock_meters({serial}));
    auto rows = store.unpacked_day(serial, day);
    if (!rows) return rows.error();
    if (rows->empty()) return core::Ok{};
    std::vector<std::int64_t> times;
    times.reserve(rows->size());
    for (const auto& r : *rows)
      times.push_back(r.time);
    auto before = store.packed_days(serial, day_range(day));
    if (!before) return before.error();
    // The day packed before, with the rows it does not hold (ingest lets none in that it holds).
    std::vector<SampleRecord> merged;
    std::set<std::int64_t> held;
    for (const auto& old : *before) {
      auto records = records_of(old);
      if (!records) return records.error();
      for (auto& r : *records) {
        held.insert(r.time);
        merged.push_back(std::move(r));
      }
    }
    for (auto& r : *rows) {
      if (!held.contains(r.time)) merged.push_back(std::move(r));
    }
    std::sort(merged.begin(), merged.end(),
              [](const SampleRecord& a, const SampleRecord& b) { return a.time < b.time; });
    PackedDay packed{serial,
                     day,
                     static_cast<std::int64_t>(merged.size()),
                     merged.front().time,
                     merged.back().time,
                     pack_day(merged)};
    ML_TRY(store.write_packed_day(packed, times));
    added.days = 1;
    added.samples = static_cast<std::int64_t>(times.size());
    added.bytes = static_cast<std::int64_t>(packed.data.size());
    return core::Ok{};
  });
  if (!written) return written;
  report.days += added.days;
  report.samples += added.samples;
  report.bytes += added.bytes;
  return core::Ok{};
}

}  // namespace

bool may_be_packed(std::int64_t time, std::int64_t now) {
  return time < now - kDaySeconds;
}

core::Result<PackReport> pack_samples(ServerStore& store, std::int64_t now, int after_days,
                                      const std::function<bool()>& more) {
  if (after_days < kPackMinAgeDays) {
    return core::make_error(core::Errc::config_invalid, "days are packed " +
                                                            std::to_string(kPackMinAgeDays) +
                                                            " or more days after they ended, not " +
                                                            std::to_string(after_days));
  }
  const std::int64_t before = (day_of(now) - after_days) * kDaySeconds;
  auto todo = store.oldest_unpacked(before);
  if (!todo) return todo.error();
  PackReport report;
  for (const auto& [serial, oldest] : *todo) {
    std::optional<std::int64_t> next = oldest;
    bool packed = false;
    while (next) {
      if (!more()) {
        report.finished = false;
        return report;
      }
      const std::int64_t day = day_of(*next);
      const std::int64_t days_before = report.days;
      ML_TRY(pack_one_day(store, serial, day, report));
      packed = packed || report.days > days_before;
      // The next day of this meter with an unpacked sample before `before`.
      auto after = store.unpacked_samples(serial, {(day + 1) * kDaySeconds, before - 1, 1}, true);
      if (!after) return after.error();
      next = after->empty() ? std::nullopt : std::optional<std::int64_t>(after->front().time);
    }
    if (packed) ++report.meters;
  }
  return report;
}

core::Result<std::vector<bool>> packed_already(SampleStore& store,
                                               const std::vector<SampleRecord>& records,
                                               std::int64_t now) {
  std::vector<bool> out(records.size(), false);
  // The meters and days of the records that may be packed: locked and read at once.
  std::set<std::string> meters;
  std::set<std::pair<std::string, std::int64_t>> keys;
  for (const auto& r : records) {
    if (!may_be_packed(r.time, now)) continue;
    meters.insert(r.serial);
    keys.emplace(r.serial, day_of(r.time));
  }
  if (keys.empty()) return out;
  ML_TRY(store.lock_meters({meters.begin(), meters.end()}));
  auto days = store.packed_days_of({keys.begin(), keys.end()});
  if (!days) return days.error();
  if (days->empty()) return out;
  std::set<std::pair<std::string, std::int64_t>> held;  // serial, time
  for (const auto& d : *days) {
    auto records_held = records_of(d);
    if (!records_held) return records_held.error();
    for (const auto& h : *records_held)
      held.emplace(d.serial, h.time);
  }
  for (std::size_t i = 0; i < records.size(); ++i)
    out[i] = held.contains({records[i].serial, records[i].time});
  return out;
}

// ---- SampleStore's reads (store/samples.hpp) ----

core::Result<std::vector<StoredSample>> SampleStore::samples(const std::string& serial,
                                                             std::int64_t from, std::int64_t to) {
  return stored_samples(*this, serial, {from, to});
}

core::Result<std::vector<StoredSample>> SampleStore::samples_page(const std::string& serial,
                                                                  std::int64_t from,
                                                                  std::int64_t to,
                                                                  std::size_t limit) {
  return stored_samples(*this, serial, {from, to, limit});
}

core::Result<std::vector<std::int64_t>> SampleStore::sample_times(const std::string& serial,
                                                                  std::int64_t from,
                                                                  std::int64_t to) {
  auto rows = merged_rows(*this, serial, {from, to}, true);
  if (!rows) return rows.error();
  std::vector<std::int64_t> out;
  out.reserve(rows->size());
  for (const auto& r : *rows)
    out.push_back(r.time);
  return out;
}

core::Result<std::optional<StoredSample>> SampleStore::latest_sample(const std::string& serial) {
  return one_sample(*this, serial, {kMin, kMax, 1, true});
}

core::Result<std::optional<StoredSample>> SampleStore::first_sample_since(const std::string& serial,
                                                                          std::int64_t from) {
  return one_sample(*this, serial, {from, kMax, 1});
}

core::Result<std::vector<StoredSample>> SampleStore::newest_samples(const std::string& serial,
                                                                    std::int64_t count) {
  return stored_samples(
      *this, serial,
      {kMin, kMax, static_cast<std::size_t>(std::max<std::int64_t>(count, 0)), true});
}

}  // namespace ml::server
