// The residents' posters (server/http/poster.hpp): one A4 section per meter, its texts escaped,
// the login QR code exactly the one of [residents] url, how to pay with its own QR code, in
// Danish or English; the refusals say what to do.
#include <gtest/gtest.h>

#include "platform/qr/qr.hpp"
#include "server/http/poster.hpp"

namespace ml::server::http::poster_unit {

int occurrences(const std::string& text, const std::string& part) {
  int n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

std::vector<Meter> two_meters() {
  Meter a;
  a.serial = "6892850";
  a.name = "Bo & Co <1. sal>";
  Meter b;
  b.serial = "6892851";
  return {a, b};
}

TEST(Posters, OnePagePerMeterWithTheLoginAndPaymentCodes) {
  ResidentsConfig r;
  r.url = "https://heat.example.org/resident.html";
  r.payment = "MobilePay 12 34 56 78, message {serial}";
  const auto html = posters_html(two_meters(), r, "da").value();
  EXPECT_EQ(occurrences(html, "<section class=\"poster\">"), 2);
  EXPECT_NE(html.find("<html lang=\"da\">"), std::string::npos);
  EXPECT_NE(html.find("Se din varme og din saldo"), std::string::npos);
  EXPECT_NE(html.find("Bo &amp; Co &lt;1. sal&gt;"), std::string::npos) << "escaped";
  EXPECT_EQ(html.find("<1. sal>"), std::string::npos);
  EXPECT_NE(html.find("Måler 6892851"), std::string::npos);
  EXPECT_NE(html.find("gå til https://heat.example.org/resident.html"), std::string::npos);
  // The login code is the URL's, on each page; each meter's payment code its own.
  const auto login = platform::qr::svg(r.url, {8, 2}).value();
  EXPECT_EQ(occurrences(html, login), 2);
  for (const char* serial : {"6892850", "6892851"}) {
    const std::string pay = std::string("MobilePay 12 34 56 78, message ") + serial;
    EXPECT_NE(html.find(pay), std::string::npos);
    EXPECT_EQ(occurrences(html, platform::qr::svg(pay, {8, 2}).value()), 1) << serial;
  }
  EXPECT_NE(html.find("size:A4"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(Posters, EnglishAndWithoutPaymentInstructions) {
  ResidentsConfig r;
  r.url = "https://heat.example.org/resident.html";
  const auto html = posters_html({two_meters().front()}, r, "en").value();
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(html.find("See your heat and your credit"), std::string::npos);
  EXPECT_NE(html.find("Ask your cooperative how to pay."), std::string::npos);
  EXPECT_EQ(occurrences(html, "<svg"), 1) << "the login code only";
}

TEST(Posters, RefusalsSayWhatToDo) {
  ResidentsConfig r;
  auto no_url = posters_html(two_meters(), r, "da");
  ASSERT_FALSE(no_url.ok());
  EXPECT_NE(no_url.error().detail.find("set [residents] url"), std::string::npos);
  r.url = "https://heat.example.org/resident.html";
  auto language = posters_html(two_meters(), r, "de");
  ASSERT_FALSE(language.ok());
  EXPECT_NE(language.error().detail.find("language must be da or en"), std::string::npos);
  EXPECT_FALSE(posters_html({}, r, "da").ok());
}

}  // namespace ml::server::http::poster_unit
