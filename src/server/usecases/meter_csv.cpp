// The meter list's reader (meter_csv.hpp).
#include "server/usecases/meter_csv.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "core/meter/kind.hpp"
#include "core/topic/topic.hpp"

namespace ml::server::usecase {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

constexpr bool columns_unique() {
  for (std::size_t i = 0; i < kMeterCsvColumns.size(); ++i)
    for (std::size_t j = i + 1; j < kMeterCsvColumns.size(); ++j)
      if (kMeterCsvColumns[i].name == kMeterCsvColumns[j].name) return false;
  return true;
}
static_assert(columns_unique(), "a column is named twice in kMeterCsvColumns");

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), is_space);
}

std::string column_list() {
  std::string out;
  for (const auto& c : kMeterCsvColumns) {
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

std::string hex_byte(unsigned char b) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 0xf];
}

// What is wrong with a value's bytes: not UTF-8, or a control character; "" when nothing.
std::string bad_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7f) {
      return "a control character (" + hex_byte(b) + ") at byte " + std::to_string(i + 1) +
             "; a value is one line of printable text";
    }
    if (b < 0x80) {
      ++i;
      continue;
    }
    // The length of the sequence and the range its second byte must be in (no overlong forms,
    // no surrogates, nothing above U+10FFFF).
    std::size_t n = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      n = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b == 0xe0) lo = 0xa0;
      if (b == 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b == 0xf0) lo = 0x90;
      if (b == 0xf4) hi = 0x8f;
    }
    bool ok = n != 0 && i + n <= s.size();
    for (std::size_t k = 1; ok && k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      ok = k == 1 ? c >= lo && c <= hi : c >= 0x80 && c <= 0xbf;
    }
    if (!ok) {
      return "not UTF-8 (" + hex_byte(b) + " at byte " + std::to_string(i + 1) +
             "); save the file as UTF-8 (\"CSV UTF-8\" in a spreadsheet)";
    }
    i += n;
  }
  return "";
}

// One line split into its values. On a problem: false, `problem` says what and `at` is the index
// of the value it is in.
bool split(std::string_view line, char delimiter, std::vector<std::string>& out, std::size_t& at,
           std::string& problem) {
  out.clear();
  const std::size_t n = line.size();
  std::size_t i = 0;
  for (;;) {
    at = out.size();
    while (i < n && is_space(line[i]))
      ++i;
    std::string value;
    if (i < n && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= n) {
          problem =
              "a quoted value does not end on its line: close it with \" (a value is one line; "
              "a line break inside quotes is not allowed)";
          return false;
        }
        if (line[i] == '"') {
          if (i + 1 < n && line[i + 1] == '"') {
            value += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        value += line[i++];
      }
      while (i < n && is_space(line[i]))
        ++i;
      if (i < n && line[i] != delimiter) {
        problem =
            std::string("text after the closing quote; quote the whole value and double each ") +
            "quote inside it (\"Loppen \"\"12\"\"\")";
        return false;
      }
    } else {
      const std::size_t start = i;
      while (i < n && line[i] != delimiter) {
        if (line[i] == '"') {
          problem =
              "a quote inside a value that does not begin with one; quote the whole value and "
              "double each quote inside it (\"Loppen \"\"12\"\"\")";
          return false;
        }
        ++i;
      }
      std::size_t end = i;
      while (end > start && is_space(line[end - 1]))
        --end;
      value.assign(line.substr(start, end - start));
    }
    out.push_back(std::move(value));
    if (i >= n) return true;
    ++i;  // the delimiter: a value follows (empty at the end of the line)
  }
}

// The delimiter the header uses: a semicolon when it has semicolons and no comma outside quotes.
char delimiter_of(std::string_view header) {
  bool quoted = false;
  bool comma = false;
  bool semicolon = false;
  for (char c : header) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    comma = comma || c == ',';
    semicolon = semicolon || c == ';';
  }
  return semicolon && !comma ? ';' : ',';
}

std::optional<std::size_t> column_index(std::string_view name) {
  for (std::size_t i = 0; i < kMeterCsvColumns.size(); ++i)
    if (kMeterCsvColumns[i].name == name) return i;
  return std::nullopt;
}

std::string lowercase(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// Reads the lines of a text one by one, counting them; a line's end (LF or CRLF) is dropped.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    const std::size_t nl = text_.find('\n', pos_);
    const std::size_t end = nl == std::string_view::npos ? text_.size() : nl;
    line = text_.substr(pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = end + 1;
    ++number_;
    return true;
  }
  std::size_t number() const { return number_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t number_ = 0;
};

std::string at(std::size_t line) {
  return "line " + std::to_string(line);
}

class Reader {
 public:
  Reader(std::string_view text, const MeterCsvLimits& limits) : lines_(text), limits_(limits) {
    out_.problems.max = limits.max_problems;
  }

  MeterCsv read() {
    if (!header()) return std::move(out_);
    std::size_t meters = 0;
    std::string_view line;
    while (lines_.next(line)) {
      const std::size_t n = lines_.number();
      // A line that cannot be read counts as a meter: a file of bad lines ends at the limit too.
      if (line.size() > limits_.max_line) {
        if (++meters > limits_.max_rows) return too_many(n);
        too_long(n, line.size());
        continue;
      }
      if (is_blank(line)) continue;
      std::size_t bad = 0;
      std::string problem;
      if (!split(line, delimiter_, values_, bad, problem)) {
        if (++meters > limits_.max_rows) return too_many(n);
        out_.problems.add(where(n, bad) + ": " + problem);
        continue;
      }
      if (std::all_of(values_.begin(), values_.end(), [](const auto& v) { return v.empty(); }))
        continue;  // a spreadsheet's empty row: ",,,,"
      if (++meters > limits_.max_rows) return too_many(n);
      row(n);
    }
    if (meters == 0) {
      out_.problems.add(
          "the file has no meters: below the header, write one line per meter (serial,kind,...)");
    }
    return std::move(out_);
  }

 private:
  // Reads the header (the first line that is not blank): false when the rows cannot be read.
  bool header() {
    std::string_view line;
    for (;;) {
      if (!lines_.next(line)) {
        out_.problems.add("the file is empty: its first line names the columns (" + column_list() +
                          "; serial and kind required), each line after it is a meter");
        return false;
      }
      if (lines_.number() == 1 && line.starts_with(kByteOrderMark))
        line.remove_prefix(kByteOrderMark.size());
      if (line.size() > limits_.max_line) {
        too_long(lines_.number(), line.size());
        return false;
      }
      if (!is_blank(line)) break;
    }
    const std::size_t n = lines_.number();
    delimiter_ = delimiter_of(line);
    std::size_t bad = 0;
    std::string problem;
    if (!split(line, delimiter_, values_, bad, problem)) {
      out_.problems.add(at(n) + ", column " + std::to_string(bad + 1) + ": " + problem);
      return false;
    }
    const std::size_t before = out_.problems.count;
    for (std::size_t i = 0; i < values_.size(); ++i) {
      const std::string name = lowercase(values_[i]);
      const std::string where = at(n) + ", column " + std::to_string(i + 1);
      const auto index = column_index(name);
      if (!index) {
        out_.problems.add(where + ": " +
                          (name.empty() ? std::string("no name")
                                        : "\"" + values_[i].substr(0, 40) + "\" is no column") +
                          "; the first line names the columns: " + column_list() +
                          " (serial and kind required, any order)");
        continue;
      }
      if (std::find(out_.columns.begin(), out_.columns.end(), name) != out_.columns.end()) {
        out_.problems.add(where + ": column " + name + " is named twice; name each once");
      }
      out_.columns.push_back(name);
      column_of_.push_back(*index);
    }
    for (const auto& c : kMeterCsvColumns) {
      if (c.required && !out_.has_column(c.name)) {
        out_.problems.add(at(n) + ": no column " + std::string(c.name) +
                          "; the first line names the columns, e.g. serial,kind,key,name");
      }
    }
    return out_.problems.count == before;
  }

  // "line 17, column key" (or the column's number when the line has more values than columns).
  std::string where(std::size_t line, std::size_t value) const {
    if (value < out_.columns.size()) return at(line) + ", column " + out_.columns[value];
    return at(line) + ", column " + std::to_string(value + 1);
  }

  void too_long(std::size_t line, std::size_t size) {
    out_.problems.add(at(line) + ": " + std::to_string(size) + " bytes, more than the " +
                      std::to_string(limits_.max_line) + " a line may have");
  }

  MeterCsv too_many(std::size_t line) {
    out_.problems.add(at(line) + ": more than " + std::to_string(limits_.max_rows) +
                      " meters in one file; split it into files of at most " +
                      std::to_string(limits_.max_rows) + " (each with the header)");
    return std::move(out_);
  }

  void row(std::size_t n) {
    if (values_.size() != out_.columns.size()) {
      out_.problems.add(at(n) + ": " + std::to_string(values_.size()) + " values, the header has " +
                        std::to_string(out_.columns.size()) +
                        " columns (a comma inside a value? quote the value: \"Loppen 12, st.\")");
      return;
    }
    MeterCsvRow r;
    r.line = n;
    r.request.spelling = Spelling::csv_column;
    bool ok = true;
    for (std::size_t i = 0; i < values_.size(); ++i) {
      const MeterCsvColumn& column = kMeterCsvColumns[column_of_[i]];
      std::string& v = values_[i];
      auto problem = [&](const std::string& text) {
        out_.problems.add(where(n, i) + ": " + text);
        ok = false;
      };
      if (v.size() > column.max_size) {
        problem(std::to_string(v.size()) + " bytes, at most " + std::to_string(column.max_size));
        continue;
      }
      if (auto bad = bad_text(v); !bad.empty()) {
        problem(bad);
        continue;
      }
      auto& f = r.request.fields;
      if (column.name == "serial") {
        if (v.empty()) {
          problem("empty; every meter has its serial");
        } else if (auto s = core::topic::Serial::parse(v); !s) {
          problem(s.error().detail);
        }
        r.request.serial = std::move(v);
      } else if (column.name == "kind") {
        if (v.empty()) problem("empty; write one of " + core::meter::kind_names());
        f.kind = std::move(v);
      } else if (column.name == "key") {
        f.key = std::move(v);
      } else if (column.name == "name") {
        f.name = std::move(v);
      } else if (column.name == "group") {
        f.group = std::move(v);
      } else if (column.name == "setup_value") {
        f.setup_value = std::move(v);
      } else if (column.name == "valve") {
        if (v == "on" || v == "off") {
          f.valve = v == "on";
        } else if (!v.empty()) {
          problem("\"" + v + "\"; write on or off (empty is off)");
        }
      }
    }
    if (ok) out_.rows.push_back(std::move(r));
  }

  Lines lines_;
  const MeterCsvLimits& limits_;
  MeterCsv out_;
  char delimiter_ = ',';
  std::vector<std::size_t> column_of_;  // the header's columns as indexes of kMeterCsvColumns
  std::vector<std::string> values_;
};

}  // namespace

void ImportProblems::add(std::string text) {
  ++count;
  if (shown.size() < max) shown.push_back(std::move(text));
}

bool MeterCsv::has_column(std::string_view name) const {
  return std::find(columns.begin(), columns.end(), name) != columns.end();
}

MeterCsv parse_meter_csv(std::string_view text, const MeterCsvLimits& limits) {
  if (text.size() > limits.max_bytes) {
    MeterCsv out;
    out.problems.max = limits.max_problems;
    const bool mib = limits.max_bytes % (std::size_t{1} << 20) == 0;
    out.problems.add("the file is larger than " +
                     (mib ? std::to_string(limits.max_bytes >> 20) + " MiB"
                          : std::to_string(limits.max_bytes) + " bytes") +
                     ", the most a meter list may have; split it into several files (each with "
                     "the header)");
    return out;
  }
  return Reader(text, limits).read();
}

}  // namespace ml::server::usecase
