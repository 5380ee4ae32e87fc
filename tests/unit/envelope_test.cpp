#include "core/envelope/envelope.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace ml::core::envelope {
namespace {

using nlohmann::json;

const json& vectors() {
  static const json data = [] {
    std::ifstream in(std::string(ML_TEST_DATA_DIR) + "/envelope_vectors.json");
    EXPECT_TRUE(in.good()) << "cannot open envelope_vectors.json";
    return json::parse(in);
  }();
  return data;
}

Bytes hex(std::string_view text) {
  auto r = from_hex(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? r.value() : Bytes{};
}

Keys keys_of(std::string_view master_hex) {
  auto r = derive_keys_from_hex(master_hex);
  EXPECT_TRUE(r.ok()) << master_hex;
  return r.ok() ? r.value() : Keys{};
}

Iv iv_of(std::string_view text) {
  const Bytes b = hex(text);
  Iv iv{};
  EXPECT_EQ(b.size(), iv.size());
  std::copy_n(b.begin(), std::min(b.size(), iv.size()), iv.begin());
  return iv;
}

Padding padding_of(const std::string& name) {
  EXPECT_TRUE(name == "pkcs7" || name == "zero") << name;
  return name == "zero" ? Padding::zero : Padding::pkcs7;
}

const Keys& spec_keys() {
  static const Keys k = keys_of("ef500c9268cf749016d26d6cbfaaf7bf");
  return k;
}

constexpr std::string_view kSampleTopic = "/sample/v2/7210086/1466572820";
constexpr std::string_view kSampleText =
    "heap=21376&t1=23.61 C&t2=22.19 C&tdif=1.42 K&flow1=0 l/h&effect1=0.0 kW&hr=73327 h&"
    "v1=1321.27 m3&e1=56.726 MWh&";

Bytes must_seal(std::string_view topic, std::string_view text, Padding padding,
                const Iv& iv = Iv{}) {
  auto r = seal(spec_keys(), topic, iv, text, padding);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? r.value() : Bytes{};
}

Bytes must_seal_blocks(std::string_view topic, ByteView padded, const Iv& iv = Iv{}) {
  auto r = seal_blocks(spec_keys(), topic, iv, padded);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? r.value() : Bytes{};
}

Errc open_error(std::string_view topic, ByteView payload, const Keys& keys = spec_keys()) {
  auto r = open(keys, topic, payload);
  EXPECT_FALSE(r.ok()) << "opened unexpectedly: " << (r.ok() ? r.value() : "");
  return r.ok() ? Errc::invalid_argument : r.error().code;
}

// --- keys ---------------------------------------------------------------------------------------

TEST(EnvelopeKeys, DerivationMatchesEveryVector) {
  const auto& list = vectors().at("key_derivation");
  ASSERT_GE(list.size(), 2u);
  for (const auto& v : list) {
    const std::string master = v.at("master_key");
    const Keys k = keys_of(master);
    EXPECT_EQ(to_hex(k.aes), v.at("aes_key").get<std::string>()) << master;
    EXPECT_EQ(to_hex(k.hmac), v.at("hmac_key").get<std::string>()) << master;
    if (v.contains("sha256")) {
      EXPECT_EQ(to_hex(k.digest()), v.at("sha256").get<std::string>()) << master;
    }
    // The same from the bytes.
    auto bytes = parse_master_key(master);
    ASSERT_TRUE(bytes.ok());
    auto direct = derive_keys(*bytes);
    ASSERT_TRUE(direct.ok());
    EXPECT_EQ(direct->aes, k.aes);
    EXPECT_EQ(direct->hmac, k.hmac);
  }
}

TEST(EnvelopeKeys, UpperCaseHexIsTheSameKey) {
  const Keys upper = keys_of("EF500C9268CF749016D26D6CBFAAF7BF");
  EXPECT_EQ(upper.aes, spec_keys().aes);
  EXPECT_EQ(upper.hmac, spec_keys().hmac);
}

TEST(EnvelopeKeys, BadKeyTextIsRejectedWithTheReason) {
  struct Case {
    std::string text;
    std::string detail_part;
  };
  const Case cases[] = {
      {"", "got 0 characters"},
      {"ef500c9268cf749016d26d6cbfaaf7b", "got 31 characters"},
      {"ef500c9268cf749016d26d6cbfaaf7bf0", "got 33 characters"},
      {"ef500c9268cf749016d26d6cbfaaf7bf\n", "got 33 characters"},
      {"ef500c9268cf749016d26d6cbfaaf7bg", "'g' at position 31 is not a hex digit"},
      {"ef500c92 8cf749016d26d6cbfaaf7bf", "' ' at position 8 is not a hex digit"},
      {std::string("ef500c9268cf749016d26d6cbfaaf7b\0", 32), "\\x00 at position 31"},
      {"0xef500c9268cf749016d26d6cbfaaf7", "'x' at position 1"},
  };
  for (const auto& c : cases) {
    auto r = derive_keys_from_hex(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code, Errc::envelope_bad_key);
    EXPECT_NE(r.error().detail.find(c.detail_part), std::string::npos) << r.error().detail;
  }
}

TEST(EnvelopeKeys, SetupApPasswordIsTheFirstSixteenHexDigits) {
  auto master = parse_master_key("EF500C9268CF749016D26D6CBFAAF7BF");
  ASSERT_TRUE(master.ok());
  EXPECT_EQ(setup_ap_password(*master), "ef500c9268cf7490");
}

// --- the vectors --------------------------------------------------------------------------------

TEST(EnvelopeVectors, SealReproducesEveryPayload) {
  const auto& list = vectors().at("vectors");
  ASSERT_EQ(list.size(), 7u);
  for (const auto& v : list) {
    const std::string name = v.at("name");
    const Keys k = keys_of(v.at("master_key").get<std::string>());
    const Padding padding = padding_of(v.at("padding"));
    const std::string text = v.at("text");
    auto sealed = seal(k, v.at("topic").get<std::string>(), iv_of(v.at("iv").get<std::string>()),
                       text, padding);
    ASSERT_TRUE(sealed.ok()) << name << ": " << sealed.error().message();
    EXPECT_EQ(to_hex(*sealed), v.at("payload").get<std::string>()) << name;
    EXPECT_EQ(sealed->size(), sealed_size(text.size(), padding)) << name;
  }
}

TEST(EnvelopeVectors, OpenReturnsEveryText) {
  for (const auto& v : vectors().at("vectors")) {
    const std::string name = v.at("name");
    const Keys k = keys_of(v.at("master_key").get<std::string>());
    const Bytes payload = hex(v.at("payload").get<std::string>());
    auto opened = open_message(k, v.at("topic").get<std::string>(), payload);
    ASSERT_TRUE(opened.ok()) << name << ": " << opened.error().message();
    EXPECT_EQ(opened->text, v.at("text").get<std::string>()) << name;
    EXPECT_EQ(opened->padding, padding_of(v.at("padding"))) << name;
    auto text = open(k, v.at("topic").get<std::string>(), payload);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(*text, v.at("text").get<std::string>());
  }
}

// The server's Decryptor (EVP, the CPU's AES instructions) opens what the default opens, one
// Decryptor going from key to key as the server's does from meter to meter.
TEST(EnvelopeVectors, ADecryptorOpensEveryVectorAlike) {
  Decryptor decryptor;
  for (int round = 0; round < 2; ++round) {
    for (const auto& v : vectors().at("vectors")) {
      const std::string name = v.at("name");
      const Keys k = keys_of(v.at("master_key").get<std::string>());
      const Bytes payload = hex(v.at("payload").get<std::string>());
      auto opened =
          open_message(k, v.at("topic").get<std::string>(), payload, EmptyText::accept, &decryptor);
      ASSERT_TRUE(opened.ok()) << name << ": " << opened.error().message();
      EXPECT_EQ(opened->text, v.at("text").get<std::string>()) << name;
      EXPECT_EQ(opened->padding, padding_of(v.at("padding"))) << name;
    }
  }
  std::mt19937 rng(4401);
  for (std::size_t length = 0; length <= 100; ++length) {
    Iv iv{};
    for (auto& b : iv)
      b = static_cast<std::uint8_t>(rng());
    const std::string text(length, static_cast<char>('a' + length % 26));
    const std::string topic = "/sample/v2/4401/" + std::to_string(length);
    auto sealed = seal(spec_keys(), topic, iv, text, length % 2 ? Padding::zero : Padding::pkcs7);
    ASSERT_TRUE(sealed.ok());
    auto with = open_message(spec_keys(), topic, *sealed, EmptyText::accept, &decryptor);
    ASSERT_TRUE(with.ok()) << length;
    EXPECT_EQ(with->text, text);
  }
  // Bad padding behind a valid MAC is found the same way.
  const Bytes block = {'a', 'b', 'c', 0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 5, 6, 5};
  auto bad = open_message(spec_keys(), kSampleTopic, must_seal_blocks(kSampleTopic, block),
                          EmptyText::reject, &decryptor);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::envelope_bad_padding);
}

TEST(EnvelopeVectors, ZeroPaddingOfAnAlignedPlaintextAddsNoBlock) {
  // 111 characters + NUL = 112 bytes = 7 blocks: zero padding gives 160 bytes, PKCS#7 176, and
  // the first 7 ciphertext blocks are the same.
  ASSERT_EQ(kSampleText.size(), 111u);
  const Iv iv = iv_of("54cd3d04f024e7e5c4876248cc146c41");
  const Bytes zero = must_seal(kSampleTopic, kSampleText, Padding::zero, iv);
  const Bytes pkcs7 = must_seal(kSampleTopic, kSampleText, Padding::pkcs7, iv);
  EXPECT_EQ(zero.size(), 160u);
  EXPECT_EQ(pkcs7.size(), 176u);
  EXPECT_TRUE(std::equal(zero.begin() + 32, zero.end(), pkcs7.begin() + 32));
  EXPECT_EQ(sealed_size(111, Padding::zero), 160u);
  EXPECT_EQ(sealed_size(111, Padding::pkcs7), 176u);
  EXPECT_EQ(sealed_size(0, Padding::zero), 64u);
  EXPECT_EQ(sealed_size(0, Padding::pkcs7), 64u);
  EXPECT_EQ(sealed_size(15, Padding::zero), 64u);
  EXPECT_EQ(sealed_size(15, Padding::pkcs7), 80u);
}

TEST(EnvelopeVectors, TheDeviceLimitHoldsFourHundredFortySixBytesOfText) {
  EXPECT_LE(sealed_size(kDeviceMaxTextSize, Padding::pkcs7), kDeviceMaxPayloadSize);
  EXPECT_GT(sealed_size(kDeviceMaxTextSize + 1, Padding::pkcs7), kDeviceMaxPayloadSize);
}

// --- errors -------------------------------------------------------------------------------------

TEST(EnvelopeOpen, ShortPayloads) {
  const Bytes empty;
  EXPECT_EQ(open_error(kSampleTopic, empty), Errc::envelope_too_short);
  const Bytes p47(47, 0xAB);
  EXPECT_EQ(open_error(kSampleTopic, p47), Errc::envelope_too_short);
  // A valid payload cut to 47 bytes.
  Bytes cut = must_seal(kSampleTopic, "1", Padding::pkcs7);
  cut.resize(47);
  EXPECT_EQ(open_error(kSampleTopic, cut), Errc::envelope_too_short);
}

TEST(EnvelopeOpen, CiphertextMustBeWholeNonEmptyBlocks) {
  const Bytes p48(48, 0);
  auto r = open(spec_keys(), kSampleTopic, p48);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::envelope_bad_length);
  EXPECT_NE(r.error().detail.find("no ciphertext"), std::string::npos);
  for (std::size_t extra : {1u, 15u, 17u, 31u}) {
    const Bytes p(48 + extra, 0);
    EXPECT_EQ(open_error(kSampleTopic, p), Errc::envelope_bad_length) << extra;
  }
  // A sealed payload with one byte too many or too few.
  Bytes longer = must_seal(kSampleTopic, "1000", Padding::pkcs7);
  longer.push_back(0);
  EXPECT_EQ(open_error(kSampleTopic, longer), Errc::envelope_bad_length);
  longer.resize(longer.size() - 2);
  EXPECT_EQ(open_error(kSampleTopic, longer), Errc::envelope_bad_length);
}

TEST(EnvelopeOpen, OversizedPayloads) {
  const Bytes big(kMaxPayloadSize + 16, 0);
  EXPECT_EQ(open_error(kSampleTopic, big), Errc::envelope_too_long);
  const Bytes just_over(kMaxPayloadSize + 1, 0);
  EXPECT_EQ(open_error(kSampleTopic, just_over), Errc::envelope_too_long);
  // The largest accepted size reaches the HMAC check.
  const Bytes largest(kMaxPayloadSize, 0);
  EXPECT_EQ(open_error(kSampleTopic, largest), Errc::envelope_bad_mac);
}

TEST(EnvelopeOpen, WrongKeyTopicOrTopicWithNulFailsTheMac) {
  const Bytes payload = must_seal(kSampleTopic, kSampleText, Padding::pkcs7);
  const Keys other =
      keys_of(vectors().at("key_derivation").at(1).at("master_key").get<std::string>());
  EXPECT_EQ(open_error(kSampleTopic, payload, other), Errc::envelope_bad_mac);
  EXPECT_EQ(open_error("/sample/v2/7210086/1466572821", payload), Errc::envelope_bad_mac);
  EXPECT_EQ(open_error("/sample/v2/7210086/146657282", payload), Errc::envelope_bad_mac);
  EXPECT_EQ(open_error("", payload), Errc::envelope_bad_mac);
  // The topic as the desktop test program of the original hashed it: with its NUL terminator.
  const std::string with_nul = std::string(kSampleTopic) + '\0';
  EXPECT_EQ(open_error(with_nul, payload), Errc::envelope_bad_mac);
  // Swapping the AES and HMAC keys.
  const Keys swapped{spec_keys().hmac, spec_keys().aes};
  EXPECT_EQ(open_error(kSampleTopic, payload, swapped), Errc::envelope_bad_mac);
}

TEST(EnvelopeOpen, InvalidPaddingBehindAValidMacIsRejected) {
  // Last byte 5 announces PKCS#7, but the bytes before it are not all 5.
  Bytes block = {'a', 'b', 'c', 0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 5, 6, 5};
  auto r = open(spec_keys(), kSampleTopic, must_seal_blocks(kSampleTopic, block));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::envelope_bad_padding);
  EXPECT_NE(r.error().detail.find("padding bytes differ"), std::string::npos);
  // Last bytes 17, 0x20 and 0xFF are neither a PKCS#7 length nor zero padding.
  for (std::uint8_t last : {std::uint8_t{17}, std::uint8_t{0x20}, std::uint8_t{0xFF}}) {
    block.back() = last;
    r = open(spec_keys(), kSampleTopic, must_seal_blocks(kSampleTopic, block));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::envelope_bad_padding) << int{last};
  }
  // 16 announced over a two-block plaintext whose second block is not all 16.
  Bytes two(32, 16);
  two[16] = 15;
  EXPECT_EQ(open_error(kSampleTopic, must_seal_blocks(kSampleTopic, two)),
            Errc::envelope_bad_padding);
}

TEST(EnvelopeOpen, AWholeBlockOfPkcs7PaddingIsStripped) {
  Bytes plain(32, 16);
  const std::string_view text = "abcdefghijklmn";  // 14 + NUL + one byte of 1
  std::copy(text.begin(), text.end(), plain.begin());
  plain[14] = 0;
  plain[15] = 1;
  auto r = open_message(spec_keys(), kSampleTopic, must_seal_blocks(kSampleTopic, plain));
  ASSERT_TRUE(r.ok()) << r.error().message();
  // The pad of 16 is stripped; byte 15 (value 1) is after the NUL and therefore not text.
  EXPECT_EQ(r->text, text);
  EXPECT_EQ(r->padding, Padding::pkcs7);
}

TEST(EnvelopeOpen, EmptyTextIsRejectedUnlessAccepted) {
  for (Padding padding : {Padding::pkcs7, Padding::zero}) {
    const Bytes payload = must_seal(kSampleTopic, "", padding);
    EXPECT_EQ(payload.size(), 64u);
    auto r = open(spec_keys(), kSampleTopic, payload);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::envelope_empty);
    auto accepted = open_message(spec_keys(), kSampleTopic, payload, EmptyText::accept);
    ASSERT_TRUE(accepted.ok()) << accepted.error().message();
    EXPECT_EQ(accepted->text, "");
    EXPECT_EQ(accepted->padding, padding);
  }
  // A block of zeros and a plaintext that starts with its NUL are empty too.
  const Bytes zeros(16, 0);
  EXPECT_EQ(open_error(kSampleTopic, must_seal_blocks(kSampleTopic, zeros)), Errc::envelope_empty);
  Bytes nul_first(16, 15);
  nul_first[0] = 0;
  EXPECT_EQ(open_error(kSampleTopic, must_seal_blocks(kSampleTopic, nul_first)),
            Errc::envelope_empty);
  // A ciphertext that is all PKCS#7 padding holds nothing at all.
  const Bytes only_pad(16, 16);
  EXPECT_EQ(open_error(kSampleTopic, must_seal_blocks(kSampleTopic, only_pad)),
            Errc::envelope_empty);
}

TEST(EnvelopeOpen, TextEndsAtTheFirstNul) {
  const std::string_view plain_text("abc\0def\0\0\0\0\0\0\0\0\1", 16);
  auto r =
      open_message(spec_keys(), kSampleTopic, must_seal_blocks(kSampleTopic, as_bytes(plain_text)));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->text, "abc");
  // Zero padding with bytes after the NUL: cut there as well.
  const std::string_view zero_text("12\0garbage\0\0\0\0\0\0", 16);
  r = open_message(spec_keys(), kSampleTopic, must_seal_blocks(kSampleTopic, as_bytes(zero_text)));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->text, "12");
  EXPECT_EQ(r->padding, Padding::zero);
  // PKCS#7 without any NUL (a sender that does not terminate its text): taken whole.
  const std::string_view no_nul("abcdefghijklmno\1", 16);
  r = open_message(spec_keys(), kSampleTopic, must_seal_blocks(kSampleTopic, as_bytes(no_nul)));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->text, "abcdefghijklmno");
}

// --- seal errors --------------------------------------------------------------------------------

TEST(EnvelopeSeal, RejectsTextWithNulAndOverlongText) {
  auto r = seal(spec_keys(), kSampleTopic, Iv{}, std::string_view("ab\0c", 4));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::envelope_bad_text);
  EXPECT_NE(r.error().detail.find("offset 2"), std::string::npos);

  const std::string longest(kMaxTextSize, 'x');
  auto ok = seal(spec_keys(), kSampleTopic, Iv{}, longest);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), sealed_size(kMaxTextSize, Padding::pkcs7));
  auto back = open(spec_keys(), kSampleTopic, *ok);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, longest);

  r = seal(spec_keys(), kSampleTopic, Iv{}, std::string(kMaxTextSize + 1, 'x'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::envelope_bad_text);
}

TEST(EnvelopeSeal, SealBlocksNeedsWholeBlocks) {
  for (std::size_t n : {0u, 1u, 15u, 17u}) {
    const Bytes plain(n, 1);
    auto r = seal_blocks(spec_keys(), kSampleTopic, Iv{}, plain);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, Errc::envelope_bad_length) << n;
  }
  const Bytes huge(kMaxPayloadSize, 0);
  auto r = seal_blocks(spec_keys(), kSampleTopic, Iv{}, huge);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::envelope_too_long);
}

TEST(EnvelopeSeal, MacCoversTopicIvAndCiphertext) {
  const Bytes payload = must_seal(kSampleTopic, "1000", Padding::pkcs7);
  auto mac = compute_mac(spec_keys(), kSampleTopic, ByteView(payload).subspan(32));
  ASSERT_TRUE(mac.ok());
  EXPECT_TRUE(std::equal(mac->begin(), mac->end(), payload.begin()));
}

// --- properties ---------------------------------------------------------------------------------

TEST(EnvelopeProperties, EveryFlippedBitIsRejected) {
  std::vector<std::pair<std::string, Bytes>> payloads;
  for (const auto& v : vectors().at("vectors")) {
    if (v.at("master_key") != "ef500c9268cf749016d26d6cbfaaf7bf") continue;
    payloads.emplace_back(v.at("topic").get<std::string>(),
                          hex(v.at("payload").get<std::string>()));
  }
  ASSERT_GE(payloads.size(), 4u);
  std::size_t flips = 0;
  for (auto& [topic, payload] : payloads) {
    ASSERT_TRUE(open(spec_keys(), topic, payload).ok());
    for (std::size_t bit = 0; bit < payload.size() * 8; ++bit) {
      payload[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      auto r = open(spec_keys(), topic, payload);
      payload[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      ASSERT_FALSE(r.ok()) << topic << " bit " << bit;
      EXPECT_EQ(r.error().code, Errc::envelope_bad_mac) << topic << " bit " << bit;
      ++flips;
    }
    // And every bit of the topic.
    std::string t = topic;
    for (std::size_t bit = 0; bit < t.size() * 8; ++bit) {
      t[bit / 8] = static_cast<char>(t[bit / 8] ^ (1 << (bit % 8)));
      EXPECT_EQ(open_error(t, payload), Errc::envelope_bad_mac) << topic << " topic bit " << bit;
      t[bit / 8] = static_cast<char>(t[bit / 8] ^ (1 << (bit % 8)));
    }
  }
  EXPECT_GT(flips, 3000u);
}

TEST(EnvelopeProperties, RandomPayloadsNeverOpen) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> blocks(1, 12);
  for (int i = 0; i < 3000; ++i) {
    Bytes payload(kHeaderSize + blocks(rng) * kBlockSize);
    for (auto& b : payload)
      b = static_cast<std::uint8_t>(byte(rng));
    auto r = open_message(spec_keys(), kSampleTopic, payload, EmptyText::accept);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::envelope_bad_mac);
  }
}

TEST(EnvelopeProperties, SealThenOpenRoundTrips) {
  std::mt19937 rng(7210086);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> text_byte(1, 255);
  for (std::size_t length = 0; length <= 300; ++length) {
    for (Padding padding : {Padding::pkcs7, Padding::zero}) {
      std::string text(length, 'x');
      for (auto& c : text)
        c = static_cast<char>(text_byte(rng));
      Iv iv{};
      for (auto& b : iv)
        b = static_cast<std::uint8_t>(byte(rng));
      const std::string topic = "/config/v2/7210086/" + std::to_string(rng()) + "/set_ssid";
      auto sealed = seal(spec_keys(), topic, iv, text, padding);
      ASSERT_TRUE(sealed.ok()) << length;
      ASSERT_EQ(sealed->size(), sealed_size(length, padding));
      EXPECT_TRUE(std::equal(iv.begin(), iv.end(), sealed->begin() + 32));
      auto opened = open_message(spec_keys(), topic, *sealed, EmptyText::accept);
      ASSERT_TRUE(opened.ok()) << length << ": " << opened.error().message();
      EXPECT_EQ(opened->text, text);
      EXPECT_EQ(opened->padding, padding);
    }
  }
}

TEST(EnvelopeProperties, OpenIsAPureFunction) {
  const Bytes payload = hex(vectors().at("vectors").at(2).at("payload").get<std::string>());
  const Bytes copy = payload;
  const std::string topic = vectors().at("vectors").at(2).at("topic");
  Bytes bad = payload;
  bad[40] ^= 1;
  EXPECT_FALSE(open(spec_keys(), topic, bad).ok());
  auto first = open(spec_keys(), topic, payload);
  auto second = open(spec_keys(), topic, payload);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(payload, copy);
}

}  // namespace
}  // namespace ml::core::envelope
