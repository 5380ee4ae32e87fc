// The setup page's pure parts (src/setup_page/page.cpp): sessions, escaping, cookies, form
// checks, password hashing. The HTTP side is tested end to end in tests/integration.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "setup_page/page.hpp"

namespace ml::setup_page {
namespace {

using namespace std::chrono_literals;

TEST(SetupPageSessions, OpenTouchExpireAndClose) {
  Sessions sessions(10min);
  const auto t0 = Clock::now();
  const std::string token = sessions.open(t0);
  EXPECT_EQ(token.size(), 64u);
  auto s = sessions.touch(token, t0 + 9min);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->csrf.size(), 64u);
  EXPECT_NE(s->csrf, token);
  // Each use extends the session; without use it ends.
  EXPECT_TRUE(sessions.touch(token, t0 + 18min));
  EXPECT_FALSE(sessions.touch(token, t0 + 29min));
  EXPECT_FALSE(sessions.touch("", t0));
  EXPECT_FALSE(sessions.touch("0123", t0));
  const std::string other = sessions.open(t0);
  sessions.close(other);
  EXPECT_FALSE(sessions.touch(other, t0));
}

TEST(SetupPageSessions, MessagesAreShownOnce) {
  Sessions sessions(10min);
  const std::string token = sessions.open(Clock::now());
  sessions.set_message(token, "saved", false);
  EXPECT_EQ(sessions.take_message(token), std::make_pair(std::string("saved"), false));
  EXPECT_EQ(sessions.take_message(token).first, "");
  sessions.set_message(token, "refused", true);
  EXPECT_EQ(sessions.take_message(token), std::make_pair(std::string("refused"), true));
}

TEST(SetupPageSessions, BoundedTheOldestGoes) {
  Sessions sessions(10min);
  const auto t0 = Clock::now();
  const std::string first = sessions.open(t0);
  std::set<std::string> tokens{first};
  for (std::size_t i = 1; i < Sessions::kMaxSessions + 4; ++i) {
    tokens.insert(sessions.open(t0 + std::chrono::seconds(i)));
  }
  EXPECT_EQ(tokens.size(), Sessions::kMaxSessions + 4) << "tokens repeat";
  EXPECT_EQ(sessions.size(), Sessions::kMaxSessions);
  EXPECT_FALSE(sessions.touch(first, t0 + 1min));
}

TEST(SetupPageText, EscapesEverythingHtmlCares) {
  EXPECT_EQ(html_escape("<a href=\"x\">Tom & 'Jerry'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain ÆØÅ"), "plain ÆØÅ");
}

TEST(SetupPageText, PagesEscapeWhatTheyShow) {
  Status s;
  s.version = "0.1.0";
  s.broker_host = "broker.local";
  s.broker_port = 1883;
  s.wifi_ssid = "<script>alert(1)</script>";
  MeterStatus m;
  m.name = "meter[1]";
  m.serial = "6892850";
  m.protocol = "kmp";
  m.reading_time = 1700000000;
  m.values = {{"e1", "1234.5 kWh"}};
  m.frames_ok = 42;
  m.has_valve = true;
  m.valve_state = "open";
  m.valve_limit = "2000";
  s.meters.push_back(m);
  const std::string html = render_status(s, "tok\"en", "saved <ok>", false);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("value=\"tok&quot;en\""), std::string::npos);
  EXPECT_NE(html.find("saved &lt;ok&gt;"), std::string::npos);
  EXPECT_NE(html.find("1234.5 kWh"), std::string::npos);
  EXPECT_NE(html.find("2023-11-14 22:13:20 UTC"), std::string::npos);
  const auto j = nlohmann::json::parse(status_json(s));
  EXPECT_EQ(j["meters"][0]["values"]["e1"], "1234.5 kWh");
  EXPECT_EQ(j["meters"][0]["valve"]["limit"], "2000");
  EXPECT_EQ(j["network"]["ssid"], "<script>alert(1)</script>");
  EXPECT_EQ(render_login("Wrong <password>").find("<password>"), std::string::npos);
}

TEST(SetupPageForms, BrokerHostAndPort) {
  EXPECT_EQ(check_broker_form("", ""), "");  // back to agent.toml's
  EXPECT_EQ(check_broker_form("broker.example.org", "8883"), "");
  EXPECT_EQ(check_broker_form("fd00::1", "1883"), "");
  EXPECT_NE(check_broker_form("host name", "1883"), "");
  EXPECT_NE(check_broker_form("a;rm -rf", "1883"), "");
  EXPECT_NE(check_broker_form(std::string(254, 'a'), "1883"), "");
  for (const char* port : {"", "0", "65536", "18x", "-1", " 1883"}) {
    EXPECT_EQ(check_broker_form("h", port), "the port must be a number from 1 to 65535") << port;
  }
}

TEST(SetupPageForms, FormBodiesAreDecoded) {
  const auto f =
      parse_form("ssid=My+Net%21&password=p%26ss%3D1&csrf=abc&ssid=second&empty=&bad=%zz%4");
  EXPECT_EQ(form_value(f, "ssid"), "My Net!");  // the first of repeated names
  EXPECT_EQ(form_value(f, "password"), "p&ss=1");
  EXPECT_EQ(form_value(f, "csrf"), "abc");
  EXPECT_EQ(form_value(f, "empty"), "");
  EXPECT_EQ(form_value(f, "bad"), "%zz%4");  // a malformed escape is kept as it is
  EXPECT_EQ(form_value(f, "missing"), "");
  EXPECT_TRUE(parse_form("").empty());
  EXPECT_EQ(form_value(parse_form("a"), "a"), "");
}

TEST(SetupPagePasswords, Argon2idHashVerifies) {
  std::string hash;
  ASSERT_TRUE(hash_password("installer-secret", &hash)) << hash;
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(verify_password(hash, "installer-secret"));
  EXPECT_FALSE(verify_password(hash, "installer-secreT"));
  EXPECT_FALSE(verify_password(hash, ""));
  EXPECT_FALSE(verify_password("not a hash", "installer-secret"));
  std::string again;
  ASSERT_TRUE(hash_password("installer-secret", &again));
  EXPECT_NE(hash, again) << "each hash has its own salt";
  std::string empty;
  EXPECT_FALSE(hash_password("", &empty));
}

// The fast hash of random secrets (session tokens, recovery and login codes): SHA-256 in lower
// case hex, as stored (FIPS 180-2's "abc" vector).
TEST(SetupPagePasswords, SecretHashIsSha256InLowerCaseHex) {
  EXPECT_EQ(password::secret_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(password::secret_hash(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace ml::setup_page
