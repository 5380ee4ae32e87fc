// The MQTT 3.1.1 packets of the durable subscriber (core/mqtt/packet.hpp), byte for byte as the
// standard lays them out.
#include <gtest/gtest.h>

#include "core/mqtt/packet.hpp"

namespace ml::core::mqtt {
namespace {

Bytes hex(std::string_view h) {
  return from_hex(h).value();
}

TEST(MqttPacket, ConnectWithPersistentSessionAndCredentials) {
  Connect c;
  c.client_id = "srv";
  c.keepalive_s = 60;
  c.username = "u";
  c.password = "pw";
  auto b = encode_connect(c);
  ASSERT_TRUE(b.ok());
  // 10: CONNECT, 19 bytes; "MQTT", level 4, flags user+password (clean session off), 60 s.
  EXPECT_EQ(to_hex(*b),
            "101600044d51545404c0003c00037372760001750002"
            "7077");
  c.username.reset();
  c.password.reset();
  c.clean_session = true;
  EXPECT_EQ(to_hex(encode_connect(c).value()), "100f00044d5154540402003c0003737276");
}

// The fleet's devices connect as the firmware does: a last will on /offline/v1/<serial> with an
// empty payload, QoS 0, not retained.
TEST(MqttPacket, ConnectWithAWill) {
  Connect c;
  c.client_id = "7";
  c.keepalive_s = 60;
  c.will = Will{"/offline/v1/7", {}, 0, false};
  EXPECT_EQ(to_hex(encode_connect(c).value()),
            "101e00044d5154540404003c000137000d2f6f66666c696e652f76312f370000");
  c.will = Will{"/w", {'x'}, 1, true};
  EXPECT_EQ(to_hex(encode_connect(c).value()),
            "101400044d515454042c003c0001370002"
            "2f77"
            "000178");
  c.will->topic.clear();
  EXPECT_FALSE(encode_connect(c).ok());
}

TEST(MqttPacket, PubackDecodes) {
  const Bytes b = hex("40021234");
  auto h = parse_fixed_header(b, 100).value();
  ASSERT_TRUE(h);
  auto p = decode_incoming(*h, ByteView(b).subspan(2));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(std::holds_alternative<Puback>(*p));
  EXPECT_EQ(std::get<Puback>(*p).packet_id, 0x1234);
  for (std::string_view bad : {"4003123400", "42021234"}) {
    const Bytes x = hex(bad);
    auto hx = parse_fixed_header(x, 100).value();
    ASSERT_TRUE(hx);
    EXPECT_FALSE(decode_incoming(*hx, ByteView(x).subspan(2)).ok()) << bad;
  }
}

TEST(MqttPacket, SubscribeAndAcknowledgements) {
  auto s = encode_subscribe(1, {{"/sample/v2/#", 1}, {"/offline/v1/#", 0}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(to_hex(*s), "82210001000c2f73616d706c652f76322f2301000d2f6f66666c696e652f76312f2300");
  EXPECT_EQ(to_hex(encode_puback(0x1234)), "40021234");
  EXPECT_EQ(to_hex(encode_pubrec(7)), "50020007");
  EXPECT_EQ(to_hex(encode_pubcomp(7)), "70020007");
  EXPECT_EQ(to_hex(encode_pingreq()), "c000");
  EXPECT_EQ(to_hex(encode_disconnect()), "e000");
  EXPECT_FALSE(encode_subscribe(1, {}).ok());
  EXPECT_FALSE(encode_subscribe(1, {{"a", 3}}).ok());
  auto u = encode_unsubscribe(2, {"/status/v2/#"});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(to_hex(*u), "a2100002000c2f7374617475732f76322f23");
  EXPECT_FALSE(encode_unsubscribe(2, {}).ok());
  EXPECT_FALSE(encode_unsubscribe(2, {""}).ok());
}

TEST(MqttPacket, RemainingLengthOfEverySize) {
  for (std::size_t n : {0u, 1u, 127u, 128u, 16383u, 16384u, 2097151u, 2097152u}) {
    const Bytes payload(n > 10 ? n - 10 : 0, 0xAB);
    auto p = encode_publish("t/x", payload, 1, 9);
    ASSERT_TRUE(p.ok());
    auto h = parse_fixed_header(*p, kMaxRemainingLength);
    ASSERT_TRUE(h.ok() && *h) << n;
    EXPECT_EQ((*h)->header_size + (*h)->remaining_length, p->size());
    auto in = decode_incoming(**h, ByteView(*p).subspan((*h)->header_size));
    ASSERT_TRUE(in.ok()) << in.error().message();
    const auto& pub = std::get<Publish>(*in);
    EXPECT_EQ(pub.topic, "t/x");
    EXPECT_EQ(pub.packet_id, 9);
    EXPECT_EQ(pub.payload, payload);
  }
}

TEST(MqttPacket, PartialHeadersWaitForMoreBytes) {
  EXPECT_FALSE(parse_fixed_header({}, 100).value());
  EXPECT_FALSE(parse_fixed_header(hex("30"), 100).value());
  EXPECT_FALSE(parse_fixed_header(hex("30ff"), 1000000).value());
  EXPECT_TRUE(parse_fixed_header(hex("3005"), 100).value());
}

TEST(MqttPacket, BadHeadersAreRejectedWithTheReason) {
  auto reserved = parse_fixed_header(hex("0000"), 100);
  ASSERT_FALSE(reserved.ok());
  EXPECT_NE(reserved.error().detail.find("reserved"), std::string::npos);
  auto long_length = parse_fixed_header(hex("30ffffffff01"), kMaxRemainingLength);
  ASSERT_FALSE(long_length.ok());
  EXPECT_NE(long_length.error().detail.find("more than 4 bytes"), std::string::npos);
  auto padded = parse_fixed_header(hex("30d100"), 1000);  // 81 in two bytes instead of one
  ASSERT_FALSE(padded.ok());
  EXPECT_NE(padded.error().detail.find("fewest bytes"), std::string::npos);
  auto big = parse_fixed_header(hex("3080800401"), 1000);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Errc::mqtt_packet_too_large);
}

TEST(MqttPacket, IncomingPackets) {
  auto decode = [](std::string_view h) {
    const Bytes b = hex(h);
    auto header = parse_fixed_header(b, 1000).value().value();
    return decode_incoming(header, ByteView(b).subspan(header.header_size));
  };
  auto connack = decode("20020100");
  ASSERT_TRUE(connack.ok());
  EXPECT_TRUE(std::get<Connack>(*connack).session_present);
  EXPECT_EQ(std::get<Connack>(decode("20020005").value()).return_code, 5);
  EXPECT_EQ(connack_reason(5), "connection refused: not authorised");
  auto suback = decode("9004000a0180");
  ASSERT_TRUE(suback.ok());
  EXPECT_EQ(std::get<Suback>(*suback).granted, (std::vector<std::uint8_t>{0x01, 0x80}));
  EXPECT_EQ(std::get<PacketId>(decode("62020009").value()).packet_id, 9);
  EXPECT_TRUE(std::holds_alternative<Pingresp>(decode("d000").value()));
  EXPECT_EQ(std::get<Unsuback>(decode("b0020002").value()).packet_id, 2);
  // QoS 0 PUBLISH with the dup and retain flags, no packet id.
  auto pub = decode("3904000174ab");
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(std::get<Publish>(*pub).qos, 0);
  EXPECT_TRUE(std::get<Publish>(*pub).retain);
  EXPECT_TRUE(std::get<Publish>(*pub).dup);
}

TEST(MqttPacket, MalformedIncomingPackets) {
  const std::pair<std::string_view, std::string_view> bad[] = {
      {"2003010000", "CONNACK of 3 bytes"},
      {"20020200", "reserved acknowledge flags"},
      {"9002000a", "SUBACK without return codes"},
      {"9003000a03", "SUBACK return code 3"},
      {"3203000174", "the PUBLISH packet id is missing"},
      {"3206000174000000", "packet id 0"},
      {"36050001740000", "QoS 3"},
      {"3004000000ab", "empty topic"},
      {"3003000223", "announces 2 bytes"},
      {"30040001230a", "wildcard"},
      {"6002000a", "PUBREL with flags 0"},
      {"d00100", "PINGRESP of 1 bytes"},
      {"b003000200", "UNSUBACK of 3 bytes"},
      {"b1020002", "UNSUBACK with flags 1"},
      {"8002000a", "not sent to a subscribing client"},
  };
  for (const auto& [h, why] : bad) {
    const Bytes b = hex(h);
    auto header = parse_fixed_header(b, 1000);
    if (!header.ok() || !*header) {
      ADD_FAILURE() << h << ": the header already fails";
      continue;
    }
    const std::size_t available = b.size() - (*header)->header_size;
    if (available < (*header)->remaining_length) {
      continue;  // incomplete: the subscriber waits for more bytes (covered above)
    }
    auto r = decode_incoming(
        **header, ByteView(b).subspan((*header)->header_size, (*header)->remaining_length));
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_NE(r.error().detail.find(why), std::string::npos) << h << ": " << r.error().detail;
  }
}

// The start of a PUBLISH too large to keep: its topic, packet id and the start of its payload.
TEST(MqttPacket, TheHeadOfAnOversizePublish) {
  const Bytes payload(1000, 0x41);
  const auto bytes = encode_publish("/sample/v2/6892850/1", payload, 1, 7).value();
  const auto h = parse_fixed_header(bytes, kMaxRemainingLength).value().value();
  // A limit below the packet: an error naming the size.
  auto limited = parse_fixed_header(bytes, 100);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().code, Errc::mqtt_packet_too_large);
  const ByteView body(bytes.data() + h.header_size, h.remaining_length);
  auto p = decode_publish_head(h, body.first(100));
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->topic, "/sample/v2/6892850/1");
  EXPECT_EQ(p->packet_id, 7);
  EXPECT_EQ(p->qos, 1);
  EXPECT_EQ(p->payload, Bytes(100 - 2 - 20 - 2, 0x41));
  // Too short for the topic, or not a head at all: errors.
  EXPECT_FALSE(decode_publish_head(h, body.first(10)).ok());
  EXPECT_FALSE(decode_publish_head(h, body).ok());
}

}  // namespace
}  // namespace ml::core::mqtt
