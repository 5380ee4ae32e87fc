// The fleet's keys file (fleet_keys.hpp).
#include "sim/fleet_keys.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "core/ascii.hpp"
#include "core/topic/topic.hpp"

namespace ml::sim {
namespace {

core::Error line_problem(std::size_t line, const std::string& what) {
  return core::make_error(core::Errc::invalid_argument,
                          "line " + std::to_string(line) + ": " + what);
}

// The fields of one line (its line end removed): RFC 4180 quoting within the line.
core::Result<std::vector<std::string>> split_fields(std::string_view line, char delimiter,
                                                    std::size_t number) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (true) {
    // Spaces before a field are not part of it.
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return line_problem(number, "a quoted field is not closed");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
        ++i;
      if (i < line.size() && line[i] != delimiter) {
        return line_problem(number, "text after a quoted field");
      }
    } else {
      const std::size_t end = std::min(line.find(delimiter, i), line.size());
      const std::string_view raw = line.substr(i, end - i);
      if (raw.find('"') != std::string_view::npos) {
        return line_problem(number, "a quote inside an unquoted field");
      }
      field = std::string(core::trim_blanks(raw));
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) break;
    ++i;  // the delimiter
  }
  return fields;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(core::ascii_lower(c));
  return out;
}

}  // namespace

core::Result<std::vector<FleetMeter>> parse_fleet_keys(std::string_view text) {
  if (text.size() > kMaxFleetKeysBytes) {
    return core::make_error(
        core::Errc::invalid_argument,
        "the keys file is larger than " + std::to_string(kMaxFleetKeysBytes >> 20) + " MiB");
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<FleetMeter> meters;
  std::set<std::string> seen;
  std::optional<std::size_t> serial_col, key_col, kind_col;
  char delimiter = ',';
  bool have_header = false;
  std::size_t number = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (core::trim_blanks(line).empty()) continue;
    if (!have_header) {
      if (line.find(',') == std::string_view::npos && line.find(';') != std::string_view::npos) {
        delimiter = ';';
      }
      auto names = split_fields(line, delimiter, number);
      if (!names) return names.error();
      for (std::size_t i = 0; i < names->size(); ++i) {
        const std::string name = lowered((*names)[i]);
        if (name == "serial") serial_col = i;
        if (name == "key") key_col = i;
        if (name == "kind") kind_col = i;
      }
      if (!serial_col || !key_col) {
        return line_problem(number, "the header must name the columns serial and key (" +
                                        std::string(kFleetKeysHeader) + ")");
      }
      have_header = true;
      continue;
    }
    auto fields = split_fields(line, delimiter, number);
    if (!fields) return fields.error();
    if (std::all_of(fields->begin(), fields->end(),
                    [](const std::string& f) { return f.empty(); })) {
      continue;  // a line of empty fields, as spreadsheets write them
    }
    const auto field = [&](std::size_t col) -> std::string {
      return col < fields->size() ? (*fields)[col] : std::string();
    };
    if (kind_col) {
      const std::string kind = lowered(field(*kind_col));
      if (!kind.empty() && kind != "heat") {
        return line_problem(
            number, "kind '" + field(*kind_col) + "': the fleet plays heat meters (KMP) only");
      }
    }
    auto serial = core::topic::Serial::parse(field(*serial_col));
    if (!serial) return line_problem(number, "serial: " + serial.error().text());
    auto key = core::envelope::parse_master_key(field(*key_col));
    if (!key) return line_problem(number, "key: " + key.error().text());
    std::string canonical = serial->canonical().text();
    if (!seen.insert(canonical).second) {
      return line_problem(number, "serial " + canonical + " comes twice");
    }
    if (meters.size() == kMaxFleetMeters) {
      return line_problem(number, "more than " + std::to_string(kMaxFleetMeters) + " meters");
    }
    meters.push_back(FleetMeter{std::move(canonical), *key});
  }
  if (!have_header) {
    return core::make_error(
        core::Errc::invalid_argument,
        "the keys file is empty (it needs the header " + std::string(kFleetKeysHeader) + ")");
  }
  return meters;
}

std::string format_fleet_keys(const std::vector<FleetMeter>& meters, std::string_view group) {
  std::string group_field(group);
  if (group_field.find_first_of(",\"\r\n") != std::string::npos) {
    std::string quoted = "\"";
    for (char c : group_field) {
      if (c == '"') quoted.push_back('"');
      quoted.push_back(c);
    }
    group_field = quoted + "\"";
  }
  std::string out(kFleetKeysHeader);
  out.reserve(meters.size() * 96);
  out += '\n';
  for (const FleetMeter& m : meters) {
    out += m.serial;
    out += ",heat,";
    out += core::to_hex(m.key);
    out += ",Fleet ";
    out += m.serial;
    out += ',';
    out += group_field;
    out += ",,on\n";
  }
  return out;
}

core::Result<std::vector<std::string>> fleet_serials(std::uint64_t first, std::size_t count) {
  if (count == 0) return std::vector<std::string>{};
  if (first > 0xFFFFFFFFULL || count - 1 > 0xFFFFFFFFULL - first) {
    return core::make_error(core::Errc::invalid_argument,
                            "--first-serial " + std::to_string(first) + " + " +
                                std::to_string(count) +
                                " meters goes past 4294967295, the largest KMP serial");
  }
  std::vector<std::string> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(core::topic::Serial::from_number(static_cast<std::uint32_t>(first + i)).text());
  }
  return out;
}

}  // namespace ml::sim
