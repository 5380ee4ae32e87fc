#include "meter/kmp_reader.hpp"

#include <algorithm>

#include "core/kmp/receiver.hpp"
#include "core/kmp/registers.hpp"
#include "core/topic/topic.hpp"
#include "meter/drivers.hpp"

namespace ml::meter {
namespace {

namespace kmp = core::kmp;

void add_receiver_stats(LinkStats& s, const kmp::RxStats& before, const kmp::RxStats& after) {
  s.echo_bytes += after.echo_bytes - before.echo_bytes;
  s.garbage_bytes += after.garbage_bytes - before.garbage_bytes;
  s.truncated += after.truncated - before.truncated;
}

}  // namespace

asio::awaitable<core::Result<kmp::Received>> kmp_exchange(Session& session, core::ByteView request,
                                                          std::uint8_t expected_cid,
                                                          const KmpOptions& options) {
  const int tries = 1 + std::max(0, options.retries);
  const std::string no_reply = "no reply at " + core::line_settings_text(core::kKmpLine);
  std::string what = "timeout";
  std::string detail = no_reply;
  core::Errc code = core::Errc::meter_timeout;
  for (int attempt = 0; attempt < tries; ++attempt) {
    if (attempt > 0) {
      ++session.stats().retries;
      session.note("retry " + std::to_string(attempt) + " after " + what);
      co_await session.sleep_for(options.retry_delay);
    }
    kmp::Receiver rx;
    session.discard_input();
    auto sent = co_await session.send(request);
    if (!sent) co_return core::make_error(core::Errc::meter_link, sent.error().detail);
    rx.expect_echo(request);
    const kmp::RxStats before = rx.stats();
    auto deadline = session.sent_done() + options.timeout;
    // However long the line keeps talking (noise, a stream at the wrong baud), the try ends once
    // the longest possible frame would have been on the wire.
    const auto hard_deadline = deadline + std::chrono::microseconds(core::wire_time_us(
                                              core::kKmpLine, kmp::kMaxWireFrame));
    bool done = false;
    std::optional<kmp::Received> got;
    what = "timeout";
    detail = no_reply;
    code = core::Errc::meter_timeout;
    while (!done) {
      auto bytes = co_await session.receive(deadline);
      if (!bytes) co_return core::make_error(core::Errc::meter_link, bytes.error().detail);
      if (bytes->empty()) {
        if (auto e = rx.flush(); e && !e->ok()) {
          if (e->error().code == core::Errc::kmp_truncated) {
            what = "truncated reply";
            detail = e->error().detail;
            code = core::Errc::meter_bad_reply;
          }
        }
        ++session.stats().timeouts;
        session.note(what);
        break;
      }
      const std::uint64_t echo_before = rx.stats().echo_bytes;
      for (std::uint8_t b : *bytes) {
        auto event = rx.feed(b);
        if (!event) continue;
        if (!event->ok()) {
          const core::Error& e = event->error();
          if (e.code == core::Errc::kmp_garbage) continue;  // counted; a reply may follow
          code = core::Errc::meter_bad_reply;
          what = e.code == core::Errc::kmp_crc_mismatch ? "CRC error" : "bad reply";
          detail = e.message();
          if (e.code == core::Errc::kmp_crc_mismatch) {
            ++session.stats().check_errors;
          } else if (e.code != core::Errc::kmp_truncated) {
            ++session.stats().bad_replies;
          }
          session.note(what + ": " + detail);
          done = true;
          break;
        }
        const kmp::Received& r = event->value();
        if (r.kind == kmp::Received::Kind::ack ||
            (r.frame.cid == expected_cid && r.frame.dst == request[1])) {
          got = r;
          done = true;
          break;
        }
        // A valid frame that is not the answer to this request (a late reply to an earlier
        // one): ignore it and keep listening.
        session.note("ignored a frame with command id " + core::hex_byte(r.frame.cid));
      }
      // Once the reply has started, the rest must follow without long pauses.
      if (!done && rx.stats().echo_bytes - echo_before < bytes->size() && !rx.idle()) {
        deadline =
            std::min(hard_deadline, std::max(deadline, Clock::now() + session.gap_timeout()));
      }
    }
    add_receiver_stats(session.stats(), before, rx.stats());
    if (got) {
      ++session.stats().replies_ok;
      co_return *got;
    }
  }
  co_return read_failure(code, what, tries, session.link().name(), detail);
}

asio::awaitable<core::Result<KmpReading>> read_kmp(Session& session, const KmpOptions& options) {
  if (auto mode = session.set_line(core::kKmpLine); !mode) {
    co_return core::make_error(core::Errc::meter_link, mode.error().detail);
  }
  KmpReading reading;
  if (options.read_serial) {
    const core::Bytes request = kmp::encode_get_serial(options.dst);
    auto reply = co_await kmp_exchange(session, request, 0x02, options);
    if (!reply) co_return reply.error();
    auto serial = kmp::decode_serial_reply(reply->frame);
    if (!serial) co_return core::make_error(core::Errc::meter_bad_reply, serial.error().message());
    if (*serial == 0) {
      co_return core::make_error(core::Errc::meter_bad_reply, "the meter reports serial number 0");
    }
    reading.serial = *serial;
  }
  std::vector<std::uint16_t> ids = options.registers;
  if (ids.empty()) ids.assign(kmp::sample_registers().begin(), kmp::sample_registers().end());
  for (std::size_t i = 0; i < ids.size(); i += kmp::kMaxRegistersPerRequest) {
    const std::size_t n = std::min(kmp::kMaxRegistersPerRequest, ids.size() - i);
    const std::span<const std::uint16_t> group(ids.data() + i, n);
    auto request = kmp::encode_get_register(group, options.dst);
    if (!request) co_return request.error();
    auto reply = co_await kmp_exchange(session, *request, 0x10, options);
    if (!reply) co_return reply.error();
    auto values = kmp::decode_register_reply(reply->frame);
    if (!values) co_return core::make_error(core::Errc::meter_bad_reply, values.error().message());
    // The meter answers in request order; match by id all the same and insist on every one.
    for (std::uint16_t id : group) {
      auto it = std::find_if(values->begin(), values->end(),
                             [id](const kmp::RegisterValue& v) { return v.id == id; });
      if (it == values->end()) {
        co_return core::make_error(core::Errc::meter_bad_reply,
                                   "the meter did not return register " + std::to_string(id) +
                                       " (" + core::hex_word(id) + ")");
      }
      reading.registers.push_back(*it);
    }
  }
  co_return reading;
}

// The KMP driver's read (drivers.hpp).
asio::awaitable<core::Result<MeterRead>> read_kmp_meter(Session& session, const ReadOptions& o) {
  KmpOptions k;
  k.registers = o.registers;
  k.read_serial = o.read_serial;
  if (o.timeout.count() > 0) k.timeout = o.timeout;
  k.retries = o.retries;
  if (o.retry_delay) k.retry_delay = *o.retry_delay;
  auto r = co_await read_kmp(session, k);
  if (!r) co_return r.error();
  core::sample::Reading reading = core::sample::reading_from_kmp(r->registers, o.flow_meter);
  if (r->serial) reading.serial = core::topic::Serial::from_number(*r->serial).text();
  co_return MeterRead{std::move(r).value(), std::move(reading)};
}

}  // namespace ml::meter
