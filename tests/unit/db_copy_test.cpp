// `db copy` (server/copy/db_copy.hpp): a SQLite installation with rows in every table copied to
// PostgreSQL and back, read the same through both stores; an interrupted copy goes on where it
// stopped and ends identical; another installation's database, a source at an older schema and
// a copy onto itself are refused.
#include "server/copy/db_copy.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "postgresql/test_cluster.hpp"
#include "server/postgresql/store.hpp"
#include "server/sample_days.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "sim_support.hpp"

namespace ml::server::db_copy_test {
namespace {

namespace cp = server::copy;
namespace al = core::alarm;

constexpr std::int64_t kStart = 1700000000;  // 2023-11-14

IngestItem sample_item(const std::string& serial, std::int64_t time, const std::string& text) {
  IngestItem i;
  i.kind = IngestItem::Kind::sample;
  i.serial = serial;
  i.time = time;
  i.function = "sample";
  i.text = text;
  i.sample = core::sample::parse_sample(text).value();
  return i;
}

IngestItem diag_item(const std::string& serial, std::int64_t time, const std::string& fn,
                     const std::string& text) {
  IngestItem i;
  i.kind = IngestItem::Kind::diagnostic;
  i.serial = serial;
  i.time = time;
  i.function = fn;
  i.text = text;
  return i;
}

// An installation with rows in every table; `serial` tells two installations apart. Samples every
// 5 minutes (alternating between two meters), so 100 000 of them span a year of month partitions.
void seed(ServerStore& s, int samples, const std::string& serial = "6892850") {
  const std::string other = serial == "6892850" ? "0000040" : "0000041";
  Meter m;
  m.serial = serial;
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  m.name = "Loppen 12 \"øst\"";
  m.group = "Loppen";
  m.setup_value = core::Decimal::parse("12.5").value();
  m.valve_installed = true;
  m.created = kStart;
  m.contact_email = "anna@example.org";
  ASSERT_TRUE(s.add_meter(m).ok());
  ASSERT_TRUE(s.set_meter_contact(serial, MeterContact{"Anna", "anna@example.org", "+4512"}).ok());
  m.serial = other;
  m.name = "Kildevang 3";
  m.kind = core::meter::Kind::water;
  m.valve_installed = false;
  ASSERT_TRUE(s.add_meter(m).ok());

  std::vector<IngestItem> items;
  for (int i = 0; i < samples; ++i) {
    items.push_back(sample_item(
        i % 2 == 0 ? serial : other, kStart + 300LL * i,
        "t1=" + std::to_string(40 + i % 30) + " C&e1=" + std::to_string(1000 + i) + " kWh&"));
    if (items.size() == 2000 || i + 1 == samples) {
      ASSERT_TRUE(store_items(s, items, items.back().time + 10).ok());
      items.clear();
    }
  }
  ASSERT_TRUE(store_items(s,
                          {diag_item(serial, kStart + 100, "reset_reason", "power_on"),
                           diag_item(serial, kStart + 200, "version", "2.1"),
                           diag_item(serial, kStart + 300, "status", "open")},
                          kStart + 400)
                  .ok());
  ASSERT_TRUE(s.add_event(serial, Event{kStart + 500, "offline", "last will"}).ok());

  Rejection r;
  r.reason = "bad_mac";
  r.serial = serial;
  r.topic = "/sample/v2/" + serial + "/1700000000";
  r.detail = "HMAC mismatch";
  r.payload = {0x00, 0xff, 0x10, 0x80, 0x5c, 0x22};
  r.time = kStart + 600;
  ASSERT_TRUE(store_rejection(s, r).ok());
  r.reason = "unknown_serial";
  r.serial = "9999999";
  r.payload.clear();  // an empty BLOB, not NULL
  ASSERT_TRUE(store_rejection(s, r).ok());

  Command c;
  c.serial = serial;
  c.command = "open_until";
  c.argument = "100";
  c.created = kStart;
  c.expires = kStart + 86400;
  c.next_send = kStart;
  ASSERT_TRUE(s.insert_command(c).ok());
  c.command = "status";
  c.argument = "";
  c.state = CommandState::acked;
  c.reply = "open";
  c.reply_time = kStart + 60;
  ASSERT_TRUE(s.insert_command(c).ok());

  Payment p;
  p.serial = serial;
  p.time = kStart + 1000;
  p.amount = core::Decimal::parse("500").value();
  p.price = core::Decimal::parse("0.85").value();
  p.note = "bank transfer\nref 12";
  const std::int64_t pid = s.insert_payment(p).value();
  AuditEntry a;
  a.time = p.time;
  a.payment_id = pid;
  a.serial = serial;
  a.amount = p.amount;
  a.price = p.price;
  a.note = p.note;
  a.actor = "anna";
  ASSERT_TRUE(s.append_ledger_audit(a).ok());

  ASSERT_TRUE(s.add_user(User{"anna",
                              "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA",
                              Role::admin,
                              {"Loppen"},
                              kStart,
                              0,
                              "anna@example.org",
                              "+4512345678"})
                  .ok());
  ASSERT_TRUE(s.set_user_contact("anna", UserContact{"anna@example.org", "+4512345678"}).ok());
  ASSERT_TRUE(s.put_second_factor("anna",
                                  {"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", true, 59000000, kStart},
                                  {"aa11", "bb22"})
                  .ok());
  {
    Resident household;
    household.name = "Hansen";
    household.email = "hansen@example.org";
    household.language = "da";
    household.created = kStart;
    household.invited_by = "anna";
    household.serials = {serial};
    household.notices = ResidentNotices::essential;
    household.low_days = 7;
    const auto resident = s.add_resident(household).value();
    ASSERT_TRUE(s.write_resident_prepaid_state(resident, serial, {3, true, false}).ok());
    ASSERT_TRUE(
        s.insert_resident_code({0, resident, "c0de", kStart, kStart + 600, 1, false, "192.0.2.1"})
            .ok());
    ASSERT_TRUE(
        s.insert_resident_session("r0123", {resident, "rcsrf", kStart, kStart + 3600, "192.0.2.1"})
            .ok());
    ASSERT_TRUE(s.put_degree_days({{kStart / 86400, core::Decimal::parse("18.40").value()},
                                   {kStart / 86400 + 1, core::Decimal::parse("0.000").value()}})
                    .ok());
  }
  ASSERT_TRUE(
      s.insert_session("0123abcd", Session{"anna", "csrf", kStart, kStart + 43200, "127.0.0.1"})
          .ok());
  ASSERT_TRUE(
      s.audit_admin(AdminAuditEntry{0, kStart, "anna", "cli", "meter.add", serial, "kind=heat"})
          .ok());

  AlarmRule rule;
  rule.name = "offline";
  rule.group = "Loppen";
  rule.text = "age > 30 min";
  rule.quiet = "22:00-07:00";
  const std::int64_t rule_id = s.insert_alarm_rule(rule).value();
  ASSERT_TRUE(s.set_group_zone("Loppen", "Europe/Copenhagen").ok());
  const std::int64_t episode = s.new_alarm_episode(rule_id, serial, kStart + 700).value();
  al::State st;
  st.rule_id = rule_id;
  st.serial = serial;
  st.episode = episode;
  st.status = al::Status::raised;
  st.raised = kStart + 700;
  st.last_true = kStart + 800;
  st.held = {{3, 90}};
  ASSERT_TRUE(s.write_alarm_state(st).ok());
  al::Transition t;
  t.episode = episode;
  t.rule_id = rule_id;
  t.serial = serial;
  t.time = kStart + 700;
  t.to = al::Status::raised;
  ASSERT_TRUE(s.append_alarm_transition(t).ok());

  StoredNotification n;
  n.dedupe_key = "alarm:" + std::to_string(episode);
  n.channel = "mail";
  n.recipient = "anna@example.org";
  n.serial = serial;
  n.subject = "Alarm: offline ÆØÅ";
  n.body = "line 1\nline 2\t\"quoted\" \\ back\x01";
  n.created = n.queued_at = n.next_attempt = kStart + 700;
  ASSERT_TRUE(s.insert_notification(n).ok());
  ASSERT_TRUE(s.write_prepaid_notice_state(serial, PrepaidNoticeState{pid, true, false}).ok());
  ASSERT_TRUE(s.set_import_progress("nabovarme.sql", "samples", 42).ok());
  ASSERT_TRUE(s.set_default_price(serial, core::Decimal::parse("0.85").value()).ok());
  ASSERT_TRUE(s.take_lease("duties", "worker-a", kStart, 30).ok());
}

std::unique_ptr<ServerStore> open_any(const std::string& db) {
  if (cp::is_postgresql(db)) return PostgresStore::open(db).value();
  return SqliteStore::open(db).value();
}

// A Result's value, kept (a range-for over `r.value()` of a temporary would outlive it).
template <class T>
T get(core::Result<T> r) {
  return std::move(r).value();
}

// What the stores read, as text: the same for a copy.
std::string contents(ServerStore& s) {
  std::ostringstream o;
  for (const auto& m : get(s.meters())) {
    o << "meter " << m.serial << "|" << m.key_hex << "|" << m.name << "|" << m.group << "|"
      << m.setup_value.to_string() << "|" << m.valve_installed << "|" << m.last_sample_time << "|"
      << m.created << "|" << m.contact_email << "\n";
    for (const auto& x : get(s.samples(m.serial, 0, kStart * 2))) {
      o << " sample " << x.time << " " << x.energy_kwh.value_or("-") << " " << x.quirks;
      for (const auto& [k, v] : x.values)
        o << " " << k << "=" << v.value_or("nan") << (x.units.contains(k) ? x.units.at(k) : "");
      o << "\n";
    }
    for (const auto& x : get(s.rollups(m.serial, Period::day, 0, kStart * 2)))
      o << " rollup " << x.bucket << " " << x.samples << " " << x.energy_last.value_or("-") << "\n";
    for (const auto& e : get(s.events(m.serial)))
      o << " event " << e.time << " " << e.kind << " " << e.detail << "\n";
    for (const auto& [fn, d] : get(s.diagnostics(m.serial)))
      o << " diag " << fn << " " << d.text << " " << d.time << "\n";
    for (const auto& c : get(s.commands(m.serial)))
      o << " command " << c.id << " " << c.command << " " << c.argument << " "
        << static_cast<int>(c.state) << " " << c.reply.value_or("-") << "\n";
    for (const auto& p : get(s.payments(m.serial)))
      o << " payment " << p.id << " " << p.amount.to_string() << " " << p.price.to_string() << " "
        << p.note << "\n";
    for (const auto& a : get(s.audit_log(m.serial)))
      o << " ledger " << a.id << " " << a.actor << " " << a.note << "\n";
    for (const auto& a : get(s.admin_audit(m.serial, 10)))
      o << " admin " << a.id << " " << a.actor << " " << a.action << " " << a.detail << "\n";
    for (const auto& r : get(s.rejections_for(m.serial)))
      o << " rejected " << r.reason << " " << r.count << "\n";
    for (const auto& r : get(s.residents_of(m.serial))) {
      o << " resident " << r.id << " " << r.name << " " << r.email << " " << r.invited_by << " "
        << resident_notices_name(r.notices) << " " << r.low_days << "\n";
      for (const auto& c : get(s.resident_codes(r.id, 0)))
        o << "  code " << c.id << " " << c.code_hash << " " << c.expires << " " << c.tries << "\n";
    }
  }
  for (const auto& u : get(s.users())) {
    o << "user " << u.name << " " << u.password_hash << " " << u.email << " " << u.phone << "\n";
    if (auto f = get(s.second_factor(u.name))) {
      o << " second factor " << f->secret << " " << f->confirmed << " " << f->last_step << " "
        << f->created << " " << get(s.recovery_codes_left(u.name)) << "\n";
    }
  }
  if (auto session = s.session("0123abcd").value())
    o << "session " << session->user << " " << session->expires << "\n";
  for (const auto& [key, state] : get(s.resident_prepaid_states())) {
    o << "resident prepaid " << key.first << " " << key.second << " " << state.announced_payment_id
      << " " << state.low_sent << "\n";
  }
  if (auto session = s.resident_session("r0123").value())
    o << "resident session " << session->resident_id << " " << session->csrf << "\n";
  const auto days = get(s.degree_days(0, 1000000));
  for (const auto& d : days)
    o << "degree days " << d.day << " " << d.value.to_string() << "\n";
  for (const auto& r : get(s.alarm_rules()))
    o << "rule " << r.id << " " << r.name << " " << r.quiet << "\n";
  for (const auto& st : get(s.alarm_states()))
    o << "state " << st.rule_id << " " << st.serial << " " << st.episode << "\n";
  for (const auto& t : get(s.recent_alarm_transitions(10)))
    o << "transition " << t.id << " " << t.episode << "\n";
  for (const auto& [g, z] : get(s.group_zones()))
    o << "zone " << g << " " << z << "\n";
  for (const auto& n : get(s.notification_log(NotificationFilter{})))
    o << "notification " << n.id << " " << n.dedupe_key << " " << n.subject << " " << n.body
      << "\n";
  for (const auto& [serial, st] : get(s.prepaid_notice_states()))
    o << "prepaid " << serial << " " << st.announced_payment_id << " " << st.low_sent << "\n";
  for (const auto& [reason, count] : get(s.rejection_counts()))
    o << "rejections " << reason << " " << count << "\n";
  o << "import " << s.import_progress("nabovarme.sql", "samples").value() << "\n";
  o << "lease " << s.lease("duties").value().holder << "\n";
  return o.str();
}

// The quarantined payloads as PostgreSQL shows them (BYTEA, hex).
std::vector<std::string> pg_payloads(const std::string& url) {
  auto c = platform::postgresql::Connection::open(url).value();
  auto r = c.query("SELECT payload FROM quarantine ORDER BY id").value();
  std::vector<std::string> out;
  for (int i = 0; i < r.size(); ++i)
    out.push_back(r.text(i, 0));
  return out;
}

std::map<std::string, std::string> checksums(const cp::CopyReport& r) {
  std::map<std::string, std::string> out;
  for (const auto& t : r.tables)
    out[t.table] = t.source_checksum;
  return out;
}

class DbCopy : public ::testing::Test {
 protected:
  std::string pg(const std::string& name) { return test::test_schema_url(dir_.file(name)); }
  test::TempDir dir_;
};

TEST_F(DbCopy, SqliteToPostgresqlAndBackReadsTheSame) {
  const std::string sqlite = dir_.file("server.db");
  {
    auto s = SqliteStore::open(sqlite).value();
    seed(*s, 2000);
    // The days that ended 2 days before the last sample's are packed (sample_days), the rest
    // stay rows: both are copied and read back the same.
    ASSERT_TRUE(pack_samples(*s, kStart + 300LL * 2000, 2).ok());
  }
  const std::string url = pg("pg");
  auto copied = cp::copy_database(sqlite, url);
  ASSERT_TRUE(copied.ok()) << copied.error().text();
  EXPECT_TRUE(copied->ok());
  EXPECT_GE(copied->tables.size(), 24u);
  std::int64_t rows = 0;
  for (const auto& t : copied->tables) {
    EXPECT_GT(t.source_rows, 0) << t.table << ": the test seeds every table";
    EXPECT_EQ(t.copied, t.source_rows) << t.table;
    EXPECT_EQ(t.destination_rows, t.source_rows) << t.table;
    EXPECT_EQ(t.destination_checksum, t.source_checksum) << t.table;
    rows += t.source_rows;
  }
  EXPECT_EQ(copied->rows_copied, rows);
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < copied->tables.size(); ++i)
    position[copied->tables[i].table] = i;
  EXPECT_LT(position["users"], position["sessions"]) << "referenced tables first";

  const std::string original = contents(*SqliteStore::open_read_only(sqlite).value());
  EXPECT_NE(original.find("sample " + std::to_string(kStart + 300 * 1998)), std::string::npos);
  EXPECT_NE(original.find("user anna $argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA "
                          "anna@example.org +4512345678"),
            std::string::npos)
      << original.substr(original.find("user "));
  {
    auto p = PostgresStore::open(url).value();
    EXPECT_TRUE(contents(*p) == original) << contents(*p) << "\n---\n" << original;
    EXPECT_EQ(pg_payloads(url), (std::vector<std::string>{"\\x00ff10805c22", "\\x"}))
        << "BLOB as BYTEA, an empty one too";
    // The identity sequences went past the copied ids.
    Payment pay;
    pay.serial = "6892850";
    pay.amount = core::Decimal::parse("1").value();
    pay.price = core::Decimal::parse("1").value();
    EXPECT_EQ(p->insert_payment(pay).value(), 2);
    EXPECT_EQ(p->new_alarm_episode(1, "6892850", kStart).value(), 2);
  }
  // Run again: nothing left to copy, verified all the same. The payment added since on the
  // destination makes payments differ: refused as other data.
  auto again = cp::copy_database(sqlite, url);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().text().find("payments"), std::string::npos) << again.error().text();

  // Back to a new SQLite file, from a PostgreSQL copy nothing was added to.
  const std::string url2 = pg("pg2");
  ASSERT_TRUE(cp::copy_database(sqlite, url2).ok());
  auto rerun = cp::copy_database(sqlite, url2);
  ASSERT_TRUE(rerun.ok()) << rerun.error().text();
  EXPECT_EQ(rerun->rows_copied, 0) << "a complete copy run again copies nothing";
  EXPECT_TRUE(rerun->ok());
  const std::string back = dir_.file("back/server.db");
  auto returned = cp::copy_database(url2, back);
  ASSERT_TRUE(returned.ok()) << returned.error().text();
  EXPECT_TRUE(returned->ok());
  EXPECT_EQ(checksums(*returned), checksums(*copied)) << "the same checksums on both backends";
  EXPECT_TRUE(contents(*SqliteStore::open_read_only(back).value()) == original);
  auto compared = cp::compare_databases(sqlite, back);
  ASSERT_TRUE(compared.ok()) << compared.error().text();
  EXPECT_TRUE(compared->ok());
}

// Stopped in the middle of samples (as by kill -9 between two chunks), then run again.
void interrupted_then_resumed(const std::string& source, const std::string& destination) {
  cp::CopyOptions stop;
  stop.chunk_rows = 100;
  int chunks_of_samples = 0;
  stop.progress = [&](const cp::CopyProgress& p) {
    return !(p.table == "samples" && !p.finished && ++chunks_of_samples == 7);
  };
  auto first = cp::copy_database(source, destination, stop);
  ASSERT_FALSE(first.ok());
  EXPECT_NE(first.error().text().find("stopped at 700 rows of table samples"), std::string::npos)
      << first.error().text();
  {
    auto d = open_any(destination);
    EXPECT_EQ(d->samples("6892850", 0, kStart * 2).value().size() +
                  d->samples("0000040", 0, kStart * 2).value().size(),
              700u);
  }

  cp::CopyOptions resume;
  resume.chunk_rows = 256;
  std::int64_t progress_calls = 0;
  resume.progress = [&](const cp::CopyProgress& p) {
    if (p.table == "samples" && p.finished) {
      EXPECT_EQ(p.rows, 3000);
    }
    ++progress_calls;
    return true;
  };
  auto second = cp::copy_database(source, destination, resume);
  ASSERT_TRUE(second.ok()) << second.error().text();
  EXPECT_TRUE(second->ok());
  EXPECT_GT(progress_calls, 0);
  // The tables before samples were done by the first run, those after it by the second.
  bool before = true;
  for (const auto& t : second->tables) {
    if (t.table == "samples") {
      EXPECT_EQ(t.copied, 2300);
      EXPECT_EQ(t.source_rows, 3000);
      before = false;
    } else {
      EXPECT_EQ(t.copied, before ? 0 : t.source_rows) << t.table;
    }
  }
  auto compared = cp::compare_databases(source, destination);
  ASSERT_TRUE(compared.ok()) << compared.error().text();
  EXPECT_TRUE(compared->ok());
  EXPECT_TRUE(contents(*open_any(destination)) == contents(*open_any(source)))
      << "the stores read the same";
}

TEST_F(DbCopy, AnInterruptedCopyToPostgresqlGoesOnWhereItStopped) {
  const std::string sqlite = dir_.file("server.db");
  {
    auto s = SqliteStore::open(sqlite).value();
    seed(*s, 3000);
  }
  interrupted_then_resumed(sqlite, pg("pg"));
}

TEST_F(DbCopy, AnInterruptedCopyToSqliteGoesOnWhereItStopped) {
  const std::string url = pg("pg");
  {
    auto s = PostgresStore::open(url).value();
    seed(*s, 3000);
  }
  interrupted_then_resumed(url, dir_.file("copy/server.db"));
}

TEST_F(DbCopy, AnotherInstallationsDatabaseIsRefusedAndLeftAsItWas) {
  const std::string sqlite = dir_.file("server.db");
  {
    auto s = SqliteStore::open(sqlite).value();
    seed(*s, 20);
  }
  const std::string url = pg("other");
  {
    auto o = PostgresStore::open(url).value();
    seed(*o, 10, "1234567");
  }
  const std::string before = contents(*PostgresStore::open(url).value());
  auto r = cp::copy_database(sqlite, url);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text().find("holds other data"), std::string::npos) << r.error().text();
  EXPECT_NE(r.error().text().find("meters"), std::string::npos) << r.error().text();
  EXPECT_EQ(contents(*PostgresStore::open(url).value()), before) << "nothing was written";

  // A copy changed afterwards: the comparison names the table, a copy is refused.
  const std::string copy = dir_.file("copy.db");
  ASSERT_TRUE(cp::copy_database(sqlite, copy).ok());
  {
    auto c = SqliteStore::open(copy).value();
    Meter m = *c->meter("6892850").value();
    m.name = "renamed";
    ASSERT_TRUE(c->update_meter(m).ok());
  }
  auto compared = cp::compare_databases(sqlite, copy);
  ASSERT_TRUE(compared.ok()) << compared.error().text();
  EXPECT_FALSE(compared->ok());
  EXPECT_EQ(compared->mismatched(), std::vector<std::string>{"meters"});
  EXPECT_FALSE(cp::copy_database(sqlite, copy).ok());
}

TEST_F(DbCopy, ASourceAtAnOlderSchemaOrTheSourceItselfIsRefused) {
  const std::string sqlite = dir_.file("server.db");
  (void)SqliteStore::open(sqlite).value();
  auto self = cp::copy_database(sqlite, dir_.path() + "/./server.db");
  ASSERT_FALSE(self.ok());
  EXPECT_NE(self.error().text().find("is the source"), std::string::npos) << self.error().text();

  {
    auto db = platform::sqlite::Db::open(sqlite).value();
    ASSERT_TRUE(db.exec("PRAGMA user_version = 13").ok());
  }
  const std::string destination = dir_.file("dest/server.db");
  auto r = cp::copy_database(sqlite, destination);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text().find("meterlogger-server migrate"), std::string::npos)
      << r.error().text();
  EXPECT_FALSE(std::filesystem::exists(destination)) << "nothing created";
}

}  // namespace
}  // namespace ml::server::db_copy_test
