// The Prometheus text exposition format (exposition.hpp).
#include "core/metrics/exposition.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace ml::core::metrics {
namespace {

bool name_start(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}
bool name_char(char c, bool colon) {
  return name_start(c, colon) || (c >= '0' && c <= '9');
}
bool valid(std::string_view name, bool colon) {
  if (name.empty() || !name_start(name[0], colon)) return false;
  return std::all_of(name.begin(), name.end(), [colon](char c) { return name_char(c, colon); });
}

}  // namespace

std::string_view type_name(Type type) {
  for (const auto& r : kTypes)
    if (r.type == type) return r.name;
  return "untyped";
}

bool valid_metric_name(std::string_view name) {
  return valid(name, true);
}

bool valid_label_name(std::string_view name) {
  return valid(name, false) && !name.starts_with("__");
}

core::Status check_family(const Family& f) {
  const std::string name(f.name);
  if (!valid_metric_name(f.name))
    return core::make_error(core::Errc::invalid_argument, "invalid metric name \"" + name + "\"");
  if (f.help.empty())
    return core::make_error(core::Errc::invalid_argument, "metric " + name + " has no help text");
  const bool total = f.name.ends_with("_total");
  if ((f.type == Type::counter) != total)
    return core::make_error(core::Errc::invalid_argument,
                            "metric " + name +
                                (total ? ": only a counter's name ends in _total"
                                       : ": a counter's name ends in _total"));
  if (!f.unit.empty()) {
    std::string_view base = f.name;
    if (total) base.remove_suffix(6);
    if (f.name.ends_with("_info")) base.remove_suffix(5);
    const std::string suffix = "_" + std::string(f.unit);
    if (!base.ends_with(suffix))
      return core::make_error(core::Errc::invalid_argument,
                              "metric " + name + ": the name does not end in its unit " + suffix);
  }
  return core::Ok{};
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<std::int64_t>(v));
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()), counts_(bounds.size() + 1, 0) {}

void Histogram::observe(double value, std::uint64_t times) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);  // le: value <= bound
  counts_[static_cast<std::size_t>(it - bounds_.begin())] += times;
  sum_ += value * static_cast<double>(times);
  count_ += times;
}

core::Status Writer::family(const Family& f) {
  ML_TRY(check_family(f));
  const std::string name(f.name);
  if (std::find(started_.begin(), started_.end(), name) != started_.end())
    return core::make_error(core::Errc::invalid_argument, "metric " + name + " written twice");
  started_.push_back(name);
  current_ = name;
  current_type_ = f.type;
  out_ += "# HELP " + name + " " + escape_help(f.help) + "\n";
  out_ += "# TYPE " + name + " " + std::string(type_name(f.type)) + "\n";
  return core::Ok{};
}

core::Status Writer::check_labels(const Labels& labels) const {
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto& k = labels[i].first;
    if (!valid_label_name(k) || k == "le" || k == "quantile")
      return core::make_error(core::Errc::invalid_argument,
                              "invalid label name \"" + k + "\" on " + current_);
    for (std::size_t j = 0; j < i; ++j)
      if (labels[j].first == k)
        return core::make_error(core::Errc::invalid_argument,
                                "label \"" + k + "\" twice on " + current_);
  }
  return core::Ok{};
}

void Writer::line(std::string_view name, const Labels& labels,
                  const std::pair<std::string, std::string>* extra, std::string_view value) {
  out_ += name;
  if (!labels.empty() || extra != nullptr) {
    out_ += '{';
    bool first = true;
    auto add = [&](const std::pair<std::string, std::string>& l) {
      if (!first) out_ += ',';
      first = false;
      out_ += l.first + "=\"" + escape_label_value(l.second) + "\"";
    };
    for (const auto& l : labels)
      add(l);
    if (extra != nullptr) add(*extra);
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

core::Status Writer::value(const Labels& labels, double v) {
  if (current_.empty() || current_type_ == Type::histogram)
    return core::make_error(core::Errc::invalid_argument,
                            "a value needs a counter or gauge family first (" + current_ + ")");
  ML_TRY(check_labels(labels));
  if (current_type_ == Type::counter && (v < 0 || std::isnan(v)))
    return core::make_error(core::Errc::invalid_argument,
                            "counter " + current_ + " cannot be " + format_value(v));
  line(current_, labels, nullptr, format_value(v));
  return core::Ok{};
}

core::Status Writer::histogram(const Labels& labels, const Histogram& h) {
  if (current_.empty() || current_type_ != Type::histogram)
    return core::make_error(core::Errc::invalid_argument,
                            "a histogram needs a histogram family first (" + current_ + ")");
  ML_TRY(check_labels(labels));
  const auto b = h.bounds();
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i]) || (i > 0 && b[i] <= b[i - 1]))
      return core::make_error(core::Errc::invalid_argument,
                              "histogram " + current_ + ": bounds must increase and be finite");
  }
  const std::string bucket = current_ + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= b.size(); ++i) {
    cumulative += h.counts()[i];
    const std::pair<std::string, std::string> le{
        "le", i < b.size() ? format_value(b[i]) : std::string("+Inf")};
    line(bucket, labels, &le, std::to_string(cumulative));
  }
  line(current_ + "_sum", labels, nullptr, format_value(h.sum()));
  line(current_ + "_count", labels, nullptr, std::to_string(h.count()));
  return core::Ok{};
}

}  // namespace ml::core::metrics
