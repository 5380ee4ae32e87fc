// meterlogger iec: decode EN 61107 / IEC 62056-21 readouts and MULTICAL 66 data strings to JSON.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "common.hpp"
#include "core/iec62056/bcc.hpp"
#include "core/iec62056/mc66.hpp"
#include "core/iec62056/readout.hpp"

namespace ml::app {
namespace {

using nlohmann::ordered_json;
namespace iec = core::iec;

constexpr std::size_t kMaxInputBytes = 4096;

struct DecodeOptions {
  std::string input = "-";
  std::string bcc = "sum";
  std::string reply;
  std::string program;
};

core::Bytes read_input(const std::string& input) {
  const std::string data =
      input == "-" ? read_stdin(kMaxInputBytes) : read_file(input, kMaxInputBytes);
  if (core::is_hex_text(data)) {
    auto bytes = core::from_hex(data, kMaxInputBytes);
    if (!bytes) fail(bytes.error());
    return std::move(bytes).value();
  }
  return core::Bytes(data.begin(), data.end());
}

ordered_json readout_json(const iec::Readout& r, const std::optional<iec::HeatValues>& values) {
  ordered_json j;
  if (r.ident) {
    ordered_json id;
    id["text"] = r.ident->text;
    if (!r.ident->manufacturer.empty()) id["manufacturer"] = r.ident->manufacturer;
    if (r.ident->baud_char) {
      id["baud_char"] = std::string(1, *r.ident->baud_char);
      id["baud"] = *r.ident->baud;
    }
    j["ident"] = id;
  }
  ordered_json records = ordered_json::array();
  for (const iec::Record& rec : r.records) {
    ordered_json one;
    one["id"] = rec.id;
    one["value"] = rec.value;
    if (rec.unit) one["unit"] = *rec.unit;
    if (auto n = rec.number()) one["number"] = n->to_string();
    if (!rec.key().empty()) one["key"] = rec.key();
    records.push_back(one);
  }
  j["records"] = records;
  j["separator"] = r.separator == iec::Separator::crlf ? "crlf" : "none";
  if (values) {
    if (values->serial) j["serial"] = *values->serial;
    if (!values->missing.empty()) j["missing"] = values->missing;
  }
  j["bcc"] = {{"received", core::hex_byte(r.bcc_received)},
              {"computed", core::hex_byte(r.bcc_computed)},
              {"method", iec::bcc_method_name(r.bcc_method)},
              {"ok", r.bcc_ok}};
  return j;
}

void run_readout(const DecodeOptions& o) {
  const auto method = iec::bcc_method_from_name(o.bcc);
  if (!method) fail("--bcc must be sum or xor, not '" + o.bcc + "'");
  const core::Bytes bytes = read_input(o.input);
  auto readout = iec::parse_readout(bytes, *method);
  if (!readout) fail(readout.error());
  auto values = iec::heat_values(*readout);
  print_json(readout_json(*readout, values ? std::optional(*values) : std::nullopt));
  if (!readout->bcc_ok) {
    fail(core::make_error(core::Errc::iec_bcc_mismatch,
                          "computed " + core::hex_byte(readout->bcc_computed) + ", received " +
                              core::hex_byte(readout->bcc_received) + " (" +
                              std::string(iec::bcc_method_name(*method)) + ")"));
  }
  if (!values) fail(values.error());
}

ordered_json program_json(const iec::ProgramNumber& p) {
  ordered_json j;
  j["text"] = p.text();
  j["a"] = p.a;
  j["b"] = p.b;
  j["ccc"] = p.ccc;
  if (p.has_ddeffgg) {
    j["dd"] = p.dd;
    j["e"] = p.e;
    j["ff"] = p.ff;
    j["gg"] = p.gg;
  }
  if (!iec::energy_unit(p.b).empty()) j["energy_unit"] = iec::energy_unit(p.b);
  if (const auto* row = iec::find_flow_meter_code(p.ccc); row && !row->qp.empty()) {
    j["qp"] = row->qp;
  }
  return j;
}

void run_reply(const DecodeOptions& o, bool bcc_given) {
  iec::Mc66Request request = iec::Mc66Request::standard_data_1;
  if (o.reply == "std2") request = iec::Mc66Request::standard_data_2;
  if (o.reply == "inst") request = iec::Mc66Request::inst_values;
  if (bcc_given) fail("--bcc applies to readouts, not to --reply");
  std::optional<iec::ProgramNumber> program;
  if (!o.program.empty()) {
    if (request == iec::Mc66Request::standard_data_2) {
      fail("--program does not apply to --reply std2: the reply carries the program number");
    }
    auto p = iec::parse_program_number(o.program);
    if (!p) fail(p.error());
    program = *p;
  }
  core::Bytes bytes = read_input(o.input);
  // A text file's final LF stands for the CR the meter sends.
  if (!bytes.empty() && bytes.back() == '\n' &&
      std::find(bytes.begin(), bytes.end(), '\r') == bytes.end()) {
    bytes.back() = '\r';
  }
  auto r = iec::parse_reply(request, bytes, program);
  if (!r) fail(r.error());
  ordered_json j;
  j["request"] = iec::request_text(request);
  j["scaling"] = iec::scaling_name(r->scaling);
  if (!r->fallback_reason.empty()) j["fallback_reason"] = r->fallback_reason;
  if (r->program) j["program"] = program_json(*r->program);
  if (r->customer) j["customer"] = *r->customer;
  ordered_json values;
  for (const iec::Mc66Value& v : r->values) {
    ordered_json one;
    one["value"] = v.value.to_string();
    if (!v.unit.empty()) one["unit"] = v.unit;
    one["token"] = v.token;
    one["decimals"] = iec::placement_name(v.placement);
    values[std::string(v.name)] = one;
  }
  j["values"] = values;
  if (!r->extra_tokens.empty()) j["extra_tokens"] = r->extra_tokens;
  print_json(j);
}

}  // namespace

void add_iec_commands(CLI::App& app) {
  CLI::App* iec_cmd =
      app.add_subcommand("iec", "EN 61107 / IEC 62056-21 (Kamstrup MULTICAL 66C/66B): decode");
  iec_cmd->require_subcommand(1);

  auto opts = std::make_shared<DecodeOptions>();
  CLI::App* decode = iec_cmd->add_subcommand(
      "decode",
      "Decode a data readout (ident line + STX ... ETX BCC) or a /#1 /#2 /#C data string");
  decode->footer(
      "The input is the bytes as captured (at most 4096): raw, or hex text (only hex digits and\n"
      "whitespace, in groups of even length). A readout prints its ident, records (value as\n"
      "sent, number as exact decimal, sample key), the serial (customer number) and the BCC\n"
      "check. A BCC mismatch still prints the JSON (\"ok\": false) and then exits with status 1;\n"
      "a malformed readout exits with status 1 and one line on stderr.\n"
      "With --reply the input is a MULTICAL 66 data string (a final LF is taken as its CR);\n"
      "--program (the program number A-B-CCC, the /#2 token xxABCCC or the 12-digit text)\n"
      "places the decimals, without it the original firmware's fixed scaling is used.\n\n"
      "Examples:\n"
      "  meterlogger iec decode readout.bin\n"
      "  echo 2f4b414d204d430d0a02...0310 | meterlogger iec decode -\n"
      "  meterlogger iec decode --bcc xor readout.bin\n"
      "  printf '0012345 0012345 0056296 0002361 0002219 0000142 0000123 0000456 0000123 "
      "0000000\\r' |\n"
      "    meterlogger iec decode --reply std1 --program 3-4-116 -\n"
      "  meterlogger iec decode --reply std2 std2.txt");
  decode->add_option("input", opts->input, "file with the bytes, or - for standard input")
      ->capture_default_str();
  CLI::Option* bcc = decode
                         ->add_option("--bcc", opts->bcc,
                                      "block check: sum (Kamstrup 7-bit sum) or xor (IEC 62056)")
                         ->check(CLI::IsMember({"sum", "xor"}))
                         ->capture_default_str();
  decode
      ->add_option("--reply", opts->reply,
                   "decode a data string instead: std1 (/#1), std2 (/#2) or inst (/#C)")
      ->check(CLI::IsMember({"std1", "std2", "inst"}));
  decode->add_option("--program", opts->program,
                     "with --reply std1/inst: program number, e.g. 3-4-116, 0034116 or "
                     "341161020304");
  decode->callback([opts, bcc] {
    if (opts->reply.empty()) {
      if (!opts->program.empty()) fail("--program applies to --reply only");
      run_readout(*opts);
    } else {
      run_reply(*opts, bcc->count() > 0);
    }
  });
}

}  // namespace ml::app
