#include "meter/trace.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace ml::meter {

core::Result<std::unique_ptr<Trace>> Trace::open(const std::string& path) {
  if (path == "-") return std::unique_ptr<Trace>(new Trace(stderr, false));
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    return core::make_error(core::Errc::invalid_argument,
                            "cannot write " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<Trace>(new Trace(f, true));
}

Trace::~Trace() {
  flush_received();
  if (owned_) std::fclose(file_);
}

void Trace::sent(core::ByteView bytes) {
  flush_received();
  line(std::chrono::system_clock::now(), "tx", core::to_hex_spaced(bytes));
}

void Trace::received(core::ByteView bytes) {
  const auto now = std::chrono::system_clock::now();
  if (!pending_rx_.empty() && now - last_rx_ > std::chrono::milliseconds(50)) flush_received();
  if (pending_rx_.empty()) pending_since_ = now;
  pending_rx_.insert(pending_rx_.end(), bytes.begin(), bytes.end());
  last_rx_ = now;
}

void Trace::note(std::string_view text) {
  flush_received();
  line(std::chrono::system_clock::now(), "--", text);
}

void Trace::flush_received() {
  if (pending_rx_.empty()) return;
  line(pending_since_, "rx", core::to_hex_spaced(pending_rx_));
  pending_rx_.clear();
}

void Trace::line(TimePoint when, std::string_view kind, std::string_view text) {
  using namespace std::chrono;
  const std::time_t secs = system_clock::to_time_t(when);
  const auto micros = duration_cast<microseconds>(when.time_since_epoch()).count() % 1000000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[40];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::fprintf(file_, "%s.%06lldZ %.*s %.*s\n", stamp, static_cast<long long>(micros),
               static_cast<int>(kind.size()), kind.data(), static_cast<int>(text.size()),
               text.data());
  std::fflush(file_);
}

}  // namespace ml::meter
