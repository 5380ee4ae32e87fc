// The rules of storing what devices send (store_ingest.hpp).
#include "server/store_ingest.hpp"

#include "core/topic/names.hpp"
#include "server/rollup.hpp"
#include "server/sample_record.hpp"

namespace ml::server {
namespace {

core::Status add_to_bucket(ServerStore& store, Period period, const SampleRecord& record,
                           const std::optional<std::string>& energy,
                           const std::optional<std::string>& volume,
                           const core::sample::ParsedSample& sample) {
  auto r = store.rollup_bucket(record.serial, period, bucket_of(period, record.time));
  if (!r) return r.error();
  r->serial = record.serial;
  r->bucket = bucket_of(period, record.time);
  add_to_rollup(*r, record.time, energy, volume, sample);
  return store.write_rollup(period, *r);
}

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

core::Result<IngestOutcome> store_sample(ServerStore& store, const IngestItem& item,
                                         std::int64_t now) {
  const SampleRecord record = sample_record(item, now);
  auto stored = store.insert_sample(record);
  if (!stored) return stored.error();
  if (!*stored) return IngestOutcome::duplicate;
  ML_TRY(store.sample_seen(record.serial, record.time));
  const auto text = [](const std::optional<core::Decimal>& d) {
    return d ? std::optional<std::string>(d->to_string()) : std::nullopt;
  };
  const auto energy = text(record.energy_kwh);
  const auto volume = text(record.volume_m3);
  ML_TRY(add_to_bucket(store, Period::hour, record, energy, volume, item.sample));
  ML_TRY(add_to_bucket(store, Period::day, record, energy, volume, item.sample));
  return IngestOutcome::stored;
}

core::Result<IngestOutcome> store_item(ServerStore& store, const IngestItem& item,
                                       std::int64_t now) {
  if (item.function == "offline") {
    // A last will (not authenticated): one event when the meter goes offline, none while it is.
    auto was_online = store.mark_offline(item.serial, item.time);
    if (!was_online) return was_online.error();
    if (!*was_online) return IngestOutcome::will_ignored;
  } else {
    // An authentic message: the meter is online again, whatever will came before.
    ML_TRY(store.mark_online(item.serial));
  }
  switch (item.kind) {
    case IngestItem::Kind::event:
      ML_TRY(store.add_event(item.serial, {item.time, item.function, item.text}));
      return IngestOutcome::event_logged;
    case IngestItem::Kind::diagnostic:
      return store_diagnostic(store, item, now);
    case IngestItem::Kind::sample:
      break;
  }
  return store_sample(store, item, now);
}

}  // namespace

core::Result<std::vector<IngestOutcome>> store_items(ServerStore& store,
                                                     const std::vector<IngestItem>& items,
                                                     std::int64_t now) {
  std::vector<IngestOutcome> out;
  out.reserve(items.size());
  ML_TRY(store.write_transaction([&]() -> core::Status {
    out.clear();
    for (const auto& item : items) {
      auto o = store_item(store, item, now);
      if (!o) return o.error();
      out.push_back(*o);
    }
    return core::Ok{};
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
