#include "meter/mc66_reader.hpp"

#include <algorithm>

#include "core/iec62056/reply_assembler.hpp"
#include "meter/drivers.hpp"

namespace ml::meter {
namespace {

namespace iec = core::iec;

struct StepFailure {
  core::Errc code = core::Errc::meter_timeout;
  std::string what = "timeout";
  std::string detail = "no reply";
};

class StepRunner {
 public:
  StepRunner(Session& session, const Mc66Options& options) : s_(session), o_(options) {}

  asio::awaitable<core::Status> wake_up() {
    if (!o_.wake_up || o_.wakeup.count == 0) co_return core::Ok{};
    if (auto m = s_.set_line(o_.wakeup.line); !m) co_return link_error(m.error());
    const core::Bytes nuls(o_.wakeup.count, o_.wakeup.byte);
    auto sent = co_await s_.send(nuls);
    --s_.stats().requests;  // the wake-up is not a request
    if (!sent) co_return link_error(sent.error());
    co_await s_.sleep_until(s_.sent_done() + o_.wakeup_pause);
    co_return core::Ok{};
  }

  // Sends the step's request and collects its reply (echo and leading noise removed).
  // nullopt with failure_ filled when nothing usable came.
  asio::awaitable<core::Result<std::optional<core::Bytes>>> run(const iec::Step& step) {
    failure_ = StepFailure{};
    if (auto m = s_.set_line(step.request_line); !m) co_return link_error(m.error());
    s_.discard_input();
    const core::ByteView request = core::as_bytes(step.request);
    if (auto sent = co_await s_.send(request); !sent) co_return link_error(sent.error());
    co_await s_.sleep_until(s_.sent_done() + milliseconds(step.switch_delay_ms));
    if (auto m = s_.set_line(step.reply_line); !m) co_return link_error(m.error());
    const milliseconds timeout =
        o_.timeout.count() > 0 ? o_.timeout : milliseconds(step.timeout_ms);
    const auto deadline = s_.sent_done() + timeout;
    core::iec::ReplyAssembler reply(step);
    while (true) {
      auto got = co_await s_.receive(deadline);
      if (!got) co_return link_error(got.error());
      if (got->empty()) {
        ++s_.stats().timeouts;
        if (reply.started()) {
          ++s_.stats().truncated;
          failure_ = {core::Errc::meter_bad_reply, "truncated reply",
                      std::string(step.name) + " reply cut short after " +
                          std::to_string(reply.reply().size()) + " bytes"};
        } else {
          failure_.detail = "no reply to " + std::string(step.name) + " at " +
                            core::line_settings_text(step.request_line);
        }
        count(reply);
        s_.note(failure_.what + " (" + std::string(step.name) + ")");
        co_return std::optional<core::Bytes>{};
      }
      if (!reply.feed(*got)) continue;
      count(reply);
      if (reply.overflow()) {
        failure_ = {core::Errc::meter_bad_reply, "bad reply",
                    std::string(step.name) + " reply longer than " +
                        std::to_string(iec::kMaxReadoutBytes) + " bytes"};
        ++s_.stats().bad_replies;
        co_return std::optional<core::Bytes>{};
      }
      co_return std::optional<core::Bytes>(core::Bytes(reply.reply().begin(), reply.reply().end()));
    }
  }

  void reject(core::Errc code, const std::string& what, const core::Error& e) {
    failure_ = {code, what, e.message()};
    if (e.code == core::Errc::iec_bcc_mismatch) {
      ++s_.stats().check_errors;
    } else {
      ++s_.stats().bad_replies;
    }
    s_.note(what + ": " + e.message());
  }

  const StepFailure& failure() const { return failure_; }
  int tries() const { return 1 + std::max(0, o_.retries); }

  asio::awaitable<void> before_retry(int attempt) {
    ++s_.stats().retries;
    s_.note("retry " + std::to_string(attempt) + " after " + failure_.what);
    co_await s_.sleep_for(o_.retry_delay);
  }

  core::Error failed() const {
    return read_failure(failure_.code, failure_.what, tries(), s_.link().name(), failure_.detail);
  }

 private:
  void count(const iec::ReplyAssembler& reply) {
    s_.stats().echo_bytes += reply.echo_bytes();
    s_.stats().garbage_bytes += reply.garbage_bytes();
  }

  static core::Error link_error(const core::Error& e) {
    return core::make_error(core::Errc::meter_link, e.text());
  }

  Session& s_;
  const Mc66Options& o_;
  StepFailure failure_;
};

// Ident and data readout belong together: the meter only answers the ACK right after its ident.
asio::awaitable<core::Result<iec::Readout>> read_readout(StepRunner& run, Session& session,
                                                         const Mc66Options& o) {
  for (int attempt = 0; attempt < run.tries(); ++attempt) {
    if (attempt > 0) co_await run.before_retry(attempt);
    if (auto w = co_await run.wake_up(); !w) co_return w.error();
    auto ident = co_await run.run(iec::step(iec::StepId::ident));
    if (!ident) co_return ident.error();
    if (!*ident) continue;
    ++session.stats().replies_ok;
    auto block = co_await run.run(iec::step(iec::StepId::data_readout));
    if (!block) co_return block.error();
    if (!*block) continue;
    core::Bytes all = std::move(**ident);
    all.insert(all.end(), (*block)->begin(), (*block)->end());
    auto readout = iec::parse_readout_strict(all, o.bcc);
    if (!readout) {
      run.reject(core::Errc::meter_bad_reply,
                 readout.error().code == core::Errc::iec_bcc_mismatch ? "BCC error" : "bad reply",
                 readout.error());
      continue;
    }
    ++session.stats().replies_ok;
    co_return std::move(readout).value();
  }
  co_return run.failed();
}

// A /# data string, checked by parsing it (decimals are placed later, once /#2 is known).
asio::awaitable<core::Result<core::Bytes>> read_data_string(StepRunner& run, Session& session,
                                                            iec::StepId id,
                                                            iec::Mc66Request request) {
  for (int attempt = 0; attempt < run.tries(); ++attempt) {
    if (attempt > 0) co_await run.before_retry(attempt);
    auto raw = co_await run.run(iec::step(id));
    if (!raw) co_return raw.error();
    if (!*raw) continue;
    if (auto parsed = iec::parse_reply(request, **raw); !parsed) {
      run.reject(core::Errc::meter_bad_reply, "bad reply", parsed.error());
      continue;
    }
    ++session.stats().replies_ok;
    co_return std::move(**raw);
  }
  co_return run.failed();
}

}  // namespace

asio::awaitable<core::Result<Mc66Reading>> read_mc66(Session& session, const Mc66Options& o) {
  StepRunner run(session, o);
  auto readout = co_await read_readout(run, session, o);
  if (!readout) co_return readout.error();
  std::optional<core::Bytes> inst_raw;
  if (!o.is_66b) {
    auto r = co_await read_data_string(run, session, iec::StepId::inst_values,
                                       iec::Mc66Request::inst_values);
    if (!r) co_return r.error();
    inst_raw = std::move(r).value();
  }
  auto std1_raw = co_await read_data_string(run, session, iec::StepId::standard_data_1,
                                            iec::Mc66Request::standard_data_1);
  if (!std1_raw) co_return std1_raw.error();
  auto std2_raw = co_await read_data_string(run, session, iec::StepId::standard_data_2,
                                            iec::Mc66Request::standard_data_2);
  if (!std2_raw) co_return std2_raw.error();

  auto bad = [](const core::Error& e) {
    return core::make_error(core::Errc::meter_bad_reply, e.message());
  };
  auto heat = iec::heat_values(*readout);
  if (!heat) co_return bad(heat.error());
  auto std2 = iec::parse_reply(iec::Mc66Request::standard_data_2, *std2_raw);
  if (!std2) co_return bad(std2.error());
  auto std1 = iec::parse_reply(iec::Mc66Request::standard_data_1, *std1_raw, std2->program);
  if (!std1) co_return bad(std1.error());
  Mc66Reading reading{std::move(readout).value(), std::move(heat).value(), std::nullopt,
                      std::move(std1).value(), std::move(std2).value()};
  if (inst_raw) {
    auto inst =
        iec::parse_reply(iec::Mc66Request::inst_values, *inst_raw, reading.standard_data_2.program);
    if (!inst) co_return bad(inst.error());
    reading.inst_values = std::move(inst).value();
  }
  co_return reading;
}

namespace {

// One MULTICAL 66 cycle and the sample built from it.
asio::awaitable<core::Result<MeterRead>> read_mc66_meter(Session& session, const ReadOptions& o,
                                                         core::sample::MeterKind kind) {
  Mc66Options m;
  m.is_66b = kind == core::sample::MeterKind::mc66b;
  m.wake_up = o.wake_up;
  if (o.wakeup_count) m.wakeup.count = *o.wakeup_count;
  if (o.timeout.count() > 0) m.timeout = o.timeout;
  m.retries = o.retries;
  if (o.retry_delay) m.retry_delay = *o.retry_delay;
  auto r = co_await read_mc66(session, m);
  if (!r) co_return r.error();
  const core::sample::Mc66Cycle cycle{&r->heat, &r->standard_data_1, &r->standard_data_2,
                                      r->inst_values ? &*r->inst_values : nullptr};
  auto sample = core::sample::reading_from_mc66(cycle, kind, o.flow_meter);
  co_return MeterRead{std::move(r).value(), std::move(sample)};
}

}  // namespace

// The MULTICAL 66C and 66B drivers' reads (drivers.hpp).
asio::awaitable<core::Result<MeterRead>> read_mc66c_meter(Session& session, const ReadOptions& o) {
  return read_mc66_meter(session, o, core::sample::MeterKind::mc66c);
}

asio::awaitable<core::Result<MeterRead>> read_mc66b_meter(Session& session, const ReadOptions& o) {
  return read_mc66_meter(session, o, core::sample::MeterKind::mc66b);
}

}  // namespace ml::meter
