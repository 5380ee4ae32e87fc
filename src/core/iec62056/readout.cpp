#include "core/iec62056/readout.hpp"

#include <algorithm>
#include <cstdio>

namespace ml::core::iec {
namespace {

constexpr std::size_t kShownChars = 40;

bool printable(std::uint8_t c) {
  return c >= 0x20 && c <= 0x7E;
}
bool letter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// Bytes as text for an error message: printable ASCII as is, the rest as \xNN, cut at
// kShownChars characters.
std::string shown(ByteView bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == kShownChars) {
      out += "...";
      break;
    }
    const std::uint8_t c = bytes[i];
    if (printable(c) && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
      out += buf;
    }
  }
  return out;
}
std::string shown(std::string_view s) {
  return shown(as_bytes(s));
}

std::string record_label(std::size_t index) {
  return "record " + std::to_string(index);
}

// Characters a record field may hold: printable ASCII except the delimiters. '*' separates value
// and unit, but is allowed in an id (OBIS-style "6.8*01").
enum class FieldKind : std::uint8_t { id, value, unit };

bool allowed(FieldKind kind, std::uint8_t c) {
  if (!printable(c)) return false;
  if (c == '(' || c == ')' || c == '/' || c == '!') return false;
  if (c == '*' && kind != FieldKind::id) return false;
  return true;
}

// The shared field rules of parser and encoder. `label` names the record.
Status check_record(const Record& r, const std::string& label) {
  auto check = [&](std::string_view text, FieldKind kind, std::string_view what,
                   std::size_t min_len, std::size_t max_len) -> Status {
    if (text.size() < min_len) {
      return make_error(Errc::iec_bad_record, label + " has an empty " + std::string(what));
    }
    if (text.size() > max_len) {
      return make_error(Errc::iec_bad_record, label + " " + std::string(what) + " '" + shown(text) +
                                                  "' is longer than " + std::to_string(max_len) +
                                                  " characters");
    }
    for (const char ch : text) {
      const auto c = static_cast<std::uint8_t>(ch);
      if (!allowed(kind, c)) {
        return make_error(Errc::iec_bad_record,
                          label + " " + std::string(what) + " '" + shown(text) +
                              "' contains the invalid character " + hex_byte(c));
      }
    }
    return Ok{};
  };
  if (auto s = check(r.id, FieldKind::id, "id", 1, kMaxIdChars); !s) return s;
  if (auto s = check(r.value, FieldKind::value, "value", 0, kMaxValueChars); !s) return s;
  if (r.unit) {
    if (auto s = check(*r.unit, FieldKind::unit, "unit", 1, kMaxUnitChars); !s) return s;
  }
  return Ok{};
}

struct Records {
  std::vector<Record> records;
  Separator separator = Separator::crlf;
  bool line_break_at_end = false;
};

// Parses the bytes between STX and ETX (exclusive).
Result<Records> parse_records(ByteView block) {
  Records out;
  std::optional<bool> separated;  // whether CR LF follows a record that is not the last
  std::size_t pos = 0;
  const std::size_t n = block.size();
  auto is_end_of_field = [](std::uint8_t c) { return c == kCr || c == kLf || c == '!'; };
  for (;;) {
    if (pos >= n) {
      return make_error(Errc::iec_bad_record,
                        "data block does not end with the end mark '!' CR LF before ETX");
    }
    if (block[pos] == '!') {
      if (n - pos != 3 || block[pos + 1] != kCr || block[pos + 2] != kLf) {
        return make_error(Errc::iec_bad_record, "end mark '!' is followed by '" +
                                                    shown(block.subspan(pos + 1)) +
                                                    "' instead of CR LF and ETX");
      }
      break;
    }
    const std::size_t index = out.records.size() + 1;
    const std::string label = record_label(index);
    if (out.records.size() == kMaxRecords) {
      return make_error(Errc::iec_too_long,
                        "more than " + std::to_string(kMaxRecords) + " records in the data block");
    }
    const std::size_t start = pos;
    auto text_so_far = [&] { return "'" + shown(block.subspan(start, pos - start)) + "'"; };
    // id
    while (pos < n && block[pos] != '(' && block[pos] != ')' && !is_end_of_field(block[pos])) {
      ++pos;
    }
    if (pos >= n || block[pos] != '(') {
      return make_error(Errc::iec_bad_record, label + " " + text_so_far() + " has no '('");
    }
    Record rec;
    rec.id.assign(block.begin() + static_cast<std::ptrdiff_t>(start),
                  block.begin() + static_cast<std::ptrdiff_t>(pos));
    ++pos;
    // value, then the optional unit
    const std::size_t value_start = pos;
    while (pos < n && block[pos] != '*' && block[pos] != ')' && !is_end_of_field(block[pos])) {
      ++pos;
    }
    if (pos >= n || is_end_of_field(block[pos])) {
      return make_error(Errc::iec_bad_record, label + " " + text_so_far() + " has no closing ')'");
    }
    rec.value.assign(block.begin() + static_cast<std::ptrdiff_t>(value_start),
                     block.begin() + static_cast<std::ptrdiff_t>(pos));
    if (block[pos] == '*') {
      ++pos;
      const std::size_t unit_start = pos;
      while (pos < n && block[pos] != ')' && !is_end_of_field(block[pos]))
        ++pos;
      if (pos >= n || block[pos] != ')') {
        return make_error(Errc::iec_bad_record,
                          label + " " + text_so_far() + " has no closing ')'");
      }
      rec.unit.emplace(block.begin() + static_cast<std::ptrdiff_t>(unit_start),
                       block.begin() + static_cast<std::ptrdiff_t>(pos));
    }
    ++pos;  // ')'
    const std::string full_label = label + " '" + shown(block.subspan(start, pos - start)) + "'";
    if (auto s = check_record(rec, full_label); !s) return s.error();
    if (pos < n && block[pos] == '(') {
      return make_error(Errc::iec_bad_record,
                        full_label + " is followed by a second '(' value group");
    }
    bool crlf = false;
    if (pos < n && (block[pos] == kCr || block[pos] == kLf)) {
      if (block[pos] != kCr || pos + 1 >= n || block[pos + 1] != kLf) {
        return make_error(Errc::iec_bad_record,
                          full_label + " is followed by a line break that is not CR LF");
      }
      crlf = true;
      pos += 2;
    }
    out.records.push_back(std::move(rec));
    if (pos < n && block[pos] == '!') {
      out.line_break_at_end = crlf;
      continue;
    }
    if (separated && *separated != crlf) {
      return make_error(Errc::iec_bad_record,
                        full_label + (crlf ? " is followed by CR LF, but the records before it "
                                             "are not separated"
                                           : " is not followed by CR LF like the records "
                                             "before it"));
    }
    separated = crlf;
  }
  out.separator = separated.value_or(true) ? Separator::crlf : Separator::none;
  return out;
}

std::string bcc_detail(std::uint8_t computed, std::uint8_t received, BccMethod method) {
  return "computed " + hex_byte(computed) + ", received " + hex_byte(received) + " (" +
         std::string(bcc_method_name(method)) + ")";
}

std::optional<std::uint32_t> baud_of(char c) {
  if (c >= '0' && c <= '6') return 300u << (c - '0');
  if (c >= 'A' && c <= 'F') return 600u << (c - 'A');
  return std::nullopt;
}

}  // namespace

Result<Ident> make_ident(std::string_view text) {
  if (text.empty()) return make_error(Errc::iec_bad_ident, "ident text is empty");
  if (text.size() > kMaxIdentChars) {
    return make_error(Errc::iec_bad_ident, "ident text '" + shown(text) + "' is longer than " +
                                               std::to_string(kMaxIdentChars) + " characters");
  }
  for (const char ch : text) {
    if (!printable(static_cast<std::uint8_t>(ch))) {
      return make_error(Errc::iec_bad_ident, "ident text '" + shown(text) +
                                                 "' contains the non-printable byte " +
                                                 hex_byte(static_cast<std::uint8_t>(ch)));
    }
  }
  Ident id;
  id.text = std::string(text);
  if (text.size() >= 3 && letter(text[0]) && letter(text[1]) && letter(text[2])) {
    id.manufacturer = std::string(text.substr(0, 3));
    if (text.size() >= 4) {
      if (auto baud = baud_of(text[3])) {
        id.baud_char = text[3];
        id.baud = baud;
      }
    }
  }
  return id;
}

Result<Decimal> Record::number() const {
  auto d = Decimal::parse(value);
  if (!d) return make_error(d.error().code, "value '" + shown(value) + "': " + d.error().detail);
  return d;
}

std::string_view Record::key() const {
  for (const RecordKey& k : kRecordKeys) {
    if (k.id == id) return k.key;
  }
  return {};
}

Result<Readout> parse_readout(ByteView bytes, BccMethod method) {
  if (bytes.size() > kMaxReadoutBytes) {
    return make_error(Errc::iec_too_long, std::to_string(bytes.size()) + " bytes, at most " +
                                              std::to_string(kMaxReadoutBytes));
  }
  if (bytes.empty()) return make_error(Errc::iec_no_stx, "the input is empty");
  Readout out;
  out.bcc_method = method;
  std::size_t pos = 0;
  if (bytes[0] == '/') {
    // "/" text CR LF, text at most kMaxIdentChars characters.
    const std::size_t limit = std::min(bytes.size(), kMaxIdentChars + 2);
    std::size_t end = 1;
    while (end < limit && bytes[end] != kCr && bytes[end] != kLf)
      ++end;
    const ByteView text = bytes.subspan(1, end - 1);
    if (end >= bytes.size()) {
      return make_error(Errc::iec_bad_ident, "ident line '/" + shown(text) + "' has no CR LF");
    }
    if (end >= limit) {
      return make_error(Errc::iec_bad_ident, "ident line '/" + shown(text) +
                                                 "' has no CR LF within " +
                                                 std::to_string(kMaxIdentChars) + " characters");
    }
    if (bytes[end] != kCr || end + 1 >= bytes.size() || bytes[end + 1] != kLf) {
      return make_error(Errc::iec_bad_ident,
                        "ident line '/" + shown(text) + "' is not ended by CR LF");
    }
    auto ident =
        make_ident(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
    if (!ident) return ident.error();
    out.ident = std::move(ident).value();
    pos = end + 2;
    if (pos >= bytes.size()) {
      return make_error(Errc::iec_no_stx, "the input ends after the ident line");
    }
    if (bytes[pos] != kStx) {
      return make_error(Errc::iec_no_stx,
                        "the ident line is followed by " + hex_byte(bytes[pos]) + ", not STX");
    }
  } else if (bytes[0] != kStx) {
    return make_error(Errc::iec_no_stx, "the input starts with " + hex_byte(bytes[0]) +
                                            ", expected '/' (ident line) or STX");
  }
  const std::size_t stx = pos;
  const auto etx_it =
      std::find(bytes.begin() + static_cast<std::ptrdiff_t>(stx + 1), bytes.end(), kEtx);
  if (etx_it == bytes.end()) {
    return make_error(Errc::iec_no_etx, "no ETX in the " + std::to_string(bytes.size() - stx - 1) +
                                            " bytes after STX");
  }
  const auto etx = static_cast<std::size_t>(etx_it - bytes.begin());
  if (etx + 1 >= bytes.size()) return make_error(Errc::iec_no_bcc, "the input ends with ETX");
  if (etx + 2 < bytes.size()) {
    return make_error(Errc::iec_too_long,
                      std::to_string(bytes.size() - etx - 2) + " bytes follow the BCC");
  }
  out.bcc_received = bytes[etx + 1];
  out.bcc_computed = compute_bcc(bytes.subspan(stx + 1, etx - stx), method);
  out.bcc_ok = out.bcc_received == out.bcc_computed;
  auto records = parse_records(bytes.subspan(stx + 1, etx - stx - 1));
  if (!records) {
    if (!out.bcc_ok) {
      return make_error(Errc::iec_bcc_mismatch,
                        bcc_detail(out.bcc_computed, out.bcc_received, method) +
                            "; the block is also malformed: " + records.error().message());
    }
    return records.error();
  }
  out.records = std::move(records->records);
  out.separator = records->separator;
  out.line_break_at_end = records->line_break_at_end;
  return out;
}

Result<Readout> parse_readout_strict(ByteView bytes, BccMethod method) {
  auto r = parse_readout(bytes, method);
  if (r && !r->bcc_ok) {
    return make_error(Errc::iec_bcc_mismatch, bcc_detail(r->bcc_computed, r->bcc_received, method));
  }
  return r;
}

Result<Bytes> encode_ident(std::string_view text) {
  auto id = make_ident(text);
  if (!id) return id.error();
  Bytes out;
  out.push_back('/');
  out.insert(out.end(), text.begin(), text.end());
  out.push_back(kCr);
  out.push_back(kLf);
  return out;
}

Result<Bytes> encode_readout(const Readout& readout, BccMethod method) {
  Bytes out;
  if (readout.ident) {
    auto line = encode_ident(readout.ident->text);
    if (!line) return line.error();
    out = std::move(line).value();
  }
  if (readout.records.size() > kMaxRecords) {
    return make_error(Errc::iec_too_long, std::to_string(readout.records.size()) +
                                              " records, at most " + std::to_string(kMaxRecords));
  }
  out.push_back(kStx);
  const std::size_t block_start = out.size();
  auto append = [&](std::string_view s) { out.insert(out.end(), s.begin(), s.end()); };
  for (std::size_t i = 0; i < readout.records.size(); ++i) {
    const Record& r = readout.records[i];
    if (auto s = check_record(r, record_label(i + 1)); !s) return s.error();
    append(r.id);
    append("(");
    append(r.value);
    if (r.unit) {
      append("*");
      append(*r.unit);
    }
    append(")");
    const bool last = i + 1 == readout.records.size();
    if (last ? readout.line_break_at_end : readout.separator == Separator::crlf) append("\r\n");
  }
  append("!\r\n");
  out.push_back(kEtx);
  out.push_back(compute_bcc(ByteView(out).subspan(block_start), method));
  if (out.size() > kMaxReadoutBytes) {
    return make_error(Errc::iec_too_long, "the readout would be " + std::to_string(out.size()) +
                                              " bytes, at most " +
                                              std::to_string(kMaxReadoutBytes));
  }
  return out;
}

Result<HeatValues> heat_values(const Readout& readout) {
  HeatValues out;
  std::optional<std::size_t> customer_record;
  for (std::size_t i = 0; i < readout.records.size(); ++i) {
    const Record& r = readout.records[i];
    const std::string_view key = r.key();
    if (key.empty()) continue;
    const std::string label = record_label(i + 1) + " '" + r.id + "'";
    if (key == "customer") {
      if (customer_record) {
        return make_error(Errc::iec_bad_record, label + " is a second customer number (record " +
                                                    std::to_string(*customer_record + 1) +
                                                    " was the first)");
      }
      customer_record = i;
      auto n = r.number();
      if (!n || n->negative || n->exponent != 0) {
        return make_error(Errc::iec_bad_record,
                          label + ": customer number '" + shown(r.value) + "' is not an integer");
      }
      if (n->mantissa == 0) {
        return make_error(Errc::iec_bad_record, label + ": customer number is 0, not a serial");
      }
      if (n->mantissa > 0xFFFFFFFFu) {
        return make_error(Errc::iec_bad_record,
                          label + ": customer number " + n->to_string() + " is above 4294967295");
      }
      out.serial = static_cast<std::uint32_t>(n->mantissa);
      continue;
    }
    std::optional<ReadoutQuantity>& slot = key == "e1" ? out.e1 : key == "v1" ? out.v1 : out.hr;
    if (slot) {
      return make_error(Errc::iec_bad_record,
                        label + " gives " + std::string(key) + " a second time");
    }
    auto n = r.number();
    if (!n) {
      return make_error(Errc::iec_bad_record,
                        label + " (" + std::string(key) + "): " + n.error().detail);
    }
    if (!r.unit) {
      return make_error(Errc::iec_bad_record, label + " (" + std::string(key) + ") has no unit");
    }
    slot = ReadoutQuantity{*n, *r.unit};
  }
  if (!out.serial) out.missing.push_back("serial");
  if (!out.e1) out.missing.push_back("e1");
  if (!out.v1) out.missing.push_back("v1");
  if (!out.hr) out.missing.push_back("hr");
  return out;
}

}  // namespace ml::core::iec
