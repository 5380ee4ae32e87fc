// meterlogger kmp: build KMP request frames and decode frames to JSON.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "common.hpp"
#include "core/kmp/codec.hpp"
#include "core/kmp/messages.hpp"
#include "core/kmp/registers.hpp"
#include "core/kmp/units.hpp"
#include "core/sample/sample.hpp"

namespace ml::app {
namespace {

using core::kmp::Direction;
using nlohmann::ordered_json;

struct RequestOptions {
  std::string what;
  std::vector<std::string> args;
  std::string dst = "0x3F";
  bool spaced = false;
};

unsigned long parse_number(const std::string& text, unsigned long max, const std::string& what) {
  std::size_t used = 0;
  unsigned long v = 0;
  try {
    v = std::stoul(text, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || text[0] == '-' || v > max) {
    fail(what + " '" + text + "' is not a number from 0 to " + std::to_string(max));
  }
  return v;
}

// A register given as a decimal id, a 0x hex id, or a catalogue name ("E1", "t1", "tdif").
std::uint16_t register_id(const std::string& arg) {
  if (auto info = core::kmp::register_by_name(arg)) return info->id;
  if (!arg.empty() && (arg[0] >= '0' && arg[0] <= '9')) {
    return static_cast<std::uint16_t>(parse_number(arg, 0xFFFF, "register id"));
  }
  fail("unknown register '" + arg + "' (give a number, 0x hex, or a name such as E1, V1, T1, HR)");
}

std::string frame_text(const core::Bytes& wire, bool spaced) {
  if (spaced) return core::to_hex_spaced(wire);
  std::string s = core::to_hex(wire);
  for (char& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

core::kmp::MeterClock parse_clock(const std::string& text) {
  core::kmp::MeterClock c;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &c.year, &c.month, &c.day, &c.hour,
                  &c.minute, &c.second, &tail) != 6) {
    fail("clock '" + text + "' is not YYYY-MM-DDTHH:MM:SS");
  }
  return c;
}

void run_request(const RequestOptions& o) {
  const auto dst = static_cast<std::uint8_t>(parse_number(o.dst, 0xFF, "destination address"));
  std::vector<core::Bytes> frames;
  if (o.what == "serial" || o.what == "type") {
    if (!o.args.empty()) fail("'" + o.what + "' takes no arguments");
    frames.push_back(o.what == "serial" ? core::kmp::encode_get_serial(dst)
                                        : core::kmp::encode_get_type(dst));
  } else if (o.what == "registers") {
    if (o.args.empty()) fail("'registers' needs at least one register id");
    std::vector<std::uint16_t> ids;
    for (const std::string& a : o.args)
      ids.push_back(register_id(a));
    // At most 8 registers per request: larger sets become several frames, one per line.
    for (std::size_t i = 0; i < ids.size(); i += core::kmp::kMaxRegistersPerRequest) {
      const std::size_t n = std::min(core::kmp::kMaxRegistersPerRequest, ids.size() - i);
      auto wire = core::kmp::encode_get_register(std::span(ids).subspan(i, n), dst);
      if (!wire) fail(wire.error());
      frames.push_back(std::move(wire).value());
    }
  } else if (o.what == "clock") {
    if (o.args.size() != 1) fail("'clock' needs one argument: YYYY-MM-DDTHH:MM:SS (meter time)");
    auto wire = core::kmp::encode_set_clock(parse_clock(o.args[0]), dst);
    if (!wire) fail(wire.error());
    frames.push_back(std::move(wire).value());
  } else {
    fail("unknown request '" + o.what + "' (serial, type, registers, clock)");
  }
  for (const auto& f : frames)
    std::cout << frame_text(f, o.spaced) << '\n';
}

template <class T>
T or_fail(core::Result<T> r) {
  if (!r) fail(r.error());
  return std::move(r).value();
}

struct KmpDecodeOptions {
  std::string input;
  bool sample = false;
  bool flow_meter = false;
  std::uint64_t heap = 0;
};

// Prints the v2 sample text (docs/protocols/sample.md, "Format") the original firmware would
// publish for this reply.
void print_sample(const core::kmp::Frame& f, const KmpDecodeOptions& o) {
  const auto regs = or_fail(core::kmp::decode_register_reply(f));
  core::sample::Reading r = core::sample::reading_from_kmp(regs, o.flow_meter);
  r.heap = o.heap;
  std::cout << or_fail(core::sample::format_sample(r)) << '\n';
}

void run_decode(const KmpDecodeOptions& o) {
  const core::Bytes wire = bytes_argument(o.input, 4 * core::kmp::kMaxWireFrame);
  if (wire.size() == 1 && wire[0] == core::kmp::kAck) {
    print_json(ordered_json{{"ack", true}});
    return;
  }
  const core::kmp::Frame f = or_fail(core::kmp::decode_frame(wire));
  if (o.sample) {
    print_sample(f, o);
    return;
  }
  ordered_json j;
  j["direction"] = f.direction == Direction::request ? "request" : "reply";
  j["dst"] = core::hex_byte(f.dst);
  j["cid"] = f.cid;
  j["command"] = core::kmp::cid_name(f.cid).empty() ? "unknown" : core::kmp::cid_name(f.cid);
  const bool request = f.direction == Direction::request;
  switch (static_cast<core::kmp::Cid>(f.cid)) {
    case core::kmp::Cid::get_serial:
      if (!request) {
        const std::uint32_t serial = or_fail(core::kmp::decode_serial_reply(f));
        j["serial"] = serial;
        char text[16];
        std::snprintf(text, sizeof text, "%07u", serial);
        j["serial_text"] = text;
      }
      break;
    case core::kmp::Cid::get_type:
      if (!request) {
        const auto t = or_fail(core::kmp::decode_type_reply(f));
        j["meter_type"] = t.meter_type;
        j["sw_revision"] = t.revision_text();
      }
      break;
    case core::kmp::Cid::get_register: {
      ordered_json regs = ordered_json::array();
      if (request) {
        for (std::uint16_t id : or_fail(core::kmp::decode_register_request(f))) {
          regs.push_back(kmp_register_json(id));
        }
      } else {
        for (const auto& v : or_fail(core::kmp::decode_register_reply(f))) {
          regs.push_back(kmp_value_json(v));
        }
      }
      j["registers"] = regs;
      break;
    }
    case core::kmp::Cid::set_clock:
      if (request) {
        const auto c = or_fail(core::kmp::decode_set_clock_request(f));
        char text[32];
        std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day,
                      c.hour, c.minute, c.second);
        j["clock"] = text;
      }
      break;
    case core::kmp::Cid::put_register:
      if (request) {
        j["register"] = kmp_value_json(or_fail(core::kmp::decode_put_register_request(f)));
      } else {
        ordered_json ids = ordered_json::array();
        for (std::uint16_t id : or_fail(core::kmp::decode_put_register_reply(f)))
          ids.push_back(id);
        j["accepted"] = ids;
      }
      break;
    default:
      break;
  }
  if (!j.contains("registers") && !j.contains("serial") && !j.contains("meter_type") &&
      !j.contains("clock") && !j.contains("register") && !j.contains("accepted")) {
    j["data"] = core::to_hex(f.data);
  }
  print_json(j);
}

}  // namespace

void add_kmp_commands(CLI::App& app) {
  CLI::App* kmp = app.add_subcommand("kmp", "Kamstrup KMP: build request frames, decode frames");
  kmp->require_subcommand(1);

  auto req = std::make_shared<RequestOptions>();
  CLI::App* request = kmp->add_subcommand(
      "request", "Print a KMP request frame in hex (serial, type, registers ID..., clock TIME)");
  request->footer(
      "Registers are given as decimal ids, 0x hex ids or names from the register catalogue\n"
      "(E1, V1, HR, T1, T2, T1-T2, FLOW1, POWER1, ... or the sample keys e1, tdif, flow1 ...).\n"
      "More than 8 registers give several frames, one per line (a request holds at most 8).\n\n"
      "Examples:\n"
      "  meterlogger kmp request serial                  # 803F0235E90D\n"
      "  meterlogger kmp request registers 60 68 1004 86 87 89 74 80\n"
      "  meterlogger kmp request registers E1 V1 HR --spaced\n"
      "  meterlogger kmp request clock 2026-11-25T13:05:09\n"
      "  meterlogger kmp request type --dst 0x7F         # ask the logger top module");
  request->add_option("what", req->what, "serial | type | registers | clock")->required();
  request->add_option("args", req->args, "register ids or names; the clock time");
  request->add_option("--dst", req->dst, "destination address (0x3F heat meter, 0x7F/0xBF logger)")
      ->capture_default_str();
  request->add_flag("--spaced", req->spaced, "write bytes separated by spaces (80 3F 02 ...)");
  request->callback([req] { run_request(*req); });

  auto dec = std::make_shared<KmpDecodeOptions>();
  CLI::App* decode =
      kmp->add_subcommand("decode", "Decode one KMP frame (request or reply) and print it as JSON");
  decode->footer(
      "The frame is hex text (spaces allowed) or '-' to read it from standard input, as raw\n"
      "bytes or as hex. Register values are exact decimal strings with the meter's own decimals.\n"
      "A bad frame (CRC, stuffing, start/stop byte, length) exits with status 1 and one line.\n"
      "With --sample, a register reply is printed as the v2 sample text the device publishes;\n"
      "a reply that lacks one of the sample registers is an error, never a partial sample.\n\n"
      "Examples:\n"
      "  meterlogger kmp decode 403F0200692D32CD5D0D\n"
      "  meterlogger kmp decode '40 3F 10 03 EC 2E 04 00 00 00 1B E4 D7 92 E4 0D'\n"
      "  head -c 79 capture.bin | meterlogger kmp decode -\n"
      "  meterlogger kmp decode --sample --heap 21376 <8-register reply in hex>");
  decode->add_option("frame", dec->input, "the frame in hex, or - for standard input")->required();
  decode->add_flag("--sample", dec->sample, "print the v2 sample text instead of JSON");
  decode->add_flag("--flow-meter", dec->flow_meter, "with --sample: a flow (water) meter sample");
  decode->add_option("--heap", dec->heap, "with --sample: the heap= value to write")
      ->capture_default_str();
  decode->callback([dec] { run_decode(*dec); });
}

}  // namespace ml::app
