// EN 61107 / IEC 62056-21 identification line and data readout (mode C, data readout mode), as
// sent by a Kamstrup MULTICAL 66C / 66B:
//
//   "/KAM MC" CR LF  STX  "0.0(00000000040)" CR LF "6.8(00000.00*MWh)" CR LF ... "!" CR LF ETX BCC
//
// The parser takes the bytes exactly as received (the ident line is optional), is bounded, and
// names what is wrong. The encoder is its inverse: encode_readout(parse_readout(x)) == x for
// every x that parses with a matching BCC.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/decimal.hpp"
#include "core/iec62056/bcc.hpp"
#include "core/result.hpp"

namespace ml::core::iec {

inline constexpr std::size_t kMaxReadoutBytes = 1024;
inline constexpr std::size_t kMaxRecords = 64;
inline constexpr std::size_t kMaxIdentChars = 16;
inline constexpr std::size_t kMaxIdChars = 16;
inline constexpr std::size_t kMaxValueChars = 32;
inline constexpr std::size_t kMaxUnitChars = 16;

// The identification line "/" text CR LF. For a standard ident "XXXZ..." the first three
// characters are the manufacturer and Z the baud-rate character.
struct Ident {
  std::string text;               // between '/' and CR LF, e.g. "KAM MC"
  std::string manufacturer;       // first three characters when they are letters ("KAM"), else ""
  std::optional<char> baud_char;  // 4th character when it is a baud-rate character
  std::optional<std::uint32_t> baud;  // its baud rate ('0'..'6' mode C, 'A'..'F' mode B)
  bool operator==(const Ident&) const = default;
};

// Checks the text (1..16 printable ASCII characters) and fills in the derived fields.
Result<Ident> make_ident(std::string_view text);

// One data record "id(value*unit)" or "id(value)".
struct Record {
  std::string id;                   // "6.8"
  std::string value;                // exactly as sent: "00000.00"
  std::optional<std::string> unit;  // "MWh"; nullopt for "id(value)"
  bool operator==(const Record&) const = default;

  // The value as an exact decimal: leading zeros dropped, decimals kept ("00000.00" -> 0.00,
  // "0056296" -> 56296). Error for values that are not numbers (dates, text).
  Result<Decimal> number() const;
  // The key this record feeds ("e1", "v1", "hr", "customer"), or "" when none.
  std::string_view key() const;
};

// How records follow each other in the block.
enum class Separator : std::uint8_t {
  crlf,  // MULTICAL 66C: "...)" CR LF "6.26(..."
  none,  // MULTICAL 66B: "...)6.26(..."
};

struct Readout {
  std::optional<Ident> ident;  // nullopt when the input starts with STX
  std::vector<Record> records;
  Separator separator = Separator::crlf;  // crlf when there are fewer than two records
  bool line_break_at_end = false;         // CR LF between the last record and "!"
  // Check character: method used, byte after ETX, value computed over STX+1..ETX.
  BccMethod bcc_method = BccMethod::kamstrup_sum;
  std::uint8_t bcc_received = 0;
  std::uint8_t bcc_computed = 0;
  bool bcc_ok = false;
};

// Parses ident line (optional) + STX records "!" CR LF ETX BCC. A BCC mismatch is not an error
// here: the readout comes back with bcc_ok == false (a tool can show it). Errors:
//   iec_too_long    input > kMaxReadoutBytes, more than kMaxRecords records, bytes after BCC
//   iec_bad_ident   ident line malformed (not 1..16 printable characters, no CR LF)
//   iec_no_stx      no STX where the data block must start
//   iec_no_etx      no ETX after STX
//   iec_no_bcc      nothing after ETX
//   iec_bad_record  a record (numbered from 1) or the "!" CR LF end mark is malformed
//   iec_bcc_mismatch  only when the block is malformed AND its BCC does not match (the BCC
//                     explains the damage better than the record error, which is appended)
Result<Readout> parse_readout(ByteView bytes, BccMethod method = BccMethod::kamstrup_sum);

// parse_readout, and a BCC mismatch is the error iec_bcc_mismatch ("computed 0x0F, received
// 0x10 (kamstrup-sum)").
Result<Readout> parse_readout_strict(ByteView bytes, BccMethod method = BccMethod::kamstrup_sum);

// "/" text CR LF.
Result<Bytes> encode_ident(std::string_view text);

// The readout's ident line (if any), STX, records laid out by separator / line_break_at_end,
// "!" CR LF ETX and a correct BCC computed with `method` (the bcc_* fields are ignored). Every
// field is checked against the parser's rules, so the result always parses back.
Result<Bytes> encode_readout(const Readout& readout, BccMethod method = BccMethod::kamstrup_sum);

// ---- values for the sample ----

struct RecordKey {
  std::string_view id;
  std::string_view key;
  std::string_view meaning;
};

// Records the sample uses; every other record is ignored.
inline constexpr std::array<RecordKey, 5> kRecordKeys{{
    {"0", "customer", "customer number (the serial)"},
    {"0.0", "customer", "customer number (the serial)"},
    {"6.8", "e1", "energy"},
    {"6.26", "v1", "volume"},
    {"6.31", "hr", "operating hours"},
}};

struct ReadoutQuantity {
  Decimal value;
  std::string unit;  // as sent by the meter: "MWh", "GJ", "m3", "h"
  bool operator==(const ReadoutQuantity&) const = default;
};

struct HeatValues {
  std::optional<std::uint32_t> serial;    // the customer number
  std::optional<ReadoutQuantity> e1;      // energy, 6.8
  std::optional<ReadoutQuantity> v1;      // volume, 6.26
  std::optional<ReadoutQuantity> hr;      // operating hours, 6.31
  std::vector<std::string_view> missing;  // of "serial", "e1", "v1", "hr", in that order
};

// Maps the records to the sample values. A value that is missing is listed in `missing`; a
// value that is present but unusable is an error (iec_bad_record): a key record whose value is
// not a number or has no unit, a key given twice, a customer number that is 0, not an integer,
// or above 4294967295.
Result<HeatValues> heat_values(const Readout& readout);

}  // namespace ml::core::iec
