// Errors as values for the pure core: every fallible function returns Result<T>.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ml::core {

// One list of error codes for the whole core. Each has a stable snake_case name (errc_name)
// that tools print and tests compare; the detail string says what exactly was wrong.
#define ML_CORE_ERRORS(X)                                               \
  X(invalid_argument, "invalid argument")                               \
  X(bad_hex, "not a hexadecimal byte string")                           \
  X(decimal_syntax, "not a decimal number")                             \
  X(decimal_overflow, "decimal number out of range")                    \
  /* KMP */                                                             \
  X(kmp_too_short, "KMP frame too short")                               \
  X(kmp_bad_start, "KMP frame has no valid start byte")                 \
  X(kmp_bad_stop, "KMP frame does not end with the stop byte 0x0D")     \
  X(kmp_bad_stuffing, "KMP frame has an invalid byte-stuffing escape")  \
  X(kmp_crc_mismatch, "KMP CRC mismatch")                               \
  X(kmp_truncated, "KMP frame truncated")                               \
  X(kmp_garbage, "unexpected bytes on the KMP line")                    \
  X(kmp_overflow, "KMP frame longer than the receive buffer")           \
  X(kmp_bad_length, "KMP application data has an unexpected length")    \
  X(kmp_bad_register, "KMP register record invalid")                    \
  X(kmp_too_many_registers, "more than 8 registers in one KMP request") \
  X(kmp_unexpected_cid, "unexpected KMP command id")                    \
  /* IEC 62056-21 / EN 61107 */                                         \
  X(iec_bad_ident, "invalid IEC 62056-21 identification line")          \
  X(iec_no_stx, "IEC 62056-21 data block has no STX")                   \
  X(iec_no_etx, "IEC 62056-21 data block has no ETX")                   \
  X(iec_no_bcc, "IEC 62056-21 data block has no BCC byte")              \
  X(iec_bcc_mismatch, "IEC 62056-21 block check character mismatch")    \
  X(iec_bad_record, "invalid IEC 62056-21 data record")                 \
  X(iec_too_long, "IEC 62056-21 message too long")                      \
  X(iec_bad_reply, "invalid MULTICAL 66 data string")                   \
  /* v2 envelope */                                                     \
  X(envelope_bad_key, "invalid master key")                             \
  X(envelope_too_short, "payload shorter than 48 bytes")                \
  X(envelope_too_long, "payload too long")                              \
  X(envelope_bad_length, "ciphertext not a non-zero multiple of 16")    \
  X(envelope_bad_mac, "HMAC mismatch")                                  \
  X(envelope_bad_padding, "invalid padding")                            \
  X(envelope_empty, "empty plaintext")                                  \
  X(envelope_bad_text, "text cannot be sealed")                         \
  X(envelope_crypto_failure, "crypto library failure")                  \
  /* reading a meter (serial link) */                                   \
  X(meter_timeout, "no reply from the meter")                           \
  X(meter_bad_reply, "no valid reply from the meter")                   \
  X(meter_link, "meter link failure")                                   \
  /* configuration */                                                   \
  X(config_invalid, "invalid configuration")                            \
  /* storage */                                                         \
  X(storage_failure, "storage failure")                                 \
  X(storage_unavailable, "database unavailable")                        \
  /* topics */                                                          \
  X(topic_invalid, "invalid topic")                                     \
  /* sample text */                                                     \
  X(sample_too_long, "sample text too long")                            \
  X(sample_syntax, "invalid sample text")                               \
  X(sample_bad_key, "invalid sample key")                               \
  X(sample_duplicate_key, "duplicate sample key")                       \
  X(sample_bad_value, "invalid sample value")                           \
  X(sample_bad_unit, "invalid sample unit")                             \
  X(sample_missing_value, "sample value missing")                       \
  /* valve */                                                           \
  X(valve_bad_amount, "invalid valve limit")                            \
  X(valve_negative, "negative valve limit")                             \
  /* MQTT client */                                                     \
  X(mqtt_not_connected, "not connected to the MQTT broker")             \
  X(mqtt_queue_full, "too many unacknowledged MQTT messages")           \
  X(mqtt_stopped, "MQTT client not running")                            \
  X(mqtt_failure, "MQTT client failure")                                \
  X(mqtt_packet, "malformed MQTT packet")                               \
  X(mqtt_packet_too_large, "MQTT packet too large")                     \
  /* cron */                                                            \
  X(cron_invalid, "invalid cron job")                                   \
  X(cron_bad_command, "command cannot run from cron")                   \
  X(cron_full, "cron table full")                                       \
  X(time_zone_unknown, "unknown time zone")                             \
  /* Wi-Fi and the network backend */                                   \
  X(wifi_syntax, "invalid Wi-Fi command argument")                      \
  X(wifi_too_long, "Wi-Fi setting too long")                            \
  X(wifi_bad_value, "invalid Wi-Fi setting")                            \
  X(nmcli_output, "unexpected nmcli output")                            \
  X(network_failure, "network backend failure")                         \
  X(network_unsupported, "not supported by the network backend")        \
  X(notify_failure, "notification not delivered")                       \
  /* external programs */                                               \
  X(process_start, "cannot start program")                              \
  X(process_timeout, "program did not finish in time")                  \
  X(process_output_too_long, "program output too long")

enum class Errc : std::uint8_t {
#define ML_CORE_ERRC_ENUM(name, text) name,
  ML_CORE_ERRORS(ML_CORE_ERRC_ENUM)
#undef ML_CORE_ERRC_ENUM
};

// Stable machine-readable name, e.g. "kmp_crc_mismatch".
std::string_view errc_name(Errc code);
// Short human-readable summary, e.g. "KMP CRC mismatch".
std::string_view errc_text(Errc code);

struct Error {
  Errc code;
  std::string detail;  // what exactly was wrong, e.g. "computed 0x1234, frame says 0xC3E8"

  // "<summary>: <detail>", or just the summary when there is no detail.
  std::string message() const;
  // The detail alone when there is one (it names what was wrong in the caller's words), else
  // the summary: for messages that already say what was being done.
  std::string text() const { return detail.empty() ? message() : detail; }
};

inline Error make_error(Errc code, std::string detail = {}) {
  return Error{code, std::move(detail)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace ml::core

// Returns the error of a failed Status or Result expression from the enclosing function, which
// returns a Status or a Result.
#define ML_TRY(expr)                              \
  do {                                            \
    if (auto s_ = (expr); !s_) return s_.error(); \
  } while (false)
