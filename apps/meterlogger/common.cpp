#include "common.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

#include "core/kmp/registers.hpp"
#include "core/kmp/units.hpp"

namespace ml::app {

void fail(const std::string& message, int status) {
  throw ToolFailure(status, message);
}

void fail(const core::Error& error, int status) {
  fail(std::string(core::errc_name(error.code)) + ": " + error.message(), status);
}

namespace {

std::string read_stream(std::istream& in, std::size_t max_bytes, const std::string& what) {
  std::string data;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<std::size_t>(in.gcount()));
    if (data.size() > max_bytes) {
      fail(what + " is longer than " + std::to_string(max_bytes) + " bytes");
    }
  }
  return data;
}

}  // namespace

std::string read_stdin(std::size_t max_bytes) {
  std::ios::sync_with_stdio(false);
  std::freopen(nullptr, "rb", stdin);
  return read_stream(std::cin, max_bytes, "standard input");
}

std::string read_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open " + path);
  return read_stream(in, max_bytes, path);
}

core::Bytes bytes_argument(const std::string& arg, std::size_t max_bytes) {
  if (arg == "-") {
    const std::string data = read_stdin(max_bytes * 3 + 16);
    if (core::is_hex_text(data)) {
      auto parsed = core::from_hex(data, max_bytes);
      if (!parsed) fail(parsed.error());
      return std::move(parsed).value();
    }
    if (data.size() > max_bytes) fail("input longer than " + std::to_string(max_bytes) + " bytes");
    return core::Bytes(data.begin(), data.end());
  }
  auto parsed = core::from_hex(arg, max_bytes);
  if (!parsed) fail(parsed.error());
  return std::move(parsed).value();
}

nlohmann::ordered_json kmp_register_json(std::uint16_t id) {
  nlohmann::ordered_json j;
  j["id"] = id;
  if (auto info = core::kmp::register_by_id(id)) {
    j["name"] = info->name;
    j["description"] = info->description;
  }
  return j;
}

nlohmann::ordered_json kmp_value_json(const core::kmp::RegisterValue& v) {
  nlohmann::ordered_json j = kmp_register_json(v.id);
  const auto unit = core::kmp::unit_by_code(v.unit);
  j["unit"] = unit ? unit->text : "";
  j["unit_code"] = v.unit;
  j["quantity"] = unit ? core::kmp::quantity_name(unit->quantity) : "";
  j["value"] = v.value.to_string();
  if (v.value.negative && v.value.mantissa <= static_cast<std::uint64_t>(INT64_MAX)) {
    j["mantissa"] = -static_cast<std::int64_t>(v.value.mantissa);
  } else {
    j["mantissa"] = v.value.mantissa;
  }
  j["exponent"] = v.value.exponent;
  j["length"] = v.length;
  return j;
}

void print_json(const nlohmann::ordered_json& j) {
  std::cout << j.dump(2) << '\n';
}

}  // namespace ml::app
