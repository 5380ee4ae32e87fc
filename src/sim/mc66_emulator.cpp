#include "sim/mc66_emulator.hpp"

#include "core/iec62056/steps.hpp"

namespace ml::sim {

Mc66Emulator::Mc66Emulator(asio::io_context& io, Mc66EmulatorOptions options)
    : SerialEmulator(io, options.common,
                     options.meter.variant == Mc66Variant::c ? "mc66c" : "mc66b"),
      meter_(options.meter),
      opts_(std::move(options)) {}

void Mc66Emulator::on_chunk(const Chunk& chunk) {
  const CharMode mode = chunk.line ? iec_char_mode(*chunk.line) : CharMode::software_parity;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < chunk.bytes.size(); ++i) {
    const std::uint8_t b = chunk.bytes[i];
    if (mode != CharMode::native && !core::parity_bit_ok(b, core::Parity::even)) {
      // A UART set to 7E flags the character; the meter drops the request in progress.
      ++bad;
      scanner_.reset();
      continue;
    }
    auto request = scanner_.feed(static_cast<std::uint8_t>(b & 0x7F));
    if (request) on_request(*request, chunk.arrival(i), chunk.line);
  }
  if (bad > 0) {
    add_parity_errors(bad);
    reject(Reject::parity_error,
           std::to_string(bad) + " of " + std::to_string(chunk.bytes.size()) +
               " bytes with a wrong parity bit (7E: bit 7 must be the even parity of bits 0-6 on "
               "an 8-bit line); treated as line noise");
  }
}

void Mc66Emulator::on_request(const IecRequest& request, WallClock::time_point end,
                              const std::optional<core::LineSettings>& line) {
  using core::iec::kDataStringReplyLine;
  using core::iec::kReadoutReplyLine;
  const std::string what = request.text();
  const Verdict v = check_iec_request(line);
  if (!v.ok()) {
    reject(v.reason, what + ": " + v.detail);
    return;
  }
  const auto n = admit(what);
  if (!n) return;
  const HeatState s = heat_state();
  core::Result<Mc66Built> built = Mc66Built{};
  core::LineSettings reply_line = kDataStringReplyLine;
  std::chrono::milliseconds latency = opts_.data_latency;
  switch (request.kind) {
    case IecRequest::Kind::ident: {
      const std::uint32_t need = faults().wake_nuls;
      if (need > 0 && request.nuls_before < need) {
        count_fault("wake_up", what + " ignored: " + std::to_string(request.nuls_before) +
                                   " NUL bytes before it, the sleeping meter needs " +
                                   std::to_string(need));
        return;
      }
      if (!request.address.empty()) {
        const std::string own = std::to_string(meter_.config().customer);
        std::string given = request.address;
        given.erase(0, std::min(given.find_first_not_of('0'), given.size()));
        if (given != own && !(given.empty() && own == "0")) {
          reject(Reject::wrong_address,
                 what + ": address '" + request.address + "' is not this meter (" + own + ")");
          return;
        }
      }
      built = meter_.ident_reply();
      ident_at_ = end;
      reply_line = kReadoutReplyLine;
      latency = opts_.readout_latency;
      break;
    }
    case IecRequest::Kind::option_select:
      if (!ident_at_ || end - *ident_at_ > kIdentSession) {
        reject(Reject::no_ident, what + ": no ident request (/?!) in the last " +
                                     std::to_string(kIdentSession.count() / 1000) + " s");
        return;
      }
      if (request.options != "000") {
        reject(Reject::unsupported,
               what + ": the MULTICAL 66 only answers ACK 000 (data readout at 300 baud)");
        return;
      }
      ident_at_.reset();
      built = meter_.readout(s);
      reply_line = kReadoutReplyLine;
      latency = opts_.readout_latency;
      break;
    case IecRequest::Kind::data_string:
      if (request.data_id == 'C' && meter_.config().variant == Mc66Variant::b) {
        reject(Reject::unsupported, what + ": a MULTICAL 66B has no instantaneous values");
        return;
      }
      if (request.data_id != '1' && request.data_id != '2' && request.data_id != 'C') {
        reject(Reject::unsupported, what + " is not emulated (only /#1, /#2 and /#C)");
        return;
      }
      built = meter_.data_string(request.data_id, s);
      break;
  }
  if (!built) {
    reject(Reject::bad_request, what + ": cannot build the reply: " + built.error().message());
    return;
  }
  ReplyJob job;
  job.request_no = *n;
  job.what = what;
  job.request_end = end;
  job.latency = latency;
  job.meter_line = reply_line;
  const bool strict = opts_.strict_reply_stop_bits;
  job.check = [reply_line, strict](const std::optional<core::LineSettings>& l) {
    return check_iec_reply(l, reply_line, strict);
  };
  job.bytes = std::move(built->bytes);
  job.bad_check = std::move(built->bad_check);
  job.iec_parity = true;
  job.detail = std::move(built->detail);
  job.detail["protocol"] = "en61107";
  job.detail["request"] = what;
  job.detail["sim_time"] = iso_time(s.sim_ms);
  send_reply(std::move(job));
}

void Mc66Emulator::add_state(nlohmann::json& j, const HeatState& s) {
  j["serial"] = meter_.config().customer;
  j["meter_config"] = meter_.describe();
  const auto& sc = meter_.scale();
  auto q = [](const core::Decimal& d, std::string_view unit) {
    return nlohmann::json{{"value", d.to_string()}, {"unit", std::string(unit)}};
  };
  // The values as the meter shows them now (its resolution, truncated).
  j["displayed"] = {{"energy", q(meter_.energy(s), sc.energy.unit)},
                    {"volume", q(meter_.volume(s), sc.volume.unit)},
                    {"flow", q(meter_.flow(s), sc.flow.unit)},
                    {"power", q(meter_.power(s), sc.power.unit)}};
  j["noise_bytes"] = scanner_.noise_bytes();
}

}  // namespace ml::sim
