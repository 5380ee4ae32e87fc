// A timestamped hex trace of both directions of a meter link (`meterlogger read --dump FILE`).
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace ml::meter {

class Trace {
 public:
  // Opens (truncates) path for writing; "-" writes to standard error.
  static core::Result<std::unique_ptr<Trace>> open(const std::string& path);
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  // One line each: "<UTC time with microseconds> tx|rx <hex bytes>". Received bytes that arrive
  // without a pause of more than 50 ms share one line, stamped with the first byte's time.
  void sent(core::ByteView bytes);
  void received(core::ByteView bytes);
  // A free-text event: "line 300 7E1 (software parity)", "timeout", ...
  void note(std::string_view text);

 private:
  using TimePoint = std::chrono::system_clock::time_point;
  explicit Trace(std::FILE* f, bool owned) : file_(f), owned_(owned) {}
  void line(TimePoint when, std::string_view kind, std::string_view text);
  void flush_received();
  std::FILE* file_;
  bool owned_;
  core::Bytes pending_rx_;
  TimePoint pending_since_{};
  TimePoint last_rx_{};
};

}  // namespace ml::meter
