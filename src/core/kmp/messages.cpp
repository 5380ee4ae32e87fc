#include "core/kmp/messages.hpp"

#include "core/kmp/units.hpp"

namespace ml::core::kmp {
namespace {

void put_u16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

void put_u32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>((v >> shift) & 0xFF));
  }
}

std::uint32_t get_u32(ByteView b) {
  return static_cast<std::uint32_t>(b[0]) << 24 | static_cast<std::uint32_t>(b[1]) << 16 |
         static_cast<std::uint32_t>(b[2]) << 8 | b[3];
}

std::uint16_t get_u16(ByteView b) {
  return static_cast<std::uint16_t>(b[0] << 8 | b[1]);
}

Bytes frame_bytes(Direction dir, std::uint8_t dst, Cid cid, Bytes data = {}) {
  return encode_frame(Frame{dir, dst, static_cast<std::uint8_t>(cid), std::move(data)});
}

Status expect(const Frame& frame, Cid cid, Direction dir) {
  if (frame.cid != static_cast<std::uint8_t>(cid)) {
    const auto want = static_cast<std::uint8_t>(cid);
    return make_error(Errc::kmp_unexpected_cid, "expected " + hex_byte(want) + " " +
                                                    std::string(cid_name(want)) + ", frame has " +
                                                    hex_byte(frame.cid));
  }
  if (frame.direction != dir) {
    return make_error(Errc::kmp_unexpected_cid, dir == Direction::reply
                                                    ? "expected a reply (0x40), got a request"
                                                    : "expected a request (0x80), got a reply");
  }
  return Ok{};
}

Error bad_length(std::string_view what, std::size_t got, std::string_view want) {
  return make_error(Errc::kmp_bad_length, std::string(what) + " has " + std::to_string(got) +
                                              " data bytes, expected " + std::string(want));
}

// Packs yymmdd / hhmmss as a 32-bit big-endian decimal number, e.g. 2026-11-25 -> 261125.
std::uint32_t pack6(int a, int b, int c) {
  return static_cast<std::uint32_t>(a * 10000 + b * 100 + c);
}

}  // namespace

std::string_view cid_name(std::uint8_t cid) {
  switch (cid) {
    case 0x01:
      return "GetType";
    case 0x02:
      return "GetSerialNo";
    case 0x09:
      return "SetClock";
    case 0x10:
      return "GetRegister";
    case 0x11:
      return "PutRegister";
    default:
      return "";
  }
}

std::string TypeInfo::revision_text() const {
  const int letter = sw_revision >> 8;
  if (sw_revision == 0 || letter < 1 || letter > 26) return "";
  return std::string(1, static_cast<char>('A' + letter - 1)) + std::to_string(sw_revision & 0xFF);
}

Decimal decode_value(std::uint64_t mantissa, std::uint8_t si_ex) {
  Decimal d;
  d.mantissa = mantissa;
  d.negative = (si_ex & 0x80) != 0 && mantissa != 0;
  const int e = si_ex & 0x3F;
  // A negative exponent of 0 (si_ex 0x40) is simply 10^0.
  d.exponent = (si_ex & 0x40) ? -e : e;
  return d;
}

Result<std::uint8_t> encode_si_ex(const Decimal& value) {
  if (value.exponent > 63 || value.exponent < -63) {
    return make_error(Errc::kmp_bad_register,
                      "exponent " + std::to_string(value.exponent) + " does not fit 6 bits");
  }
  std::uint8_t si_ex =
      static_cast<std::uint8_t>(value.exponent < 0 ? -value.exponent : value.exponent);
  if (value.exponent < 0) si_ex |= 0x40;
  if (value.negative && value.mantissa != 0) si_ex |= 0x80;
  return si_ex;
}

Result<Bytes> encode_register_record(const RegisterValue& value) {
  std::uint8_t needed = 1;
  while (needed < 8 && (value.value.mantissa >> (8 * needed)) != 0)
    ++needed;
  std::uint8_t length = value.length;
  if (length == 0) length = needed < 4 ? 4 : needed;
  if (length > kMaxMantissaBytes || length < needed) {
    return make_error(Errc::kmp_bad_register, "mantissa " + std::to_string(value.value.mantissa) +
                                                  " does not fit " + std::to_string(length) +
                                                  " bytes");
  }
  if (!unit_by_code(value.unit)) {
    return make_error(Errc::kmp_bad_register,
                      "unit code " + std::to_string(value.unit) + " is above 0x40");
  }
  auto si_ex = encode_si_ex(value.value);
  if (!si_ex) return si_ex.error();
  Bytes out;
  put_u16(out, value.id);
  out.push_back(value.unit);
  out.push_back(length);
  out.push_back(*si_ex);
  for (int i = length - 1; i >= 0; --i) {
    out.push_back(static_cast<std::uint8_t>((value.value.mantissa >> (8 * i)) & 0xFF));
  }
  return out;
}

Result<RegisterValue> decode_register_record(ByteView data, std::size_t& offset,
                                             std::size_t index) {
  const std::string where = "register record " + std::to_string(index + 1);
  if (data.size() - offset < 5) {
    return make_error(Errc::kmp_bad_register,
                      where + " is cut short: " + std::to_string(data.size() - offset) +
                          " bytes left, a record has at least 6");
  }
  RegisterValue v;
  v.id = get_u16(data.subspan(offset, 2));
  v.unit = data[offset + 2];
  v.length = data[offset + 3];
  const std::uint8_t si_ex = data[offset + 4];
  const std::string id_text = hex_word(v.id);
  if (v.length < 1 || v.length > kMaxMantissaBytes) {
    return make_error(Errc::kmp_bad_register, where + " (register " + id_text +
                                                  ") has mantissa length " +
                                                  std::to_string(v.length) + ", allowed 1 to 8");
  }
  if (!unit_by_code(v.unit)) {
    return make_error(Errc::kmp_bad_register, where + " (register " + id_text +
                                                  ") has unknown unit code " + hex_byte(v.unit));
  }
  if (data.size() - offset - 5 < v.length) {
    return make_error(Errc::kmp_bad_register,
                      where + " (register " + id_text + ") announces " + std::to_string(v.length) +
                          " mantissa bytes, only " + std::to_string(data.size() - offset - 5) +
                          " follow");
  }
  std::uint64_t mantissa = 0;
  for (std::size_t i = 0; i < v.length; ++i)
    mantissa = mantissa << 8 | data[offset + 5 + i];
  v.value = decode_value(mantissa, si_ex);
  offset += 5 + v.length;
  return v;
}

// ---- requests ----

Bytes encode_get_type(std::uint8_t dst) {
  return frame_bytes(Direction::request, dst, Cid::get_type);
}

Bytes encode_get_serial(std::uint8_t dst) {
  return frame_bytes(Direction::request, dst, Cid::get_serial);
}

Result<Bytes> encode_set_clock(const MeterClock& c, std::uint8_t dst) {
  if (c.year < 2000 || c.year > 2099 || c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31 ||
      c.hour < 0 || c.hour > 23 || c.minute < 0 || c.minute > 59 || c.second < 0 || c.second > 59) {
    return make_error(Errc::invalid_argument, "clock value out of range");
  }
  Bytes data;
  put_u32(data, pack6(c.year - 2000, c.month, c.day));
  put_u32(data, pack6(c.hour, c.minute, c.second));
  return frame_bytes(Direction::request, dst, Cid::set_clock, std::move(data));
}

Result<Bytes> encode_get_register(std::span<const std::uint16_t> ids, std::uint8_t dst) {
  if (ids.empty()) return make_error(Errc::invalid_argument, "no register ids");
  if (ids.size() > kMaxRegistersPerRequest) {
    return make_error(Errc::kmp_too_many_registers,
                      std::to_string(ids.size()) + " registers requested");
  }
  Bytes data;
  data.push_back(static_cast<std::uint8_t>(ids.size()));
  for (std::uint16_t id : ids)
    put_u16(data, id);
  return frame_bytes(Direction::request, dst, Cid::get_register, std::move(data));
}

Result<Bytes> encode_put_register(const RegisterValue& value, std::uint8_t dst) {
  auto record = encode_register_record(value);
  if (!record) return record.error();
  return frame_bytes(Direction::request, dst, Cid::put_register, std::move(record).value());
}

// ---- replies ----

Bytes encode_type_reply(const TypeInfo& info, std::uint8_t dst) {
  Bytes data;
  put_u16(data, info.meter_type);
  put_u16(data, info.sw_revision);
  return frame_bytes(Direction::reply, dst, Cid::get_type, std::move(data));
}

Bytes encode_serial_reply(std::uint32_t serial, std::uint8_t dst) {
  Bytes data;
  put_u32(data, serial);
  return frame_bytes(Direction::reply, dst, Cid::get_serial, std::move(data));
}

Result<Bytes> encode_register_reply(std::span<const RegisterValue> values, std::uint8_t dst) {
  if (values.size() > kMaxRegistersPerRequest) {
    return make_error(Errc::kmp_too_many_registers,
                      std::to_string(values.size()) + " registers in one reply");
  }
  Bytes data;
  for (const RegisterValue& v : values) {
    auto record = encode_register_record(v);
    if (!record) return record.error();
    data.insert(data.end(), record->begin(), record->end());
  }
  return frame_bytes(Direction::reply, dst, Cid::get_register, std::move(data));
}

Bytes encode_put_register_reply(std::span<const std::uint16_t> ids, std::uint8_t dst) {
  Bytes data;
  for (std::uint16_t id : ids)
    put_u16(data, id);
  return frame_bytes(Direction::reply, dst, Cid::put_register, std::move(data));
}

// ---- decoding ----

Result<TypeInfo> decode_type_reply(const Frame& frame) {
  if (auto s = expect(frame, Cid::get_type, Direction::reply); !s) return s.error();
  if (frame.data.size() != 4) return bad_length("GetType reply", frame.data.size(), "4");
  return TypeInfo{get_u16(ByteView(frame.data).first(2)), get_u16(ByteView(frame.data).subspan(2))};
}

Result<std::uint32_t> decode_serial_reply(const Frame& frame) {
  if (auto s = expect(frame, Cid::get_serial, Direction::reply); !s) return s.error();
  if (frame.data.size() != 4) return bad_length("GetSerialNo reply", frame.data.size(), "4");
  return get_u32(frame.data);
}

Result<std::vector<RegisterValue>> decode_register_reply(const Frame& frame) {
  if (auto s = expect(frame, Cid::get_register, Direction::reply); !s) return s.error();
  std::vector<RegisterValue> values;
  std::size_t offset = 0;
  while (offset < frame.data.size()) {
    if (values.size() == kMaxRegistersPerRequest) {
      return make_error(Errc::kmp_too_many_registers, "reply carries more than 8 records");
    }
    auto v = decode_register_record(frame.data, offset, values.size());
    if (!v) return v.error();
    values.push_back(std::move(v).value());
  }
  return values;
}

Result<std::vector<std::uint16_t>> decode_put_register_reply(const Frame& frame) {
  if (auto s = expect(frame, Cid::put_register, Direction::reply); !s) return s.error();
  if (frame.data.size() % 2 != 0) {
    return bad_length("PutRegister reply", frame.data.size(), "an even number");
  }
  std::vector<std::uint16_t> ids;
  for (std::size_t i = 0; i < frame.data.size(); i += 2) {
    ids.push_back(get_u16(ByteView(frame.data).subspan(i, 2)));
  }
  return ids;
}

Result<std::vector<std::uint16_t>> decode_register_request(const Frame& frame) {
  if (auto s = expect(frame, Cid::get_register, Direction::request); !s) return s.error();
  if (frame.data.empty()) return bad_length("GetRegister request", 0, "1 + 2 per register");
  const std::size_t n = frame.data[0];
  if (n == 0 || n > kMaxRegistersPerRequest) {
    return make_error(Errc::kmp_too_many_registers,
                      "request asks for " + std::to_string(n) + " registers, allowed 1 to 8");
  }
  if (frame.data.size() != 1 + 2 * n) {
    return bad_length("GetRegister request for " + std::to_string(n) + " registers",
                      frame.data.size(), std::to_string(1 + 2 * n));
  }
  std::vector<std::uint16_t> ids;
  for (std::size_t i = 0; i < n; ++i)
    ids.push_back(get_u16(ByteView(frame.data).subspan(1 + 2 * i, 2)));
  return ids;
}

Result<MeterClock> decode_set_clock_request(const Frame& frame) {
  if (auto s = expect(frame, Cid::set_clock, Direction::request); !s) return s.error();
  if (frame.data.size() != 8) return bad_length("SetClock request", frame.data.size(), "8");
  const std::uint32_t date = get_u32(frame.data);
  const std::uint32_t time = get_u32(ByteView(frame.data).subspan(4));
  MeterClock c{2000 + static_cast<int>(date / 10000), static_cast<int>(date / 100 % 100),
               static_cast<int>(date % 100),          static_cast<int>(time / 10000),
               static_cast<int>(time / 100 % 100),    static_cast<int>(time % 100)};
  if (date > 991231 || time > 235959 || !encode_set_clock(c).ok()) {
    return make_error(Errc::kmp_bad_length, "SetClock date " + std::to_string(date) + " time " +
                                                std::to_string(time) + " is not a valid clock");
  }
  return c;
}

Result<RegisterValue> decode_put_register_request(const Frame& frame) {
  if (auto s = expect(frame, Cid::put_register, Direction::request); !s) return s.error();
  std::size_t offset = 0;
  auto v = decode_register_record(frame.data, offset);
  if (!v) return v.error();
  if (offset != frame.data.size()) {
    return bad_length("PutRegister request", frame.data.size(), std::to_string(offset));
  }
  return v;
}

}  // namespace ml::core::kmp
