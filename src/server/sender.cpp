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
constexpr auto kTick = std::chrono::milliseconds(500);
constexpr int kBatch = 200;  // commands sent per tick at most

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
  next_poll_ = now_() + 5;  // the first poll soon after start
  tick();
  return core::Ok{};
}

void Sender::stop() {
  running_ = false;
  timer_.cancel();
  if (mqtt_) mqtt_->stop();
}

void Sender::on_reply(const DeviceReply& r) {
  auto acked = acknowledge(store_, r.serial, r.function, r.text, r.time, now_());
  if (!acked) {
    log::error("commands: " + acked.error().message());
    return;
  }
  for (auto id : *acked) {
    log::debug("commands: #" + std::to_string(id) + " to " + r.serial + " confirmed by " +
               r.function);
  }
}

void Sender::tick() {
  if (!running_) return;
  const std::int64_t now = now_();
  if (config_.commands.poll_interval_s > 0 && now >= next_poll_) {
    poll();
    next_poll_ = now + config_.commands.poll_interval_s;
  }
  if (mqtt_->connected()) {
    auto due = due_commands(store_, now, kBatch);
    if (!due) {
      log::error("commands: " + due.error().message());
    } else {
      for (const auto& c : *due)
        send(c);
    }
  }
  timer_.expires_after(kTick);
  timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) tick();
  });
}

void Sender::send(const Command& c) {
  const std::int64_t now = now_();
  auto meter = store_.meter(c.serial);
  auto serial = core::topic::Serial::parse(c.serial);
  std::optional<core::envelope::Keys> keys;
  if (meter && *meter && serial) {
    if (auto k = core::envelope::derive_keys_from_hex((*meter)->key_hex); k) keys = *k;
  }
  if (!keys) {
    // The meter was removed (or its key is broken): the command cannot be sealed.
    log::warning("commands: #" + std::to_string(c.id) + ": no key for " + c.serial);
    if (auto s = mark_sent(store_, c.id, now, now + config_.commands.retry_max_s); !s)
      log::error("commands: " + s.error().message());
    return;
  }
  // On every form of the serial a device may subscribe with: the original KMP and MULTICAL 66
  // firmware subscribes with %07u ("0000040"), a pulse meter with its configured text, which
  // may be "40". A device hears only its own.
  auto publish = [&](const std::string& command, const std::string& argument) {
    bool any = false;
    for (const core::topic::Serial& form : serial->topic_forms()) {
      auto topic = core::topic::command_topic(form, static_cast<std::uint64_t>(now), command);
      if (!topic) return false;
      auto payload = platform::seal_random(*keys, *topic, argument, core::envelope::Padding::pkcs7);
      if (!payload) return false;
      any = mqtt_->publish(*topic, *payload, 1, false, nullptr).ok() || any;
    }
    return any;
  };
  if (!publish(c.command, wire_argument(c))) {
    log::warning("commands: #" + std::to_string(c.id) + " could not be published; later");
    return;
  }
  if (auto q = follow_up(c.command)) publish(*q, "1");
  ++sent_;
  const std::int64_t next = now + retry_delay(c.sent_count + 1, config_.commands.retry_initial_s,
                                              config_.commands.retry_max_s);
  if (auto s = mark_sent(store_, c.id, now, next); !s)
    log::error("commands: " + s.error().message());
  log::debug("commands: sent #" + std::to_string(c.id) + " " + c.command + " to " + c.serial +
             " (time " + std::to_string(c.sent_count + 1) + ")");
}

std::vector<std::string_view> polled_commands(core::meter::Kind kind) {
  if (core::meter::info(kind).valve) return {"version", "status"};
  return {"version"};  // `status` is the valve's: the other builds do not answer it
}

void Sender::poll() {
  auto meters = store_.meters();
  if (!meters) {
    log::error("commands: " + meters.error().message());
    return;
  }
  const std::int64_t now = now_();
  const std::int64_t expires = now + config_.commands.poll_interval_s;
  for (const auto& m : *meters) {
    for (std::string_view command : polled_commands(m.kind)) {
      const std::string name(command);
      auto pending = command_pending(store_, m.serial, name, "");
      if (!pending || *pending) continue;  // the last poll is still waiting: not another one
      if (auto id = enqueue_command(store_, m.serial, name, "", now, expires); !id)
        log::error("commands: " + id.error().message());
    }
  }
}

}  // namespace ml::server
