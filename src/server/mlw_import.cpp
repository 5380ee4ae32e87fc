// The import from MeterLoggerWeb (mlw_import.hpp; docs/migrating.md).
#include "server/mlw_import.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <set>
#include <sstream>

#include "core/alarm/rule.hpp"
#include "core/sample/sample.hpp"
#include "core/topic/topic.hpp"
#include "server/ledger.hpp"
#include "server/notify/config.hpp"
#include "server/store_ingest.hpp"
#include "server/usecases/meters.hpp"
#include "server/usecases/residents.hpp"

namespace ml::server::mlw {

namespace {

// Tables that are read (the others are counted and named in the report).
inline constexpr std::array<std::string_view, 5> kReadTables{"meter_groups", "meters", "accounts",
                                                             "alarms", "samples"};

inline constexpr std::array<NotReadRow, 14> kNotRead{{
    {"samples_cache", "a copy of the newest samples (the samples table is imported)"},
    {"samples_hourly", "rebuilt from the samples as they are imported"},
    {"samples_daily", "rebuilt from the samples as they are imported"},
    {"meters_state", "a cache: credit and estimates are computed from the ledger and samples"},
    {"command_queue", "commands in flight belong to the old server"},
    {"wifi_scan", "old radio scans; the next scan_result replies are kept"},
    {"log", "old device events"},
    {"accounts_log", "the old audit log; each imported payment gets an audit entry"},
    {"alarms_auto", "templates: the alarms copied from them are imported per meter"},
    {"alarm_templates", "editor snippets; see `alarms templates`"},
    {"users", "logins are by SMS there; add users with `users add`"},
    {"sms_auth", "login sessions"},
    {"sms_messages", "the old SMS log"},
    {"device_log", "little-used device text"},
}};

bool is_read(std::string_view table) {
  return std::find(kReadTables.begin(), kReadTables.end(), table) != kReadTables.end();
}

// The value of `column` as text ("" for NULL or a missing column).
std::string text_of(const DumpRow& row, std::string_view column) {
  const DumpValue* v = row.get(column);
  return v == nullptr || v->is_null() ? std::string() : v->text;
}

core::Result<std::int64_t> int_of(const DumpRow& row, std::string_view column) {
  const DumpValue* v = row.get(column);
  if (v == nullptr || v->is_null()) {
    return core::make_error(core::Errc::invalid_argument, std::string(column) + " is missing");
  }
  std::int64_t out = 0;
  bool negative = false;
  std::size_t i = 0;
  const std::string& t = v->text;
  if (!t.empty() && t[0] == '-') negative = true, i = 1;
  if (i >= t.size() || t.size() > 18) {
    return core::make_error(core::Errc::invalid_argument,
                            std::string(column) + " \"" + t + "\" is no whole number");
  }
  for (; i < t.size(); ++i) {
    if (t[i] < '0' || t[i] > '9') {
      return core::make_error(core::Errc::invalid_argument,
                              std::string(column) + " \"" + t + "\" is no whole number");
    }
    out = out * 10 + (t[i] - '0');
  }
  return negative ? -out : out;
}

core::Result<core::Decimal> decimal_of(const DumpRow& row, std::string_view column) {
  const DumpValue* v = row.get(column);
  if (v == nullptr || v->is_null()) {
    return core::make_error(core::Errc::invalid_argument, std::string(column) + " is missing");
  }
  auto plain = plain_decimal(v->text);
  if (!plain) {
    return core::make_error(core::Errc::invalid_argument,
                            std::string(column) + ": " + plain.error().text());
  }
  auto d = core::Decimal::parse(*plain);
  if (!d) {
    return core::make_error(core::Errc::invalid_argument,
                            std::string(column) + " \"" + v->text + "\" is out of range");
  }
  return *d;
}

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    item = trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// MeterLoggerWeb's sample columns and the sample keys and units they become
// (docs/protocols/sample.md; the energy column holds kWh there).
struct SampleColumn {
  std::string_view column;
  std::string_view key;
  std::string_view unit;
};
inline constexpr std::array<SampleColumn, 10> kSampleColumns{{
    {"heap", "heap", ""},
    {"flow_temp", "t1", "C"},
    {"return_flow_temp", "t2", "C"},
    {"temp_diff", "tdif", "K"},
    {"t3", "t3", "C"},
    {"flow", "flow1", "l/h"},
    {"effect", "effect1", "kW"},
    {"hours", "hr", "h"},
    {"volume", "v1", "m3"},
    {"energy", "e1", "kWh"},
}};

// MeterLoggerWeb's alarm variables and their terms in the rule language (docs/alarms.md); the
// unit is given to a number compared with the term. A sample variable there is the median of the
// last 5 samples, so it becomes median(key, 5).
struct AlarmVariable {
  std::string_view name;  // without the $
  std::string_view term;
  std::string_view unit;
};
inline constexpr std::array<AlarmVariable, 14> kAlarmVariables{{
    {"offline", "age", "s"},
    {"flow_temp", "median(t1, 5)", "C"},
    {"return_flow_temp", "median(t2, 5)", "C"},
    {"temp_diff", "median(tdif, 5)", "C"},
    {"t3", "median(t3, 5)", "C"},
    {"flow", "median(flow1, 5)", "l/h"},
    {"effect", "median(effect1, 5)", "kW"},
    {"hours", "median(hr, 5)", "h"},
    {"volume", "median(v1, 5)", "m3"},
    {"energy", "median(e1, 5)", "kWh"},
    {"kwh_remaining", "credit_kwh", "kWh"},
    {"energy_day", "delta(e1, 24 h)", "kWh"},
    {"volume_day", "delta(v1, 24 h)", "m3"},
    {"closed", "", ""},  // a condition of its own (see translate_condition)
}};

const AlarmVariable* alarm_variable(std::string_view name) {
  for (const auto& v : kAlarmVariables)
    if (v.name == name) return &v;
  return nullptr;
}

struct Token {
  enum class Kind : std::uint8_t { variable, number, compare, logic, paren } kind;
  std::string text;
};

core::Result<std::vector<Token>> tokens_of(std::string_view c) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto bad = [&](const std::string& what) {
    return core::make_error(core::Errc::invalid_argument, what);
  };
  while (i < c.size()) {
    const char ch = c[i];
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
      ++i;
    } else if (ch == '$') {
      std::size_t j = i + 1;
      while (j < c.size() && (std::isalnum(static_cast<unsigned char>(c[j])) || c[j] == '_'))
        ++j;
      std::string name(c.substr(i + 1, j - i - 1));
      if (name != "leakage" && alarm_variable(name) == nullptr) {
        return bad("$" + name + " has no counterpart in the rule language");
      }
      out.push_back({Token::Kind::variable, std::move(name)});
      i = j;
    } else if ((ch >= '0' && ch <= '9') || ch == '.') {
      std::size_t j = i;
      while (j < c.size() && ((c[j] >= '0' && c[j] <= '9') || c[j] == '.'))
        ++j;
      out.push_back({Token::Kind::number, std::string(c.substr(i, j - i))});
      i = j;
    } else if (ch == '(' || ch == ')') {
      out.push_back({Token::Kind::paren, std::string(1, ch)});
      ++i;
    } else if (c.substr(i, 2) == "&&" || c.substr(i, 2) == "||") {
      out.push_back({Token::Kind::logic, ch == '&' ? "and" : "or"});
      i += 2;
    } else if (c.substr(i, 2) == "<=" || c.substr(i, 2) == ">=" || c.substr(i, 2) == "==" ||
               c.substr(i, 2) == "!=") {
      out.push_back({Token::Kind::compare, std::string(c.substr(i, 2))});
      i += 2;
    } else if (ch == '<' || ch == '>') {
      out.push_back({Token::Kind::compare, std::string(1, ch)});
      ++i;
    } else if (ch == '!') {
      out.push_back({Token::Kind::logic, "not"});
      ++i;
    } else if (std::isalpha(static_cast<unsigned char>(ch))) {
      std::size_t j = i;
      while (j < c.size() && std::isalpha(static_cast<unsigned char>(c[j])))
        ++j;
      std::string word(c.substr(i, j - i));
      for (char& w : word)
        w = static_cast<char>(std::tolower(static_cast<unsigned char>(w)));
      if (word != "and" && word != "or" && word != "not") {
        return bad("\"" + std::string(c.substr(i, j - i)) + "\" has no counterpart");
      }
      out.push_back({Token::Kind::logic, word});
      i = j;
    } else {
      return bad("\"" + std::string(1, ch) + "\" has no counterpart");
    }
    if (out.size() > 256) return bad("too long");
  }
  return out;
}

}  // namespace

std::string_view not_read_reason(std::string_view table) {
  for (const auto& row : kNotRead)
    if (row.table == table) return row.reason;
  return "not part of what is imported";
}

core::Result<std::string> translate_condition(std::string_view condition,
                                              std::int64_t valve_close_delay,
                                              std::int64_t leakage_delay) {
  auto toks = tokens_of(condition);
  if (!toks) return toks.error();
  std::string out;
  const auto& t = *toks;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const Token& tok = t[i];
    std::string piece;
    if (tok.kind == Token::Kind::variable) {
      if (tok.text == "closed" || tok.text == "leakage") {
        const bool compared = (i + 1 < t.size() && t[i + 1].kind == Token::Kind::compare) ||
                              (i > 0 && t[i - 1].kind == Token::Kind::compare);
        if (compared) {
          return core::make_error(core::Errc::invalid_argument,
                                  "$" + tok.text + " compared with a value has no counterpart");
        }
        const std::int64_t held =
            std::max<std::int64_t>(1, tok.text == "closed" ? valve_close_delay : leakage_delay);
        piece = tok.text == "closed"
                    ? "(valve == closed for " + std::to_string(held) + " s)"
                    : "(flow1 > 0 m3/h for " + std::to_string(held) + " s and valve == closed)";
      } else {
        const AlarmVariable* v = alarm_variable(tok.text);
        if (v == nullptr) {
          return core::make_error(core::Errc::invalid_argument,
                                  "$" + tok.text + " has no counterpart in the rule language");
        }
        piece = std::string(v->term);
      }
    } else if (tok.kind == Token::Kind::number) {
      // The unit of the variable it is compared with.
      const Token* other = nullptr;
      if (i >= 2 && t[i - 1].kind == Token::Kind::compare) other = &t[i - 2];
      if (i + 2 < t.size() && t[i + 1].kind == Token::Kind::compare) other = &t[i + 2];
      if (other == nullptr || other->kind != Token::Kind::variable) {
        return core::make_error(core::Errc::invalid_argument,
                                "the number " + tok.text + " is not compared with a variable");
      }
      const AlarmVariable* v = alarm_variable(other->text);
      piece = tok.text;
      if (v != nullptr && !v->unit.empty()) piece += " " + std::string(v->unit);
    } else {
      piece = tok.text;
    }
    if (!out.empty()) out += ' ';
    out += piece;
  }
  if (out.empty()) return core::make_error(core::Errc::invalid_argument, "empty condition");
  auto rule = core::alarm::parse_rule(out);
  if (!rule) {
    return core::make_error(core::Errc::invalid_argument,
                            "\"" + out + "\": " + rule.error().text());
  }
  return core::alarm::print_rule(*rule);
}

double mlw_open_until(const std::vector<MlwAccount>& accounts, const std::string& setup_value) {
  double sum = 0;
  for (const auto& a : accounts) {
    const float amount = std::strtof(a.amount.c_str(), nullptr);
    const float price = std::strtof(a.price.c_str(), nullptr);
    if (price == 0) continue;
    sum += static_cast<double>(amount) / static_cast<double>(price);
  }
  return sum + static_cast<double>(std::strtof(setup_value.c_str(), nullptr));
}

namespace {

class Importer {
 public:
  Importer(ServerStore& store, const ImportOptions& options) : store_(store), options_(options) {}

  core::Status add(DumpRow&& row) {
    if (row.table == "samples") {
      if (!small_done_) ML_TRY(flush_small());
      if (stopped_) return core::Ok{};
      return add_sample(row);
    }
    if (!is_read(row.table)) {
      ++report_.tables_not_read[row.table];
      return core::Ok{};
    }
    if (++buffered_ > options_.max_buffered) {
      return core::make_error(core::Errc::invalid_argument,
                              "line " + std::to_string(row.line) + ": more than " +
                                  std::to_string(options_.max_buffered) +
                                  " rows of meters, groups, accounts and alarms");
    }
    small_[row.table].push_back(std::move(row));
    return core::Ok{};
  }

  core::Status finish() {
    ML_TRY(flush_samples());
    ML_TRY(flush_small());
    return core::Ok{};
  }

  ImportReport& report() { return report_; }

 private:
  void reject(const std::string& kind, const std::string& reason, const std::string& detail) {
    ++report_.kinds[kind].rejected[reason];
    if (report_.details.size() < kMaxDetails) {
      report_.details.push_back(detail + ": " + reason);
    } else {
      ++report_.details_left_off;
    }
  }

  // ---- meters, groups, accounts, alarms: held until the samples start (mysqldump writes the
  // tables by name: accounts and alarms before meters) ----
  core::Status flush_small() {
    small_done_ = true;
    if (small_.empty()) return core::Ok{};
    auto rows = std::move(small_);
    small_.clear();
    buffered_ = 0;
    return store_.write_transaction([&]() -> core::Status {
      ML_TRY(import_groups(rows["meter_groups"]));
      ML_TRY(import_meters(rows["meters"]));
      ML_TRY(import_accounts(rows["accounts"]));
      ML_TRY(import_alarms(rows["alarms"]));
      return import_residents();
    });
  }

  core::Status import_groups(const std::vector<DumpRow>& rows) {
    auto existing = store_.meters();
    if (!existing) return existing.error();
    std::set<std::string> known;
    for (const auto& m : *existing)
      known.insert(m.group);
    for (const auto& row : rows) {
      auto id = int_of(row, "id");
      if (!id) {
        reject("groups", id.error().text(), "meter_groups line " + std::to_string(row.line));
        continue;
      }
      const std::string name = trim(text_of(row, "group"));
      if (name.empty()) {
        reject("groups", "no name", "meter_groups id " + std::to_string(*id));
        continue;
      }
      groups_[*id] = name;
      if (known.contains(name)) {
        ++report_.kinds["groups"].skipped;
      } else {
        ++report_.kinds["groups"].imported;
      }
    }
    return core::Ok{};
  }

  core::Status import_meters(const std::vector<DumpRow>& rows) {
    for (const auto& row : rows) {
      const std::string serial = core::topic::canonical_serial(trim(text_of(row, "serial")));
      const std::string where = "meters id " + text_of(row, "id") + " (" + serial + ")";
      if (serial.empty()) {
        reject("meters", "no serial", where);
        continue;
      }
      auto existing = store_.meter(serial);
      if (!existing) return existing.error();
      if (*existing) {
        meters_[serial] = **existing;
        ++report_.kinds["meters"].skipped;
        ML_TRY(import_price_and_contact(row, serial, false));
        continue;
      }
      usecase::AddMeter add;
      add.serial = serial;
      add.spelling = usecase::Spelling::option;
      add.fields.key = trim(text_of(row, "key"));
      std::string type = text_of(row, "type");
      if (type.empty()) type = "heat";
      if (type != "heat" && type != "water" && type != "electricity") {
        reject("meters",
               "type " + type + " has no counterpart (meters here are heat, water, electricity)",
               where);
        continue;
      }
      add.fields.kind = type;
      add.fields.name = text_of(row, "info");
      if (auto g = int_of(row, "group"); g && groups_.contains(*g)) add.fields.group = groups_[*g];
      auto setup = decimal_of(row, "setup_value");
      add.fields.setup_value = setup ? setup->to_string() : "0";
      auto valve = int_of(row, "valve_installed");
      add.fields.valve = valve ? *valve != 0 : true;
      if (add.fields.key.empty()) {
        reject("meters", "no key (a meter without a key never sent a sample)", where);
        continue;
      }
      auto built = usecase::build_meter(add, options_.now);
      if (!built) {
        // The key is never shown: build_meter's errors name the field, not its value.
        reject("meters", built.error().text(), where);
        continue;
      }
      ML_TRY(usecase::add_meter(store_, *built));
      meters_[serial] = built->meter;
      ++report_.kinds["meters"].imported;
      ML_TRY(import_price_and_contact(row, serial, true));
    }
    return core::Ok{};
  }

  core::Status import_price_and_contact(const DumpRow& row, const std::string& serial, bool fresh) {
    const std::string where = "meters id " + text_of(row, "id") + " (" + serial + ")";
    if (row.get("default_price") != nullptr && !row.get("default_price")->is_null()) {
      auto price = decimal_of(row, "default_price");
      if (!price) {
        reject("default prices", price.error().text(), where);
      } else {
        auto old = store_.default_price(serial);
        if (!old) return old.error();
        if (*old && core::compare(**old, *price) == 0) {
          ++report_.kinds["default prices"].skipped;
        } else {
          ML_TRY(store_.set_default_price(serial, *price));
          ++report_.kinds["default prices"].imported;
        }
      }
    }
    const auto phones = split_list(text_of(row, "sms_notification"));
    const auto mails = split_list(text_of(row, "email_notification"));
    // Each number logged in to the original with an SMS code: a resident of the meter here.
    for (const auto& phone : phones)
      login_phones_[usecase::login_address(phone)].insert(serial);
    if (phones.empty() && mails.empty()) return core::Ok{};
    const Meter& m = meters_[serial];
    MeterContact c{m.contact_name, mails.empty() ? "" : mails[0], phones.empty() ? "" : phones[0]};
    if (!fresh && m.contact_email == c.email && m.contact_phone == c.phone) {
      ++report_.kinds["contacts"].skipped;
    } else {
      ML_TRY(store_.set_meter_contact(serial, c));
      ++report_.kinds["contacts"].imported;
    }
    for (std::size_t i = 1; i < phones.size(); ++i) {
      reject("contacts", "a second phone number (a meter here has one customer contact)",
             where + " " + phones[i]);
    }
    for (std::size_t i = 1; i < mails.size(); ++i) {
      reject("contacts", "a second e-mail address (a meter here has one customer contact)",
             where + " " + mails[i]);
    }
    return core::Ok{};
  }

  // The numbers of sms_notification as residents (docs/residents.md): one resident per number,
  // with every meter that listed it; a number that is a resident already gains the meters it
  // lacks. Numbers that are no phone number are reported.
  core::Status import_residents() {
    for (const auto& [phone, serials] : login_phones_) {
      if (auto ok = notify::check_phone_number(phone); !ok) {
        reject("residents", ok.error().text(), "sms_notification " + phone);
        continue;
      }
      auto existing = store_.resident_by_address(phone);
      if (!existing) return existing.error();
      if (*existing) {
        std::set<std::string> all((*existing)->serials.begin(), (*existing)->serials.end());
        const auto before = all.size();
        all.insert(serials.begin(), serials.end());
        if (all.size() == before) {
          ++report_.kinds["residents"].skipped;
          continue;
        }
        ML_TRY(store_.set_resident_meters((*existing)->id, {all.begin(), all.end()}));
        ++report_.kinds["residents"].imported;
        continue;
      }
      Resident r;
      r.phone = phone;
      r.created = options_.now;
      r.invited_by = std::string(kActor);
      r.serials.assign(serials.begin(), serials.end());
      auto id = store_.add_resident(r);
      if (!id) return id.error();
      ++report_.kinds["residents"].imported;
    }
    return core::Ok{};
  }

  core::Status import_accounts(const std::vector<DumpRow>& rows) {
    auto done = store_.import_progress(std::string(kSource), "accounts");
    if (!done) return done.error();
    std::int64_t highest = *done;
    for (const auto& row : rows) {
      auto id = int_of(row, "id");
      if (!id) {
        reject("payments", id.error().text(), "accounts line " + std::to_string(row.line));
        continue;
      }
      if (*id <= *done) {
        ++report_.kinds["payments"].skipped;
        continue;
      }
      highest = std::max(highest, *id);
      const std::string serial = core::topic::canonical_serial(trim(text_of(row, "serial")));
      const std::string where = "accounts id " + std::to_string(*id) + " (" + serial + ")";
      if (!meters_.contains(serial)) {
        reject("payments", "its meter is not imported", where);
        continue;
      }
      auto amount = decimal_of(row, "amount");
      auto price = decimal_of(row, "price");
      auto time = int_of(row, "payment_time");
      if (!amount || !price || !time) {
        reject(
            "payments",
            !amount ? amount.error().text() : (!price ? price.error().text() : time.error().text()),
            where);
        continue;
      }
      Payment p;
      p.serial = serial;
      p.time = *time;
      p.amount = *amount;
      p.price = *price;
      std::string type = text_of(row, "type");
      if (type.empty()) type = "payment";
      const std::string info = text_of(row, "info");
      p.note = "mlw " + type + (info.empty() ? "" : ": " + info);
      // Checked as the ledger adds it up, not by check_entry: MeterLoggerWeb took zero and
      // negative amounts (charges), and its limit counts them (docs/migrating.md).
      auto existing = store_.payments(serial);
      if (!existing) return existing.error();
      auto limit = limit_with(meters_[serial], *existing, p);
      if (!limit) {
        reject("payments", limit.error().text(), where);
        continue;
      }
      auto stored = record_payment(store_, p, std::string(kActor), options_.now);
      if (!stored) return stored.error();
      ++report_.kinds["payments"].imported;
    }
    if (highest > *done) {
      ML_TRY(store_.set_import_progress(std::string(kSource), "accounts", highest));
    }
    return core::Ok{};
  }

  struct RuleDraft {
    std::vector<std::int64_t> ids;
    std::set<std::string> serials;
    AlarmRule rule;
  };

  core::Status import_alarms(const std::vector<DumpRow>& rows) {
    // group, text, enabled -> the alarms that say it
    std::map<std::tuple<std::string, std::string, bool>, RuleDraft> drafts;
    for (const auto& row : rows) {
      auto id = int_of(row, "id");
      const std::string serial = core::topic::canonical_serial(trim(text_of(row, "serial")));
      const std::string where = "alarms id " + text_of(row, "id") + " (" + serial + ")";
      if (!id) {
        reject("alarm rules", id.error().text(), where);
        continue;
      }
      if (!meters_.contains(serial)) {
        reject("alarm rules", "its meter is not imported", where);
        continue;
      }
      auto close_delay = int_of(row, "valve_close_delay");
      auto leak_delay = int_of(row, "leakage_delay");
      auto text = translate_condition(text_of(row, "condition"), close_delay ? *close_delay : 600,
                                      leak_delay ? *leak_delay : 300);
      if (!text) {
        reject("alarm rules",
               "condition \"" + text_of(row, "condition").substr(0, 200) +
                   "\": " + text.error().text(),
               where);
        continue;
      }
      auto enabled = int_of(row, "enabled");
      const std::string group = meters_[serial].group;
      auto& d = drafts[{group, *text, !enabled || *enabled != 0}];
      if (d.ids.empty()) {
        d.rule.name = "mlw alarm " + std::to_string(*id);
        d.rule.group = group;
        d.rule.text = *text;
        d.rule.enabled = !enabled || *enabled != 0;
        if (auto r = int_of(row, "repeat"); r && *r > 0) {
          d.rule.repeat_s = std::min<std::int64_t>(*r, core::alarm::kMaxRepeatSeconds);
        }
        if (auto s = int_of(row, "alarm_clear_delay"); s && *s >= 0) d.rule.settle_s = *s;
        if (!split_list(text_of(row, "sms_notification")).empty()) {
          d.rule.recipients = {AlarmRecipient::customer};
        }
      }
      d.ids.push_back(*id);
      d.serials.insert(serial);
    }
    auto existing = store_.alarm_rules();
    if (!existing) return existing.error();
    for (auto& [key, d] : drafts) {
      // Rules apply to a group: an alarm becomes a rule when every meter of its group has it.
      std::size_t in_group = 0;
      for (const auto& [serial, m] : meters_)
        if (m.group == d.rule.group) ++in_group;
      if (d.serials.size() < in_group) {
        for (std::int64_t id : d.ids) {
          reject("alarm rules",
                 "on " + std::to_string(d.serials.size()) + " of the " + std::to_string(in_group) +
                     " meters of its group; a rule here applies to a whole group (docs/alarms.md)",
                 "alarms id " + std::to_string(id) + " \"" + d.rule.text + "\"");
        }
        continue;
      }
      const AlarmRule& wanted = d.rule;  // clang 14 captures no structured binding
      const bool there = std::any_of(existing->begin(), existing->end(), [&](const AlarmRule& r) {
        return r.group == wanted.group && r.text == wanted.text;
      });
      if (there) {
        report_.kinds["alarm rules"].skipped += static_cast<std::int64_t>(d.ids.size());
        continue;
      }
      auto id = store_.insert_alarm_rule(d.rule);
      if (!id) return id.error();
      report_.kinds["alarm rules"].imported += static_cast<std::int64_t>(d.ids.size());
    }
    return core::Ok{};
  }

  // ---- samples: streamed, a batch per transaction with the progress ----
  core::Status add_sample(const DumpRow& row) {
    auto id = int_of(row, "id");
    if (!id) {
      reject("samples", id.error().text(), "samples line " + std::to_string(row.line));
      return core::Ok{};
    }
    if (!sample_progress_read_) {
      auto done = store_.import_progress(std::string(kSource), "samples");
      if (!done) return done.error();
      sample_done_ = *done;
      sample_progress_read_ = true;
    }
    if (*id <= last_sample_id_) {
      return core::make_error(core::Errc::invalid_argument,
                              "line " + std::to_string(row.line) + ": samples id " +
                                  std::to_string(*id) +
                                  " is not above the one before: the rows must be in primary "
                                  "key order (mysqldump --order-by-primary)");
    }
    last_sample_id_ = *id;
    if (*id <= sample_done_) {
      ++report_.kinds["samples"].skipped;
      return core::Ok{};
    }
    batch_highest_ = *id;
    const std::string serial = core::topic::canonical_serial(trim(text_of(row, "serial")));
    const std::string where = "samples id " + std::to_string(*id) + " (" + serial + ")";
    if (!meters_.contains(serial)) {
      if (!meters_loaded_) {
        auto all = store_.meters();
        if (!all) return all.error();
        for (auto& m : *all)
          meters_.emplace(m.serial, m);
        meters_loaded_ = true;
      }
      if (!meters_.contains(serial)) {
        reject("samples", "its meter is not imported", where);
        return maybe_flush();
      }
    }
    auto spike = int_of(row, "is_spike");
    if (spike && *spike != 0) {
      reject("samples", "marked as a spike by MeterLoggerWeb (is_spike)", where);
      return maybe_flush();
    }
    auto time = int_of(row, "unix_time");
    if (!time || *time <= 0) {
      reject("samples", "no time", where);
      return maybe_flush();
    }
    std::string text;
    for (const auto& c : kSampleColumns) {
      const DumpValue* v = row.get(c.column);
      if (v == nullptr || v->is_null()) continue;
      auto plain = plain_decimal(v->text);
      if (!plain) {
        text.clear();
        reject("samples", std::string(c.column) + ": " + plain.error().text(), where);
        return maybe_flush();
      }
      text += std::string(c.key) + "=" + *plain;
      if (!c.unit.empty()) text += " " + std::string(c.unit);
      text += "&";
    }
    if (text.empty()) {
      reject("samples", "no values", where);
      return maybe_flush();
    }
    auto parsed = core::sample::parse_sample(text);
    if (!parsed) {
      reject("samples", parsed.error().text(), where);
      return maybe_flush();
    }
    IngestItem item;
    item.kind = IngestItem::Kind::sample;
    item.serial = serial;
    item.time = *time;
    item.function = "sample";
    item.text = std::move(text);
    item.sample = std::move(*parsed);
    batch_.push_back(std::move(item));
    return maybe_flush();
  }

  core::Status maybe_flush() {
    if (batch_.size() >= options_.batch) return flush_samples();
    if (options_.sample_limit > 0 &&
        report_.kinds["samples"].imported + static_cast<std::int64_t>(batch_.size()) >=
            options_.sample_limit) {
      ML_TRY(flush_samples());
      stopped_ = true;
      report_.stopped_at_limit = true;
    }
    return core::Ok{};
  }

  core::Status flush_samples() {
    if (batch_highest_ <= sample_done_) return core::Ok{};
    std::vector<IngestOutcome> outcomes;
    auto written = store_.write_transaction([&]() -> core::Status {
      auto stored = store_items(store_, batch_, options_.now);
      if (!stored) return stored.error();
      outcomes = std::move(*stored);
      return store_.set_import_progress(std::string(kSource), "samples", batch_highest_);
    });
    if (!written) return written;
    for (auto o : outcomes) {
      if (o == IngestOutcome::stored) {
        ++report_.kinds["samples"].imported;
      } else {
        ++report_.kinds["samples"].skipped;
      }
    }
    sample_done_ = batch_highest_;
    batch_.clear();
    return core::Ok{};
  }

  ServerStore& store_;
  ImportOptions options_;
  ImportReport report_;
  std::map<std::string, std::vector<DumpRow>> small_;
  std::size_t buffered_ = 0;
  bool small_done_ = false;
  bool stopped_ = false;
  std::map<std::int64_t, std::string> groups_;
  std::map<std::string, Meter> meters_;
  std::map<std::string, std::set<std::string>> login_phones_;  // number -> the meters listing it
  bool meters_loaded_ = false;
  std::vector<IngestItem> batch_;
  std::int64_t batch_highest_ = 0;
  std::int64_t sample_done_ = 0;
  bool sample_progress_read_ = false;
  std::int64_t last_sample_id_ = 0;
};

}  // namespace

core::Result<ImportReport> import_dump(ServerStore& store, DumpReader& reader,
                                       const ImportOptions& options) {
  Importer importer(store, options);
  DumpRow row;
  while (true) {
    auto got = reader.next(row);
    if (!got) return got.error();
    if (!*got) break;
    ML_TRY(importer.add(std::move(row)));
    if (importer.report().stopped_at_limit) break;
  }
  ML_TRY(importer.finish());
  return std::move(importer.report());
}

std::string format_report(const ImportReport& report) {
  std::ostringstream out;
  out << "kind            imported   skipped   not imported\n";
  for (const auto kind : {"groups", "meters", "default prices", "contacts", "residents", "payments",
                          "alarm rules", "samples"}) {
    KindCounts c;
    if (auto it = report.kinds.find(kind); it != report.kinds.end()) c = it->second;
    std::int64_t rejected = 0;
    for (const auto& [reason, n] : c.rejected)
      rejected += n;
    char line[128];
    std::snprintf(line, sizeof line, "%-15s %8lld %9lld %14lld\n", kind,
                  static_cast<long long>(c.imported), static_cast<long long>(c.skipped),
                  static_cast<long long>(rejected));
    out << line;
  }
  bool any = false;
  for (const auto& [kind, c] : report.kinds) {
    for (const auto& [reason, n] : c.rejected) {
      if (!any) out << "not imported:\n";
      any = true;
      out << "  " << kind << ": " << n << " x " << reason << '\n';
    }
  }
  if (!report.tables_not_read.empty()) {
    out << "tables not imported:\n";
    for (const auto& [table, n] : report.tables_not_read) {
      out << "  " << table << " (" << n << " rows): " << not_read_reason(table) << '\n';
    }
  }
  if (!report.details.empty()) {
    out << "rows not imported:\n";
    for (const auto& d : report.details)
      out << "  " << d << '\n';
    if (report.details_left_off > 0) {
      out << "  ... and " << report.details_left_off << " more\n";
    }
  }
  if (report.stopped_at_limit) {
    out << "stopped at the sample limit: run the import again to continue\n";
  }
  return out.str();
}

}  // namespace ml::server::mlw
