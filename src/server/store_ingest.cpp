// The rules of storing what devices send (store_ingest.hpp).
#include "server/store_ingest.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "core/topic/names.hpp"
#include "server/rollup.hpp"
#include "server/sample_days.hpp"
#include "server/sample_record.hpp"

namespace ml::server {
namespace {

// A serial and a time (a sample's key, a rollup bucket's) as a hash key: a batch of a file has
// tens of thousands of them, and ordered sets compared their serials' text a dozen times each.
using SerialTime = std::pair<std::string, std::int64_t>;
struct SerialTimeHash {
  std::size_t operator()(const SerialTime& k) const {
    return std::hash<std::string>()(k.first) ^ (std::hash<std::int64_t>()(k.second) * 31);
  }
};

core::Result<IngestOutcome> store_diagnostic(ServerStore& store, const IngestItem& item,
                                             std::int64_t now) {
  // Which replies are events too is the function table's (core::topic::kDeviceFunctions).
  const core::topic::FunctionInfo* info = core::topic::find_device_function(item.function);
  const core::topic::Logged logged = info != nullptr ? info->logged : core::topic::Logged::no;
  const std::string kind(info == nullptr || info->event_kind.empty() ? item.function
                                                                     : info->event_kind);
  // A change is compared with the value kept before; an older reply changes nothing.
  std::optional<std::string> before;
  if (logged == core::topic::Logged::on_change) {
    auto prev = store.diagnostic(item.serial, item.function);
    if (!prev) return prev.error();
    before = *prev ? (*prev)->text : std::string();
    if (*prev && (*prev)->time > item.time) before.reset();
  }
  auto newer =
      store.write_diagnostic_if_newer(item.serial, item.function, {item.text, item.time}, now);
  if (!newer) return newer.error();
  if (*newer && before && *before != item.text) {
    ML_TRY(store.add_event(
        item.serial, {item.time, kind, (before->empty() ? "" : *before + " -> ") + item.text}));
  }
  if (logged == core::topic::Logged::each) {
    ML_TRY(store.add_event(item.serial, {item.time, kind, item.text}));
  }
  return *newer ? IngestOutcome::stored : IngestOutcome::older_ignored;
}

// One batch's writes, in as few statements as the rules allow: what one item changes that a
// later item of the batch does not read is gathered and written once at the end. The result is
// the same as storing the items one by one:
// - "online" is written once per meter, before a last will of that meter is looked at (which
//   asks whether it was online) and at the end;
// - the samples are inserted together (a second one with the same serial and time in the batch
//   is a duplicate, as it would be one by one); each meter's last sample time moves once, to the
//   newest stored; each rollup bucket is read once, every stored sample added to it in the
//   items' order (rollup.hpp: the same sums, first and last), and written once.
class Batch {
 public:
  Batch(ServerStore& store, const std::vector<IngestItem>& items, std::int64_t now,
        std::vector<IngestOutcome>& out)
      : store_(store), items_(items), now_(now), out_(out) {}

  core::Status store_all() {
    out_.assign(items_.size(), IngestOutcome::stored);
    for (std::size_t i = 0; i < items_.size(); ++i)
      ML_TRY(store_item(i));
    ML_TRY(write_online());
    return store_samples();
  }

 private:
  core::Status store_item(std::size_t i) {
    const IngestItem& item = items_[i];
    if (item.function == "offline") {
      // A last will (not authenticated): one event when the meter goes offline, none while it
      // is. Whether it was online includes the authentic messages before it in the batch.
      if (online_.contains(item.serial)) ML_TRY(write_online());
      auto was_online = store_.mark_offline(item.serial, item.time);
      if (!was_online) return was_online.error();
      if (!*was_online) {
        out_[i] = IngestOutcome::will_ignored;
        return core::Ok{};
      }
    } else if (online_.insert(item.serial).second) {
      // An authentic message: the meter is online again, whatever will came before.
      online_order_.push_back(item.serial);
    }
    switch (item.kind) {
      case IngestItem::Kind::event:
        ML_TRY(store_.add_event(item.serial, {item.time, item.function, item.text}));
        out_[i] = IngestOutcome::event_logged;
        return core::Ok{};
      case IngestItem::Kind::diagnostic: {
        auto o = store_diagnostic(store_, item, now_);
        if (!o) return o.error();
        out_[i] = *o;
        return core::Ok{};
      }
      case IngestItem::Kind::sample:
        break;
    }
    // The first of a serial and time in the batch is inserted below; the others are duplicates.
    if (!sample_keys_.emplace(item.serial, item.time).second) {
      out_[i] = IngestOutcome::duplicate;
      return core::Ok{};
    }
    samples_.push_back(i);
    return core::Ok{};
  }

  core::Status write_online() {
    ML_TRY(store_.mark_all_online(online_order_));
    online_.clear();
    online_order_.clear();
    return core::Ok{};
  }

  core::Status store_samples() {
    if (samples_.empty()) return core::Ok{};
    // In key order (serial, time), not in the order they came: a live capture's batch holds one
    // sample of each meter after another, and one meter's samples are neighbours in the tables'
    // keys, so each insert and each bucket would land on another page than the one before.
    // Nothing depends on the order: the keys are distinct, a bucket's first and last are by time,
    // and its sums are exact.
    std::sort(samples_.begin(), samples_.end(), [this](std::size_t a, std::size_t b) {
      const IngestItem& x = items_[a];
      const IngestItem& y = items_[b];
      const int c = x.serial.compare(y.serial);
      return c != 0 ? c < 0 : x.time < y.time;
    });
    std::vector<SampleRecord> records;
    records.reserve(samples_.size());
    for (std::size_t i : samples_)
      records.push_back(sample_record(items_[i], now_));
    // A late sample of a day packed already is a duplicate if the day holds it.
    auto packed = packed_already(store_, records, now_);
    if (!packed) return packed.error();
    auto inserted = insert_unpacked(records, *packed);
    if (!inserted) return inserted.error();
    // The stored ones (indexes into records), and each meter's newest.
    std::vector<std::size_t> stored;
    std::vector<std::pair<std::string, std::int64_t>> newest;
    std::unordered_map<std::string, std::size_t> newest_of;
    for (std::size_t k = 0; k < records.size(); ++k) {
      if (!(*inserted)[k]) {
        out_[samples_[k]] = IngestOutcome::duplicate;
        continue;
      }
      stored.push_back(k);
      const auto& r = records[k];
      auto [at, added] = newest_of.emplace(r.serial, newest.size());
      if (added) {
        newest.emplace_back(r.serial, r.time);
      } else {
        newest[at->second].second = std::max(newest[at->second].second, r.time);
      }
    }
    if (stored.empty()) return core::Ok{};
    ML_TRY(store_.samples_seen(newest));
    std::vector<std::optional<std::string>> energy, volume;
    for (std::size_t k : stored) {
      energy.push_back(decimal_text(records[k].energy_kwh));
      volume.push_back(decimal_text(records[k].volume_m3));
    }
    for (Period period : {Period::hour, Period::day}) {
      std::vector<SerialTime> buckets;
      std::unordered_map<SerialTime, std::size_t, SerialTimeHash> bucket_index;
      bucket_index.reserve(stored.size());
      std::vector<std::size_t> of;  // stored[j]'s bucket
      for (std::size_t k : stored) {
        SerialTime key{records[k].serial, bucket_of(period, records[k].time)};
        auto [at, added] = bucket_index.emplace(key, buckets.size());
        if (added) buckets.push_back(std::move(key));
        of.push_back(at->second);
      }
      auto rollups = store_.rollup_buckets(period, buckets);
      if (!rollups) return rollups.error();
      for (std::size_t b = 0; b < buckets.size(); ++b) {
        (*rollups)[b].serial = buckets[b].first;
        (*rollups)[b].bucket = buckets[b].second;
      }
      for (std::size_t j = 0; j < stored.size(); ++j) {
        const auto& r = records[stored[j]];
        add_to_rollup((*rollups)[of[j]], r.time, energy[j], volume[j],
                      items_[samples_[stored[j]]].sample);
      }
      ML_TRY(store_.write_rollups(period, *rollups));
    }
    return core::Ok{};
  }

  // insert_samples of the records not packed already: whether each record was stored.
  core::Result<std::vector<bool>> insert_unpacked(const std::vector<SampleRecord>& records,
                                                  const std::vector<bool>& packed) {
    if (std::find(packed.begin(), packed.end(), true) == packed.end()) {
      return store_.insert_samples(records);
    }
    std::vector<SampleRecord> unpacked;
    std::vector<std::size_t> at;  // unpacked[j] is records[at[j]]
    for (std::size_t k = 0; k < records.size(); ++k) {
      if (packed[k]) continue;
      at.push_back(k);
      unpacked.push_back(records[k]);
    }
    auto stored = store_.insert_samples(unpacked);
    if (!stored) return stored.error();
    std::vector<bool> out(records.size(), false);
    for (std::size_t j = 0; j < at.size(); ++j)
      out[at[j]] = (*stored)[j];
    return out;
  }

  ServerStore& store_;
  const std::vector<IngestItem>& items_;
  std::int64_t now_;
  std::vector<IngestOutcome>& out_;
  std::unordered_set<std::string> online_;  // to be marked online
  std::vector<std::string> online_order_;   // the same, in the order they came
  std::unordered_set<SerialTime, SerialTimeHash> sample_keys_;
  std::vector<std::size_t> samples_;  // the items that are samples to insert
};

}  // namespace

core::Result<std::vector<IngestOutcome>> store_items(ServerStore& store,
                                                     const std::vector<IngestItem>& items,
                                                     std::int64_t now) {
  std::vector<IngestOutcome> out;
  out.reserve(items.size());
  ML_TRY(store.write_transaction([&]() -> core::Status {
    // (Again from the start when the transaction is tried again.)
    return Batch(store, items, now, out).store_all();
  }));
  return out;
}

core::Status store_rejection(ServerStore& store, const Rejection& r) {
  return store.write_transaction([&]() -> core::Status {
    ML_TRY(store.count_rejection(r.reason));
    if (!r.serial.empty()) ML_TRY(store.count_serial_rejection(r.serial, r.reason, r.time));
    auto number = store.quarantine(r);
    if (!number) return number.error();
    ML_TRY(store.trim_quarantine(kQuarantineKept));
    if (*number % kRejectionSerialsCheckEvery == 0) {
      ML_TRY(store.trim_serial_rejections(kRejectionSerialsKept));
    }
    return core::Ok{};
  });
}

}  // namespace ml::server
