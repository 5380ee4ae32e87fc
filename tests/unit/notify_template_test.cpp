// The SMS gateway's request templates (server/notify/template.hpp): parsing, escaping per
// position, errors naming what is wrong.
#include <gtest/gtest.h>

#include "server/notify/template.hpp"

namespace ml::server::notify {
namespace {

TemplateValues values() {
  return {"+45 12&34", "Varme: \"lav\"\nring 1/2", "Loppen", "t0k"};
}

TEST(NotifyTemplate, FillsEachPlaceholderEscapedForItsPlace) {
  auto t = MessageTemplate::parse("https://gw/send?to={to}&msg={text}&from={from}", "k").value();
  EXPECT_EQ(
      t.fill(values(), Escape::url).value(),
      "https://gw/send?to=%2B45%2012%2634&msg=Varme%3A%20%22lav%22%0Aring%201%2F2&from=Loppen");
  auto j = MessageTemplate::parse(R"({"to":"{to}","text":"{text}"})", "k").value();
  EXPECT_EQ(j.fill(values(), Escape::json).value(),
            R"({"to":"+45 12&34","text":"Varme: \"lav\"\nring 1/2"})");
  auto f = MessageTemplate::parse("to={to}&text={text}", "k").value();
  EXPECT_EQ(f.fill(values(), Escape::form).value(),
            "to=%2B45+12%2634&text=Varme%3A+%22lav%22%0Aring+1%2F2");
}

TEST(NotifyTemplate, UnicodeAndControlCharactersInJson) {
  auto j = MessageTemplate::parse("{text}", "k").value();
  TemplateValues v;
  v.text = std::string("\xC3\xA6\xC3\xB8\x01\t\\");
  EXPECT_EQ(j.fill(v, Escape::json).value(), "\xC3\xA6\xC3\xB8\\u0001\\t\\\\");
  EXPECT_EQ(j.fill(v, Escape::url).value(), "%C3%A6%C3%B8%01%09%5C");
}

TEST(NotifyTemplate, BracesThatAreNoPlaceholderAreThemselves) {
  auto t = MessageTemplate::parse("{\"a\":{\"b\":\"{to}\"}} {{to} { x} {Text}", "k").value();
  EXPECT_EQ(t.fill(values(), Escape::none).value(),
            "{\"a\":{\"b\":\"+45 12&34\"}} {to} { x} {Text}");
  EXPECT_TRUE(t.uses(Placeholder::to));
  EXPECT_FALSE(t.uses(Placeholder::text));
}

TEST(NotifyTemplate, AHeaderValueWithALineBreakIsRefusedWithoutShowingIt) {
  auto t = MessageTemplate::parse("Bearer {token}", "k").value();
  TemplateValues v;
  v.token = "abc\r\nX-Evil: 1";
  auto r = t.fill(v, Escape::header);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text().find("{token}"), std::string::npos) << r.error().text();
  EXPECT_EQ(r.error().text().find("abc"), std::string::npos) << "never the value itself";
  v.token = "abc";
  EXPECT_EQ(t.fill(v, Escape::header).value(), "Bearer abc");
}

TEST(NotifyTemplate, ErrorsNameTheKeyAndThePlace) {
  const std::pair<const char*, const char*> bad[] = {
      {"x{foo}", "notify.channel[0].url: unknown placeholder {foo} at byte 1"},
      {"{\"t\":\"{texts}\"}", "unknown placeholder {texts} at byte 6"},
  };
  for (const auto& [text, want] : bad) {
    auto r = MessageTemplate::parse(text, "notify.channel[0].url");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_NE(r.error().text().find(want), std::string::npos) << r.error().text();
  }
  EXPECT_FALSE(MessageTemplate::parse(std::string(kMaxTemplate + 1, 'a'), "k").ok());
}

}  // namespace
}  // namespace ml::server::notify
