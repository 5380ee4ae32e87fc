// A packed day, written and read (the format: sample_pack.hpp).
#include "server/sample_pack.hpp"

#include <zlib.h>

#include <array>
#include <string_view>

#include "core/envelope/envelope.hpp"

namespace ml::server {
namespace {

constexpr std::string_view kMagic = "MLP1";
constexpr int kLevel = 6;  // zlib's default: the ratio of 9 within 3 %, at half the time

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

void put_text(std::string& out, std::string_view text) {
  put_varint(out, text.size());
  out += text;
}

void put_decimal(std::string& out, const std::optional<core::Decimal>& d) {
  if (!d) return put_varint(out, 0);
  const std::string text = d->to_string();
  put_varint(out, text.size() + 1);
  out += text;
}

// Reads the body; `fail` builds the error naming the serial and day.
class Reader {
 public:
  explicit Reader(std::string_view body) : body_(body) {}

  core::Result<std::uint64_t> varint(std::string_view what) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= body_.size()) return fail(std::string(what) + ": the data ends inside a number");
      const auto b = static_cast<std::uint8_t>(body_[at_++]);
      if (shift == 63 && b > 1) break;
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return fail(std::string(what) + ": a number longer than 64 bits");
  }

  core::Result<std::string_view> bytes(std::uint64_t n, std::string_view what) {
    if (n > body_.size() - at_) return fail(std::string(what) + ": the data ends inside it");
    auto out = body_.substr(at_, n);
    at_ += n;
    return out;
  }

  bool done() const { return at_ == body_.size(); }

  static core::Error fail(std::string detail) {
    return core::make_error(core::Errc::storage_failure, std::move(detail));
  }

 private:
  std::string_view body_;
  std::size_t at_ = 0;
};

core::Result<std::string> inflate_body(std::span<const std::uint8_t> data) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return Reader::fail("zlib cannot start");
  z.next_in = const_cast<Bytef*>(data.data());  // zlib's API; it does not write the input
  z.avail_in = static_cast<uInt>(data.size());
  std::string body;
  std::array<char, 64 * 1024> chunk{};
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk.data());
    z.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&z, Z_NO_FLUSH);
    body.append(chunk.data(), chunk.size() - z.avail_out);
    if (body.size() > kPackedMaxBytes) rc = Z_MEM_ERROR;
    if (rc == Z_BUF_ERROR && z.avail_in == 0) rc = Z_DATA_ERROR;  // the stream is cut short
  }
  const bool trailing = z.avail_in != 0;
  inflateEnd(&z);
  if (rc == Z_MEM_ERROR) {
    return Reader::fail("the data unpacks to more than " + std::to_string(kPackedMaxBytes) +
                        " bytes");
  }
  if (rc != Z_STREAM_END) return Reader::fail("the compressed data is damaged");
  if (trailing) return Reader::fail("bytes after the compressed data");
  return body;
}

}  // namespace

std::int64_t day_of(std::int64_t time) {
  return time >= 0 ? time / kDaySeconds : -((-time + kDaySeconds - 1) / kDaySeconds);
}

std::vector<std::uint8_t> pack_day(const std::vector<SampleRecord>& records) {
  std::string body;
  put_varint(body, records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    put_varint(body, i == 0 ? zigzag(records[i].time)
                            : static_cast<std::uint64_t>(records[i].time - records[i - 1].time));
  }
  for (const auto& r : records)
    put_varint(body, zigzag(r.received - r.time));
  for (const auto& r : records)
    put_text(body, r.text);
  for (const auto& r : records)
    put_decimal(body, r.energy_kwh);
  for (const auto& r : records)
    put_decimal(body, r.volume_m3);
  for (const auto& r : records)
    put_text(body, r.quirks);

  uLongf size = compressBound(static_cast<uLong>(body.size()));
  std::vector<std::uint8_t> out(kMagic.size() + size);
  std::copy(kMagic.begin(), kMagic.end(), out.begin());
  compress2(out.data() + kMagic.size(), &size, reinterpret_cast<const Bytef*>(body.data()),
            static_cast<uLong>(body.size()), kLevel);
  out.resize(kMagic.size() + size);
  return out;
}

core::Result<std::vector<SampleRecord>> unpack_day(std::span<const std::uint8_t> data,
                                                   const std::string& serial, std::int64_t day) {
  const std::string where = "packed day " + std::to_string(day) + " of " + serial + ": ";
  auto named = [&](const core::Error& e) {
    return core::make_error(core::Errc::storage_failure, where + e.detail);
  };
  if (data.size() < kMagic.size() || !std::equal(kMagic.begin(), kMagic.end(), data.begin())) {
    return named(Reader::fail("not a packed day (no MLP1 header)"));
  }
  auto body = inflate_body(data.subspan(kMagic.size()));
  if (!body) return named(body.error());
  Reader in(*body);
  auto count = in.varint("the count");
  if (!count) return named(count.error());
  if (*count == 0 || *count > kPackedMaxSamples) {
    return named(Reader::fail("a count of " + std::to_string(*count) + " samples (1 to " +
                              std::to_string(kPackedMaxSamples) + ")"));
  }
  const std::size_t n = *count;
  std::vector<SampleRecord> out(n);
  const std::int64_t start = day * kDaySeconds;
  std::int64_t time = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string what = "sample " + std::to_string(i + 1) + "'s time";
    auto step = in.varint(what);
    if (!step) return named(step.error());
    if (i == 0) {
      time = unzigzag(*step);
      if (time < start || time - start >= kDaySeconds) {
        return named(Reader::fail(what + " " + std::to_string(time) + " is not of the day"));
      }
    } else {
      if (*step == 0 || *step >= static_cast<std::uint64_t>(kDaySeconds) ||
          time - start + static_cast<std::int64_t>(*step) >= kDaySeconds) {
        return named(Reader::fail(what + " is not later than the one before and within the day"));
      }
      time += static_cast<std::int64_t>(*step);
    }
    out[i].serial = serial;
    out[i].time = time;
  }
  for (std::size_t i = 0; i < n; ++i) {
    auto delta = in.varint("sample " + std::to_string(i + 1) + "'s received time");
    if (!delta) return named(delta.error());
    out[i].received = out[i].time + unzigzag(*delta);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::string what = "sample " + std::to_string(i + 1) + "'s text";
    auto size = in.varint(what);
    if (!size) return named(size.error());
    if (*size == 0 || *size > core::envelope::kMaxTextSize) {
      return named(Reader::fail(what + " has " + std::to_string(*size) + " bytes (1 to " +
                                std::to_string(core::envelope::kMaxTextSize) + ")"));
    }
    auto text = in.bytes(*size, what);
    if (!text) return named(text.error());
    out[i].text = std::string(*text);
  }
  for (auto field : {&SampleRecord::energy_kwh, &SampleRecord::volume_m3}) {
    const char* name = field == &SampleRecord::energy_kwh ? "energy" : "volume";
    for (std::size_t i = 0; i < n; ++i) {
      const std::string what = "sample " + std::to_string(i + 1) + "'s " + name;
      auto size = in.varint(what);
      if (!size) return named(size.error());
      if (*size == 0) continue;
      if (*size - 1 > kPackedMaxDecimal) return named(Reader::fail(what + " is too long"));
      auto text = in.bytes(*size - 1, what);
      if (!text) return named(text.error());
      auto d = core::Decimal::parse(*text);
      if (!d) return named(Reader::fail(what + " is not a decimal"));
      out[i].*field = *d;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::string what = "sample " + std::to_string(i + 1) + "'s quirks";
    auto size = in.varint(what);
    if (!size) return named(size.error());
    if (*size > core::envelope::kMaxTextSize) return named(Reader::fail(what + " are too long"));
    auto text = in.bytes(*size, what);
    if (!text) return named(text.error());
    out[i].quirks = std::string(*text);
  }
  if (!in.done()) return named(Reader::fail("bytes left after the last sample"));
  return out;
}

}  // namespace ml::server
