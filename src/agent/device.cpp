#include "agent/device.hpp"

#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "agent/command_check.hpp"
#include "agent/system_info.hpp"
#include "core/gaps/gaps.hpp"
#include "core/keychange/key_change.hpp"
#include "core/topic/names.hpp"
#include "core/topic/topic.hpp"
#include "platform/crypto/random.hpp"
#include "platform/log/log.hpp"

namespace ml::agent {
namespace {

namespace log = platform::log;
namespace sample = core::sample;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kPublishWindow = 16;  // outbox messages handed to the client at once
constexpr std::size_t kRecent = 60;         // round trips kept for network_quality
constexpr auto kResendPause = std::chrono::seconds(60);  // at most one resend a minute

// Setting keys in the store.
constexpr const char* kSerialKey = "serial";
constexpr const char* kKeyChangeKey = "key_change";  // core::keychange's record

platform::MqttProtocol protocol_of(const std::string& p) {
  if (p == "3.1") return platform::MqttProtocol::v31;
  if (p == "5") return platform::MqttProtocol::v5;
  return platform::MqttProtocol::v311;
}

}  // namespace

Device::Device(asio::any_io_executor executor, MeterConfig meter, DeviceContext& context)
    : executor_(executor),
      meter_(std::move(meter)),
      driver_(meter::driver_of(meter_.kind)),
      context_(context),
      sample_timer_(executor),
      cron_timer_(executor),
      pulse_save_timer_(executor),
      log_timer_(executor) {
  master_ = meter_.key;
  if (auto keys = core::envelope::derive_keys(meter_.key)) keys_ = *keys;
  if (meter::has_valve(driver_)) {
    const asio::any_io_executor ex = executor_;
    const ValveConfig valve = meter_.valve;
    valve_.emplace(
        context_.store, meter_.name, meter_.flow_meter, meter_.valve.auto_close,
        [ex, valve](bool open) { return ValveOutputs::open(ex, valve, open); },
        [this] { return now(); });
  }
  if (meter::has_cron(driver_)) {
    cron_.emplace(
        context_.store, meter_.name, context_.zone,
        [this](const core::cron::Job& job) { run_cron_job(job); }, [this] { return now(); });
  }
  if (pulses()) {
    pulses_.emplace(context_.store, meter_.name, meter_.kind, meter_.pulse,
                    [this] { return now(); });
  }
  serial_ = meter_.serial;
  if (serial_.empty()) {
    // A serial read from the meter on an earlier run.
    if (auto remembered = context_.store.setting(meter_.name, kSerialKey);
        remembered && *remembered) {
      serial_ = **remembered;
    }
  }
}

Device::~Device() = default;

void Device::start() {
  running_ = true;
  if (pulses_) {
    pulses_->load(serial_, Clock::now());
    auto input = make_pulse_input(executor_, meter_.pulse.input);
    if (!input) {
      log::error(meter_.name + ": " + input.error().detail);
    } else {
      pulse_input_ = std::move(input).value();
      std::weak_ptr<Device> weak = weak_from_this();
      auto started = pulse_input_->start([weak](const core::pulse::EdgeEvent& e) {
        if (auto self = weak.lock()) self->pulses_->on_edge(e);
      });
      if (!started) log::error(meter_.name + ": " + started.error().detail);
    }
    // Persist the count within a second of any change: a crash or power cut loses at most the
    // pulses of the last second.
    auto self = shared_from_this();
    asio::co_spawn(
        executor_,
        [self]() -> asio::awaitable<void> {
          while (self->running_) {
            self->pulse_save_timer_.expires_after(std::chrono::seconds(1));
            co_await self->pulse_save_timer_.async_wait(
                asio::experimental::as_tuple(asio::use_awaitable));
            self->pulses_->save_if_dirty();
          }
        },
        asio::detached);
  }
  // The valve's outputs are set from the stored state before anything else talks to the world.
  if (valve_) valve_->load(serial_);
  if (!serial_.empty()) {
    load_key();
    start_mqtt();
    start_homeassistant();
  }
  auto self = shared_from_this();
  asio::co_spawn(
      executor_, [self]() { return self->sample_loop(); }, asio::detached);
  if (cron_) {
    cron_->load(serial_);
    asio::co_spawn(
        executor_, [self]() { return self->cron_loop(); }, asio::detached);
  }
  asio::co_spawn(
      executor_,
      [self]() -> asio::awaitable<void> {
        while (self->running_) {
          self->log_timer_.expires_after(std::chrono::seconds(5));
          co_await self->log_timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
          self->rejections_log_.flush(std::chrono::steady_clock::now());
        }
      },
      asio::detached);
}

void Device::stop() {
  if (!running_) return;
  running_ = false;
  sample_timer_.cancel();
  cron_timer_.cancel();
  pulse_save_timer_.cancel();
  log_timer_.cancel();
  rejections_log_.flush_all();
  if (link_) link_->cancel();
  if (pulse_input_) pulse_input_->stop();
  if (pulses_ && !serial_.empty()) {
    if (auto s = pulses_->save(); !s) {
      log::error(meter_.name + ": cannot save the pulse count: " + s.error().message());
    }
  }
  if (mqtt_) mqtt_->stop();
  if (ha_mqtt_) {
    // A clean stop discards the last will: say offline first (queued before the DISCONNECT).
    if (ha_mqtt_->connected()) ha_publish({ha_availability_, "offline", true});
    ha_mqtt_->stop();
  }
}

// ---- reading ----

asio::awaitable<void> Device::sample_loop() {
  auto next = Clock::now();
  while (running_) {
    co_await sample_once();
    if (!running_) break;  // stopped during the read: the timer was cancelled before this wait
    next += meter_.interval;
    if (next < Clock::now()) next = Clock::now() + meter_.interval;  // a read took too long
    sample_timer_.expires_at(next);
    co_await sample_timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> Device::sample_once() {
  const std::int64_t t = now();
  if (t < kPlausibleTime) {
    ++counters_.reads_skipped_clock;
    if (!clock_warned_) {
      log::warning(meter_.name + ": the system clock is not set (" + std::to_string(t) +
                   "); no samples until it is");
      clock_warned_ = true;
    }
    // Still learn the serial, so MQTT can connect and the device answers, and still close an
    // open valve at its limit; no sample is taken.
    if (driver_.read && (serial_.empty() || (valve_ && valve_->state().state == "open"))) {
      auto reading = co_await read_meter();
      if (reading && running_) {
        if (serial_.empty()) serial_known(reading->serial);
        if (meter::has_valve(driver_)) auto_close(*reading, false);
      }
    }
    co_return;
  }
  if (clock_warned_) {
    log::info(meter_.name + ": the system clock is set; sampling");
    clock_warned_ = false;
  }
  if (t == last_sample_second_) {
    log::debug(meter_.name + ": a sample of second " + std::to_string(t) + " is queued already");
    co_return;
  }
  // (No co_await inside a conditional expression: GCC 12 destroys its temporaries twice.)
  core::Result<sample::Reading> reading = core::make_error(core::Errc::invalid_argument);
  if (pulses()) {
    reading = pulses_->reading(Clock::now());
  } else {
    reading = co_await read_meter();
  }
  if (!running_) co_return;
  if (!reading) {
    ++counters_.reads_failed;
    metrics::count_read(counters_.reads, metrics::read_result(reading.error().code));
    log_read_state(false, reading.error().text());
    co_return;
  }
  log_read_state(true, "");
  if (serial_.empty()) serial_known(reading->serial);
  reading->heap = heap_bytes();
  auto text = sample::format_sample(*reading);
  if (!text) {
    ++counters_.reads_failed;
    metrics::count_read(counters_.reads, metrics::ReadResult::other);
    log_read_state(false, text.error().message());
    co_return;
  }
  queue_message("sample", *text, t);
  last_sample_second_ = t;
  keep_sample(t, *text);
  ++counters_.samples_queued;
  metrics::count_read(counters_.reads, metrics::ReadResult::ok);
  reading->time = t;
  last_reading_ = *reading;
  publish_homeassistant(*reading);
  if (meter::has_valve(driver_)) auto_close(*reading, true);
}

asio::awaitable<core::Result<sample::Reading>> Device::read_meter() {
  if (!driver_.read) {
    co_return core::make_error(
        core::Errc::invalid_argument,
        std::string(meter::name(driver_)) + " meters are not read over a link");
  }
  if (!link_) {
    auto link = co_await platform::open_link(meter_.port);
    if (!link) co_return link.error();
    link_ = std::move(link).value();
  }
  meter::Session session(*link_, link_stats_, nullptr);
  meter::ReadOptions o;
  o.flow_meter = meter_.flow_meter;
  o.read_serial = serial_.empty();
  o.timeout = meter_.timeout;
  o.retries = meter_.retries;
  auto r = co_await driver_.read(session, o);
  if (!r) {
    if (r.error().code == core::Errc::meter_link) link_.reset();
    co_return r.error();
  }
  if (!r->sample) co_return r->sample.error();
  sample::Reading reading = std::move(r->sample).value();
  const std::string reported = reading.serial;  // the serial the meter reports
  if (!serial_.empty() && !reported.empty() && reported != serial_) {
    co_return core::make_error(core::Errc::meter_bad_reply,
                               "the meter reports serial " + reported + ", this device is " +
                                   serial_ + " (a different meter on " + meter_.port + "?)");
  }
  reading.serial = serial_.empty() ? reported : serial_;
  if (reading.serial.empty()) {
    co_return core::make_error(core::Errc::meter_bad_reply, "the meter did not report a serial");
  }
  co_return reading;
}

void Device::log_read_state(bool ok, const std::string& detail) {
  if (last_read_ok_ && *last_read_ok_ == ok) return;
  if (ok) {
    if (last_read_ok_) log::info(meter_.name + ": reading the meter again");
  } else {
    log::warning(meter_.name + ": read failed: " + detail);
  }
  last_read_ok_ = ok;
}

void Device::serial_known(const std::string& serial) {
  serial_ = serial;
  log::info(meter_.name + ": meter serial " + serial_);
  if (auto s = context_.store.set_setting(meter_.name, kSerialKey, serial_, now()); !s) {
    log::error(meter_.name + ": cannot store the serial: " + s.error().message());
  }
  load_key();
  if (valve_) valve_->load(serial_);
  if (cron_) cron_->load(serial_);
  start_mqtt();
  start_homeassistant();
}

// ---- valve ----

const ValveRecord& Device::valve() const {
  static const ValveRecord kNone;
  return valve_ ? valve_->state() : kNone;
}

void Device::auto_close(const sample::Reading& reading, bool clock_set) {
  if (!valve_ || !valve_->on_reading(reading)) return;
  // Without a plausible clock the message would carry a wrong time; `status` follows every
  // connect anyway.
  if (clock_set) queue_message("status", "close", now());
}

void Device::cron_valve_command(const std::string& command) {
  if (valve_) valve_->cron_command(command);
}

// ---- cron ----

const std::vector<core::cron::Job>& Device::cron_jobs() const {
  static const std::vector<core::cron::Job> kNone;
  return cron_ ? cron_->jobs() : kNone;
}

asio::awaitable<void> Device::cron_loop() {
  while (running_) {
    // Wake 50 ms after the next minute of the wall clock.
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    cron_timer_.expires_after(std::chrono::milliseconds(60000 - ms % 60000 + 50));
    co_await cron_timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    if (!running_) break;
    const std::int64_t t = now();
    if (t >= kPlausibleTime) cron_->tick(t);
  }
}

void Device::run_cron_job(const core::cron::Job& job) {
  log::info(meter_.name + " " + serial_ + ": cron runs " + job.command);
  const Command c{job.command, job.params, now()};
  if (const HandlerRow* row = find_handler(kCronHandlers, job.command)) (this->*row->handle)(c);
}

void Device::on_cron_valve(const Command& c) {
  cron_valve_command(c.name);
}

void Device::on_cron_clear(const Command&) {
  if (auto s = cron_->clear(); !s) log::error(meter_.name + ": " + s.error().message());
}

void Device::on_cron_network(const Command& c) {
  if (!network_command(c.name, c.argument, false)) ignored(c);
}

// ---- network ----

bool Device::network_command(const std::string& command, const std::string& argument, bool reply) {
  if (!is_network_command(command) || !context_.network) return false;
  std::weak_ptr<Device> weak = weak_from_this();
  context_.network->submit(serial_, command, argument, [weak, command, reply](NetworkOutcome o) {
    auto self = weak.lock();
    if (!self || !self->running_) return;
    if (o.error) {
      log::warning(self->meter_.name + " " + self->serial_ + ": " + command + ": " +
                   o.error->message());
    }
    if (reply) {
      const std::int64_t t = self->now();
      for (const NetworkReply& r : o.replies)
        self->queue_message(r.function, r.text, t);
    }
    if (o.reconnect_mqtt) self->reconnect_mqtt();
  });
  return true;
}

void Device::reconnect_mqtt() {
  if (!mqtt_) return;
  log::info(meter_.name + " " + serial_ + ": MQTT reconnect requested");
  mqtt_->stop();  // what was in flight stays in the outbox and is sent again
  mqtt_.reset();
  in_flight_ = 0;
  sent_up_to_ = 0;
  start_mqtt();
}

// ---- pulses ----

std::string Device::pulse_base() const {
  return pulses_ ? pulses_->base() : "0";
}

std::uint32_t Device::pulse_per_unit() const {
  return pulses_ ? pulses_->per_unit() : 0;
}

core::Status Device::set_pulse_calibration(const core::Decimal& base, std::uint32_t per_unit) {
  if (!pulses_) {
    return core::make_error(core::Errc::invalid_argument, meter_.name + " is not a pulse meter");
  }
  return pulses_->calibrate(base, per_unit);
}

// ---- MQTT ----

void Device::start_mqtt() {
  const MqttConfig& c = context_.config.mqtt;
  platform::MqttOptions o;
  o.host = c.host;
  o.port = c.port;
  o.client_id = serial_;
  o.clean_session = false;
  o.keepalive = std::chrono::seconds(c.keepalive_s);
  if (!c.username.empty()) o.username = c.username;
  if (!c.password.empty()) o.password = c.password;
  if (meter_.broker) {  // the meter's own login (docs/security.md, "Broker logins")
    o.username = meter_.broker->username.empty() ? serial_ : meter_.broker->username;
    o.password = meter_.broker->password;
  }
  o.tls = c.tls;
  auto serial = core::topic::Serial::parse(serial_);
  if (!serial) {
    log::error(meter_.name + ": serial '" + serial_ + "' cannot name MQTT topics");
    return;
  }
  o.will = platform::MqttWill{core::topic::offline_topic(*serial), {}, 0, false};
  o.protocol = protocol_of(c.protocol);
  mqtt_ = std::make_unique<platform::MqttClient>(executor_, o);
  std::weak_ptr<Device> weak = weak_from_this();
  mqtt_->on_connected([weak](bool) {
    if (auto self = weak.lock()) self->on_connected();
  });
  mqtt_->on_disconnected([weak](const platform::MqttDisconnect& d) {
    auto self = weak.lock();
    if (!self) return;
    // One line per state change: a lost connection, or the first failed attempt.
    if (d.was_connected || d.attempt == 1) {
      log::warning(self->meter_.name + " " + self->serial_ + ": MQTT " + d.reason +
                   "; retrying in " + std::to_string(d.retry_in.count()) + " ms");
    }
  });
  mqtt_->on_message([weak](const platform::MqttMessage& m) {
    if (auto self = weak.lock()) self->on_message(m);
  });
  if (auto s = mqtt_->subscribe(core::topic::command_filter(*serial), 1); !s) {
    log::error(meter_.name + ": MQTT: cannot subscribe to commands: " + s.error().message());
  }
  if (auto s = mqtt_->start(); !s) log::error(meter_.name + ": MQTT: " + s.error().message());
}

void Device::on_connected() {
  log::info(meter_.name + " " + serial_ + ": MQTT connected to " + context_.config.mqtt.host + ":" +
            std::to_string(context_.config.mqtt.port));
  // What the original publishes after every connect (docs/agent.md, MQTT); `status` from
  // builds with a valve.
  const std::int64_t t = now();
  queue_message("version", version_text(driver_, meter_.flow_meter), t);
  queue_message("uptime",
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() -
                                                                                context_.started)
                                   .count()),
                t);
  queue_message("reset_reason", reset_reason_text(context_.previous_run), t);
  if (valve_) queue_message("status", valve_->state().state, t);
  pump();
}

// ---- Home Assistant (docs/homeassistant.md) ----

namespace {

core::homeassistant::Options ha_options(const HomeAssistantConfig& c) {
  return {c.prefix, c.base_topic, c.heat_as_gas};
}

}  // namespace

void Device::start_homeassistant() {
  const HomeAssistantConfig& h = context_.config.homeassistant;
  if (!h.enabled || ha_mqtt_ || serial_.empty()) return;
  const auto options = ha_options(h);
  ha_availability_ = core::homeassistant::availability_topic(options, serial_);
  platform::MqttOptions o;
  o.host = h.broker.host;
  o.port = h.broker.port;
  o.client_id = "meterlogger-ha-" + serial_;
  o.clean_session = true;
  o.keepalive = std::chrono::seconds(h.broker.keepalive_s);
  if (!h.broker.username.empty()) o.username = h.broker.username;
  if (!h.broker.password.empty()) o.password = h.broker.password;
  o.tls = h.broker.tls;
  o.will =
      platform::MqttWill{ha_availability_, core::Bytes{'o', 'f', 'f', 'l', 'i', 'n', 'e'}, 1, true};
  o.max_unacknowledged = 200;  // states are dropped, never piled up, while the broker is away
  ha_mqtt_ = std::make_unique<platform::MqttClient>(executor_, o);
  std::weak_ptr<Device> weak = weak_from_this();
  ha_mqtt_->on_connected([weak](bool) {
    auto self = weak.lock();
    if (!self) return;
    log::info(self->meter_.name + " " + self->serial_ + ": Home Assistant broker connected");
    self->ha_publish({self->ha_availability_, "online", true});
    self->ha_announced_ = false;
    self->announce_homeassistant();
  });
  ha_mqtt_->on_disconnected([weak](const platform::MqttDisconnect& d) {
    auto self = weak.lock();
    if (!self) return;
    if (d.was_connected || d.attempt == 1) {
      log::warning(self->meter_.name + " " + self->serial_ + ": Home Assistant broker: " +
                   d.reason + "; retrying in " + std::to_string(d.retry_in.count()) + " ms");
    }
  });
  ha_mqtt_->on_message([weak](const platform::MqttMessage& m) {
    auto self = weak.lock();
    if (!self) return;
    // Home Assistant's birth message: it (re)started and needs the configs again.
    if (std::string_view(reinterpret_cast<const char*>(m.payload.data()), m.payload.size()) ==
        "online") {
      self->ha_announced_ = false;
      self->announce_homeassistant();
    }
  });
  if (auto s = ha_mqtt_->subscribe(h.prefix + "/status", 1); !s) {
    log::error(meter_.name + ": Home Assistant: cannot subscribe: " + s.error().message());
  }
  if (auto s = ha_mqtt_->start(); !s) {
    log::error(meter_.name + ": Home Assistant: " + s.error().message());
  }
}

void Device::announce_homeassistant() {
  // Discovery needs the units the meter reports: it waits for the first reading.
  if (!ha_mqtt_ || !ha_mqtt_->connected() || ha_announced_ || !last_reading_) return;
  char host[256] = {};
  std::string gateway_id = "gateway";
  if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') gateway_id = host;
  const auto options = ha_options(context_.config.homeassistant);
  // The gateway is announced by every meter's connection alike (the same retained messages).
  const core::homeassistant::Gateway gateway{gateway_id, gateway_id, "MeterLogger agent",
                                             ML_VERSION, ""};
  for (const auto& m : core::homeassistant::gateway_messages(gateway, options))
    ha_publish(m);
  const auto& model = core::homeassistant::model_of(last_reading_->kind);
  const core::homeassistant::MeterDevice device{std::string(model.manufacturer),
                                                std::string(model.model), "", ha_availability_};
  for (const auto& m :
       core::homeassistant::discovery_messages(gateway, options, *last_reading_, device)) {
    ha_publish(m);
  }
  ha_announced_ = true;
}

void Device::publish_homeassistant(const sample::Reading& reading) {
  if (!ha_mqtt_ || !ha_mqtt_->connected()) return;
  announce_homeassistant();
  if (auto m = ha_states_.state_message(ha_options(context_.config.homeassistant), reading)) {
    ha_publish(*m);
  }
}

void Device::ha_publish(const core::homeassistant::Message& m) {
  if (auto s = ha_mqtt_->publish(m.topic, core::as_bytes(m.payload), 1, m.retained); !s) {
    log::warning(meter_.name + ": Home Assistant: " + m.topic + ": " + s.error().message());
  }
}

void Device::queue_message(const std::string& function, const std::string& text,
                           std::int64_t time) {
  auto serial = core::topic::Serial::parse(serial_);
  if (!serial) return;
  auto topic = core::topic::device_topic(function, *serial, static_cast<std::uint64_t>(time));
  if (!topic) {
    log::error(meter_.name + ": " + topic.error().message());
    return;
  }
  auto payload = platform::seal_random(keys_, *topic, text, context_.config.mqtt.padding);
  if (!payload) {
    log::error(meter_.name + ": cannot seal " + function + ": " + payload.error().message());
    return;
  }
  const OutboxConfig& oc = context_.config.outbox;
  std::int64_t dropped = 0;
  auto id = context_.store.enqueue(serial_, *topic, *payload, now(),
                                   OutboxLimits{oc.max_messages, oc.max_bytes, oc.max_age_s}, now(),
                                   &dropped);
  if (!id) {
    log::error(meter_.name + ": cannot write to the outbox: " + id.error().message());
    return;
  }
  log::debug(meter_.name + ": queued " + *topic);
  if (dropped > 0) {
    counters_.outbox_dropped += static_cast<std::uint64_t>(dropped);
    log::warning(meter_.name + ": outbox full, dropped the " + std::to_string(dropped) +
                 " oldest message(s)");
  }
  pump();
}

void Device::pump() {
  if (!mqtt_ || !mqtt_->connected() || !running_) return;
  while (in_flight_ < kPublishWindow) {
    auto items =
        context_.store.pending(serial_, sent_up_to_, static_cast<int>(kPublishWindow - in_flight_));
    if (!items) {
      log::error(meter_.name + ": cannot read the outbox: " + items.error().message());
      return;
    }
    if (items->empty()) return;
    for (const OutboxItem& item : *items) {
      const std::int64_t id = item.id;
      const auto sent_at = Clock::now();
      std::weak_ptr<Device> weak = weak_from_this();
      auto s = mqtt_->publish(
          item.topic, item.payload, context_.config.mqtt.qos, false,
          [weak, id, sent_at](bool delivered) {
            auto self = weak.lock();
            if (!self) return;
            --self->in_flight_;
            self->recent_delivered_.push_back(delivered);
            if (self->recent_delivered_.size() > kRecent) self->recent_delivered_.pop_front();
            if (delivered) {
              self->recent_rtt_us_.push_back(static_cast<std::uint64_t>(
                  std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent_at)
                      .count()));
              if (self->recent_rtt_us_.size() > kRecent) self->recent_rtt_us_.pop_front();
              ++self->counters_.published;
              if (auto r = self->context_.store.remove(id); !r) {
                log::error(self->meter_.name + ": " + r.error().message());
              }
            } else {
              // Not acknowledged: send it again (the server stores a message once).
              self->sent_up_to_ = std::min(self->sent_up_to_, id - 1);
            }
            self->pump();
          });
      if (!s) return;  // the client is full or went away: wait for acknowledgements
      sent_up_to_ = id;
      ++in_flight_;
    }
  }
}

// ---- commands ----

void Device::reject(const std::string& reason, const std::string& topic) {
  ++counters_.commands_rejected[reason];
  rejections_log_.note(meter_.name + " " + serial_ + ": rejected commands (" + reason + ")",
                       meter_.name + " " + serial_ + ": rejected a command on " +
                           topic.substr(0, 127) + ": " + reason,
                       std::chrono::steady_clock::now());
}

void Device::on_message(const platform::MqttMessage& m) {
  const core::envelope::Keys* previous =
      previous_keys_ && now() < previous_until_ ? &*previous_keys_ : nullptr;
  auto verdict =
      check_command(context_.store, {serial_, keys_, context_.config.command_window_s, previous},
                    m.topic, m.payload, now());
  if (!verdict) {
    log::error(meter_.name + ": " + verdict.error().message());
    return;
  }
  if (!verdict->accepted) return reject(verdict->rejected, m.topic);
  ++counters_.commands_accepted;
  handle_command(verdict->accepted->name, verdict->accepted->argument);
}

void Device::handle_command(const std::string& command, const std::string& argument) {
  const Command c{command, argument, now()};
  // Only the commands the firmware obeys, and of those only the ones this build has (a pulse
  // meter has no valve and no cron): anything else is ignored, as the original does.
  const HandlerRow* row =
      meter::obeys(driver_, command) ? find_handler(kHandlers, command) : nullptr;
  if (!row) return ignored(c);
  (this->*row->handle)(c);
}

// One row a command: adding a command to the agent is a row here and its handler.
const std::array<Device::HandlerRow, 36> Device::kHandlers{{
    {"ping", &Device::on_ping},
    {"version", &Device::on_version},
    {"crypto", &Device::on_version},
    {"uptime", &Device::on_uptime},
    {"vdd", &Device::on_vdd},
    {"rssi", &Device::on_network},
    {"ssid", &Device::on_network},
    {"scan", &Device::on_network},
    {"set_ssid", &Device::on_network},
    {"set_pwd", &Device::on_network},
    {"set_ssid_pwd", &Device::on_network},
    {"reconnect", &Device::on_network},
    {"wifi_status", &Device::on_network},
    {"ap_status", &Device::on_network},
    {"start_ap", &Device::on_network},
    {"stop_ap", &Device::on_network},
    {"mem", &Device::on_mem},
    {"reset_reason", &Device::on_reset_reason},
    {"set_cron", &Device::on_set_cron},
    {"cron", &Device::on_cron},
    {"clear_cron", &Device::on_clear_cron},
    {"open", &Device::on_open_close},
    {"close", &Device::on_open_close},
    {"status", &Device::on_status},
    {"open_until", &Device::on_open_until},
    {"open_until_delta", &Device::on_open_until},
    {"set_ap_mesh_pwd", &Device::on_network},
    {"network_quality", &Device::on_network_quality},
    {"disconnect_count", &Device::on_disconnect_count},
    {"chip_id", &Device::on_chip_id},
    {"flash_id", &Device::on_flash_id},
    {"flash_size", &Device::on_flash_size},
    {"restart", &Device::on_restart},
    {"stack_trace", &Device::on_stack_trace},
    {"resend", &Device::on_resend},
    {"set_key", &Device::on_set_key},
}};

// The commands a cron job may run (core::cron::cron_commands()), one row each.
const std::array<Device::HandlerRow, 9> Device::kCronHandlers{{
    {"set_ssid_pwd", &Device::on_cron_network},
    {"reconnect", &Device::on_cron_network},
    {"start_ap", &Device::on_cron_network},
    {"stop_ap", &Device::on_cron_network},
    {"clear_cron", &Device::on_cron_clear},
    {"open", &Device::on_cron_valve},
    {"close", &Device::on_cron_valve},
    {"off", &Device::on_cron_valve},
    {"test", &Device::on_cron_valve},
}};

const Device::HandlerRow* Device::find_handler(std::span<const HandlerRow> table,
                                               std::string_view command) {
  for (const HandlerRow& row : table) {
    if (row.name == command) return &row;
  }
  return nullptr;
}

bool Device::handles(std::string_view command) {
  return find_handler(kHandlers, command) != nullptr;
}

std::vector<std::string_view> Device::handled_commands() {
  std::vector<std::string_view> names;
  for (const HandlerRow& row : kHandlers)
    names.push_back(row.name);
  return names;
}

bool Device::runs_from_cron(std::string_view command) {
  return find_handler(kCronHandlers, command) != nullptr;
}

std::vector<std::string_view> Device::cron_handled_commands() {
  std::vector<std::string_view> names;
  for (const HandlerRow& row : kCronHandlers)
    names.push_back(row.name);
  return names;
}

void Device::reply(const Command& c, const std::string& text) {
  queue_message(c.name, text, c.time);
}

void Device::ignored(const Command& c) {
  log::debug(meter_.name + ": ignored command " + c.name);
}

void Device::on_ping(const Command& c) {
  reply(c, "");
}

void Device::on_version(const Command& c) {
  reply(c, version_text(driver_, meter_.flow_meter));
}

void Device::on_uptime(const Command& c) {
  reply(c, std::to_string(
               std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - context_.started)
                   .count()));
}

void Device::on_vdd(const Command& c) {
  reply(c, vdd_text(context_.config.vdd_file));
}

void Device::on_mem(const Command& c) {
  reply(c, "heap=" + std::to_string(heap_bytes()));
}

void Device::on_reset_reason(const Command& c) {
  reply(c, reset_reason_text(context_.previous_run));
}

void Device::on_chip_id(const Command& c) {
  reply(c, chip_id_text());
}

void Device::on_flash_id(const Command& c) {
  reply(c, flash_id_text(context_.config.state_dir));
}

void Device::on_flash_size(const Command& c) {
  reply(c, flash_size_text(context_.config.state_dir));
}

void Device::on_network_quality(const Command& c) {
  reply(c, network_quality_text(recent_rtt_us_, recent_delivered_,
                                mqtt_ ? mqtt_->stats().disconnects : 0));
}

void Device::on_disconnect_count(const Command& c) {
  reply(c, std::to_string(mqtt_ ? mqtt_->stats().disconnects : 0));
}

void Device::on_stack_trace(const Command& c) {
  reply(c, "enabled");
}

void Device::on_status(const Command& c) {
  if (!valve_) return ignored(c);
  reply(c, valve_->state().state);
}

void Device::on_open_close(const Command& c) {
  if (!valve_) return ignored(c);
  valve_->set(c.name == "open", std::nullopt, "command");
}

void Device::on_open_until(const Command& c) {
  if (!valve_) return ignored(c);
  for (const ValveController::Reply& r :
       valve_->open_until(c.argument, c.name == "open_until_delta"))
    queue_message(r.function, r.text, c.time);
}

void Device::on_set_cron(const Command& c) {
  if (!cron_) return ignored(c);
  const core::Status outcome = cron_->set_cron(c.argument);
  const std::string text = CronRunner::set_cron_reply(c.argument, outcome);
  if (!outcome) log::warning(meter_.name + " " + serial_ + ": set_cron: " + text);
  reply(c, text);
}

void Device::on_cron(const Command& c) {
  if (!cron_) return ignored(c);
  reply(c, std::to_string(cron_->jobs().size()));
}

void Device::on_clear_cron(const Command& c) {
  if (!cron_) return ignored(c);
  if (auto s = cron_->clear(); !s) log::error(meter_.name + ": " + s.error().message());
  reply(c, "");
}

void Device::on_restart(const Command&) {
  log::info(meter_.name + " " + serial_ + ": restart requested by command");
  if (context_.restart) context_.restart();
}

void Device::on_network(const Command& c) {
  if (!network_command(c.name, c.argument, true)) ignored(c);
}

// ---- the key (docs/security.md, "Changing a key") ----

void Device::load_key() {
  namespace kc = core::keychange;
  auto stored = context_.store.setting(serial_, kKeyChangeKey);
  if (!stored) {
    log::error(meter_.name + ": cannot read the key change: " + stored.error().message());
    return;
  }
  std::optional<kc::KeyChange> change;
  if (*stored) {
    auto parsed = kc::parse_record(**stored);
    if (!parsed) {
      log::error(meter_.name + " " + serial_ + ": " + parsed.error().detail +
                 "; using the configured key");
    } else {
      change = *parsed;
    }
  }
  const kc::InUse use = kc::key_in_use(meter_.key, change, now());
  if (use.stale_change) {
    log::warning(meter_.name + " " + serial_ +
                 ": the configured key is not the one set_key changed; using the configured key");
  } else if (change) {
    log::info(meter_.name + " " + serial_ + ": using the key set by set_key at " +
              std::to_string(change->time) + " (not the configured one)");
  }
  master_ = use.current;
  if (auto keys = core::envelope::derive_keys(use.current)) keys_ = *keys;
  previous_keys_.reset();
  if (use.previous) {
    if (auto keys = core::envelope::derive_keys(*use.previous)) previous_keys_ = *keys;
    previous_until_ = use.until;
  }
}

void Device::on_set_key(const Command& c) {
  namespace kc = core::keychange;
  auto next = kc::parse_new_key(c.argument);
  if (!next) return reply(c, "error: " + next.error().detail);
  if (*next == master_) return reply(c, "ok");  // sent again: the change is made
  auto keys = core::envelope::derive_keys(*next);
  if (!keys) return reply(c, "error: set_key: the new key cannot be used");
  auto stored = context_.store.setting(serial_, kKeyChangeKey);
  std::optional<kc::KeyChange> before;
  if (stored && *stored) {
    if (auto parsed = kc::parse_record(**stored)) before = *parsed;
  }
  const kc::KeyChange change = kc::next_change(*next, master_, now(), meter_.key, before);
  if (auto s = context_.store.set_setting(serial_, kKeyChangeKey, kc::format_record(change), now());
      !s) {
    log::error(meter_.name + " " + serial_ + ": cannot store the new key: " + s.error().message());
    return reply(c, "error: cannot store the new key");
  }
  if (auto old = core::envelope::derive_keys(master_)) previous_keys_ = *old;
  previous_until_ = change.time + kc::kKeyGraceSeconds;
  master_ = *next;
  keys_ = *keys;
  log::info(meter_.name + " " + serial_ + ": the key was changed by set_key");
  reply(c, "ok");  // sealed with the new key
}

// ---- kept samples and resend (docs/agent.md, "Filling gaps") ----

void Device::keep_sample(std::int64_t time, const std::string& text) {
  const OutboxConfig& oc = context_.config.outbox;
  if (oc.keep_age_s <= 0) return;
  if (auto s = context_.store.keep_sample(serial_, time, text,
                                          KeepLimits{oc.keep_age_s, oc.keep_bytes}, now());
      !s) {
    log::error(meter_.name + ": cannot keep the sample: " + s.error().message());
  }
}

void Device::on_resend(const Command& c) {
  auto range = core::gaps::parse_resend(c.argument);
  if (!range) return reply(c, "error: " + range.error().detail);
  const auto at = Clock::now();
  if (last_resend_ && at - *last_resend_ < kResendPause) {
    return reply(c, "error: busy, one resend a minute");
  }
  auto kept =
      context_.store.kept_samples(serial_, range->from, range->to, core::gaps::kMaxResendSamples);
  if (!kept) {
    log::error(meter_.name + ": cannot read the kept samples: " + kept.error().message());
    return reply(c, "error: cannot read the kept samples");
  }
  last_resend_ = at;
  log::info(meter_.name + " " + serial_ + ": resending " + std::to_string(kept->size()) +
            " sample(s) of " + c.argument);
  for (const KeptSample& k : *kept)
    queue_message("sample", k.text, k.time);
  reply(c, std::to_string(kept->size()));
}

}  // namespace ml::agent
