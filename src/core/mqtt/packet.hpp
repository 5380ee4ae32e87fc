// MQTT 3.1.1 packets for a subscriber that acknowledges a message only after it has stored it
// (src/platform/mqtt/durable_subscriber.hpp says why libmosquitto cannot), and for the virtual
// devices of `meterlogger sim fleet` (src/sim/fleet.hpp: a hundred thousand sessions on one event
// loop, where a libmosquitto thread each would not fit). Pure: bytes in, bytes out. Only what such
// clients send (CONNECT with or without a will, SUBSCRIBE, UNSUBSCRIBE, PUBLISH, PUBACK, PUBREC,
// PUBCOMP, PINGREQ, DISCONNECT) is encoded, and only what a broker sends them (CONNACK, SUBACK,
// UNSUBACK, PUBLISH, PUBACK, PUBREL, PINGRESP) is decoded. Every decoder is bounded and names what
// was wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace ml::core::mqtt {

enum class PacketType : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
};

// The largest Remaining Length the protocol can express (4 length bytes).
inline constexpr std::size_t kMaxRemainingLength = 268435455;

struct FixedHeader {
  PacketType type;
  std::uint8_t flags;            // the low 4 bits of the first byte
  std::size_t remaining_length;  // bytes after the header
  std::size_t header_size;       // 2..5
};

// The fixed header at the start of `bytes`: nothing yet when more bytes are needed, an error
// when it is malformed (reserved type 0 or 15, a length of more than 4 bytes) or announces more
// than `max_packet` bytes after the header.
Result<std::optional<FixedHeader>> parse_fixed_header(ByteView bytes, std::size_t max_packet);

// Published by the broker for the client when its connection ends without a DISCONNECT.
struct Will {
  std::string topic;
  Bytes payload;
  std::uint8_t qos = 0;
  bool retain = false;
};

struct Connect {
  std::string client_id;
  bool clean_session = false;
  std::uint16_t keepalive_s = 60;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<Will> will;
};

struct Subscription {
  std::string filter;
  std::uint8_t qos = 1;
};

// Encoders. Errors: a string longer than 65535 bytes, an empty subscription or filter list, an
// empty filter, QoS > 2, a will with an empty topic.
Result<Bytes> encode_connect(const Connect& c);
Result<Bytes> encode_subscribe(std::uint16_t packet_id, const std::vector<Subscription>& subs);
Result<Bytes> encode_unsubscribe(std::uint16_t packet_id, const std::vector<std::string>& filters);
Bytes encode_puback(std::uint16_t packet_id);
Bytes encode_pubrec(std::uint16_t packet_id);
Bytes encode_pubcomp(std::uint16_t packet_id);
Bytes encode_pingreq();
Bytes encode_disconnect();
// A PUBLISH (the fleet's devices, tests and tools; the subscriber itself never publishes).
Result<Bytes> encode_publish(std::string_view topic, ByteView payload, std::uint8_t qos,
                             std::uint16_t packet_id, bool dup = false, bool retain = false);

struct Connack {
  bool session_present = false;
  std::uint8_t return_code = 0;  // 0 accepted; 1..5 refused (connack_reason)
};
struct Suback {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> granted;  // 0, 1, 2 or 0x80 (refused) per filter
};
struct Publish {
  std::string topic;
  Bytes payload;
  std::uint8_t qos = 0;
  std::uint16_t packet_id = 0;  // 0 for QoS 0
  bool dup = false;
  bool retain = false;
};
struct PacketId {
  std::uint16_t packet_id = 0;
};
// The broker's acknowledgement of a QoS 1 PUBLISH.
struct Puback {
  std::uint16_t packet_id = 0;
};
struct Pingresp {};
struct Unsuback {
  std::uint16_t packet_id = 0;
};

// One whole packet from the broker: `header` as parse_fixed_header gave it and `body`, the
// remaining_length bytes after it. Packets a broker never sends to a client are errors.
using Incoming =
    std::variant<Connack, Suback, Publish, PacketId /* PUBREL */, Puback, Pingresp, Unsuback>;
Result<Incoming> decode_incoming(const FixedHeader& header, ByteView body);

// The start of a PUBLISH too large to keep whole: `head` is the first bytes of its body (fewer
// than header.remaining_length), holding at least its topic and packet id (kPublishHeadSize
// bytes hold those of any PUBLISH). The payload is what `head` holds after them: the start of
// the real payload. Errors: as decode_incoming, and a head too short for the topic and id.
inline constexpr std::size_t kPublishHeadSize = 2 + 65535 + 2 + 4096;
Result<Publish> decode_publish_head(const FixedHeader& header, ByteView head);

// "connection refused: bad user name or password" and the like, for return codes 1..5.
std::string connack_reason(std::uint8_t return_code);

}  // namespace ml::core::mqtt
