// A packed day (server/sample_pack.hpp): what is packed reads back exactly, in a small part of
// the space, and damaged or foreign bytes are refused with an error that names the day.
#include "server/sample_pack.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

namespace ml::server {
namespace {

using namespace std::string_literals;

constexpr std::int64_t kDay = 19675;  // 2023-11-14
const std::string kSerial = "6892850";

SampleRecord record(std::int64_t second, std::string text, std::int64_t received_after = 3) {
  SampleRecord r;
  r.serial = kSerial;
  r.time = kDay * kDaySeconds + second;
  r.text = std::move(text);
  r.received = r.time + received_after;
  return r;
}

// A day of a meter sending every minute, as the firmware words it.
std::vector<SampleRecord> a_day() {
  std::vector<SampleRecord> day;
  for (int m = 0; m < 1440; ++m) {
    const int e = 56726 + m / 7;
    auto r =
        record(m * 60 + 7,
               "heap=" + std::to_string(21000 + (m * 37) % 900) +
                   "&t1=" + std::to_string(60 + m % 5) + "." + std::to_string(m % 97) +
                   " C&t2=35.12 C&tdif=25.01 K&flow1=" + std::to_string(m % 400) +
                   " l/h&effect1=3.2 kW&hr=73327 h&v1=1321.27 m3&e1=" + std::to_string(e / 1000) +
                   "." + std::to_string(e % 1000) + " MWh&",
               m % 4);
    r.energy_kwh = core::Decimal::parse(std::to_string(e)).value();
    r.volume_m3 = core::Decimal::parse("1321.27").value();
    day.push_back(std::move(r));
  }
  return day;
}

void expect_same(const std::vector<SampleRecord>& a, const std::vector<SampleRecord>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].serial, b[i].serial) << i;
    EXPECT_EQ(a[i].time, b[i].time) << i;
    EXPECT_EQ(a[i].received, b[i].received) << i;
    EXPECT_EQ(a[i].text, b[i].text) << i;
    EXPECT_EQ(a[i].energy_kwh, b[i].energy_kwh) << i;
    EXPECT_EQ(a[i].volume_m3, b[i].volume_m3) << i;
    EXPECT_EQ(a[i].quirks, b[i].quirks) << i;
  }
}

std::string error_of(std::vector<std::uint8_t> data, std::int64_t day = kDay) {
  auto r = unpack_day(data, kSerial, day);
  if (r) return "(read)";
  EXPECT_EQ(r.error().code, core::Errc::storage_failure);
  return r.error().detail;
}

TEST(SamplePack, ADayReadsBackExactlyInATenthOfItsText) {
  const auto day = a_day();
  const auto packed = pack_day(day);
  std::size_t text = 0;
  for (const auto& r : day)
    text += r.text.size();
  EXPECT_LT(packed.size() * 10, text) << packed.size() << " bytes for " << text << " of text";
  expect_same(unpack_day(packed, kSerial, kDay).value(), day);
  EXPECT_EQ(pack_day(day), packed) << "the same records give the same bytes";
}

TEST(SamplePack, TheEdgesOfTheDayAndEveryOptionalFieldReadBack) {
  std::vector<SampleRecord> day{record(0, "e1=1 kWh&", -40), record(1, "t1=nan C&", 0),
                                record(kDaySeconds - 1, std::string(4096, 'x'), 1 << 20)};
  day[0].energy_kwh = core::Decimal::parse("0.000").value();
  day[1].volume_m3 = core::Decimal::parse("-12.5").value();
  day[2].quirks = "e1_kwh_as_mwh";
  expect_same(unpack_day(pack_day(day), kSerial, kDay).value(), day);
}

TEST(SamplePack, DamagedOrForeignBytesAreRefusedNamingTheDay) {
  const auto good = pack_day({record(60, "e1=1 kWh&"), record(120, "e1=2 kWh&")});
  EXPECT_EQ(error_of({}), "packed day 19675 of 6892850: not a packed day (no MLP1 header)");
  auto cut = good;
  cut.resize(cut.size() - 3);
  EXPECT_EQ(error_of(cut), "packed day 19675 of 6892850: the compressed data is damaged");
  auto flipped = good;
  flipped[flipped.size() / 2] ^= 0x40;
  EXPECT_NE(error_of(flipped), "(read)");
  auto longer = good;
  longer.push_back(0);
  EXPECT_EQ(error_of(longer), "packed day 19675 of 6892850: bytes after the compressed data");
  EXPECT_EQ(error_of(good, kDay + 1),
            "packed day 19676 of 6892850: sample 1's time 1699920060 is not of the day")
      << "the times belong to the day before";
}

// A body built by hand, compressed as pack_day does.
std::vector<std::uint8_t> packed_body(const std::string& body) {
  uLongf size = compressBound(static_cast<uLong>(body.size()));
  std::vector<std::uint8_t> out(4 + size);
  std::copy_n("MLP1", 4, out.begin());
  compress2(out.data() + 4, &size, reinterpret_cast<const Bytef*>(body.data()),
            static_cast<uLong>(body.size()), 6);
  out.resize(4 + size);
  return out;
}

TEST(SamplePack, EveryFieldIsBounded) {
  // The day's first minute, 1699920060, as a zigzag varint.
  const std::string t = "\xf8\xe2\x95\xd5\x0c"s;
  EXPECT_EQ(error_of(packed_body("\x00"s)),
            "packed day 19675 of 6892850: a count of 0 samples (1 to 86400)");
  EXPECT_EQ(error_of(packed_body("\x81\xA3\x05"s)),  // 86401
            "packed day 19675 of 6892850: a count of 86401 samples (1 to 86400)");
  EXPECT_EQ(error_of(packed_body("\x01"s + t + "\x00\x00"s)),
            "packed day 19675 of 6892850: sample 1's text has 0 bytes (1 to 4096)");
  EXPECT_EQ(error_of(packed_body("\x02"s + t + "\x00"s)),
            "packed day 19675 of 6892850: sample 2's time is not later than the one before and "
            "within the day");
  EXPECT_EQ(error_of(packed_body("\x01\x00"s)),
            "packed day 19675 of 6892850: sample 1's time 0 is not of the day");
  EXPECT_EQ(error_of(packed_body("\x01"s + t +
                                 "\x00\x01"s
                                 "e"
                                 "\x03"s
                                 "1x")),
            "packed day 19675 of 6892850: sample 1's energy is not a decimal");
  EXPECT_EQ(error_of(packed_body("\x01"s + t +
                                 "\x00\x01"s
                                 "e"
                                 "\x00\x00\x00"s
                                 "!")),
            "packed day 19675 of 6892850: bytes left after the last sample");
  EXPECT_EQ(error_of(packed_body("\x01"s + t +
                                 "\x00\x05"s
                                 "e")),
            "packed day 19675 of 6892850: sample 1's text: the data ends inside it");
  EXPECT_EQ(error_of(packed_body("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"s)),
            "packed day 19675 of 6892850: sample 1's time: a number longer than 64 bits");
  EXPECT_EQ(error_of(packed_body("\x01"s + t)),
            "packed day 19675 of 6892850: sample 1's received time: the data ends inside a "
            "number");
  // A small value that unpacks to more than the limit stops there.
  EXPECT_EQ(error_of(packed_body(std::string(kPackedMaxBytes + 1, '\x01'))),
            "packed day 19675 of 6892850: the data unpacks to more than 67108864 bytes");
}

TEST(SamplePack, DayOfCountsWholeUtcDaysBothSidesOfTheEpoch) {
  EXPECT_EQ(day_of(0), 0);
  EXPECT_EQ(day_of(86399), 0);
  EXPECT_EQ(day_of(86400), 1);
  EXPECT_EQ(day_of(-1), -1);
  EXPECT_EQ(day_of(-86400), -1);
  EXPECT_EQ(day_of(-86401), -2);
}

}  // namespace
}  // namespace ml::server
