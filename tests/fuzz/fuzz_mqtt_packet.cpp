// Fuzz target: the MQTT packets a broker sends to the server's durable subscriber. Invariants:
// the header parser never announces more than the limit; a decoded PUBLISH re-encodes to the
// same bytes (QoS > 0) and its topic has no wildcard; the head of a PUBLISH (what the subscriber
// keeps of one too large to keep whole) decodes to the same topic and id and a payload that is a
// prefix of the whole one.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/mqtt/packet.hpp"

using namespace ml::core;
using namespace ml::core::mqtt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kLimit = 4096;
  ByteView bytes(data, size);
  while (!bytes.empty()) {
    auto h = parse_fixed_header(bytes, kLimit);
    if (!h.ok() || !*h) return 0;
    if ((*h)->remaining_length > kLimit || (*h)->header_size > 5) std::abort();
    if (bytes.size() < (*h)->header_size + (*h)->remaining_length) return 0;
    const ByteView body = bytes.subspan((*h)->header_size, (*h)->remaining_length);
    auto in = decode_incoming(**h, body);
    if (in.ok()) {
      if (const auto* p = std::get_if<Publish>(&*in)) {
        if (p->topic.find_first_of("+#") != std::string::npos) std::abort();
        if (p->qos > 0) {
          auto again =
              encode_publish(p->topic, p->payload, p->qos, p->packet_id, p->dup, p->retain);
          const ByteView original = bytes.subspan(0, (*h)->header_size + (*h)->remaining_length);
          if (!again.ok() || Bytes(original.begin(), original.end()) != *again) std::abort();
        }
        for (std::size_t cut : {std::size_t{1}, std::size_t{7}, body.size() / 2}) {
          if (cut == 0 || cut > body.size()) continue;
          auto head = decode_publish_head(**h, body.first(body.size() - cut));
          if (!head.ok()) continue;
          if (head->topic != p->topic || head->packet_id != p->packet_id ||
              head->payload.size() > p->payload.size() ||
              !std::equal(head->payload.begin(), head->payload.end(), p->payload.begin())) {
            std::abort();
          }
        }
      }
    }
    bytes = bytes.subspan((*h)->header_size + (*h)->remaining_length);
  }
  return 0;
}
