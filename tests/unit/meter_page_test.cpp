// meter_page(): which meters match, their order, the page's bounds and the counts; and the query
// parameters' checks.
#include "server/meter_page.hpp"

#include <gtest/gtest.h>

namespace ml::server {
namespace {

Meter meter(const char* serial, const char* name, const char* group, std::int64_t last) {
  Meter m;
  m.serial = serial;
  m.name = name;
  m.group = group;
  m.last_sample_time = last;
  return m;
}

std::vector<std::string> serials(const MeterPage& page) {
  std::vector<std::string> out;
  for (const Meter* m : page.meters)
    out.push_back(m->serial);
  return out;
}

const std::vector<Meter> kFleet = {
    meter("0000040", "Ærøvej 3", "B", 500), meter("12345678", "Loppen 12", "A", 100),
    meter("2000000", "", "A", 0),           meter("1000000", "loppen 2", "A", 300),
    meter("EL00001", "Bakken", "B", 200),
};

TEST(MeterPage, GroupsFirstThenSerialsAsNumbers) {
  MeterQuery q;
  const auto page = meter_page(kFleet, q);
  EXPECT_EQ(page.total, 5u);
  EXPECT_EQ(serials(page),
            (std::vector<std::string>{"1000000", "2000000", "12345678", "0000040", "EL00001"}));
  EXPECT_EQ(page.groups, (std::map<std::string, std::size_t>{{"A", 3}, {"B", 2}}));
  q.descending = true;
  EXPECT_EQ(serials(meter_page(kFleet, q)),
            (std::vector<std::string>{"12345678", "2000000", "1000000", "EL00001", "0000040"}));
}

TEST(MeterPage, MetersWithoutTheKeySortLastBothWays) {
  MeterQuery q;
  q.sort = MeterSort::last_seen;
  EXPECT_EQ(serials(meter_page(kFleet, q)),
            (std::vector<std::string>{"12345678", "1000000", "2000000", "EL00001", "0000040"}));
  q.descending = true;
  EXPECT_EQ(serials(meter_page(kFleet, q)),
            (std::vector<std::string>{"1000000", "12345678", "2000000", "0000040", "EL00001"}));
  q.sort = MeterSort::name;
  q.descending = false;
  EXPECT_EQ(serials(meter_page(kFleet, q)),
            (std::vector<std::string>{"12345678", "1000000", "2000000", "EL00001", "0000040"}));
}

TEST(MeterPage, SearchIgnoresCaseOfAsciiAndLatin1Letters) {
  MeterQuery q;
  q.q = "LOPPEN";
  auto page = meter_page(kFleet, q);
  EXPECT_EQ(serials(page), (std::vector<std::string>{"1000000", "12345678"}));
  EXPECT_EQ(page.total, 2u);
  EXPECT_EQ(page.groups, (std::map<std::string, std::size_t>{{"A", 2}}));
  q.q = "ærø";
  EXPECT_EQ(serials(meter_page(kFleet, q)), (std::vector<std::string>{"0000040"}));
  q.q = "b";  // group B and "Bakken"
  EXPECT_EQ(serials(meter_page(kFleet, q)), (std::vector<std::string>{"0000040", "EL00001"}));
  q.q = "000004";
  EXPECT_EQ(serials(meter_page(kFleet, q)), (std::vector<std::string>{"0000040"}));
  EXPECT_EQ(fold_case("ÆØÅ×ÉZ"), "æøå×éz");
}

TEST(MeterPage, GroupFilterIsExact) {
  MeterQuery q;
  q.group = "B";
  EXPECT_EQ(serials(meter_page(kFleet, q)), (std::vector<std::string>{"0000040", "EL00001"}));
  q.group = "b";
  EXPECT_EQ(meter_page(kFleet, q).total, 0u);
}

TEST(MeterPage, OffsetAndLimitCutThePageNotTheTotal) {
  MeterQuery q;
  q.limit = 2;
  q.offset = 1;
  auto page = meter_page(kFleet, q);
  EXPECT_EQ(page.total, 5u);
  EXPECT_EQ(serials(page), (std::vector<std::string>{"2000000", "12345678"}));
  q.offset = 4;
  EXPECT_EQ(serials(meter_page(kFleet, q)), (std::vector<std::string>{"EL00001"}));
  q.offset = 5;
  page = meter_page(kFleet, q);
  EXPECT_TRUE(page.meters.empty());
  EXPECT_EQ(page.total, 5u);
}

// Pages of any size, joined, are the whole list in its order, for every sort and direction (a
// deep page puts its first meter in place without sorting what comes before it).
TEST(MeterPage, PagesJoinIntoTheWholeList) {
  std::vector<Meter> fleet;
  for (int i = 0; i < 300; ++i) {
    Meter m;
    m.serial = std::to_string(1000000 + (i * 7919) % 1000);
    m.name = i % 5 == 0 ? "" : "Vej " + std::to_string((i * 31) % 17);
    m.group = "G" + std::to_string(i % 3);
    m.last_sample_time = i % 4 == 0 ? 0 : 1'800'000'000 + (i * 13) % 50;
    fleet.push_back(m);
  }
  for (MeterSort sort : {MeterSort::serial, MeterSort::name, MeterSort::last_seen}) {
    for (bool descending : {false, true}) {
      MeterQuery whole;
      whole.sort = sort;
      whole.descending = descending;
      whole.limit = kMaxMeterPage;
      const auto expected = serials(meter_page(fleet, whole));
      ASSERT_EQ(expected.size(), 300u);
      std::vector<std::string> joined;
      MeterQuery q = whole;
      q.limit = 7;
      for (q.offset = 0; q.offset < 300; q.offset += q.limit) {
        for (auto& s : serials(meter_page(fleet, q)))
          joined.push_back(s);
      }
      EXPECT_EQ(joined, expected) << static_cast<int>(sort) << " " << descending;
    }
  }
}

TEST(MeterPage, ParametersAreCheckedByName) {
  auto q = parse_meter_query({{"limit", "50"},
                              {"offset", "100"},
                              {"sort", "last_seen"},
                              {"order", "desc"},
                              {"q", "x"},
                              {"group", "A"}});
  ASSERT_TRUE(q) << q.error().text();
  EXPECT_EQ(q->limit, 50u);
  EXPECT_EQ(q->offset, 100u);
  EXPECT_EQ(q->sort, MeterSort::last_seen);
  EXPECT_TRUE(q->descending);
  EXPECT_EQ(q->q, "x");
  EXPECT_EQ(q->group, "A");
  auto defaults = parse_meter_query({{"limit", ""}});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->limit, 100u);
  EXPECT_EQ(defaults->sort, MeterSort::serial);
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> bad = {
      {{{"limit", "0"}}, "limit must be a number from 1 to 1000"},
      {{{"limit", "1001"}}, "limit must be"},
      {{{"limit", "-1"}}, "limit must be"},
      {{{"limit", "5x"}}, "limit must be"},
      {{{"offset", "99999999999"}}, "offset must be"},
      {{{"sort", "energy"}}, "sort must be serial, name or last_seen, not \"energy\""},
      {{{"order", "up"}}, "order must be asc or desc"},
      {{{"q", std::string(201, 'a')}}, "q and group are at most 200 bytes"},
  };
  for (const auto& [params, message] : bad) {
    auto r = parse_meter_query(params);
    ASSERT_FALSE(r) << message;
    EXPECT_NE(r.error().detail.find(message), std::string::npos) << r.error().detail;
  }
}

}  // namespace
}  // namespace ml::server
