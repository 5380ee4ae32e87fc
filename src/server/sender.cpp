#include "server/sender.hpp"

#include "core/meter/kind.hpp"
#include "core/topic/topic.hpp"
#include "platform/crypto/random.hpp"
#include "platform/log/log.hpp"
#include "server/broker.hpp"
#include "server/command_queue.hpp"
#include "server/ledger.hpp"

namespace ml::server {
namespace {

namespace log = platform::log;
// A command queued by any process waits at most this long: the check for due commands is two
// indexed reads that find nothing most of the time.
constexpr auto kTick = std::chrono::milliseconds(10);
constexpr auto kAfterFailure = std::chrono::seconds(1);  // a publish failed: not sooner
constexpr int kBatch = 200;                              // commands sent per tick at most

}  // namespace

core::Result<std::string> queue_open_until(ServerStore& store, const std::string& serial,
                                           std::int64_t now) {
  auto meter = store.meter(serial);
  if (!meter) return meter.error();
  if (!*meter) return core::make_error(core::Errc::invalid_argument, "no meter " + serial);
  auto entries = store.payments(serial);
  if (!entries) return entries.error();
  auto limit = open_until_limit(**meter, *entries);
  if (!limit) return limit.error();
  const std::string text = limit->to_string();
  // A limit is never given up on: it is sent until the device confirms it (or a newer one
  // supersedes it).
  auto id = enqueue_command(store, serial, "open_until", text, now, 0);
  if (!id) return id.error();
  return text;
}

namespace {

// Checks `entry` against the meter's ledger (with `voided` withdrawn first) so the sum stays
// exact; the meter's absence is an error naming it.
core::Status check_against_ledger(ServerStore& store, const Payment& entry, std::int64_t voided) {
  ML_TRY(check_entry(entry));
  auto meter = store.meter(entry.serial);
  if (!meter) return meter.error();
  if (!*meter) return core::make_error(core::Errc::invalid_argument, "no meter " + entry.serial);
  auto entries = store.payments(entry.serial);
  if (!entries) return entries.error();
  for (auto& e : *entries)
    if (e.id == voided) e.state = PaymentState::voided;
  auto limit = limit_with(**meter, *entries, entry);
  if (!limit) return limit.error();
  return core::Ok{};
}

// The entry `id`, or an error naming it when there is none.
core::Result<Payment> existing_payment(ServerStore& store, std::int64_t id) {
  auto old = store.payment(id);
  if (!old) return old.error();
  if (!*old) {
    return core::make_error(core::Errc::invalid_argument, "no payment #" + std::to_string(id));
  }
  return std::move(**old);
}

// What a change to the ledger did: the new entry's id (0: none) and the meter it was for.
struct Changed {
  std::int64_t id = 0;
  std::string serial;
};

// Runs `change` and queues the meter's new open_until in one transaction.
template <class Change>
core::Result<LedgerChange> change_ledger(ServerStore& store, std::int64_t now, Change change) {
  LedgerChange out;
  auto done = store.write_transaction([&]() -> core::Status {
    core::Result<Changed> changed = change();
    if (!changed) return changed.error();
    auto limit = queue_open_until(store, changed->serial, now);
    if (!limit) return limit.error();
    out = {changed->id, *limit};
    return core::Ok{};
  });
  if (!done) return done.error();
  return out;
}

}  // namespace

core::Result<LedgerChange> add_payment(ServerStore& store, const Payment& payment,
                                       const std::string& actor, std::int64_t now) {
  return change_ledger(store, now, [&]() -> core::Result<Changed> {
    ML_TRY(check_against_ledger(store, payment, 0));
    auto id = record_payment(store, payment, actor, now);
    if (!id) return id.error();
    return Changed{*id, payment.serial};
  });
}

core::Result<LedgerChange> correct_payment(ServerStore& store, std::int64_t id,
                                           const Payment& replacement, const std::string& actor,
                                           std::int64_t now) {
  return change_ledger(store, now, [&]() -> core::Result<Changed> {
    auto old = existing_payment(store, id);
    if (!old) return old.error();
    Payment p = replacement;
    p.serial = old->serial;
    ML_TRY(check_against_ledger(store, p, id));
    auto fresh = record_correction(store, id, p, actor, now);
    if (!fresh) return fresh.error();
    return Changed{*fresh, p.serial};
  });
}

core::Result<LedgerChange> void_payment(ServerStore& store, std::int64_t id,
                                        const std::string& actor, std::int64_t now) {
  return change_ledger(store, now, [&]() -> core::Result<Changed> {
    auto old = existing_payment(store, id);
    if (!old) return old.error();
    ML_TRY(record_void(store, id, actor, now));
    return Changed{0, old->serial};
  });
}

Sender::Sender(asio::any_io_executor executor, ServerStore& store, const ServerConfig& config,
               Now now)
    : executor_(executor), store_(store), config_(config), now_(std::move(now)), timer_(executor) {}

Sender::~Sender() {
  stop();
}

core::Status Sender::start() {
  platform::MqttOptions o = broker_options(config_.mqtt, "-commands");
  o.clean_session = true;  // what must not be lost lives in the queue, not in a session
  mqtt_ = std::make_unique<platform::MqttClient>(executor_, o);
  ML_TRY(mqtt_->start());
  running_ = true;
  next_poll_ = now_() + 5;  // the first round soon after start
  round_.clear();
  round_done_ = 0;
  tick();
  return core::Ok{};
}

void Sender::stop() {
  running_ = false;
  timer_.cancel();
  if (mqtt_) mqtt_->stop();
}

void Sender::on_replies(const std::vector<DeviceReply>& replies) {
  std::vector<std::pair<const DeviceReply*, std::vector<std::int64_t>>> confirmed;
  auto done = store_.write_transaction([&]() -> core::Status {
    for (const DeviceReply& r : replies) {
      auto acked = acknowledge(store_, r.serial, r.function, r.text, r.time, now_());
      if (!acked) return acked.error();
      if (!acked->empty()) confirmed.emplace_back(&r, std::move(*acked));
    }
    return core::Ok{};
  });
  if (!done) {
    log::error("commands: " + done.error().message());
    return;
  }
  for (const auto& [r, ids] : confirmed) {
    for (auto id : ids)
      log::debug("commands: #" + std::to_string(id) + " to " + r->serial + " confirmed by " +
                 r->function);
  }
}

void Sender::on_back(const std::vector<std::string>& serials) {
  const std::int64_t now = now_();
  auto done = store_.write_transaction([&]() -> core::Status {
    for (const std::string& serial : serials) {
      auto pending = store_.pending_commands(serial);
      if (!pending) return pending.error();
      for (Command& c : *pending) {
        if (c.next_send <= now) continue;
        c.next_send = now;
        ML_TRY(store_.update_command(c));
      }
    }
    return core::Ok{};
  });
  if (!done) log::error("commands: " + done.error().message());
}

void Sender::tick() {
  if (!running_) return;
  const std::int64_t now = now_();
  if (config_.commands.poll_interval_s > 0) poll(now);
  if (now != last_second_) {
    last_second_ = now;
    if (auto s = expire_commands(store_, now); !s) log::error("commands: " + s.error().message());
  }
  auto wait = kTick;
  if (mqtt_->connected()) {
    auto due = store_.commands_due(now, kBatch);
    if (!due) {
      log::error("commands: " + due.error().message());
    } else if (!due->empty() && !send_round(*due, now)) {
      wait = kAfterFailure;  // the client's queue is full or the connection went
    }
  }
  timer_.expires_after(wait);
  timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) tick();
  });
}

bool Sender::send_round(const std::vector<Command>& due, std::int64_t now) {
  std::vector<Plan> plans;
  plans.reserve(due.size());
  for (const auto& c : due)
    plans.push_back(plan(c, now));
  // Recorded as sent before it is published: the device answers within milliseconds, its reply
  // may reach another worker (docs/scaling.md), and a reply confirms only a command recorded as
  // sent (commands.hpp, confirms).
  auto marked = store_.write_transaction([&]() -> core::Status {
    for (std::size_t i = 0; i < due.size(); ++i) {
      if (!plans[i].held) {
        ML_TRY(mark_sent(store_, due[i].id, now, plans[i].next));
        continue;
      }
      ML_TRY(update_pending(due[i].id, [&](Command& c) { c.next_send = plans[i].next; }));
    }
    return core::Ok{};
  });
  if (!marked) {
    log::error("commands: " + marked.error().message());
    return true;
  }
  for (std::size_t i = 0; i < due.size(); ++i) {
    if (plans[i].held || !plans[i].keys || publish(due[i], plans[i], now)) continue;
    // This one and the rest were recorded but not published: due again, as they were before.
    auto restored = store_.write_transaction([&]() -> core::Status {
      for (std::size_t j = i; j < due.size(); ++j) {
        if (plans[j].held || !plans[j].keys) continue;
        ML_TRY(update_pending(due[j].id, [&](Command& c) {
          c.state = due[j].state;
          c.sent_count = due[j].sent_count;
          c.last_sent = due[j].last_sent;
          c.first_sent = due[j].first_sent;
          c.next_send = now;
        }));
      }
      return core::Ok{};
    });
    if (!restored) log::error("commands: " + restored.error().message());
    return false;
  }
  return true;
}

core::Status Sender::update_pending(std::int64_t id, const std::function<void(Command&)>& change) {
  // Read again: another process may have confirmed or expired it meanwhile.
  auto current = store_.command(id);
  if (!current) return current.error();
  if (!*current || !is_pending((*current)->state)) return core::Ok{};
  change(**current);
  return store_.update_command(**current);
}

Sender::Plan Sender::plan(const Command& c, std::int64_t now) {
  auto meter = store_.meter(c.serial);
  if (meter && *meter && (*meter)->offline_since != 0) {
    // Its last will came: the broker would keep the command in the device's session and deliver
    // it, with every repeat, when the device is back. Held until then (the next look is at
    // most retry_max away; ingest marks the meter online at its first authentic message).
    log::debug("commands: #" + std::to_string(c.id) + " held: " + c.serial + " is offline");
    return {true, std::nullopt, now + config_.commands.retry_max_s};
  }
  std::optional<core::envelope::Keys> keys;
  if (meter && *meter && core::topic::Serial::parse(c.serial)) {
    if (auto k = core::envelope::derive_keys_from_hex((*meter)->key_hex); k) keys = *k;
  }
  if (!keys) {
    // The meter was removed (or its key is broken): the command cannot be sealed.
    log::warning("commands: #" + std::to_string(c.id) + ": no key for " + c.serial);
    return {false, std::nullopt, now + config_.commands.retry_max_s};
  }
  return {false, keys,
          now + retry_delay(c.sent_count + 1, config_.commands.retry_initial_s,
                            config_.commands.retry_max_s)};
}

bool Sender::publish(const Command& c, const Plan& p, std::int64_t now) {
  auto serial = core::topic::Serial::parse(c.serial);
  if (!serial || !p.keys) return false;
  // On every form of the serial a device may subscribe with: the original KMP and MULTICAL 66
  // firmware subscribes with %07u ("0000040"), a pulse meter with its configured text, which
  // may be "40". A device hears only its own.
  auto publish_one = [&](const std::string& command, const std::string& argument) {
    bool any = false;
    for (const core::topic::Serial& form : serial->topic_forms()) {
      auto topic = core::topic::command_topic(form, static_cast<std::uint64_t>(now), command);
      if (!topic) return false;
      auto payload =
          platform::seal_random(*p.keys, *topic, argument, core::envelope::Padding::pkcs7);
      if (!payload) return false;
      any = mqtt_->publish(*topic, *payload, 1, false, nullptr).ok() || any;
    }
    return any;
  };
  if (!publish_one(c.command, wire_argument(c))) {
    log::warning("commands: #" + std::to_string(c.id) + " could not be published; later");
    return false;
  }
  if (auto q = follow_up(c.command)) publish_one(*q, "1");
  ++sent_;
  log::debug("commands: sent #" + std::to_string(c.id) + " " + c.command + " to " + c.serial +
             " (time " + std::to_string(c.sent_count + 1) + ")");
  return true;
}

std::vector<std::string_view> polled_commands(core::meter::Kind kind) {
  if (core::meter::info(kind).valve) return {"version", "status"};
  return {"version"};  // `status` is the valve's: the other builds do not answer it
}

void Sender::poll(std::int64_t now) {
  const std::int64_t interval = config_.commands.poll_interval_s;
  if (round_done_ == round_.size() && now >= next_poll_) {
    auto meters = store_.meters();
    if (!meters) {
      log::error("commands: " + meters.error().message());
      return;
    }
    round_.clear();
    for (const auto& m : *meters) {
      if (m.offline_since == 0) round_.push_back({m.serial, m.kind});  // not one that is gone
    }
    round_done_ = 0;
    round_start_ = now;
    next_poll_ = now + interval;
  }
  if (round_done_ == round_.size()) return;
  // The share of the round due by now: all of it one second before the interval ends.
  const auto elapsed = static_cast<std::size_t>(std::min(now - round_start_ + 1, interval));
  const std::size_t due =
      std::min(round_.size(), (round_.size() * elapsed + static_cast<std::size_t>(interval) - 1) /
                                  static_cast<std::size_t>(interval));
  // Of it, at most twice a tick's share of the round a tick (twice: a round behind catches up):
  // the commands and their replies come as a stream, not as a burst at every second that a
  // command queued meanwhile would wait behind.
  const auto interval_ticks =
      static_cast<std::size_t>(std::chrono::seconds(interval) / kTick);  // at least 100
  const std::size_t until = std::min(
      due, round_done_ +
               std::max<std::size_t>(1, (2 * round_.size() + interval_ticks - 1) / interval_ticks));
  if (until <= round_done_) return;
  const std::int64_t expires = now + interval;
  auto done = store_.write_transaction([&]() -> core::Status {
    for (std::size_t i = round_done_; i < until; ++i) {
      for (std::string_view command : polled_commands(round_[i].kind)) {
        const std::string name(command);
        auto pending = command_pending(store_, round_[i].serial, name, "");
        if (!pending) return pending.error();
        if (*pending) continue;  // the last poll is still waiting: not another one
        auto id = enqueue_command(store_, round_[i].serial, name, "", now, expires);
        if (!id) return id.error();
      }
    }
    return core::Ok{};
  });
  if (!done) {
    log::error("commands: " + done.error().message());
    return;  // the same slice again at the next tick
  }
  round_done_ = until;
}

}  // namespace ml::server
