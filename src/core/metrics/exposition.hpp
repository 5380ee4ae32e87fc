// The Prometheus text exposition format, version 0.0.4 (docs/metrics.md; the format is described
// at https://prometheus.io/docs/instrumenting/exposition_formats/). Pure: the caller gathers the
// values, this writes them. What it guarantees:
// - every family starts with one `# HELP` and one `# TYPE` line, and is written once;
// - metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and do not
//   start with "__" (reserved); anything else is an error naming it, and nothing is written;
// - HELP text escapes backslash and line feed, label values escape backslash, double quote and
//   line feed;
// - a histogram has fixed, increasing upper bounds; it is written as cumulative `_bucket` lines
//   (with `le="+Inf"`), then `_sum` and `_count`.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace ml::core::metrics {

enum class Type : std::uint8_t { counter, gauge, histogram };

struct TypeRow {
  Type type;
  std::string_view name;
};
inline constexpr std::array<TypeRow, 3> kTypes{{
    {Type::counter, "counter"},
    {Type::gauge, "gauge"},
    {Type::histogram, "histogram"},
}};
std::string_view type_name(Type type);

// One metric family as a table row: its name, type, help text and unit ("seconds", "bytes", ""
// for a count). A table of them says everything a program exposes (server/metrics.hpp).
struct Family {
  std::string_view name;
  Type type;
  std::string_view help;
  std::string_view unit;
};

// The content type of the answer.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);
// A family's conventions (Prometheus "Metric and label naming"): a valid name, a counter's name
// ends in "_total", a unit is the name's last word before "_total" (or before nothing), the help
// is not empty. Errc::invalid_argument naming what is wrong.
core::Status check_family(const Family& family);

std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
// A sample value: integers as integers, "+Inf", "-Inf", "NaN", else the shortest round-trip form.
std::string format_value(double value);

using Labels = std::vector<std::pair<std::string, std::string>>;

// A histogram's fixed buckets and what was observed.
class Histogram {
 public:
  // `bounds`: the upper bounds, strictly increasing and finite (+Inf is implicit).
  explicit Histogram(std::span<const double> bounds);
  void observe(double value, std::uint64_t times = 1);
  std::span<const double> bounds() const { return bounds_; }
  // Per bucket (not cumulative); the last one is (last bound, +Inf).
  const std::vector<std::uint64_t>& counts() const { return counts_; }
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

class Writer {
 public:
  // Starts a family (HELP and TYPE lines). Errc::invalid_argument when its name or conventions
  // are wrong or it was started before.
  core::Status family(const Family& family);
  // One sample of the current counter or gauge family.
  core::Status value(const Labels& labels, double value);
  // One labelled histogram of the current histogram family.
  core::Status histogram(const Labels& labels, const Histogram& h);
  // The text so far (every line ends with a line feed).
  const std::string& text() const { return out_; }

 private:
  core::Status check_labels(const Labels& labels) const;
  void line(std::string_view name, const Labels& labels,
            const std::pair<std::string, std::string>* extra, std::string_view value);

  std::string out_;
  std::vector<std::string> started_;
  std::string current_;
  Type current_type_ = Type::gauge;
};

}  // namespace ml::core::metrics
