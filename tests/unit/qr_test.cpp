#include "platform/qr/qr.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ml::qr_test {
namespace {

namespace qr = platform::qr;
using Matrix = std::vector<std::vector<bool>>;

const std::string kKeyUri =
    "otpauth://totp/MeterLogger%20Varme:alice%2Bops%40example.com"
    "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=MeterLogger%20Varme&algorithm=SHA1"
    "&digits=6&period=30";

// The detail of a refusal, failing the test when `r` was accepted.
template <class T>
std::string refusal(const core::Result<T>& r) {
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.error().code, core::Errc::invalid_argument);
  return r.error().detail;
}

int version(const Matrix& m) {
  return (static_cast<int>(m.size()) - 17) / 4;
}

std::size_t dark_count(const Matrix& m) {
  std::size_t dark = 0;
  for (const auto& row : m) {
    for (const bool b : row)
      dark += b ? 1 : 0;
  }
  return dark;
}

// A square matrix of 17 + 4 * version rows, version 1 to 40.
void expect_symbol_shape(const Matrix& m) {
  ASSERT_GE(m.size(), 21U);
  ASSERT_LE(m.size(), 177U);
  EXPECT_EQ((m.size() - 17) % 4, 0U);
  for (const auto& row : m)
    ASSERT_EQ(row.size(), m.size());
}

// The finder pattern with its top left module at (top, left): a 7x7 dark ring, a 5x5 light ring
// and a 3x3 dark centre.
void expect_finder(const Matrix& m, std::size_t top, std::size_t left) {
  for (std::size_t y = 0; y < 7; ++y) {
    for (std::size_t x = 0; x < 7; ++x) {
      const std::size_t ring = std::min(std::min(y, x), std::min(6 - y, 6 - x));
      const bool dark = ring != 1;  // 0: outer ring, 1: light ring, 2 and 3: centre
      EXPECT_EQ(m[top + y][left + x], dark)
          << "finder at (" << top << ", " << left << "), module (" << y << ", " << x << ")";
    }
  }
}

// The separators: light modules between each finder pattern and the rest of the symbol.
void expect_separators(const Matrix& m) {
  const std::size_t n = m.size();
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_FALSE(m[7][i]) << i;          // top left, below
    EXPECT_FALSE(m[i][7]) << i;          // top left, right
    EXPECT_FALSE(m[7][n - 1 - i]) << i;  // top right, below
    EXPECT_FALSE(m[i][n - 8]) << i;      // top right, left
    EXPECT_FALSE(m[n - 8][i]) << i;      // bottom left, above
    EXPECT_FALSE(m[n - 1 - i][7]) << i;  // bottom left, right
  }
}

// The timing patterns (row and column 6, between the finders) alternate, dark first; the module
// at (n - 8, 8) is always dark.
void expect_timing(const Matrix& m) {
  const std::size_t n = m.size();
  for (std::size_t i = 8; i < n - 8; ++i) {
    EXPECT_EQ(m[6][i], i % 2 == 0) << i;
    EXPECT_EQ(m[i][6], i % 2 == 0) << i;
  }
  EXPECT_TRUE(m[n - 8][8]);
}

void expect_function_patterns(const Matrix& m) {
  expect_symbol_shape(m);
  if (testing::Test::HasFatalFailure()) return;
  const std::size_t n = m.size();
  expect_finder(m, 0, 0);
  expect_finder(m, 0, n - 7);
  expect_finder(m, n - 7, 0);
  expect_separators(m);
  expect_timing(m);
}

struct ParsedSvg {
  int view_box = -1;
  int width = -1;
  int height = -1;
  int scale = -1;
  std::string d;
};

// The text between `before` and the next `after` in `text` ("" when `before` is not there).
// Read by hand: libstdc++'s std::regex recurses once per character of a long match, and the
// path of a big symbol overflows the stack under ASan.
std::string between(const std::string& text, const std::string& before, char after) {
  const auto at = text.find(before);
  if (at == std::string::npos) return "";
  const auto from = at + before.size();
  return text.substr(from, text.find(after, from) - from);
}

int number(const std::string& text) {
  return text.empty() || text.find_first_not_of("0123456789") != std::string::npos
             ? -1
             : std::stoi(text);
}

ParsedSvg parse_svg(const std::string& svg) {
  ParsedSvg p;
  const std::string box = between(svg, "viewBox=\"0 0 ", '"');
  const auto space = box.find(' ');
  if (space != std::string::npos) {
    EXPECT_EQ(box.substr(0, space), box.substr(space + 1));
    p.view_box = number(box.substr(0, space));
  }
  const std::string svg_tag = svg.substr(0, svg.find('>'));
  p.width = number(between(svg_tag, " width=\"", '"'));
  p.height = number(between(svg_tag, " height=\"", '"'));
  p.scale = number(between(svg, "<path transform=\"scale(", ')'));
  const std::string path_tag = svg.substr(svg.find("<path "));
  p.d = between(path_tag, " d=\"", '"');
  return p;
}

// The dark modules the path draws, in module units (quiet zone included), from its segments
// "M x y h n v1 h-n z"; fails the test on anything else in the path.
Matrix path_modules(const std::string& d, std::size_t side) {
  Matrix m(side, std::vector<bool>(side));
  std::size_t at = 0;
  // The digits at `at`, moving past them; npos when there are none.
  const auto digits = [&]() -> std::size_t {
    const auto end = d.find_first_not_of("0123456789", at);
    if (end == at) return std::string::npos;
    const auto value = std::stoul(d.substr(at, end - at));
    at = end;
    return value;
  };
  const auto expect = [&](const std::string& text) {
    if (d.compare(at, text.size(), text) != 0) return false;
    at += text.size();
    return true;
  };
  while (at < d.size()) {
    const std::size_t start = at;
    std::size_t x = 0, y = 0, run = 0, back = 0;
    const bool ok = expect("M") && (x = digits()) != std::string::npos && expect(" ") &&
                    (y = digits()) != std::string::npos && expect("h") &&
                    (run = digits()) != std::string::npos && expect("v1h-") &&
                    (back = digits()) != std::string::npos && expect("z");
    if (!ok) {
      ADD_FAILURE() << "stray text in the path at " << start << ": " << d.substr(start, 20);
      break;
    }
    const std::string segment = d.substr(start, at - start);
    EXPECT_EQ(run, back) << segment;
    EXPECT_GT(run, 0U);
    if (y >= side || x + run > side) {
      ADD_FAILURE() << "segment outside the image: " << segment;
      continue;
    }
    for (std::size_t i = 0; i < run; ++i) {
      EXPECT_FALSE(m[y][x + i]) << "module drawn twice: " << segment;
      m[y][x + i] = true;
    }
  }
  return m;
}

TEST(QrModules, HelloIsVersion1WithItsFinderPatterns) {
  auto m = qr::modules("HELLO");
  ASSERT_TRUE(m.ok()) << m.error().message();
  ASSERT_EQ(m->size(), 21U);
  EXPECT_EQ(version(*m), 1);
  expect_function_patterns(*m);
  // Neither all light nor all dark: only bit 0 of libqrencode's bytes is the colour.
  EXPECT_GT(dark_count(*m), 21U * 21U / 4);
  EXPECT_LT(dark_count(*m), 21U * 21U * 3 / 4);
}

TEST(QrModules, LongerTextsGiveBiggerVersions) {
  auto hello = qr::modules("HELLO");
  auto uri = qr::modules(kKeyUri);
  auto longest = qr::modules(std::string(qr::kMaxTextBytes, 'x'));
  ASSERT_TRUE(hello.ok() && uri.ok() && longest.ok());
  for (const Matrix* m : {&*uri, &*longest})
    expect_function_patterns(*m);
  // 161 bytes in byte mode at level M: version 8 (152 bytes) is too small, version 9 holds 180.
  ASSERT_EQ(kKeyUri.size(), 161U);
  EXPECT_EQ(version(*uri), 9);
  EXPECT_EQ(uri->size(), 17U + 4 * 9);
  // The longest text, 1024 bytes: version 25 holds 997, version 26 holds 1059 (qr.hpp).
  EXPECT_EQ(version(*longest), 26);
}

TEST(QrModules, EncodesBytesAsTheyAre) {
  // Byte mode over the whole text: a NUL byte does not end it, any byte is accepted.
  auto a = qr::modules(std::string_view("a", 1));
  auto a_nul_b = qr::modules(std::string_view("a\0b", 3));
  auto binary = qr::modules(std::string_view("\xff\x00\x80\xc3\x98", 5));
  ASSERT_TRUE(a.ok() && a_nul_b.ok() && binary.ok());
  EXPECT_NE(*a, *a_nul_b);
  expect_function_patterns(*binary);
  // Deterministic.
  EXPECT_EQ(*qr::modules(kKeyUri), *qr::modules(kKeyUri));
}

TEST(QrModules, RefusesEmptyAndTooLongTexts) {
  const std::string empty = refusal(qr::modules(""));
  EXPECT_NE(empty.find("empty"), std::string::npos) << empty;

  const std::string too_long = refusal(qr::modules(std::string(qr::kMaxTextBytes + 1, 'x')));
  EXPECT_NE(too_long.find("1025 bytes"), std::string::npos) << too_long;
  EXPECT_NE(too_long.find("limit of 1024"), std::string::npos) << too_long;

  for (const std::string& detail : {empty, too_long}) {
    EXPECT_EQ(detail.rfind("QR code: ", 0), 0U) << detail;
  }
  EXPECT_TRUE(qr::modules(std::string(qr::kMaxTextBytes, 'x')).ok());
}

TEST(QrSvg, SizeIsTheSymbolAndItsQuietZone) {
  auto m = qr::modules(kKeyUri);
  ASSERT_TRUE(m.ok());
  const int n = static_cast<int>(m->size());
  for (const qr::SvgOptions& options :
       {qr::SvgOptions{}, qr::SvgOptions{1, 0}, qr::SvgOptions{10, 2}, qr::SvgOptions{64, 16}}) {
    auto svg = qr::svg(kKeyUri, options);
    ASSERT_TRUE(svg.ok()) << svg.error().message();
    const ParsedSvg p = parse_svg(*svg);
    const int side = (n + 2 * options.quiet_modules) * options.module_px;
    EXPECT_EQ(p.view_box, side);
    EXPECT_EQ(p.width, side);
    EXPECT_EQ(p.height, side);
    EXPECT_EQ(p.scale, options.module_px);
  }
  // The defaults: 4 px modules, the standard's quiet zone of 4 modules.
  EXPECT_EQ(parse_svg(*qr::svg("HELLO")).view_box, (21 + 2 * 4) * 4);
}

TEST(QrSvg, OnePathDrawsExactlyTheDarkModules) {
  for (const std::string& text : {std::string("HELLO"), kKeyUri}) {
    auto m = qr::modules(text);
    auto svg = qr::svg(text, {3, 4});
    ASSERT_TRUE(m.ok() && svg.ok());
    const std::size_t n = m->size();

    std::size_t paths = 0;
    for (auto at = svg->find("<path"); at != std::string::npos; at = svg->find("<path", at + 1)) {
      ++paths;
    }
    EXPECT_EQ(paths, 1U);
    const ParsedSvg p = parse_svg(*svg);
    ASSERT_FALSE(p.d.empty());

    // The sum of the runs is the number of dark modules, and they are the same modules.
    const Matrix drawn = path_modules(p.d, n + 8);
    EXPECT_EQ(dark_count(drawn), dark_count(*m));
    for (std::size_t y = 0; y < n + 8; ++y) {
      for (std::size_t x = 0; x < n + 8; ++x) {
        const bool inside = y >= 4 && x >= 4 && y < n + 4 && x < n + 4;
        EXPECT_EQ(drawn[y][x], inside && (*m)[y - 4][x - 4]) << "module (" << y << ", " << x << ")";
      }
    }
    // Horizontal runs merged: fewer segments than dark modules.
    std::size_t segments = 0;
    for (const char c : p.d)
      segments += c == 'M' ? 1 : 0;
    EXPECT_LT(segments, dark_count(*m));
  }
}

TEST(QrSvg, IsAStandaloneImageWithoutTheText) {
  auto svg = qr::svg(kKeyUri);
  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(svg->rfind(R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox=")", 0), 0U) << *svg;
  EXPECT_NE(svg->find(R"(role="img" aria-label="QR code")"), std::string::npos);
  EXPECT_NE(svg->find(R"(shape-rendering="crispEdges")"), std::string::npos);
  EXPECT_NE(svg->find(R"(<rect width="244" height="244" fill="#fff"/>)"), std::string::npos)
      << *svg;
  EXPECT_EQ(svg->substr(svg->size() - 7), "</svg>\n");
  // The key URI's secret is in the symbol only.
  EXPECT_EQ(svg->find("GEZDGNBV"), std::string::npos);
  EXPECT_EQ(svg->find("otpauth"), std::string::npos);
  EXPECT_EQ(*svg, *qr::svg(kKeyUri));
}

TEST(QrSvg, RefusesOptionsOutOfBoundsAndBadTexts) {
  for (const qr::SvgOptions& options :
       {qr::SvgOptions{0, 4}, qr::SvgOptions{65, 4}, qr::SvgOptions{-1, 4}, qr::SvgOptions{4, -1},
        qr::SvgOptions{4, 17}}) {
    const std::string detail = refusal(qr::svg("HELLO", options));
    EXPECT_TRUE(detail.find("module_px") != std::string::npos ||
                detail.find("quiet_modules") != std::string::npos)
        << detail;
  }
  EXPECT_NE(refusal(qr::svg("")).find("empty"), std::string::npos);
  EXPECT_NE(refusal(qr::svg(std::string(1025, 'x'))).find("limit of 1024"), std::string::npos);
}

}  // namespace
}  // namespace ml::qr_test
