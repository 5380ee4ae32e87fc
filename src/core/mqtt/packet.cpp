#include "core/mqtt/packet.hpp"

namespace ml::core::mqtt {
namespace {

Error malformed(const std::string& what) {
  return make_error(Errc::mqtt_packet, what);
}

void put_u16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

Status put_string(Bytes& out, std::string_view s, const char* what) {
  if (s.size() > 0xFFFF) {
    return make_error(Errc::invalid_argument, std::string(what) + " is longer than 65535 bytes");
  }
  put_u16(out, static_cast<std::uint16_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
  return Ok{};
}

// First byte, Remaining Length, then the body.
Bytes packet(std::uint8_t first, const Bytes& body) {
  Bytes out;
  out.reserve(body.size() + 5);
  out.push_back(first);
  std::size_t n = body.size();
  do {
    std::uint8_t digit = static_cast<std::uint8_t>(n % 128);
    n /= 128;
    if (n > 0) digit |= 0x80;
    out.push_back(digit);
  } while (n > 0);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes id_packet(std::uint8_t first, std::uint16_t packet_id) {
  Bytes body;
  put_u16(body, packet_id);
  return packet(first, body);
}

// Reads through a body, never past its end.
class Reader {
 public:
  explicit Reader(ByteView b) : b_(b) {}
  std::size_t left() const { return b_.size() - at_; }
  Result<std::uint8_t> u8(const char* what) {
    if (left() < 1) return malformed(std::string(what) + " is missing");
    return b_[at_++];
  }
  Result<std::uint16_t> u16(const char* what) {
    if (left() < 2) return malformed(std::string(what) + " is missing");
    const auto v = static_cast<std::uint16_t>((b_[at_] << 8) | b_[at_ + 1]);
    at_ += 2;
    return v;
  }
  Result<std::string> string(const char* what) {
    auto n = u16(what);
    if (!n) return n.error();
    if (left() < *n) {
      return malformed(std::string(what) + " announces " + std::to_string(*n) + " bytes, " +
                       std::to_string(left()) + " are left");
    }
    std::string s(reinterpret_cast<const char*>(b_.data() + at_), *n);
    at_ += *n;
    return s;
  }
  Bytes rest() {
    Bytes out(b_.begin() + static_cast<std::ptrdiff_t>(at_), b_.end());
    at_ = b_.size();
    return out;
  }

 private:
  ByteView b_;
  std::size_t at_ = 0;
};

Status expect_flags(const FixedHeader& h, std::uint8_t flags, const char* name) {
  if (h.flags != flags) {
    return malformed(std::string(name) + " with flags " + std::to_string(h.flags) + " (must be " +
                     std::to_string(flags) + ")");
  }
  return Ok{};
}

Status expect_length(const FixedHeader& h, std::size_t length, const char* name) {
  if (h.remaining_length != length) {
    return malformed(std::string(name) + " of " + std::to_string(h.remaining_length) +
                     " bytes (must be " + std::to_string(length) + ")");
  }
  return Ok{};
}

// A PUBLISH from its body, or from the start of it (decode_publish_head).
Result<Publish> decode_publish(const FixedHeader& h, ByteView body) {
  Reader r(body);
  Publish p;
  p.dup = (h.flags & 0x08) != 0;
  p.qos = static_cast<std::uint8_t>((h.flags >> 1) & 0x03);
  p.retain = (h.flags & 0x01) != 0;
  if (p.qos == 3) return malformed("PUBLISH with QoS 3");
  auto topic = r.string("the PUBLISH topic");
  if (!topic) return topic.error();
  if (topic->empty()) return malformed("PUBLISH with an empty topic");
  if (topic->find_first_of(std::string_view("+#\0", 3)) != std::string::npos) {
    return malformed("PUBLISH topic with a wildcard or NUL");
  }
  p.topic = std::move(topic).value();
  if (p.qos > 0) {
    auto id = r.u16("the PUBLISH packet id");
    if (!id) return id.error();
    if (*id == 0) return malformed("PUBLISH with packet id 0");
    p.packet_id = *id;
  }
  p.payload = r.rest();
  return p;
}

}  // namespace

Result<std::optional<FixedHeader>> parse_fixed_header(ByteView bytes, std::size_t max_packet) {
  if (bytes.empty()) return std::optional<FixedHeader>{};
  const std::uint8_t type = bytes[0] >> 4;
  if (type == 0 || type == 15) {
    return malformed("packet type " + std::to_string(type) + " is reserved");
  }
  std::size_t length = 0;
  std::size_t multiplier = 1;
  for (std::size_t i = 1;; ++i) {
    if (i > 4) return malformed("the remaining length takes more than 4 bytes");
    if (i >= bytes.size()) return std::optional<FixedHeader>{};  // more bytes needed
    length += (bytes[i] & 0x7F) * multiplier;
    multiplier *= 128;
    if ((bytes[i] & 0x80) == 0) {
      if (i > 1 && bytes[i] == 0) {  // a last length byte of 0 after continuations
        return malformed("the remaining length is not encoded in the fewest bytes");
      }
      if (length > max_packet) {
        return make_error(Errc::mqtt_packet_too_large,
                          "a packet of " + std::to_string(length) + " bytes (at most " +
                              std::to_string(max_packet) + " are accepted)");
      }
      return std::optional<FixedHeader>(FixedHeader{static_cast<PacketType>(type),
                                                    static_cast<std::uint8_t>(bytes[0] & 0x0F),
                                                    length, i + 1});
    }
  }
}

Result<Bytes> encode_connect(const Connect& c) {
  Bytes body;
  if (auto s = put_string(body, "MQTT", "protocol name"); !s) return s.error();
  body.push_back(4);  // protocol level: 3.1.1
  std::uint8_t flags = c.clean_session ? 0x02 : 0x00;
  if (c.will) {
    if (c.will->topic.empty()) return make_error(Errc::invalid_argument, "a will without a topic");
    if (c.will->qos > 2) return make_error(Errc::invalid_argument, "a will with QoS above 2");
    flags |= static_cast<std::uint8_t>(0x04 | (c.will->qos << 3) | (c.will->retain ? 0x20 : 0));
  }
  if (c.username) flags |= 0x80;
  if (c.password) flags |= 0x40;
  body.push_back(flags);
  put_u16(body, c.keepalive_s);
  if (auto s = put_string(body, c.client_id, "the client id"); !s) return s.error();
  if (c.will) {
    if (auto s = put_string(body, c.will->topic, "the will topic"); !s) return s.error();
    const std::string_view payload(reinterpret_cast<const char*>(c.will->payload.data()),
                                   c.will->payload.size());
    if (auto s = put_string(body, payload, "the will payload"); !s) return s.error();
  }
  if (c.username) {
    if (auto s = put_string(body, *c.username, "the user name"); !s) return s.error();
  }
  if (c.password) {
    if (auto s = put_string(body, *c.password, "the password"); !s) return s.error();
  }
  return packet(0x10, body);
}

Result<Bytes> encode_subscribe(std::uint16_t packet_id, const std::vector<Subscription>& subs) {
  if (subs.empty()) return make_error(Errc::invalid_argument, "no topic filter to subscribe to");
  Bytes body;
  put_u16(body, packet_id);
  for (const auto& s : subs) {
    if (s.filter.empty()) return make_error(Errc::invalid_argument, "an empty topic filter");
    if (s.qos > 2) return make_error(Errc::invalid_argument, "QoS above 2");
    if (auto st = put_string(body, s.filter, "a topic filter"); !st) return st.error();
    body.push_back(s.qos);
  }
  return packet(0x82, body);
}

Result<Bytes> encode_unsubscribe(std::uint16_t packet_id, const std::vector<std::string>& filters) {
  if (filters.empty()) return make_error(Errc::invalid_argument, "no topic filter to unsubscribe");
  Bytes body;
  put_u16(body, packet_id);
  for (const auto& f : filters) {
    if (f.empty()) return make_error(Errc::invalid_argument, "an empty topic filter");
    if (auto st = put_string(body, f, "a topic filter"); !st) return st.error();
  }
  return packet(0xA2, body);
}

Bytes encode_puback(std::uint16_t packet_id) {
  return id_packet(0x40, packet_id);
}
Bytes encode_pubrec(std::uint16_t packet_id) {
  return id_packet(0x50, packet_id);
}
Bytes encode_pubcomp(std::uint16_t packet_id) {
  return id_packet(0x70, packet_id);
}
Bytes encode_pingreq() {
  return {0xC0, 0x00};
}
Bytes encode_disconnect() {
  return {0xE0, 0x00};
}

Result<Bytes> encode_publish(std::string_view topic, ByteView payload, std::uint8_t qos,
                             std::uint16_t packet_id, bool dup, bool retain) {
  if (qos > 2) return make_error(Errc::invalid_argument, "QoS above 2");
  Bytes body;
  if (auto s = put_string(body, topic, "the topic"); !s) return s.error();
  if (qos > 0) put_u16(body, packet_id);
  body.insert(body.end(), payload.begin(), payload.end());
  const auto first =
      static_cast<std::uint8_t>(0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0));
  return packet(first, body);
}

Result<Incoming> decode_incoming(const FixedHeader& h, ByteView body) {
  if (body.size() != h.remaining_length) {
    return malformed("the body has " + std::to_string(body.size()) + " bytes, the header says " +
                     std::to_string(h.remaining_length));
  }
  Reader r(body);
  switch (h.type) {
    case PacketType::connack: {
      if (auto s = expect_flags(h, 0, "CONNACK"); !s) return s.error();
      if (auto s = expect_length(h, 2, "CONNACK"); !s) return s.error();
      const std::uint8_t ack = body[0];
      if ((ack & 0xFE) != 0) return malformed("CONNACK with reserved acknowledge flags set");
      return Incoming(Connack{(ack & 0x01) != 0, body[1]});
    }
    case PacketType::suback: {
      if (auto s = expect_flags(h, 0, "SUBACK"); !s) return s.error();
      auto id = r.u16("the SUBACK packet id");
      if (!id) return id.error();
      Suback a{*id, r.rest()};
      if (a.granted.empty()) return malformed("SUBACK without return codes");
      for (auto code : a.granted) {
        if (code > 2 && code != 0x80) {
          return malformed("SUBACK return code " + std::to_string(code));
        }
      }
      return Incoming(std::move(a));
    }
    case PacketType::publish: {
      auto p = decode_publish(h, body);
      if (!p) return p.error();
      return Incoming(std::move(p).value());
    }
    case PacketType::pubrel: {
      if (auto s = expect_flags(h, 2, "PUBREL"); !s) return s.error();
      if (auto s = expect_length(h, 2, "PUBREL"); !s) return s.error();
      return Incoming(PacketId{static_cast<std::uint16_t>((body[0] << 8) | body[1])});
    }
    case PacketType::puback: {
      if (auto s = expect_flags(h, 0, "PUBACK"); !s) return s.error();
      if (auto s = expect_length(h, 2, "PUBACK"); !s) return s.error();
      return Incoming(Puback{static_cast<std::uint16_t>((body[0] << 8) | body[1])});
    }
    case PacketType::unsuback: {
      if (auto s = expect_flags(h, 0, "UNSUBACK"); !s) return s.error();
      if (auto s = expect_length(h, 2, "UNSUBACK"); !s) return s.error();
      return Incoming(Unsuback{static_cast<std::uint16_t>((body[0] << 8) | body[1])});
    }
    case PacketType::pingresp: {
      if (auto s = expect_flags(h, 0, "PINGRESP"); !s) return s.error();
      if (auto s = expect_length(h, 0, "PINGRESP"); !s) return s.error();
      return Incoming(Pingresp{});
    }
    default:
      return malformed("packet type " + std::to_string(static_cast<int>(h.type)) +
                       " is not sent to a subscribing client");
  }
}

Result<Publish> decode_publish_head(const FixedHeader& h, ByteView head) {
  if (h.type != PacketType::publish) return malformed("not a PUBLISH");
  if (head.size() >= h.remaining_length) {
    return malformed("the head has " + std::to_string(head.size()) + " bytes, the packet " +
                     std::to_string(h.remaining_length));
  }
  return decode_publish(h, head);
}

std::string connack_reason(std::uint8_t code) {
  switch (code) {
    case 0:
      return "accepted";
    case 1:
      return "connection refused: unacceptable protocol version";
    case 2:
      return "connection refused: client id rejected";
    case 3:
      return "connection refused: server unavailable";
    case 4:
      return "connection refused: bad user name or password";
    case 5:
      return "connection refused: not authorised";
    default:
      return "connection refused: return code " + std::to_string(code);
  }
}

}  // namespace ml::core::mqtt
