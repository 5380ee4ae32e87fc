// The Prometheus text writer (src/core/metrics/exposition.hpp): HELP/TYPE lines once per family,
// names and label names checked, label values and help escaped, histograms cumulative with +Inf,
// _sum and _count, and the naming conventions (counters end in _total, units in names).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "core/metrics/exposition.hpp"

namespace m = ml::core::metrics;

TEST(MetricsExposition, NamesFollowTheFormat) {
  EXPECT_TRUE(m::valid_metric_name("meterlogger_samples_stored_total"));
  EXPECT_TRUE(m::valid_metric_name("a:b_c9"));
  EXPECT_TRUE(m::valid_metric_name("_x"));
  EXPECT_FALSE(m::valid_metric_name(""));
  EXPECT_FALSE(m::valid_metric_name("9abc"));
  EXPECT_FALSE(m::valid_metric_name("a-b"));
  EXPECT_FALSE(m::valid_metric_name("a b"));
  EXPECT_TRUE(m::valid_label_name("reason"));
  EXPECT_FALSE(m::valid_label_name("a:b"));
  EXPECT_FALSE(m::valid_label_name("__reserved"));
  EXPECT_FALSE(m::valid_label_name("1a"));
}

TEST(MetricsExposition, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(m::escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(m::escape_help("a\\b\"c\nd"), "a\\\\b\"c\\nd");
}

TEST(MetricsExposition, FormatsValues) {
  EXPECT_EQ(m::format_value(42), "42");
  EXPECT_EQ(m::format_value(-3), "-3");
  EXPECT_EQ(m::format_value(0.25), "0.25");
  EXPECT_EQ(m::format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(m::format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(m::format_value(std::nan("")), "NaN");
}

TEST(MetricsExposition, WritesCountersAndGauges) {
  m::Writer w;
  ASSERT_TRUE(
      w.family({"x_rejected_total", m::Type::counter, "Rejected \\ messages\nby reason.", ""}));
  ASSERT_TRUE(w.value({{"reason", "bad\"mac"}}, 3));
  ASSERT_TRUE(w.value({}, 1));
  ASSERT_TRUE(w.family({"x_database_size_bytes", m::Type::gauge, "Size.", "bytes"}));
  ASSERT_TRUE(w.value({{"a", "1"}, {"b", "2"}}, 1.5));
  EXPECT_EQ(w.text(),
            "# HELP x_rejected_total Rejected \\\\ messages\\nby reason.\n"
            "# TYPE x_rejected_total counter\n"
            "x_rejected_total{reason=\"bad\\\"mac\"} 3\n"
            "x_rejected_total 1\n"
            "# HELP x_database_size_bytes Size.\n"
            "# TYPE x_database_size_bytes gauge\n"
            "x_database_size_bytes{a=\"1\",b=\"2\"} 1.5\n");
}

TEST(MetricsExposition, RefusesWhatTheFormatForbids) {
  m::Writer w;
  EXPECT_FALSE(w.value({}, 1));  // no family yet
  EXPECT_FALSE(w.family({"bad-name", m::Type::gauge, "h", ""}));
  EXPECT_FALSE(w.family({"x_things", m::Type::counter, "h", ""}));      // counter without _total
  EXPECT_FALSE(w.family({"x_things_total", m::Type::gauge, "h", ""}));  // _total on a gauge
  EXPECT_FALSE(w.family({"x_lag", m::Type::gauge, "h", "seconds"}));    // unit not in the name
  EXPECT_FALSE(w.family({"x_lag_seconds", m::Type::gauge, "", "seconds"}));  // no help
  EXPECT_EQ(w.text(), "");
  ASSERT_TRUE(w.family({"x_up", m::Type::gauge, "h", ""}));
  EXPECT_FALSE(w.family({"x_up", m::Type::gauge, "h", ""}));  // twice
  EXPECT_FALSE(w.value({{"__name", "v"}}, 1));
  EXPECT_FALSE(w.value({{"le", "v"}}, 1));
  EXPECT_FALSE(w.value({{"a", "1"}, {"a", "2"}}, 1));
  ASSERT_TRUE(w.family({"x_done_total", m::Type::counter, "h", ""}));
  EXPECT_FALSE(w.value({}, -1));
  const auto before = w.text();
  m::Histogram h(std::array<double, 1>{1.0});
  EXPECT_FALSE(w.histogram({}, h));  // a counter family
  EXPECT_EQ(w.text(), before);
}

TEST(MetricsExposition, WritesCumulativeHistograms) {
  static constexpr std::array<double, 3> kBounds{0.1, 1, 10};
  m::Histogram h(kBounds);
  h.observe(0.05);
  h.observe(0.1);  // le: on the bound counts in it
  h.observe(5, 2);
  h.observe(100);
  EXPECT_EQ(h.count(), 5u);
  m::Writer w;
  ASSERT_TRUE(w.family({"x_latency_seconds", m::Type::histogram, "Latency.", "seconds"}));
  ASSERT_TRUE(w.histogram({{"route", "api"}}, h));
  EXPECT_EQ(w.text(),
            "# HELP x_latency_seconds Latency.\n"
            "# TYPE x_latency_seconds histogram\n"
            "x_latency_seconds_bucket{route=\"api\",le=\"0.1\"} 2\n"
            "x_latency_seconds_bucket{route=\"api\",le=\"1\"} 2\n"
            "x_latency_seconds_bucket{route=\"api\",le=\"10\"} 4\n"
            "x_latency_seconds_bucket{route=\"api\",le=\"+Inf\"} 5\n"
            "x_latency_seconds_sum{route=\"api\"} 110.15\n"
            "x_latency_seconds_count{route=\"api\"} 5\n");
  ASSERT_TRUE(w.family({"x_bad_seconds", m::Type::histogram, "h", "seconds"}));
  static constexpr std::array<double, 2> kBad{1, 1};
  EXPECT_FALSE(w.histogram({}, m::Histogram(kBad)));
}
