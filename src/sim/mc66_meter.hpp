// The EN 61107 side of an emulated Kamstrup MULTICAL 66C / 66B: recognising requests in the
// character stream, and building the ident line, the data readout (with its Kamstrup BCC) and the
// /#1 /#2 /#C data strings from the installation's state, with the decimals of the configured
// program number. Pure: the I/O runtime is mc66_emulator.hpp.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/iec62056/mc66.hpp"
#include "core/iec62056/readout.hpp"
#include "core/result.hpp"
#include "sim/kmp_meter.hpp"

namespace ml::sim {

enum class Mc66Variant : std::uint8_t { c, b };

inline constexpr std::string_view kDefaultMc66Ident = "KAM MC";
// Default program number 4-3-116: flow sensor in the return pipe (A = 4), energy in kWh (B = 3),
// flow-meter code 116 (qp 0.6 m3/h): energy 0 decimals, volume 2, flow l/h 0, power kW 1.
// DDEFFGG = 10 2 01 00.
inline constexpr std::string_view kDefaultProgram = "00431161020100";

struct Mc66Config {
  Mc66Variant variant = Mc66Variant::c;
  std::string ident{kDefaultMc66Ident};
  std::uint64_t customer = 0;  // customer number, 11 digits at most (the serial the reader uses)
  core::iec::ProgramNumber program;
  std::vector<core::iec::Record> extra_records;  // appended to the data readout
};

// Checks ident, customer number, program (it must be in the decimals table, so the emulator knows
// where the decimal point goes) and the extra records.
core::Status validate(const Mc66Config& config);

// One request recognised in the character stream (7-bit characters, parity already removed).
struct IecRequest {
  enum class Kind : std::uint8_t {
    ident,          // "/?" address "!" CR LF
    option_select,  // ACK V Z Y CR LF
    data_string,    // "/#C", "/#1" CR, "/#2" CR, "/#x" CR
  };
  Kind kind = Kind::ident;
  std::string address;          // ident: between "/?" and "!"
  std::string options;          // option select: V Z Y
  char data_id = 0;             // data string: 'C', '1', '2', ...
  std::size_t nuls_before = 0;  // NUL bytes since the previous request
  std::string text() const;     // printable form: "/?!", "ACK 000", "/#1"
};

// Recognises requests byte by byte. Bounded: a request longer than 40 characters is dropped.
// NUL bytes are wake-up characters: counted, never part of a request.
class Mc66Scanner {
 public:
  std::optional<IecRequest> feed(std::uint8_t c);
  // Forgets a request in progress (after a parity error).
  void reset();
  std::uint64_t noise_bytes() const { return noise_; }

 private:
  enum class State : std::uint8_t { idle, slash, ident, ident_cr, ident_lf, hash, data_cr, ack };
  void drop_partial();

  State state_ = State::idle;
  std::string buf_;
  std::size_t nuls_ = 0;
  std::uint64_t noise_ = 0;
};

struct Mc66Built {
  core::Bytes bytes;                     // 7-bit characters, parity not yet added
  std::optional<core::Bytes> bad_check;  // the same with a wrong BCC (readout only)
  nlohmann::json detail;                 // what the reply says, for last_reply
};

class Mc66Meter {
 public:
  explicit Mc66Meter(Mc66Config config);

  const Mc66Config& config() const { return config_; }
  const core::iec::Scale& scale() const { return scale_; }

  Mc66Built ident_reply() const;
  core::Result<Mc66Built> readout(const HeatState& s) const;
  // '1', '2' or 'C'.
  core::Result<Mc66Built> data_string(char id, const HeatState& s) const;

  // The values the data strings and the readout carry now, exactly (for the state command).
  core::Decimal energy(const HeatState& s) const;
  core::Decimal volume(const HeatState& s) const;
  core::Decimal flow(const HeatState& s) const;
  core::Decimal power(const HeatState& s) const;

  nlohmann::json describe() const;

 private:
  Mc66Config config_;
  core::iec::Scale scale_;
  EnergyUnit energy_unit_ = EnergyUnit::kwh;
};

}  // namespace ml::sim
