#include "sim/line_check.hpp"

namespace ml::sim {
namespace {

using core::LineSettings;
using core::Parity;

Verdict verdict(Verdict::Action a, Reject r, std::string detail) {
  return Verdict{a, r, std::move(detail)};
}

std::string text(const LineSettings& l) {
  return core::line_settings_text(l);
}

}  // namespace

std::string_view reject_name(Reject r) {
  switch (r) {
    case Reject::request_baud:
      return "request_baud";
    case Reject::request_stop_bits:
      return "request_stop_bits";
    case Reject::request_format:
      return "request_format";
    case Reject::parity_error:
      return "parity_error";
    case Reject::bad_frame:
      return "bad_frame";
    case Reject::reply_baud:
      return "reply_baud";
    case Reject::reply_stop_bits:
      return "reply_stop_bits";
    case Reject::reply_format:
      return "reply_format";
    case Reject::wrong_destination:
      return "wrong_destination";
    case Reject::wrong_address:
      return "wrong_address";
    case Reject::unsupported:
      return "unsupported";
    case Reject::bad_request:
      return "bad_request";
    case Reject::read_only:
      return "read_only";
    case Reject::no_ident:
      return "no_ident";
  }
  return "unknown";
}

CharMode iec_char_mode(const LineSettings& line) {
  if (line.data_bits == 8 && line.parity == Parity::none) return CharMode::software_parity;
  if (line.data_bits == 7 && line.parity == Parity::even) return CharMode::native;
  return CharMode::invalid;
}

std::string describe_line(const std::optional<LineSettings>& line) {
  if (!line) return "unknown settings (baud rate not in the termios table)";
  return text(*line);
}

Verdict check_kmp_request(const std::optional<LineSettings>& line) {
  using A = Verdict::Action;
  if (!line) {
    return verdict(A::silent, Reject::request_baud,
                   "request at an unknown baud rate; the meter listens at 1200 8N2");
  }
  if (line->baud != 1200) {
    return verdict(A::silent, Reject::request_baud,
                   "request sent at " + text(*line) + "; the meter listens at 1200 baud");
  }
  if (line->data_bits != 8 || line->parity != Parity::none) {
    return verdict(A::silent, Reject::request_format,
                   "request sent as " + text(*line) + "; KMP is 8 data bits, no parity (8N2)");
  }
  if (line->stop_bits != 2) {
    return verdict(A::silent, Reject::request_stop_bits,
                   "request sent with 1 stop bit (" + text(*line) +
                       "); the meter needs 2 stop bits (1200 8N2)");
  }
  return {};
}

Verdict check_kmp_reply(const std::optional<LineSettings>& line) {
  using A = Verdict::Action;
  if (!line || line->baud != 1200) {
    return verdict(A::garbage, Reject::reply_baud,
                   "the client reads at " + describe_line(line) +
                       " when the reply starts; the meter sends at 1200 8N2");
  }
  if (line->data_bits != 8 || line->parity != Parity::none) {
    return verdict(A::garbage, Reject::reply_format,
                   "the client reads " + text(*line) + "; the meter sends 1200 8N2");
  }
  return {};
}

Verdict check_iec_request(const std::optional<LineSettings>& line) {
  using A = Verdict::Action;
  if (!line) {
    return verdict(A::silent, Reject::request_baud,
                   "request at an unknown baud rate; the meter listens at 300 7E2");
  }
  if (line->baud != 300) {
    return verdict(A::silent, Reject::request_baud,
                   "request sent at " + text(*line) + "; EN 61107 requests go at 300 baud 7E2");
  }
  if (iec_char_mode(*line) == CharMode::invalid) {
    return verdict(A::silent, Reject::request_format,
                   "request sent as " + text(*line) +
                       "; the meter expects 7E2 (7 data bits, even parity; on a pseudo-terminal "
                       "8 data bits with the parity in bit 7)");
  }
  if (line->stop_bits != 2) {
    return verdict(
        A::silent, Reject::request_stop_bits,
        "request sent with 1 stop bit (" + text(*line) + "); EN 61107 requests go at 300 baud 7E2");
  }
  return {};
}

Verdict check_iec_reply(const std::optional<LineSettings>& line, const LineSettings& expected,
                        bool strict_stop_bits) {
  using A = Verdict::Action;
  const std::string want = text(expected);
  if (!line || line->baud != expected.baud) {
    return verdict(A::garbage, Reject::reply_baud,
                   "the client reads at " + describe_line(line) +
                       " when the reply starts; the "
                       "meter sends at " +
                       want);
  }
  if (iec_char_mode(*line) == CharMode::invalid) {
    return verdict(A::silent, Reject::reply_format,
                   "the client reads " + text(*line) + "; the meter sends " + want);
  }
  if (strict_stop_bits && line->stop_bits != expected.stop_bits) {
    return verdict(A::silent, Reject::reply_stop_bits,
                   "the client is still at " + std::to_string(line->stop_bits) +
                       " stop bits when the reply starts; it must switch to " + want +
                       " after the request");
  }
  return {};
}

}  // namespace ml::sim
