#include "core/totp/totp.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ml::totp_test {
namespace {

namespace totp = core::totp;
using core::Bytes;
using core::ByteView;

// The secret of RFC 4226 Appendix D and RFC 6238 Appendix B (SHA-1).
const Bytes kRfcSecret = [] {
  const std::string s = "12345678901234567890";
  return Bytes(s.begin(), s.end());
}();

// The detail of a refusal, failing the test when `r` was accepted.
template <class T>
std::string refusal(const core::Result<T>& r) {
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.error().detail;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(TotpHotp, Rfc4226AppendixDValues) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (std::uint64_t count = 0; count < 10; ++count) {
    EXPECT_EQ(totp::hotp(kRfcSecret, count).value(), expected[count]) << "count " << count;
  }
}

TEST(TotpTotp, Rfc6238AppendixBSha1Values) {
  const std::pair<std::int64_t, const char*> vectors[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
  };
  for (const auto& [time, code] : vectors) {
    EXPECT_EQ(totp::totp(kRfcSecret, time, 8).value(), code) << "time " << time;
    // Six digits are the last six of eight (the value modulo 10^6 instead of 10^8).
    EXPECT_EQ(totp::totp(kRfcSecret, time).value(), std::string(code).substr(2)) << "time " << time;
  }
  EXPECT_EQ(totp::time_step(59).value(), 1);
  EXPECT_EQ(totp::time_step(60).value(), 2);
  EXPECT_EQ(totp::time_step(1111111109).value(), 0x23523EC);  // RFC 6238's T for that time
  EXPECT_TRUE(contains(refusal(totp::time_step(-1)), "before 1970"));
}

TEST(TotpSecret, SizesOutside16To64BytesAndOtherDigitsAreRefused) {
  EXPECT_TRUE(totp::check_secret(Bytes(16, 1)).ok());
  EXPECT_TRUE(totp::check_secret(Bytes(totp::kSecretBytes, 1)).ok());
  EXPECT_TRUE(totp::check_secret(Bytes(64, 1)).ok());
  EXPECT_TRUE(contains(refusal(totp::check_secret(Bytes(15, 1))), "15 bytes, not 16 to 64"));
  EXPECT_TRUE(contains(refusal(totp::check_secret(Bytes(65, 1))), "65 bytes, not 16 to 64"));
  EXPECT_TRUE(contains(refusal(totp::hotp(Bytes(10, 1), 0)), "10 bytes"));
  EXPECT_TRUE(contains(refusal(totp::verify(Bytes(), "123456", 59, totp::kNoStepUsed)), "0 bytes"));
  EXPECT_TRUE(contains(refusal(totp::hotp(kRfcSecret, 0, 5)), "5 digits, not 6 to 8"));
  EXPECT_TRUE(contains(refusal(totp::hotp(kRfcSecret, 0, 9)), "9 digits, not 6 to 8"));
  EXPECT_EQ(totp::hotp(kRfcSecret, 0, 7).value(), "4755224");  // RFC 4226's 1284755224
}

TEST(TotpVerify, TheCodeOfTheStepBeforeOrAfterIsAcceptedButNotFurther) {
  const std::int64_t now = 1111111111;
  const std::int64_t step = now / 30;
  const auto code_at = [](std::int64_t s) {
    return totp::hotp(kRfcSecret, static_cast<std::uint64_t>(s)).value();
  };
  EXPECT_EQ(totp::verify(kRfcSecret, code_at(step), now, totp::kNoStepUsed).value(), step);
  EXPECT_EQ(totp::verify(kRfcSecret, code_at(step - 1), now, totp::kNoStepUsed).value(), step - 1);
  EXPECT_EQ(totp::verify(kRfcSecret, code_at(step + 1), now, totp::kNoStepUsed).value(), step + 1);
  for (const std::int64_t far : {step - 2, step + 2, step - 100}) {
    ASSERT_NE(code_at(far), code_at(step - 1));  // else this RFC secret would be a bad example
    ASSERT_NE(code_at(far), code_at(step));
    ASSERT_NE(code_at(far), code_at(step + 1));
    EXPECT_EQ(refusal(totp::verify(kRfcSecret, code_at(far), now, totp::kNoStepUsed)),
              totp::kRefusedWrongCode)
        << "step " << far;
  }
  // The first and last second of a step are the same step.
  EXPECT_EQ(totp::verify(kRfcSecret, code_at(step), step * 30, totp::kNoStepUsed).value(), step);
  EXPECT_EQ(totp::verify(kRfcSecret, code_at(step), step * 30 + 29, totp::kNoStepUsed).value(),
            step);
  // At the epoch there is no step before: the code of step 0 and 1 only.
  EXPECT_EQ(totp::verify(kRfcSecret, "755224", 0, totp::kNoStepUsed).value(), 0);
  EXPECT_EQ(totp::verify(kRfcSecret, "287082", 0, totp::kNoStepUsed).value(), 1);
  EXPECT_TRUE(
      contains(refusal(totp::verify(kRfcSecret, "755224", -30, totp::kNoStepUsed)), "before 1970"));
}

TEST(TotpVerify, ACodeIsUsedOnceAndAnEarlierStepNotAfterALaterOne) {
  const std::int64_t now = 1234567890;
  const std::int64_t step = now / 30;
  const std::string code = totp::totp(kRfcSecret, now).value();
  const std::int64_t used = totp::verify(kRfcSecret, code, now, totp::kNoStepUsed).value();
  EXPECT_EQ(used, step);
  // The same code again, in the same step or the next one: already used.
  const std::string again = refusal(totp::verify(kRfcSecret, code, now, used));
  EXPECT_EQ(again.rfind(totp::kRefusedAlreadyUsed, 0), 0u) << again;
  EXPECT_TRUE(contains(again, std::to_string(step))) << again;
  EXPECT_EQ(
      refusal(totp::verify(kRfcSecret, code, now + 30, used)).rfind(totp::kRefusedAlreadyUsed, 0),
      0u);
  // After the code of the next step (a fast clock), the current one is refused too.
  const std::string next = totp::totp(kRfcSecret, now + 30).value();
  EXPECT_EQ(totp::verify(kRfcSecret, next, now, used).value(), step + 1);
  EXPECT_EQ(
      refusal(totp::verify(kRfcSecret, code, now, step + 1)).rfind(totp::kRefusedAlreadyUsed, 0),
      0u);
  // A wrong code stays a wrong code whatever was used.
  const std::string wrong = code == "000000" ? "111111" : "000000";
  EXPECT_EQ(refusal(totp::verify(kRfcSecret, wrong, now, used)), totp::kRefusedWrongCode);
  // The next step's own code is accepted once it comes.
  EXPECT_EQ(totp::verify(kRfcSecret, totp::totp(kRfcSecret, now + 60).value(), now + 60, step + 1)
                .value(),
            step + 2);
}

TEST(TotpCode, TypedCodesWithSpacesAreReadAndAnythingElseIsRefused) {
  EXPECT_EQ(totp::parse_code("123456").value(), "123456");
  EXPECT_EQ(totp::parse_code("123 456").value(), "123456");
  EXPECT_EQ(totp::parse_code(" 12 34 56 ").value(), "123456");
  EXPECT_EQ(totp::parse_code("000001").value(), "000001");
  const std::pair<std::string, const char*> bad[] = {
      {"", "code: empty"},
      {"   ", "code: empty"},
      {"12345", "code: 5 digits, not 6"},
      {"1234567", "code: 7 digits, not 6"},
      {"123-456", "code: '-' at position 3 is not a digit"},
      {"12345a", "code: 'a' at position 5 is not a digit"},
      {"123\t456", "code: byte \\x09 at position 3 is not a digit"},
      {std::string("12\0"
                   "3456",
                   7),
       "code: byte \\x00 at position 2 is not a digit"},
      {"\xEF\xBC\x91"
       "23456",
       "code: byte \\xEF at position 0"},  // a full-width 1
      {"1 2 3 4 5 6      ", "code: longer than 16 characters"},
      {std::string(1000, '1'), "code: longer than 16 characters"},
  };
  for (const auto& [text, why] : bad) {
    const std::string detail = refusal(totp::parse_code(text));
    EXPECT_TRUE(contains(detail, why)) << "'" << text << "': " << detail;
    // verify() refuses it with the parser's reason.
    EXPECT_EQ(refusal(totp::verify(kRfcSecret, text, 59, totp::kNoStepUsed)), detail);
  }
  // A well-formed code with spaces verifies like the digits alone.
  EXPECT_EQ(totp::verify(kRfcSecret, "287 082", 59, totp::kNoStepUsed).value(), 1);
}

TEST(TotpBase32, Rfc4648Section10VectorsBothWays) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "MY======"},
      {"fo", "MZXQ===="},
      {"foo", "MZXW6==="},
      {"foob", "MZXW6YQ="},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI======"},
  };
  for (const auto& [plain, padded] : vectors) {
    const std::string p = plain;
    const Bytes bytes(p.begin(), p.end());
    std::string unpadded = padded;
    unpadded.erase(unpadded.find_last_not_of('=') + 1);
    if (p.empty()) unpadded.clear();
    EXPECT_EQ(totp::base32_encode(bytes), unpadded) << p;
    EXPECT_EQ(totp::base32_decode(padded).value(), bytes) << padded;
    EXPECT_EQ(totp::base32_decode(unpadded).value(), bytes) << unpadded;
    std::string lower;
    for (const char c : unpadded)
      lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    EXPECT_EQ(totp::base32_decode(lower).value(), bytes) << lower;
  }
  // The RFC secret as apps show it, in groups of four.
  EXPECT_EQ(totp::base32_encode(kRfcSecret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(totp::base32_decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").value(), kRfcSecret);
  EXPECT_EQ(totp::secret_from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").value(), kRfcSecret);
  // Every byte value and every length up to a few groups round-trips.
  Bytes all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<std::uint8_t>(i * 37 + 11));
  for (std::size_t n = 0; n <= 150; ++n) {
    const Bytes part(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
    ASSERT_EQ(totp::base32_decode(totp::base32_encode(part)).value(), part) << n;
  }
}

TEST(TotpBase32, BadTextIsRefusedByCharacterAndPosition) {
  const std::pair<std::string, const char*> bad[] = {
      {"MZ1W6", "'1' at position 2 is not one of A-Z, 2-7"},
      {"MZXW 6YT!", "'!' at position 8 is not one of A-Z, 2-7"},
      {"MZXW\n", "byte \\x0A at position 4"},
      {"MY=A", "'A' at position 3 follows the '=' padding"},
      {"MY==", "2 '=' from position 2, where the last group needs 6"},
      {"MZXW6YTB=", "1 '=' from position 8, where the last group needs 0"},
      {"M", "1 characters, a length no byte string encodes to"},
      {"MZX", "3 characters, a length no byte string encodes to"},
      {"MZXW6Y", "6 characters, a length no byte string encodes to"},
      {"MZ", "'Z' at position 1 sets bits past the end of the data"},
      {"MZXW7", "'7' at position 4 sets bits past the end of the data"},
      {std::string(264, 'A'), "longer than 256 characters"},
  };
  for (const auto& [text, why] : bad) {
    const std::string detail = refusal(totp::base32_decode(text));
    EXPECT_EQ(detail.rfind("Base32: ", 0), 0u) << detail;
    EXPECT_TRUE(contains(detail, why)) << "'" << text << "': " << detail;
  }
  EXPECT_TRUE(contains(refusal(totp::secret_from_base32("MZXW6YTBOI")), "6 bytes, not 16 to 64"));
  EXPECT_TRUE(contains(refusal(totp::secret_from_base32("GEZ!")), "'!' at position 3"));
}

TEST(TotpKeyUri, IssuerAndAccountArePercentEncodedAndSeparatorsRefused) {
  EXPECT_EQ(totp::key_uri(kRfcSecret, "MeterLogger", "alice").value(),
            "otpauth://totp/MeterLogger:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=MeterLogger&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(totp::key_uri(kRfcSecret, "Varme & Co/Øst", "alice+ops@example.com").value(),
            "otpauth://totp/Varme%20%26%20Co%2F%C3%98st:alice%2Bops%40example.com"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Varme%20%26%20Co%2F%C3%98st"
            "&algorithm=SHA1&digits=6&period=30");
  EXPECT_TRUE(contains(refusal(totp::key_uri(kRfcSecret, "Acme:Heat", "alice")),
                       "the issuer has ':' at position 4"));
  EXPECT_TRUE(contains(refusal(totp::key_uri(kRfcSecret, "Acme", "a:b")),
                       "the account has ':' at position 1"));
  EXPECT_TRUE(contains(refusal(totp::key_uri(kRfcSecret, "", "alice")), "the issuer is empty"));
  EXPECT_TRUE(contains(refusal(totp::key_uri(kRfcSecret, "Acme", "")), "the account is empty"));
  EXPECT_TRUE(contains(refusal(totp::key_uri(kRfcSecret, "Acme", "al\nice")),
                       "byte \\x0A at position 2 (a control character)"));
  EXPECT_TRUE(contains(refusal(totp::key_uri(kRfcSecret, std::string(129, 'a'), "alice")),
                       "longer than 128 bytes"));
  EXPECT_TRUE(contains(refusal(totp::key_uri(Bytes(8, 1), "Acme", "alice")), "8 bytes"));
}

TEST(TotpRecovery, CodesAreFormattedFromTheRandomBytesAndReadBack) {
  // 50 bits: 0..9 as five-bit values, then six bits that are not used.
  const std::array<std::uint8_t, 7> counting{0x00, 0x44, 0x32, 0x14, 0xC7, 0x42, 0x40};
  EXPECT_EQ(totp::format_recovery_code(counting), "01234-56789");
  const std::array<std::uint8_t, 7> unused_bits{0x00, 0x44, 0x32, 0x14, 0xC7, 0x42, 0x7F};
  EXPECT_EQ(totp::format_recovery_code(unused_bits), "01234-56789");
  const std::array<std::uint8_t, 7> mixed{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD};
  EXPECT_EQ(totp::format_recovery_code(mixed), "04HMA-SW9NF");
  const std::array<std::uint8_t, 7> ones{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_EQ(totp::format_recovery_code(ones), "ZZZZZ-ZZZZZ");

  Bytes random;
  for (int i = 0; i < 10 * 7; ++i)
    random.push_back(static_cast<std::uint8_t>((i * 151 + 7) ^ (i >> 2)));
  const auto codes = totp::format_recovery_codes(10, random).value();
  ASSERT_EQ(codes.size(), 10u);
  std::set<std::string> normalised;
  for (const auto& code : codes) {
    ASSERT_EQ(code.size(), 11u) << code;
    EXPECT_EQ(code[5], '-') << code;
    for (std::size_t i = 0; i < code.size(); ++i) {
      if (i != 5) {
        EXPECT_NE(totp::kRecoveryAlphabet.find(code[i]), std::string::npos) << code;
      }
    }
    const std::string n = totp::normalize_recovery_code(code).value();
    EXPECT_EQ(n, code.substr(0, 5) + code.substr(6));
    normalised.insert(n);
  }
  EXPECT_EQ(normalised.size(), 10u);
  // Each code comes from its own seven bytes.
  EXPECT_EQ(codes[3],
            totp::format_recovery_code(std::span<const std::uint8_t, 7>(random.data() + 3 * 7, 7)));

  EXPECT_TRUE(contains(refusal(totp::format_recovery_codes(10, ByteView(random).first(69))),
                       "10 codes take 70 random bytes, not 69"));
  EXPECT_TRUE(contains(refusal(totp::format_recovery_codes(0, {})), "0 codes, not 1 to 100"));
  EXPECT_TRUE(contains(refusal(totp::format_recovery_codes(101, Bytes(707, 1))),
                       "101 codes, not 1 to 100"));
  EXPECT_TRUE(contains(refusal(totp::format_recovery_codes(2, Bytes(14, 0))), "two equal codes"));
}

TEST(TotpRecovery, WhatAPersonTypesIsNormalisedOrRefusedWithTheReason) {
  for (const char* typed : {"04HMA-SW9NF", "04hma-sw9nf", "04HMASW9NF", " 04hma sw9nf ",
                            "04-HM-AS-W9-NF", "O4HMA-SW9NF", "o4hma-sw9nf"}) {
    EXPECT_EQ(totp::normalize_recovery_code(typed).value(), "04HMASW9NF") << typed;
  }
  // Crockford's reading: I and L are 1, O is 0.
  EXPECT_EQ(totp::normalize_recovery_code("IlLi1-OoO00").value(), "1111100000");
  const std::pair<std::string, const char*> bad[] = {
      {"", "recovery code: empty"},
      {" - - ", "recovery code: empty"},
      {"04HMA-SW9N", "recovery code: 9 characters, not 10"},
      {"04HMA-SW9NFX", "recovery code: 11 characters, not 10"},
      {"04HMA-SU9NF", "recovery code: 'U' at position 7 is not a digit or a letter other than U"},
      {"04HMA_SW9NF", "recovery code: '_' at position 5"},
      {"04HMA\tSW9NF", "recovery code: byte \\x09 at position 5"},
      {std::string(33, '0'), "recovery code: longer than 32 characters"},
  };
  for (const auto& [text, why] : bad) {
    const std::string detail = refusal(totp::normalize_recovery_code(text));
    EXPECT_TRUE(contains(detail, why)) << "'" << text << "': " << detail;
  }
}

}  // namespace
}  // namespace ml::totp_test
