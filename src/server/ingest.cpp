#include "server/ingest.hpp"

#include "core/sample/sample.hpp"
#include "core/topic/names.hpp"
#include "core/topic/topic.hpp"
#include "platform/log/log.hpp"
#include "server/broker.hpp"
#include "server/key_change.hpp"
#include "server/store_ingest.hpp"

namespace ml::server {
namespace {

namespace log = platform::log;

// Every meter's keys are read in one go and used for this long before the store is asked again,
// so that `meters set --key` and `meters remove` take effect while the server runs. A message
// from an unknown serial, or one the cached keys do not open, has the store asked again at once
// (unless it was read for that message, and at most every kKeyRecheck per serial): a meter just
// added, or a key change (`meters rekey`) started by another process, works from its first
// message.
constexpr auto kKeyCacheLife = std::chrono::seconds(30);
constexpr auto kKeyRecheck = std::chrono::seconds(1);

}  // namespace

std::vector<core::mqtt::Subscription> ingest_subscriptions(IngestLane lane,
                                                           const std::string& shared_group) {
  // The device topics begin with "/" (an empty first level): $share/<group>//sample/v2/#.
  const std::string share = shared_group.empty() ? "" : "$share/" + shared_group + "/";
  std::vector<core::mqtt::Subscription> out;
  for (const auto& f : core::topic::kDeviceFunctions) {
    if ((f.name == "sample") == (lane == IngestLane::samples)) {
      out.push_back({share + "/" + std::string(f.name) + "/v2/#", 1});
    }
  }
  if (lane == IngestLane::samples) out.push_back({share + "/offline/v1/#", 1});
  return out;
}

IngestPipeline::IngestPipeline(asio::any_io_executor executor, ServerStore& store,
                               const ServerConfig& config, Now now, Acknowledge acknowledge)
    : store_(store),
      config_(config),
      now_(std::move(now)),
      acknowledge_(std::move(acknowledge)),
      log_timer_(executor),
      retry_timer_(executor) {}

IngestPipeline::~IngestPipeline() {
  stop();
}

void IngestPipeline::start() {
  stopped_ = false;
  flush_log();
}

void IngestPipeline::stop() {
  flush();
  // (A timer that expired just now has its handler queued already: stopped_ keeps it from
  // arming again, so the io_context can run out of work.)
  stopped_ = true;
  log_timer_.cancel();
  retry_timer_.cancel();
  rejections_log_.flush_all();
}

void IngestPipeline::flush_log() {
  rejections_log_.flush(std::chrono::steady_clock::now());
  log_timer_.expires_after(std::chrono::seconds(5));
  log_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) flush_log();
  });
}

Ingest::Ingest(asio::any_io_executor executor, ServerStore& store, const ServerConfig& config,
               Now now, IngestLane lane)
    : config_(config),
      name_(lane == IngestLane::samples ? "ingest" : "ingest (replies)"),
      subscriber_(executor,
                  [&] {
                    const bool samples = lane == IngestLane::samples;
                    auto o = platform::durable_options(
                        broker_options(config.mqtt, samples ? "" : "-replies"));
                    o.subscriptions = ingest_subscriptions(lane, config.ingest.shared_group);
                    if (samples) {
                      for (const auto& s :
                           ingest_subscriptions(IngestLane::replies, config.ingest.shared_group))
                        o.unsubscriptions.push_back(s.filter);
                    }
                    o.max_packet = kMaxMessageSize;
                    return o;
                  }()),
      pipeline_(executor, store, config, std::move(now),
                [this](const platform::ReceivedMessage& m) { subscriber_.acknowledge(m); }) {}

Ingest::~Ingest() {
  stop();
}

core::Status Ingest::start() {
  subscriber_.on_message([this](platform::ReceivedMessage m) { pipeline_.take(std::move(m)); });
  subscriber_.on_connected([this](bool session_present) {
    log::info(name_ + ": connected to " + config_.mqtt.host + ":" +
              std::to_string(config_.mqtt.port) +
              (session_present ? " (session kept)" : " (new session)"));
    if (on_connected_) on_connected_();
  });
  subscriber_.on_disconnected(
      [this](const std::string& reason) { log::warning(name_ + ": " + reason); });
  // Store what the read brought, then acknowledge.
  subscriber_.on_idle([this] { pipeline_.flush(); });
  pipeline_.start();
  return subscriber_.start();
}

void Ingest::stop() {
  pipeline_.flush();
  subscriber_.stop();
  pipeline_.stop();
}

std::string rejection_hint(const std::string& reason) {
  if (reason == "bad_mac") return "bad MAC: wrong key?";
  if (reason == "unknown_serial") return "unknown serial: add it with `meters add`?";
  if (reason == "implausible_time") return "implausible time: is the device's clock set?";
  if (reason == "too_large") return "larger than the server accepts";
  if (reason == "bad_text") return "authentic, but the text does not parse";
  if (reason == "store_failed") return "the database refused it";
  return reason;
}

IngestPipeline::CachedKey IngestPipeline::cached_key(const std::string& key_hex,
                                                     const std::string& next_key_hex,
                                                     std::chrono::steady_clock::time_point now) {
  CachedKey entry{std::nullopt, now, std::nullopt, {}};
  if (auto keys = core::envelope::derive_keys_from_hex(key_hex)) entry.keys = *keys;
  if (!next_key_hex.empty()) {
    if (auto next = core::envelope::derive_keys_from_hex(next_key_hex)) {
      entry.next = *next;
      entry.next_hex = next_key_hex;
    }
  }
  return entry;
}

core::Result<const IngestPipeline::CachedKey*> IngestPipeline::keys_for(const std::string& serial) {
  const auto now = std::chrono::steady_clock::now();
  // Bounded: serials that are no meter come from the network, and are kept until the next read.
  if (keys_.size() > meters_read_ + 100000) keys_loaded_ = {};
  if (keys_loaded_ == std::chrono::steady_clock::time_point{} ||
      now - keys_loaded_ > kKeyCacheLife) {
    auto all = store_.meter_keys();
    if (!all) {
      if (all.error().code == core::Errc::storage_unavailable) return all.error();
      log::error("ingest: " + all.error().message());
      keys_loaded_ = now;        // the keys kept are used for another while, not read per message
      return read_keys(serial);  // (one meter may still be read)
    }
    keys_.clear();
    keys_.reserve(all->size());
    for (const MeterKeys& m : *all)
      keys_.emplace(m.serial, cached_key(m.key_hex, m.next_key_hex, now));
    keys_loaded_ = now;
    meters_read_ = all->size();
  }
  auto it = keys_.find(serial);
  // A serial the read did not find is read alone (a meter added since), then kept as no meter.
  if (it == keys_.end()) return read_keys(serial);
  return it->second.keys ? &it->second : nullptr;
}

core::Result<const IngestPipeline::CachedKey*> IngestPipeline::read_keys(
    const std::string& serial) {
  const auto now = std::chrono::steady_clock::now();
  auto m = store_.meter(serial);
  if (!m) {
    if (m.error().code == core::Errc::storage_unavailable) return m.error();
    log::error("ingest: " + m.error().message());
    return nullptr;
  }
  const CachedKey entry = *m ? cached_key((*m)->key_hex, (*m)->next_key_hex, now)
                             : CachedKey{std::nullopt, now, std::nullopt, {}};
  auto it = keys_.insert_or_assign(serial, entry).first;
  return it->second.keys ? &it->second : nullptr;
}

const IngestPipeline::CachedKey* IngestPipeline::keys_again(
    const std::string& serial, std::chrono::steady_clock::time_point arrived) {
  const auto now = std::chrono::steady_clock::now();
  const auto it = keys_.find(serial);
  if (it == keys_.end() || it->second.loaded >= arrived) return nullptr;  // read for this message
  if (rechecked_.size() > 100000) rechecked_.clear();  // bounded: serials come from the network
  auto& checked = rechecked_[serial];
  if (checked != std::chrono::steady_clock::time_point{} && now - checked < kKeyRecheck) {
    return nullptr;  // read again less than kKeyRecheck ago
  }
  checked = now;
  auto again = read_keys(serial);
  return again ? *again : nullptr;
}

core::Result<core::envelope::Opened> IngestPipeline::open_with(const CachedKey& keys,
                                                               const std::string& serial,
                                                               const platform::ReceivedMessage& m) {
  auto opened = core::envelope::open_message(*keys.keys, m.topic, m.payload,
                                             core::envelope::EmptyText::accept, &decryptor_);
  if (opened || opened.error().code != core::Errc::envelope_bad_mac || !keys.next) return opened;
  auto with_next = core::envelope::open_message(*keys.next, m.topic, m.payload,
                                                core::envelope::EmptyText::accept, &decryptor_);
  if (!with_next) return opened;  // the first error: the meter's key is the one that counts
  const std::string next_hex = keys.next_hex;  // (the cache entry is read again below)
  auto finished = finish_key_change(store_, serial, next_hex, now_());
  if (!finished) {
    log::error("ingest: " + serial +
               ": cannot finish the key change: " + finished.error().message());
  } else {
    if (*finished)
      log::info("ingest: " + serial + ": the device uses its new key; the old one is retired");
    (void)read_keys(serial);  // the key it has now (a failure: read with the others later)
  }
  return with_next;
}

void IngestPipeline::reject(const platform::ReceivedMessage& m, const std::string& serial,
                            const std::string& reason, const std::string& detail) {
  Rejection r;
  r.reason = reason;
  r.serial = serial;
  r.topic = m.topic.substr(0, 256);
  r.detail = detail;
  r.payload.assign(m.payload.begin(),
                   m.payload.begin() +
                       static_cast<std::ptrdiff_t>(std::min<std::size_t>(m.payload.size(), 4096)));
  r.time = now_();
  if (auto s = store_rejection(store_, r); !s) {
    if (s.error().code == core::Errc::storage_unavailable) {
      // Held with the rest while the database is away, and taken again once it is back.
      unopened_.push_back(m);
      if (retry_after_.count() == 0) hold({}, {}, s.error());
      return;
    }
    // Not even counted: leave it with the broker, which sends it again on the next connection.
    log::error("ingest: cannot record a rejected message: " + s.error().message());
    return;
  }
  ++counters_.rejected[reason];
  const std::string who = serial.empty() ? std::string("no serial") : serial;
  rejections_log_.note("ingest: " + who + ": rejected (" + rejection_hint(reason) + ")",
                       "ingest: rejected a message from " + who + " on " + r.topic.substr(0, 127) +
                           ": " + rejection_hint(reason) +
                           (detail.empty() ? "" : " (" + detail.substr(0, 200) + ")"),
                       std::chrono::steady_clock::now());
  acknowledge_(m);
}

void IngestPipeline::take(platform::ReceivedMessage m) {
  const auto arrived = std::chrono::steady_clock::now();
  auto topic = core::topic::parse(m.topic);
  if (m.truncated) {
    return reject(m, topic ? topic->serial.canonical().text() : std::string(), "too_large",
                  std::to_string(m.size) + " bytes");
  }
  if (!topic) return reject(m, "", "bad_topic", topic.error().detail);
  // Serials compare as numbers: the original KMP firmware publishes its samples on "40" and
  // everything else on "0000040"; both are meter 0000040.
  const std::string serial = topic->serial.canonical().text();
  IngestItem item;
  item.serial = serial;
  item.function = topic->name;
  auto found = topic->kind == core::topic::Kind::command ? core::Result<const CachedKey*>(nullptr)
                                                         : keys_for(serial);
  if (!found) {
    // The database is unavailable: keep the message as it came, open it once it is back.
    unopened_.push_back(std::move(m));
    if (retry_after_.count() == 0) hold({}, {}, found.error());
    return;
  }
  if (topic->kind == core::topic::Kind::offline) {
    if (*found == nullptr) {
      // Anyone can publish a will (no MAC): one for a serial that is no meter changes nothing.
      ++counters_.wills_ignored;
      acknowledge_(m);
      return;
    }
    item.kind = IngestItem::Kind::event;
    item.time = now_();  // the last will has no time of its own
    item.function = "offline";
  } else if (topic->kind == core::topic::Kind::command) {
    acknowledge_(m);  // a command (ours, or anyone's): not for us to store
    return;
  } else {
    const CachedKey* keys = *found;
    if (keys == nullptr) keys = keys_again(serial, arrived);
    if (keys == nullptr) return reject(m, serial, "unknown_serial", "");
    auto opened = open_with(*keys, serial, m);
    if (!opened && opened.error().code == core::Errc::envelope_bad_mac) {
      if (const CachedKey* again = keys_again(serial, arrived)) {
        opened = open_with(*again, serial, m);
      }
    }
    if (!opened) {
      std::string reason(core::errc_name(opened.error().code));
      if (reason.rfind("envelope_", 0) == 0) reason = reason.substr(9);
      return reject(m, serial, reason, opened.error().detail);
    }
    const auto t = static_cast<std::int64_t>(topic->time);
    if (t < config_.ingest.min_time || t > now_() + config_.ingest.max_future_s) {
      return reject(m, serial, "implausible_time", std::to_string(t));
    }
    item.time = t;
    item.text = std::move(opened->text);
    while (!item.text.empty() && (item.text.back() == ' ' || item.text.back() == '\r' ||
                                  item.text.back() == '\n' || item.text.back() == '\t')) {
      item.text.pop_back();
    }
    // A password the device echoes (set_pwd, set_ssid_pwd, ...) is not needed here: not stored.
    if (topic->name != "sample") item.text = core::topic::masked_reply(topic->name, item.text);
    if (topic->name == "sample") {
      auto parsed = core::sample::parse_sample(item.text);
      if (!parsed) return reject(m, serial, "bad_text", parsed.error().detail);
      item.kind = IngestItem::Kind::sample;
      item.sample = std::move(parsed).value();
    } else if (const auto* f = core::topic::find_device_function(topic->name);
               f != nullptr && f->logged == core::topic::Logged::only) {
      item.kind = IngestItem::Kind::event;  // scan_result
    } else {
      item.kind = IngestItem::Kind::diagnostic;
    }
  }
  if (items_.capacity() == 0) {
    // A batch's room at once (a file's batch is tens of thousands: growing moved every item); kept
    // from batch to batch (flush).
    const auto room = static_cast<std::size_t>(config_.ingest.batch_max);
    items_.reserve(room);
    messages_.reserve(room);
  }
  items_.push_back(std::move(item));
  messages_.push_back(std::move(m));
  if (items_.size() >= static_cast<std::size_t>(config_.ingest.batch_max)) flush();
}

void IngestPipeline::hold(std::vector<IngestItem> items,
                          std::vector<platform::ReceivedMessage> messages, const core::Error& why) {
  const bool first = retry_after_.count() == 0;
  retry_after_ =
      first ? std::chrono::seconds(1) : std::min(retry_after_ * 2, std::chrono::seconds(30));
  items.insert(items.end(), std::make_move_iterator(items_.begin()),
               std::make_move_iterator(items_.end()));
  messages.insert(messages.end(), std::make_move_iterator(messages_.begin()),
                  std::make_move_iterator(messages_.end()));
  items_ = std::move(items);
  messages_ = std::move(messages);
  log::error("ingest: " + why.text() + ": " + std::to_string(items_.size() + unopened_.size()) +
             " messages held unacknowledged, trying again in " +
             std::to_string(retry_after_.count()) + " s");
  retry_timer_.expires_after(retry_after_);
  retry_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    retry_timer_.expires_at(asio::steady_timer::time_point::min());  // not waiting any more
    auto unopened = std::move(unopened_);
    unopened_.clear();
    for (auto& m : unopened)
      take(std::move(m));
    flush();
    if (retry_timer_.expiry() > asio::steady_timer::clock_type::now()) return;  // holding again
    if (!unopened_.empty()) {
      return hold({}, {},
                  core::make_error(core::Errc::storage_unavailable,
                                   "meter keys cannot be read from the database"));
    }
    retry_after_ = std::chrono::seconds(0);  // everything held was opened and stored
  });
}

void IngestPipeline::flush() {
  if (items_.empty()) return;
  // Holding for an unavailable database: only the retry timer tries again.
  if (retry_timer_.expiry() > asio::steady_timer::clock_type::now()) return;
  std::vector<IngestItem> items;
  std::vector<platform::ReceivedMessage> messages;
  items.swap(items_);
  messages.swap(messages_);
  auto outcomes = store_items(store_, items, now_());
  if (!outcomes && outcomes.error().code == core::Errc::storage_unavailable) {
    return hold(std::move(items), std::move(messages), outcomes.error());
  }
  if (retry_after_.count() != 0) {
    log::info("ingest: the database is back, storing the " + std::to_string(items.size()) +
              " messages held");
    retry_after_ = std::chrono::seconds(0);
  }
  std::vector<DeviceReply> replies;
  std::vector<std::string> back;
  // What a stored item tells the sender: a reply, a meter gone (its will) or heard again.
  auto reply_of = [&](const IngestItem& it) {
    if (it.function == "offline") {
      if (gone_.size() < 1000000) gone_.insert(it.serial);  // bounded: wills are not authentic
      return;
    }
    if (gone_.erase(it.serial) != 0) back.push_back(it.serial);
    if (on_replies_ && it.function != "sample")
      replies.push_back(DeviceReply{it.serial, it.function, it.text, it.time});
  };
  auto tell = [&] {
    if (!replies.empty()) on_replies_(replies);
    if (on_back_ && !back.empty()) on_back_(back);
  };
  if (!outcomes) {
    // One item may be what fails: store them one by one; what still fails is quarantined.
    log::error("ingest: storing a batch of " + std::to_string(items.size()) +
               " failed, storing one by one: " + outcomes.error().message());
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& item = items[i];
      auto one = store_items(store_, {item}, now_());
      if (!one && one.error().code == core::Errc::storage_unavailable) {
        const auto from = static_cast<std::ptrdiff_t>(i);
        return hold(
            {std::make_move_iterator(items.begin() + from), std::make_move_iterator(items.end())},
            {std::make_move_iterator(messages.begin() + from),
             std::make_move_iterator(messages.end())},
            one.error());
      }
      if (one) {
        acknowledge_(messages[i]);
        if (one->empty() || one->front() != IngestOutcome::will_ignored) reply_of(item);
        if (on_sample_ && item.kind == IngestItem::Kind::sample && !one->empty() &&
            one->front() == IngestOutcome::stored) {
          on_sample_(item);
        }
      } else {
        reject(messages[i], item.serial, "store_failed", one.error().message());
      }
    }
    tell();
    return;
  }
  ++counters_.batches;
  for (std::size_t i = 0; i < items.size(); ++i) {
    switch ((*outcomes)[i]) {
      case IngestOutcome::stored:
        ++counters_.stored;
        break;
      case IngestOutcome::duplicate:
        ++counters_.duplicates;
        break;
      case IngestOutcome::older_ignored:
        ++counters_.older_ignored;
        break;
      case IngestOutcome::event_logged:
        ++counters_.events;
        break;
      case IngestOutcome::will_ignored:
        ++counters_.wills_ignored;
        break;
    }
    acknowledge_(messages[i]);
    const IngestItem& it = items[i];
    if (on_sample_ && it.kind == IngestItem::Kind::sample &&
        (*outcomes)[i] == IngestOutcome::stored) {
      on_sample_(it);
    }
    if ((*outcomes)[i] != IngestOutcome::will_ignored) reply_of(it);
  }
  tell();
  if (items_.empty()) {
    // The batch's vectors, emptied, take the next batch with the room they have.
    items.clear();
    messages.clear();
    items_.swap(items);
    messages_.swap(messages);
  }
}

}  // namespace ml::server
