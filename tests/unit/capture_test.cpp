// Capture files (server/capture.hpp): what mosquitto_sub -v -F '%t\t%x' prints is read; every
// other line is refused with its number and a stable reason, and reading goes on.
#include "server/capture.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace ml::server {
namespace {

struct ReadAll {
  std::vector<CapturedMessage> messages;
  std::vector<BadLine> bad;
  std::uint64_t lines = 0;
  std::uint64_t notes = 0;
};

ReadAll read_all(const std::string& text, CaptureLimits limits = {}) {
  std::istringstream in(text);
  CaptureReader reader(in, limits);
  ReadAll out;
  CapturedMessage m;
  BadLine b;
  for (;;) {
    const auto read = reader.next(m, b);
    if (read == CaptureRead::end) break;
    EXPECT_NE(read, CaptureRead::note);
    if (read == CaptureRead::message) out.messages.push_back(m);
    if (read == CaptureRead::bad_line) out.bad.push_back(b);
  }
  out.lines = reader.lines();
  out.notes = reader.notes();
  return out;
}

TEST(Capture, ReadsMosquittoSubOutput) {
  // As mosquitto_sub -v -F '%t\t%x' printed it (mosquitto 2.0.11): a last will's empty payload
  // is an empty field.
  const auto r = read_all(
      "/sample/v2/6892850/1700000000\t616263\n"
      "/offline/v1/6892850\t\n"
      "/version/v2/6892850/1700000060\t00FFa0\n");
  ASSERT_TRUE(r.bad.empty()) << r.bad[0].detail;
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].topic, "/sample/v2/6892850/1700000000");
  EXPECT_EQ(r.messages[0].payload, (core::Bytes{'a', 'b', 'c'}));
  EXPECT_EQ(r.messages[0].line, 1u);
  EXPECT_EQ(r.messages[1].topic, "/offline/v1/6892850");
  EXPECT_TRUE(r.messages[1].payload.empty());
  EXPECT_EQ(r.messages[2].payload, (core::Bytes{0x00, 0xFF, 0xA0}));  // either case
  EXPECT_EQ(r.messages[2].line, 3u);
  EXPECT_EQ(r.lines, 3u);
}

TEST(Capture, CrLfNotesAndALastLineWithoutLf) {
  const auto r = read_all(
      "# captured 2026-12-04 on broker a\n"
      "\n"
      "/sample/v2/1/2\t01\r\n"
      "\r\n"
      "/sample/v2/1/3\t02");
  ASSERT_TRUE(r.bad.empty());
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].topic, "/sample/v2/1/2");
  EXPECT_EQ(r.messages[0].payload, core::Bytes{1});
  EXPECT_EQ(r.messages[0].line, 3u);
  EXPECT_EQ(r.messages[1].payload, core::Bytes{2});
  EXPECT_EQ(r.messages[1].line, 5u);
  EXPECT_EQ(r.notes, 3u);
  EXPECT_EQ(r.lines, 5u);
  EXPECT_EQ(read_all("").lines, 0u);
  EXPECT_EQ(read_all("\n").notes, 1u);
}

TEST(Capture, BadLinesAreNamedAndTheRestIsRead) {
  const auto r = read_all(
      "/sample/v2/1/2 0102\n"     // 1: a space, not a tab (mosquitto_sub -v without -F)
      "\t0102\n"                  // 2: no topic
      "/sample/+/1/2\t0102\n"     // 3: a wildcard
      "/sample/v2/1\x01/2\t01\n"  // 4: a control character
      "/sample/\xC3\x28\t01\n"    // 5: not UTF-8
      "/sample/v2/1/2\t010\n"     // 6: odd
      "/sample/v2/1/2\t01zz\n"    // 7: not hex
      "/sample/v2/1/2\t01 02\n"   // 8: a space in the hex
      "/a/b\t0102\tff\n"          // 9: a second tab
      "/sample/v2/1/5\tab\n");    // 10: good
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].line, 10u);
  ASSERT_EQ(r.bad.size(), 9u);
  const BadLineReason want[] = {
      BadLineReason::no_tab,    BadLineReason::bad_topic, BadLineReason::bad_topic,
      BadLineReason::bad_topic, BadLineReason::bad_topic, BadLineReason::bad_hex,
      BadLineReason::bad_hex,   BadLineReason::bad_hex,   BadLineReason::bad_hex};
  for (std::size_t i = 0; i < r.bad.size(); ++i) {
    EXPECT_EQ(r.bad[i].line, i + 1) << i;
    EXPECT_EQ(r.bad[i].reason, want[i]) << i << ": " << r.bad[i].detail;
    EXPECT_FALSE(r.bad[i].detail.empty());
  }
  EXPECT_EQ(r.bad[2].detail, "a wildcard '+' at column 9");
  EXPECT_EQ(r.bad[3].detail, "a control character 0x01 at column 13");
  EXPECT_EQ(r.bad[4].detail, "not UTF-8 at column 9");
  EXPECT_EQ(r.bad[6].detail, "'z' at column 18 is not a hex digit");
  EXPECT_EQ(bad_line_reason_name(BadLineReason::bad_hex), "bad_hex");
  // UTF-8 that MQTT allows is a topic.
  EXPECT_EQ(read_all("/m\xC3\xA5ler/\xE2\x82\xAC/\xF0\x9F\x94\xA5\t00\n").messages.size(), 1u);
  // Overlong forms and surrogates are not.
  EXPECT_EQ(read_all("/\xC0\xAF\t00\n").bad.size(), 1u);
  EXPECT_EQ(read_all("/\xED\xA0\x80\t00\n").bad.size(), 1u);
  EXPECT_EQ(read_all("/\xF4\x90\x80\x80\t00\n").bad.size(), 1u);
}

TEST(Capture, LinesAreBounded) {
  CaptureLimits limits;
  limits.max_topic = 8;
  limits.max_payload = 4;  // a line of at most 8 + 1 + 8 bytes
  const std::string longest = "/a/b/c/d\t01020304";
  ASSERT_EQ(longest.size(), limits.max_line());
  const std::string huge(1'000'000, 'x');
  const auto r = read_all(longest + "\n" + longest + "\r\n" + longest + "0\n" + "/a\t" + huge +
                              "\n" + "/a/b/c/d/e\t01\n" + "/a\t0102030405\n" + "/ok\t01",
                          limits);
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].payload.size(), 4u);
  EXPECT_EQ(r.messages[1].payload.size(), 4u);  // the CR does not count
  EXPECT_EQ(r.messages[2].line, 7u);
  ASSERT_EQ(r.bad.size(), 4u);
  EXPECT_EQ(r.bad[0].line, 3u);
  EXPECT_EQ(r.bad[0].reason, BadLineReason::too_long);
  EXPECT_EQ(r.bad[1].line, 4u);  // read to its end in pieces, not held whole
  EXPECT_EQ(r.bad[1].reason, BadLineReason::too_long);
  EXPECT_EQ(r.bad[2].reason, BadLineReason::bad_topic);  // 10 bytes of topic
  EXPECT_EQ(r.bad[3].reason, BadLineReason::too_long);   // a payload of 5 bytes
  EXPECT_EQ(r.bad[3].detail, "a payload of 5 bytes, at most 4");
}

TEST(Capture, ALineSpanningReadsIsWhole) {
  // Longer than the reader's 64 KiB chunk: it joins the pieces.
  std::string hex;
  for (int i = 0; i < 100'000; ++i)
    hex += "a5";
  const auto r = read_all("/x/y\t" + hex + "\n/x/z\t01\n");
  ASSERT_TRUE(r.bad.empty());
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].payload.size(), 100'000u);
  EXPECT_EQ(r.messages[0].payload.back(), 0xA5);
  EXPECT_EQ(r.messages[1].topic, "/x/z");
}

}  // namespace
}  // namespace ml::server
