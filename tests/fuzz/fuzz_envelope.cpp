// Fuzz target for the v2 envelope and the topic parser.
//
// Input layout: byte 0 = flags | topic length; the next <length> bytes are the topic, the rest is
// the payload.
//   bits 0..6  topic length (0..127)
//   bit 7      "re-MAC": the target replaces the payload's HMAC with a valid one for the fixed
//              key, so mutated ciphertexts get past authentication and exercise decryption,
//              unpadding and the NUL cut.
// The key is the one of the specification's vectors (ef500c9268cf749016d26d6cbfaaf7bf), so the
// seeds in corpus/fuzz_envelope/ (the vector payloads behind their topics) open.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/envelope/envelope.hpp"
#include "core/topic/topic.hpp"

namespace {

using namespace ml::core;

void check(bool condition) {
  if (!condition) std::abort();
}

const envelope::Keys& fuzz_keys() {
  static const envelope::Keys keys =
      envelope::derive_keys_from_hex("ef500c9268cf749016d26d6cbfaaf7bf").value();
  return keys;
}

void fuzz_topic(std::string_view text) {
  auto parsed = topic::parse(text);
  if (!parsed) {
    check(parsed.error().code == Errc::topic_invalid);
    return;
  }
  // Whatever parses formats again, and the formatted text parses to the same topic.
  auto formatted = topic::format(*parsed);
  check(formatted.ok());
  check(formatted->size() <= text.size());
  auto again = topic::parse(*formatted);
  check(again.ok() && *again == *parsed);
}

void fuzz_open(std::string_view topic_text, Bytes payload, bool re_mac) {
  const auto& keys = fuzz_keys();
  if (re_mac && payload.size() >= envelope::kHeaderSize) {
    auto mac =
        envelope::compute_mac(keys, topic_text, ByteView(payload).subspan(envelope::kMacSize));
    check(mac.ok());
    std::copy(mac->begin(), mac->end(), payload.begin());
  }
  auto opened = envelope::open_message(keys, topic_text, payload, envelope::EmptyText::accept);
  auto strict = envelope::open(keys, topic_text, payload);
  // open is open_message with empty texts rejected.
  check(strict.ok() == (opened.ok() && !opened->text.empty()));
  if (!opened) {
    check(!strict.ok() && strict.error().code == opened.error().code);
    return;
  }
  check(opened->text.empty() || *strict == opened->text);
  check(opened->text.find('\0') == std::string::npos);
  check(opened->text.size() < payload.size() - envelope::kHeaderSize);
  if (opened->text.size() > envelope::kMaxTextSize) return;

  // Seal the text again with the same IV and padding: it opens to the same text.
  envelope::Iv iv{};
  std::copy_n(payload.begin() + envelope::kMacSize, iv.size(), iv.begin());
  auto resealed = envelope::seal(keys, topic_text, iv, opened->text, opened->padding);
  check(resealed.ok());
  check(resealed->size() == envelope::sealed_size(opened->text.size(), opened->padding));
  auto reopened = envelope::open_message(keys, topic_text, *resealed, envelope::EmptyText::accept);
  check(reopened.ok() && reopened->text == opened->text && reopened->padding == opened->padding);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool re_mac = (data[0] & 0x80) != 0;
  const std::size_t topic_size = std::min<std::size_t>(data[0] & 0x7F, size - 1);
  const std::string_view topic_text(reinterpret_cast<const char*>(data + 1), topic_size);
  fuzz_topic(topic_text);
  fuzz_open(topic_text, Bytes(data + 1 + topic_size, data + size), re_mac);
  return 0;
}
