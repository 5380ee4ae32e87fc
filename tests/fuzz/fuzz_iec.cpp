// Fuzz target for the EN 61107 / MULTICAL 66 parsers. The first byte chooses the parser:
//   0 readout (Kamstrup sum)   1 readout (XOR)   2 /#1 without program   3 /#1 with a program
//   4 /#2                      5 /#C             6 program number text
// The rest of the input is the message. Besides "no crash", it checks the round-trip
// properties: a readout that parses with a matching BCC re-encodes to exactly the input, and a
// reply re-encoded from its values parses back to the same values.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "core/iec62056/mc66.hpp"
#include "core/iec62056/readout.hpp"

namespace {

using namespace ml::core;
using namespace ml::core::iec;

void check(bool condition) {
  if (!condition) std::abort();
}

void fuzz_readout(ByteView bytes, BccMethod method) {
  auto r = parse_readout(bytes, method);
  auto strict = parse_readout_strict(bytes, method);
  check(strict.ok() == (r.ok() && r->bcc_ok));
  if (!r.ok()) return;
  (void)heat_values(*r);
  for (const Record& rec : r->records)
    (void)rec.number();
  auto again = encode_readout(*r, method);
  check(again.ok());
  if (r->bcc_ok) check(Bytes(bytes.begin(), bytes.end()) == *again);
}

void fuzz_reply(Mc66Request request, ByteView bytes, const std::optional<ProgramNumber>& program) {
  auto r = parse_reply(request, bytes, program);
  if (!r.ok()) return;
  std::vector<Decimal> values;
  for (const Mc66Value& v : r->values)
    values.push_back(v.value);
  auto line = encode_reply(request, values, r->program);
  check(line.ok());
  auto back = parse_reply(request, as_bytes(*line), r->program);
  check(back.ok());
  check(back->values.size() == r->values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    check(back->values[i].value == values[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const ByteView bytes(data + 1, size - 1);
  switch (data[0] % 7) {
    case 0:
      fuzz_readout(bytes, BccMethod::kamstrup_sum);
      break;
    case 1:
      fuzz_readout(bytes, BccMethod::xor_);
      break;
    case 2:
      fuzz_reply(Mc66Request::standard_data_1, bytes, std::nullopt);
      break;
    case 3: {
      // The program number is the next 5 bytes, when they are digits.
      if (bytes.size() < 5) return 0;
      auto program =
          parse_program_number(std::string_view(reinterpret_cast<const char*>(bytes.data()), 5));
      fuzz_reply(Mc66Request::standard_data_1, bytes.subspan(5),
                 program.ok() ? std::optional<ProgramNumber>(*program) : std::nullopt);
      break;
    }
    case 4:
      fuzz_reply(Mc66Request::standard_data_2, bytes, std::nullopt);
      break;
    case 5:
      fuzz_reply(Mc66Request::inst_values, bytes, std::nullopt);
      break;
    default: {
      auto p = parse_program_number(
          std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
      if (p.ok()) {
        auto again = parse_program_number(p->text());
        check(again.ok() && again->a == p->a && again->b == p->b && again->ccc == p->ccc);
        (void)scale_for(*p);
      }
      break;
    }
  }
  return 0;
}
