// KMP application layer: the commands a MeterLogger uses, their replies, and the register value
// codec (exact decimal, any mantissa length 1–8 bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/kmp/codec.hpp"

namespace ml::core::kmp {

enum class Cid : std::uint8_t {
  get_type = 0x01,
  get_serial = 0x02,
  set_clock = 0x09,
  get_register = 0x10,
  put_register = 0x11,
};

// "GetType", "GetSerialNo", "SetClock", "GetRegister", "PutRegister", or "" when unknown.
std::string_view cid_name(std::uint8_t cid);

inline constexpr std::size_t kMaxRegistersPerRequest = 8;
inline constexpr std::uint8_t kMaxMantissaBytes = 8;

// One register record: id (2 bytes), unit code, mantissa length, sign/exponent byte, mantissa.
struct RegisterValue {
  std::uint16_t id = 0;
  std::uint8_t unit = 0;
  Decimal value;
  // Mantissa bytes on the wire (1–8). 0 when encoding means "4, or more if the mantissa needs it",
  // which is what the meters send.
  std::uint8_t length = 0;

  bool operator==(const RegisterValue&) const = default;
};

// The meter's date and time as sent by SetClock (meter-local time, years 2000–2099).
struct MeterClock {
  int year = 2000, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  bool operator==(const MeterClock&) const = default;
};

struct TypeInfo {
  std::uint16_t meter_type = 0;
  std::uint16_t sw_revision = 0;  // high byte letter (1 = A), low byte number; 0 = not available
  // "A2" style text, or "" when the meter does not report it.
  std::string revision_text() const;
};

// ---- requests (master -> meter), returned as wire bytes ----
Bytes encode_get_type(std::uint8_t dst = kDstHeatMeter);
Bytes encode_get_serial(std::uint8_t dst = kDstHeatMeter);
Result<Bytes> encode_set_clock(const MeterClock& clock, std::uint8_t dst = kDstHeatMeter);
// 1 to 8 register ids, in the order the reply will carry them.
Result<Bytes> encode_get_register(std::span<const std::uint16_t> ids,
                                  std::uint8_t dst = kDstHeatMeter);
Result<Bytes> encode_put_register(const RegisterValue& value, std::uint8_t dst = kDstHeatMeter);

// ---- replies (meter -> master), used by the emulator and the tests ----
Bytes encode_type_reply(const TypeInfo& info, std::uint8_t dst = kDstHeatMeter);
Bytes encode_serial_reply(std::uint32_t serial, std::uint8_t dst = kDstHeatMeter);
Result<Bytes> encode_register_reply(std::span<const RegisterValue> values,
                                    std::uint8_t dst = kDstHeatMeter);
// PutRegister is acknowledged with the ids it accepted.
Bytes encode_put_register_reply(std::span<const std::uint16_t> ids,
                                std::uint8_t dst = kDstHeatMeter);

// ---- decoding of a CRC-checked frame ----
Result<TypeInfo> decode_type_reply(const Frame& frame);
Result<std::uint32_t> decode_serial_reply(const Frame& frame);
Result<std::vector<RegisterValue>> decode_register_reply(const Frame& frame);
Result<std::vector<std::uint16_t>> decode_put_register_reply(const Frame& frame);
Result<std::vector<std::uint16_t>> decode_register_request(const Frame& frame);
Result<MeterClock> decode_set_clock_request(const Frame& frame);
Result<RegisterValue> decode_put_register_request(const Frame& frame);

// ---- register value codec ----
// Decodes the record starting at data[offset] and advances offset past it. index is the record's
// position, used in error messages.
Result<RegisterValue> decode_register_record(ByteView data, std::size_t& offset,
                                             std::size_t index = 0);
Result<Bytes> encode_register_record(const RegisterValue& value);
// The sign/exponent byte: bit 7 = negative value, bit 6 = negative exponent, bits 5..0 = |exp|.
Result<std::uint8_t> encode_si_ex(const Decimal& value);
Decimal decode_value(std::uint64_t mantissa, std::uint8_t si_ex);

}  // namespace ml::core::kmp
