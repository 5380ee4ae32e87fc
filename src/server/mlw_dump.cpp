// The bounded mysqldump reader (mlw_dump.hpp).
#include "server/mlw_dump.hpp"

#include <array>
#include <sstream>

namespace {
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
}  // namespace

namespace ml::server::mlw {

namespace {

bool starts_with_word(std::string_view text, std::string_view word) {
  if (text.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    const char a = text[i];
    const char b = word[i];
    if ((a >= 'a' && a <= 'z' ? static_cast<char>(a - 32) : a) != b) return false;
  }
  if (text.size() == word.size()) return true;
  const char next = text[word.size()];
  return !((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
           (next >= '0' && next <= '9') || next == '_');
}

std::string_view trim_end(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::string_view trim_start(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  return s;
}

// Statements mysqldump writes that carry nothing the import reads.
inline constexpr std::array<std::string_view, 13> kSkipped{
    "DROP",  "LOCK",  "UNLOCK", "SET",   "USE",    "ALTER",   "COMMIT",
    "START", "BEGIN", "FLUSH",  "GRANT", "DELETE", "TRUNCATE"};

// A cursor over one line, for the INSERT grammar.
struct Cursor {
  std::string_view text;
  std::size_t pos = 0;
  bool at_end() const { return pos >= text.size(); }
  char peek() const { return pos < text.size() ? text[pos] : '\0'; }
  void skip_spaces() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n'))
      ++pos;
  }
  bool take(char c) {
    if (peek() != c) return false;
    ++pos;
    return true;
  }
  bool take_word(std::string_view word) {
    if (!starts_with_word(text.substr(pos), word)) return false;
    pos += word.size();
    return true;
  }
};

// `name` with `` for a backquote.
core::Result<std::string> identifier(Cursor& c, std::size_t max) {
  if (!c.take('`')) return core::make_error(core::Errc::invalid_argument, "expected a `name`");
  std::string out;
  while (true) {
    if (c.at_end()) return core::make_error(core::Errc::invalid_argument, "unterminated `name`");
    const char ch = c.text[c.pos++];
    if (ch == '`') {
      if (c.peek() == '`') {
        ++c.pos;
        out.push_back('`');
        continue;
      }
      break;
    }
    out.push_back(ch);
    if (out.size() > max) return core::make_error(core::Errc::invalid_argument, "name too long");
  }
  if (out.empty()) return core::make_error(core::Errc::invalid_argument, "empty `name`");
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

core::Status value(Cursor& c, std::size_t max, DumpValue& out) {
  out.text.clear();
  if (c.take_word("NULL")) {
    out.kind = DumpValue::Kind::null;
    return core::Ok{};
  }
  if (c.take_word("_BINARY")) c.skip_spaces();
  const char first = c.peek();
  if (first == '\'') {
    ++c.pos;
    out.kind = DumpValue::Kind::string;
    while (true) {
      if (c.at_end()) {
        return core::make_error(core::Errc::invalid_argument, "unterminated string");
      }
      char ch = c.text[c.pos++];
      if (ch == '\'') {
        if (c.peek() == '\'') {
          ++c.pos;
        } else {
          break;
        }
      } else if (ch == '\\') {
        if (c.at_end()) {
          return core::make_error(core::Errc::invalid_argument, "unterminated string");
        }
        const char e = c.text[c.pos++];
        switch (e) {
          case '0':
            ch = '\0';
            break;
          case 'b':
            ch = '\b';
            break;
          case 'n':
            ch = '\n';
            break;
          case 'r':
            ch = '\r';
            break;
          case 't':
            ch = '\t';
            break;
          case 'Z':
            ch = '\x1a';
            break;
          case '%':
          case '_':
            out.text.push_back('\\');
            ch = e;
            break;
          default:
            ch = e;
            break;  // \' \" \\ and any other: the character itself
        }
      }
      out.text.push_back(ch);
      if (out.text.size() > max) {
        return core::make_error(core::Errc::invalid_argument,
                                "a value longer than " + std::to_string(max) + " bytes");
      }
    }
    return core::Ok{};
  }
  if (first == '0' && c.pos + 1 < c.text.size() && (c.text[c.pos + 1] == 'x')) {
    c.pos += 2;
    out.kind = DumpValue::Kind::string;
    std::size_t start = c.pos;
    while (hex_digit(c.peek()) >= 0)
      ++c.pos;
    const std::size_t digits = c.pos - start;
    if (digits == 0 || digits % 2 != 0) {
      return core::make_error(core::Errc::invalid_argument, "bad 0x hex value");
    }
    if (digits / 2 > max) {
      return core::make_error(core::Errc::invalid_argument,
                              "a value longer than " + std::to_string(max) + " bytes");
    }
    for (std::size_t i = start; i < c.pos; i += 2) {
      out.text.push_back(static_cast<char>(hex_digit(c.text[i]) * 16 + hex_digit(c.text[i + 1])));
    }
    return core::Ok{};
  }
  // A number: [-+]digits[.digits][e[-+]digits] (MariaDB writes floats this way).
  out.kind = DumpValue::Kind::number;
  const std::size_t start = c.pos;
  if (c.peek() == '-' || c.peek() == '+') ++c.pos;
  std::size_t digits = 0;
  while (is_digit(c.peek()))
    ++c.pos, ++digits;
  if (c.take('.')) {
    while (is_digit(c.peek()))
      ++c.pos, ++digits;
  }
  if (digits == 0) {
    return core::make_error(core::Errc::invalid_argument,
                            "expected a value (NULL, a number, a 'string' or 0x hex)");
  }
  if (c.peek() == 'e' || c.peek() == 'E') {
    ++c.pos;
    if (c.peek() == '-' || c.peek() == '+') ++c.pos;
    std::size_t exp = 0;
    while (is_digit(c.peek()))
      ++c.pos, ++exp;
    if (exp == 0) return core::make_error(core::Errc::invalid_argument, "bad number exponent");
  }
  if (c.pos - start > max || c.pos - start > 400) {
    return core::make_error(core::Errc::invalid_argument, "number too long");
  }
  out.text.assign(c.text.substr(start, c.pos - start));
  return core::Ok{};
}

}  // namespace

const DumpValue* DumpRow::get(std::string_view column) const {
  if (!columns) return nullptr;
  for (std::size_t i = 0; i < columns->size() && i < values.size(); ++i)
    if ((*columns)[i] == column) return &values[i];
  return nullptr;
}

DumpReader::DumpReader(std::istream& in, DumpLimits limits) : in_(in), limits_(limits) {}

core::Error DumpReader::fail(const std::string& what) const {
  return core::make_error(core::Errc::invalid_argument,
                          "line " + std::to_string(line_) + ": " + what);
}

core::Error DumpReader::fail_at(std::uint64_t line, const std::string& what) const {
  return core::make_error(core::Errc::invalid_argument,
                          "line " + std::to_string(line) + ": " + what);
}

core::Result<bool> DumpReader::read_line(std::string& out) {
  out.clear();
  auto* buf = in_.rdbuf();
  if (buf == nullptr) return false;
  bool any = false;
  while (true) {
    const auto ch = buf->sbumpc();
    if (ch == std::char_traits<char>::eof()) break;
    any = true;
    if (ch == '\n') break;
    if (out.size() >= limits_.max_line) {
      ++line_;
      return fail("line longer than " + std::to_string(limits_.max_line) + " bytes");
    }
    out.push_back(static_cast<char>(ch));
  }
  if (!any) return false;
  ++line_;
  return true;
}

core::Result<bool> DumpReader::next(DumpRow& row) {
  if (failed_) return *failed_;
  std::string text;
  while (next_pending_ >= pending_.size()) {
    pending_.clear();
    next_pending_ = 0;
    auto got = read_line(text);
    if (!got) {
      failed_ = got.error();
      return *failed_;
    }
    if (!*got) {
      if (in_delimiter_block_) {
        failed_ = fail("the input ends inside a DELIMITER block");
        return *failed_;
      }
      return false;
    }
    auto done = statement(text);
    if (!done) {
      failed_ = done.error();
      return *failed_;
    }
  }
  row = std::move(pending_[next_pending_++]);
  return true;
}

core::Status DumpReader::statement(const std::string& first) {
  const std::string_view line = trim_start(trim_end(first));
  if (in_delimiter_block_) {
    if (starts_with_word(line, "DELIMITER")) {
      if (trim_start(line.substr(9)) != ";") return fail("expected DELIMITER ;");
      in_delimiter_block_ = false;
    }
    return core::Ok{};
  }
  if (line.empty() || line.starts_with("--") || line.starts_with("#")) return core::Ok{};
  if (line.starts_with("/*")) {
    // A comment or a versioned statement (/*!40101 SET ... */;): skipped, to its end.
    if (line.find("*/") != std::string_view::npos) return core::Ok{};
    return skip_statement(first);
  }
  if (starts_with_word(line, "DELIMITER")) {
    const auto d = trim_start(line.substr(9));
    if (d == ";") return core::Ok{};
    if (d.empty() || d.size() > 8) return fail("bad DELIMITER");
    in_delimiter_block_ = true;
    return core::Ok{};
  }
  if (starts_with_word(line, "INSERT") || starts_with_word(line, "REPLACE")) {
    insert_line_ = line_;
    if (line.back() == ';') return insert(line);
    // MariaDB's mysqldump writes each row of an extended INSERT on a line of its own; a line
    // ends inside no value (a newline in a value is written \n), so the statement ends with the
    // first line that ends with ";".
    std::string text(line);
    std::string more;
    while (true) {
      auto got = read_line(more);
      if (!got) return got.error();
      if (!*got) return fail("the input ends inside an INSERT");
      const auto part = trim_end(more);
      if (text.size() + part.size() + 1 > limits_.max_line) {
        return fail("INSERT longer than " + std::to_string(limits_.max_line) + " bytes");
      }
      text.push_back('\n');
      text.append(part);
      if (!part.empty() && part.back() == ';') break;
    }
    return insert(text);
  }
  if (starts_with_word(line, "CREATE")) {
    Cursor c{line};
    c.take_word("CREATE");
    c.skip_spaces();
    if (c.take_word("TABLE")) return create_table(first);
    return skip_statement(first);
  }
  for (const auto word : kSkipped)
    if (starts_with_word(line, word)) return skip_statement(first);
  std::string start(line.substr(0, 24));
  for (char& ch : start)
    if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) > 0x7e) ch = '?';
  return fail("unexpected statement \"" + start + "\" (not something mysqldump writes)");
}

core::Status DumpReader::skip_statement(const std::string& first) {
  std::size_t total = first.size();
  std::string text = first;
  while (trim_end(text).empty() || trim_end(text).back() != ';') {
    auto got = read_line(text);
    if (!got) return got.error();
    if (!*got) return fail("the input ends inside a statement");
    total += text.size();
    if (total > limits_.max_statement) {
      return fail("statement longer than " + std::to_string(limits_.max_statement) + " bytes");
    }
  }
  return core::Ok{};
}

core::Status DumpReader::create_table(const std::string& first) {
  Cursor c{trim_start(trim_end(first))};
  c.take_word("CREATE");
  c.skip_spaces();
  c.take_word("TABLE");
  c.skip_spaces();
  if (c.take_word("IF")) {
    c.skip_spaces();
    if (!c.take_word("NOT")) return fail("expected IF NOT EXISTS");
    c.skip_spaces();
    if (!c.take_word("EXISTS")) return fail("expected IF NOT EXISTS");
    c.skip_spaces();
  }
  auto name = identifier(c, 256);
  if (!name) return fail("CREATE TABLE: " + name.error().text());
  c.skip_spaces();
  if (!c.take('(') || !trim_start(c.text.substr(c.pos)).empty()) {
    return fail("CREATE TABLE `" + *name + "`: expected \"(\" at the end of the line");
  }
  auto columns = std::make_shared<std::vector<std::string>>();
  std::size_t total = first.size();
  std::string text;
  while (true) {
    auto got = read_line(text);
    if (!got) return got.error();
    if (!*got) return fail("the input ends inside CREATE TABLE `" + *name + "`");
    total += text.size();
    if (total > limits_.max_statement) {
      return fail("CREATE TABLE longer than " + std::to_string(limits_.max_statement) + " bytes");
    }
    const auto l = trim_start(trim_end(text));
    if (l.starts_with(")")) {
      if (l.back() != ';') return skip_statement(text);  // options on further lines
      break;
    }
    if (l.starts_with("`")) {
      Cursor cc{l};
      auto col = identifier(cc, 256);
      if (!col) return fail("CREATE TABLE `" + *name + "`: " + col.error().text());
      if (columns->size() >= limits_.max_columns) {
        return fail("CREATE TABLE `" + *name + "`: more than " +
                    std::to_string(limits_.max_columns) + " columns");
      }
      columns->push_back(*col);
    }
    // Keys, constraints and options (PRIMARY KEY, KEY, UNIQUE KEY, CONSTRAINT, ...) name no
    // column of their own.
  }
  if (columns->empty()) return fail("CREATE TABLE `" + *name + "` has no columns");
  for (auto& t : tables_) {
    if (t.first == *name) {
      t.second = std::move(columns);
      return core::Ok{};
    }
  }
  if (tables_.size() >= limits_.max_tables) {
    return fail("more than " + std::to_string(limits_.max_tables) + " tables");
  }
  tables_.emplace_back(*name, std::move(columns));
  return core::Ok{};
}

core::Status DumpReader::insert(std::string_view text) {
  Cursor c{text};
  // The line of a position in the statement.
  std::size_t counted = 0;
  std::uint64_t counted_line = insert_line_;
  auto at = [&](std::size_t pos) {
    for (; counted < pos && counted < text.size(); ++counted)
      if (text[counted] == '\n') ++counted_line;
    return counted_line;
  };
  if (!c.take_word("INSERT")) c.take_word("REPLACE");
  c.skip_spaces();
  if (c.take_word("IGNORE")) c.skip_spaces();
  if (!c.take_word("INTO")) return fail_at(at(c.pos), "INSERT: expected INTO");
  c.skip_spaces();
  auto name = identifier(c, 256);
  if (!name) return fail_at(at(c.pos), "INSERT: " + name.error().text());
  c.skip_spaces();
  std::shared_ptr<const std::vector<std::string>> columns;
  if (c.take('(')) {
    auto list = std::make_shared<std::vector<std::string>>();
    while (true) {
      c.skip_spaces();
      auto col = identifier(c, 256);
      if (!col)
        return fail_at(at(c.pos), "INSERT INTO `" + *name + "` column list: " + col.error().text());
      if (list->size() >= limits_.max_columns) {
        return fail_at(at(c.pos), "INSERT INTO `" + *name + "`: more than " +
                                      std::to_string(limits_.max_columns) + " columns");
      }
      list->push_back(*col);
      c.skip_spaces();
      if (c.take(')')) break;
      if (!c.take(','))
        return fail_at(at(c.pos), "INSERT INTO `" + *name + "` column list: expected , or )");
    }
    columns = std::move(list);
    c.skip_spaces();
  } else {
    for (const auto& t : tables_)
      if (t.first == *name) columns = t.second;
    if (!columns) {
      return fail_at(at(c.pos),
                     "INSERT INTO `" + *name +
                         "` before its CREATE TABLE: the dump needs the table structure (or "
                         "--complete-insert)");
    }
  }
  if (!c.take_word("VALUES"))
    return fail_at(at(c.pos), "INSERT INTO `" + *name + "`: expected VALUES");
  std::size_t row_number = 0;
  while (true) {
    c.skip_spaces();
    ++row_number;
    const std::string where =
        "INSERT INTO `" + *name + "`, row " + std::to_string(row_number) + ": ";
    if (!c.take('(')) return fail_at(at(c.pos), where + "expected (");
    DumpRow row;
    row.table = *name;
    row.columns = columns;
    row.line = at(c.pos);
    row.values.reserve(columns->size());
    while (true) {
      c.skip_spaces();
      if (row.values.size() >= columns->size()) {
        return fail_at(at(c.pos), where + "more values than the " +
                                      std::to_string(columns->size()) + " columns");
      }
      DumpValue v;
      auto ok = value(c, limits_.max_value, v);
      if (!ok) {
        return fail_at(at(c.pos), where + "value " + std::to_string(row.values.size() + 1) + ": " +
                                      ok.error().text());
      }
      row.values.push_back(std::move(v));
      c.skip_spaces();
      if (c.take(')')) break;
      if (!c.take(',')) {
        return fail_at(at(c.pos),
                       where + "expected , or ) after value " + std::to_string(row.values.size()));
      }
    }
    if (row.values.size() != columns->size()) {
      return fail_at(at(c.pos), where + std::to_string(row.values.size()) + " values for " +
                                    std::to_string(columns->size()) + " columns");
    }
    pending_.push_back(std::move(row));
    c.skip_spaces();
    if (c.take(';')) break;
    if (!c.take(',')) return fail_at(at(c.pos), where + "expected , or ; after the row");
  }
  if (!trim_start(c.text.substr(c.pos)).empty()) {
    pending_.clear();
    return fail_at(at(c.pos), "INSERT INTO `" + *name + "`: text after the closing ;");
  }
  return core::Ok{};
}

core::Result<std::vector<DumpRow>> read_all(std::string_view text, DumpLimits limits) {
  std::istringstream in{std::string(text)};
  DumpReader reader(in, limits);
  std::vector<DumpRow> rows;
  DumpRow row;
  while (true) {
    auto got = reader.next(row);
    if (!got) return got.error();
    if (!*got) break;
    rows.push_back(std::move(row));
  }
  return rows;
}

core::Result<std::string> plain_decimal(std::string_view number) {
  if (number.empty() || number.size() > 64) {
    return core::make_error(core::Errc::invalid_argument,
                            "\"" + std::string(number.substr(0, 64)) + "\" is no number");
  }
  std::size_t i = 0;
  bool negative = false;
  if (number[i] == '-' || number[i] == '+') negative = number[i++] == '-';
  std::string digits;
  int point = -1;  // digits before the point
  for (; i < number.size() && number[i] != 'e' && number[i] != 'E'; ++i) {
    if (number[i] == '.' && point < 0) {
      point = static_cast<int>(digits.size());
    } else if (is_digit(number[i])) {
      digits.push_back(number[i]);
    } else {
      return core::make_error(core::Errc::invalid_argument,
                              "\"" + std::string(number) + "\" is no number");
    }
  }
  if (digits.empty()) {
    return core::make_error(core::Errc::invalid_argument,
                            "\"" + std::string(number) + "\" is no number");
  }
  if (point < 0) point = static_cast<int>(digits.size());
  if (i < number.size()) {
    ++i;
    bool exp_negative = false;
    if (i < number.size() && (number[i] == '-' || number[i] == '+')) {
      exp_negative = number[i++] == '-';
    }
    int exp = 0;
    if (i >= number.size()) {
      return core::make_error(core::Errc::invalid_argument,
                              "\"" + std::string(number) + "\" is no number");
    }
    for (; i < number.size(); ++i) {
      if (!is_digit(number[i]) || exp > 63) {
        return core::make_error(core::Errc::invalid_argument,
                                "\"" + std::string(number) + "\" is no number in range");
      }
      exp = exp * 10 + (number[i] - '0');
    }
    if (exp > 63) {
      return core::make_error(core::Errc::invalid_argument,
                              "\"" + std::string(number) + "\" is no number in range");
    }
    point += exp_negative ? -exp : exp;
  }
  std::string out;
  if (point <= 0) {
    out = "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
  } else if (static_cast<std::size_t>(point) >= digits.size()) {
    out = digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<std::size_t>(point)) + "." +
          digits.substr(static_cast<std::size_t>(point));
  }
  // Leading zeros of the integer part go ("007" -> "7", "00.5" -> "0.5").
  std::size_t lead = 0;
  while (lead + 1 < out.size() && out[lead] == '0' && out[lead + 1] != '.')
    ++lead;
  out.erase(0, lead);
  bool zero = true;
  for (char ch : out)
    if (ch >= '1' && ch <= '9') zero = false;
  if (negative && !zero) out.insert(out.begin(), '-');
  return out;
}

}  // namespace ml::server::mlw
