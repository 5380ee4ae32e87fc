// The store contract (store_contract.hpp) for the heating degree days (store/weather.hpp): kept as
// exact decimals, a day imported again takes its new value, read back by a range of days in
// order; run against every backend.
#include "store_contract.hpp"

namespace ml::server::test_store {
namespace {

class StoreWeatherContract : public StoreContract {};

DegreeDay day(std::int64_t n, const char* value) {
  return {n, core::Decimal::parse(value).value()};
}

std::vector<std::string> read(ServerStore& store, std::int64_t from, std::int64_t to) {
  std::vector<std::string> out;
  const auto days = store.degree_days(from, to).value();
  for (const auto& d : days)
    out.push_back(std::to_string(d.day) + "=" + d.value.to_string());
  return out;
}

TEST_P(StoreWeatherContract, DaysAreKeptExactlyAndReplaced) {
  EXPECT_TRUE(store_->degree_days(0, 100000).value().empty());
  ASSERT_TRUE(
      store_->put_degree_days({day(20456, "18.40"), day(20454, "0.000"), day(20455, "100")}).ok());
  EXPECT_EQ(read(*store_, 0, 100000),
            (std::vector<std::string>{"20454=0.000", "20455=100", "20456=18.40"}));
  EXPECT_EQ(read(*store_, 20455, 20456), (std::vector<std::string>{"20455=100"}));
  ASSERT_TRUE(store_->put_degree_days({day(20455, "7.5"), day(20457, "1")}).ok());
  EXPECT_EQ(read(*store_, 20455, 20458),
            (std::vector<std::string>{"20455=7.5", "20456=18.40", "20457=1"}));
  // Many days in one call (a backend may send them in chunks).
  std::vector<DegreeDay> year;
  for (std::int64_t d = 0; d < 12000; ++d)
    year.push_back(day(d, "2.25"));
  ASSERT_TRUE(store_->put_degree_days(year).ok());
  EXPECT_EQ(store_->degree_days(0, 12000).value().size(), 12000u);
  EXPECT_EQ(read(*store_, 11999, 12000), (std::vector<std::string>{"11999=2.25"}));
}

}  // namespace

ML_STORE_CONTRACT(StoreWeatherContract);

}  // namespace ml::server::test_store
