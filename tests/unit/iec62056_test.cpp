#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/iec62056/bcc.hpp"
#include "core/iec62056/mc66.hpp"
#include "core/iec62056/readout.hpp"
#include "core/iec62056/steps.hpp"

namespace ml::core::iec {
namespace {

nlohmann::json load_frames() {
  std::ifstream in(std::string(ML_TEST_DATA_DIR) + "/en61107_frames.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

Bytes hex(std::string_view s) {
  auto r = from_hex(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? r.value() : Bytes{};
}

Bytes raw(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

Decimal dec(std::string_view s) {
  auto r = Decimal::parse(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? r.value() : Decimal{};
}

// A readout from its text, STX/ETX written as \x02 and \x03, with a correct Kamstrup BCC.
Bytes with_bcc(std::string_view text, BccMethod method = BccMethod::kamstrup_sum) {
  Bytes out = raw(text);
  const auto stx = std::find(out.begin(), out.end(), kStx);
  out.push_back(compute_bcc(Bytes(stx + 1, out.end()), method));
  return out;
}

// The block of the first captured readout, for error cases built from it.
constexpr std::string_view kReadout1Text =
    "/KAM MC\r\n\x02"
    "0.0(00000000040)\r\n6.8(00000.00*MWh)\r\n6.26(000000.0*m3)\r\n6.31(0056296*h)!\r\n\x03";

Error readout_error(const Bytes& bytes, BccMethod method = BccMethod::kamstrup_sum) {
  auto r = parse_readout_strict(bytes, method);
  EXPECT_FALSE(r.ok());
  return r.ok() ? Error{Errc::invalid_argument, "parsed"} : r.error();
}

// ---- steps table (docs/protocols/en61107.md, "The exchange") ----

TEST(IecSteps, TableHoldsTheExchangeOfSpec41) {
  const Step& a = step(StepId::ident);
  EXPECT_EQ(a.request, std::string_view("\x2F\x3F\x21\x0D\x0A", 5));
  EXPECT_EQ(a.switch_delay_ms, 400u);
  EXPECT_EQ(a.reply_end, ReplyEnd::line_feed);
  EXPECT_EQ(a.timeout_ms, 3000u);
  EXPECT_EQ(a.reply_line, (LineSettings{300, 7, Parity::even, 1}));

  const Step& b = step(StepId::data_readout);
  EXPECT_EQ(b.request, std::string_view("\x06\x30\x30\x30\x0D\x0A", 6));
  EXPECT_EQ(b.switch_delay_ms, 400u);
  EXPECT_EQ(b.reply_end, ReplyEnd::etx_then_bcc);
  EXPECT_EQ(b.timeout_ms, 8000u);
  EXPECT_EQ(b.reply_line.baud, 300u);

  const Step& c = step(StepId::inst_values);
  EXPECT_EQ(c.request, std::string_view("\x2F\x23\x43", 3));  // no CR
  EXPECT_EQ(c.switch_delay_ms, 300u);
  EXPECT_EQ(c.reply_end, ReplyEnd::carriage_return);
  EXPECT_EQ(c.timeout_ms, 3200u);
  EXPECT_EQ(c.reply_line, (LineSettings{1200, 7, Parity::even, 1}));
  EXPECT_FALSE(c.on_66b);

  const Step& d = step(StepId::standard_data_1);
  EXPECT_EQ(d.request, std::string_view("\x2F\x23\x31\x0D", 4));
  EXPECT_EQ(d.switch_delay_ms, 220u);
  EXPECT_EQ(d.timeout_ms, 3000u);
  EXPECT_EQ(d.reply_line.baud, 1200u);

  const Step& e = step(StepId::standard_data_2);
  EXPECT_EQ(e.request, std::string_view("\x2F\x23\x32\x0D", 4));
  EXPECT_EQ(e.switch_delay_ms, 220u);
  EXPECT_EQ(e.timeout_ms, 3000u);
  EXPECT_EQ(e.reply_end, ReplyEnd::carriage_return);

  for (const Step& s : kSteps) {
    EXPECT_EQ(s.request_line, (LineSettings{300, 7, Parity::even, 2})) << s.name;
    EXPECT_EQ(&step(s.id), &s);
  }
  EXPECT_EQ(line_settings_text(kRequestLine), "300 7E2");
  EXPECT_EQ(line_settings_text(kDataStringReplyLine), "1200 7E1");
  EXPECT_EQ(kDefaultWakeUp.count, 16u);
  EXPECT_EQ(kDefaultWakeUp.byte, 0x00);
  EXPECT_EQ(kDefaultWakeUp.line.baud, 300u);
  EXPECT_EQ(kCycle66C.size(), 5u);
  EXPECT_EQ(kCycle66B.size(), 4u);
  for (StepId id : kCycle66B)
    EXPECT_TRUE(step(id).on_66b);
}

TEST(IecSteps, ReplyLengthFollowsTheEndRule) {
  EXPECT_EQ(reply_length(ReplyEnd::line_feed, raw("/KAM MC\r")), 0u);
  EXPECT_EQ(reply_length(ReplyEnd::line_feed, raw("/KAM MC\r\n\x02")), 9u);
  EXPECT_EQ(reply_length(ReplyEnd::carriage_return, raw("0002361 0002219")), 0u);
  EXPECT_EQ(reply_length(ReplyEnd::carriage_return, raw("0002361 0002219\r")), 16u);
  const Bytes readout = with_bcc(kReadout1Text);
  const Bytes without_bcc(readout.begin(), readout.end() - 1);
  EXPECT_EQ(reply_length(ReplyEnd::etx_then_bcc, without_bcc), 0u);
  EXPECT_EQ(reply_length(ReplyEnd::etx_then_bcc, readout), readout.size());
}

// ---- BCC and the captured readouts ----

TEST(IecVectors, EveryCapturedReadoutParsesAsRecorded) {
  const auto data = load_frames();
  ASSERT_EQ(data["frames"].size(), 2u);
  for (const auto& v : data["frames"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    const Bytes wire = hex(v["hex"].get<std::string>());
    auto r = parse_readout_strict(wire);
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_TRUE(r->ident.has_value());
    EXPECT_EQ(r->ident->text, v["ident"].get<std::string>());
    EXPECT_EQ(r->ident->manufacturer, "KAM");
    EXPECT_FALSE(r->ident->baud_char.has_value());
    EXPECT_EQ(r->bcc_received, v["bcc"].get<int>());
    EXPECT_EQ(r->bcc_computed, v["bcc"].get<int>());
    EXPECT_TRUE(r->bcc_ok);
    EXPECT_EQ(r->separator, Separator::crlf);
    EXPECT_FALSE(r->line_break_at_end);
    ASSERT_EQ(r->records.size(), v["records"].size());
    for (std::size_t i = 0; i < r->records.size(); ++i) {
      const auto& want = v["records"][i];
      EXPECT_EQ(r->records[i].id, want["id"].get<std::string>());
      EXPECT_EQ(r->records[i].value, want["value"].get<std::string>());
      if (want.contains("unit")) {
        EXPECT_EQ(r->records[i].unit, want["unit"].get<std::string>());
      } else {
        EXPECT_FALSE(r->records[i].unit.has_value());
      }
    }
    auto values = heat_values(*r);
    ASSERT_TRUE(values.ok()) << values.error().message();
    EXPECT_EQ(values->serial, v["serial"].get<std::uint32_t>());
    EXPECT_TRUE(values->missing.empty());
    // The encoder gives the captured bytes back, BCC included.
    EXPECT_EQ(encode_readout(*r).value(), wire);
  }
}

TEST(IecVectors, TheSumSettlesTheBccAndXorWouldFail) {
  const auto data = load_frames();
  const std::uint8_t xor_bcc[] = {0x4E, 0x46};  // IEC 62056-21 XOR
  for (std::size_t i = 0; i < 2; ++i) {
    const Bytes wire = hex(data["frames"][i]["hex"].get<std::string>());
    auto r = parse_readout(wire, BccMethod::xor_);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->bcc_ok);
    EXPECT_EQ(r->bcc_computed, xor_bcc[i]);
    EXPECT_EQ(readout_error(wire, BccMethod::xor_).code, Errc::iec_bcc_mismatch);
  }
}

TEST(IecBcc, SumIsResetAtStxAndMaskedToSevenBits) {
  EXPECT_EQ(compute_bcc(raw("\x03")), 0x03);
  EXPECT_EQ(compute_bcc(raw("\x7F\x03")), 0x02);  // 0x82 & 0x7F
  EXPECT_EQ(compute_bcc(raw("\x7F\x03"), BccMethod::xor_), 0x7C);
  EXPECT_EQ(bcc_method_name(BccMethod::kamstrup_sum), "kamstrup-sum");
  EXPECT_EQ(bcc_method_from_name("sum"), BccMethod::kamstrup_sum);
  EXPECT_EQ(bcc_method_from_name("xor"), BccMethod::xor_);
  EXPECT_FALSE(bcc_method_from_name("crc").has_value());
  // An XOR-checked readout is accepted in XOR mode.
  const Bytes x = with_bcc(kReadout1Text, BccMethod::xor_);
  EXPECT_TRUE(parse_readout_strict(x, BccMethod::xor_).ok());
}

TEST(IecBcc, MismatchIsReportedWithBothValues) {
  Bytes wire = with_bcc(kReadout1Text);
  wire.back() = static_cast<std::uint8_t>(wire.back() ^ 0x01);
  auto lenient = parse_readout(wire);
  ASSERT_TRUE(lenient.ok());
  EXPECT_FALSE(lenient->bcc_ok);
  EXPECT_EQ(lenient->records.size(), 4u);
  const Error e = readout_error(wire);
  EXPECT_EQ(e.code, Errc::iec_bcc_mismatch);
  EXPECT_EQ(e.detail, "computed 0x10, received 0x11 (kamstrup-sum)");
}

// ---- values (docs/protocols/en61107.md, "Values and keys") ----

TEST(IecValues, LeadingZerosGoDecimalsStay) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"00000.00", "0.00"},   {"000000.0", "0.0"},      {"0056296", "56296"},
      {"00123.05", "123.05"}, {"12345.67", "12345.67"},  // SEED lost the 7
      {"1234567", "1234567"}, {"00123.45", "123.45"},    // HEAD printed 123.44999
      {"000123.4", "123.4"},  {"00000000040", "40"},
  };
  for (const auto& [value, want] : cases) {
    const Record r{"6.8", std::string(value), "MWh"};
    auto n = r.number();
    ASSERT_TRUE(n.ok()) << value;
    EXPECT_EQ(n->to_string(), want) << value;
  }
  EXPECT_FALSE((Record{"0.9.2", "23-01-01", std::nullopt}.number().ok()));
  EXPECT_FALSE((Record{"6.8", "", "MWh"}.number().ok()));
}

TEST(IecValues, HeatValuesMapTheKeys) {
  auto r = parse_readout_strict(with_bcc(kReadout1Text));
  ASSERT_TRUE(r.ok());
  auto v = heat_values(*r);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->serial, 40u);
  EXPECT_EQ(v->e1->value.to_string(), "0.00");
  EXPECT_EQ(v->e1->unit, "MWh");
  EXPECT_EQ(v->v1->value.to_string(), "0.0");
  EXPECT_EQ(v->v1->unit, "m3");
  EXPECT_EQ(v->hr->value.to_string(), "56296");
  EXPECT_EQ(v->hr->unit, "h");
  EXPECT_EQ(r->records[0].key(), "customer");
  EXPECT_EQ(r->records[1].key(), "e1");
  EXPECT_EQ(r->records[2].key(), "v1");
  EXPECT_EQ(r->records[3].key(), "hr");
  EXPECT_EQ((Record{"0", "7", std::nullopt}.key()), "customer");
  EXPECT_EQ((Record{"0.9.1", "7", std::nullopt}.key()), "");
}

TEST(IecValues, MissingAndUnusableValues) {
  Readout r;
  r.records = {{"6.8", "00012.34", "GJ"}, {"9.9", "x", std::nullopt}};
  auto v = heat_values(r);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->e1->value.to_string(), "12.34");
  EXPECT_EQ(v->missing, (std::vector<std::string_view>{"serial", "v1", "hr"}));

  auto error_of = [](std::vector<Record> records) {
    Readout x;
    x.records = std::move(records);
    auto res = heat_values(x);
    EXPECT_FALSE(res.ok());
    return res.ok() ? std::string() : res.error().detail;
  };
  EXPECT_EQ(error_of({{"0.0", "00000000000", std::nullopt}}),
            "record 1 '0.0': customer number is 0, not a serial");
  EXPECT_EQ(error_of({{"0", "12.5", std::nullopt}}),
            "record 1 '0': customer number '12.5' is not an integer");
  EXPECT_EQ(error_of({{"0", "4294967296", std::nullopt}}),
            "record 1 '0': customer number 4294967296 is above 4294967295");
  EXPECT_EQ(error_of({{"6.8", "1", "MWh"}, {"6.8", "2", "MWh"}}),
            "record 2 '6.8' gives e1 a second time");
  EXPECT_EQ(error_of({{"6.26", "1.0", std::nullopt}}), "record 1 '6.26' (v1) has no unit");
  EXPECT_EQ(error_of({{"6.31", "abc", "h"}}),
            "record 1 '6.31' (hr): value 'abc': 'abc' contains 'a'");
}

// ---- readout layouts ----

TEST(IecReadout, MulticalB66RecordsFollowEachOther) {
  const Bytes wire = with_bcc(
      "/KAM MC-B\r\n\x02"
      "0.0(00000000123)6.8(0001.234*GJ)6.26(00012.34*m3)6.31(0001234*h)!\r\n\x03");
  auto r = parse_readout_strict(wire);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->separator, Separator::none);
  ASSERT_EQ(r->records.size(), 4u);
  EXPECT_EQ(r->records[1], (Record{"6.8", "0001.234", "GJ"}));
  auto v = heat_values(*r);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->serial, 123u);
  EXPECT_EQ(v->e1->value.to_string(), "1.234");
  EXPECT_EQ(encode_readout(*r).value(), wire);
}

TEST(IecReadout, OptionalIdentAndLineBreakBeforeTheEnd) {
  const Bytes wire = with_bcc(
      "\x02"
      "6.8(1.0*MWh)\r\n6.26(2.0*m3)\r\n!\r\n\x03");
  auto r = parse_readout_strict(wire);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->ident.has_value());
  EXPECT_TRUE(r->line_break_at_end);
  EXPECT_EQ(encode_readout(*r).value(), wire);
  // Zero records is a valid (useless) block.
  auto empty = parse_readout_strict(with_bcc("\x02!\r\n\x03"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->records.empty());
  // OBIS-style ids with '*' and values without a unit.
  auto obis =
      parse_readout_strict(with_bcc("\x02"
                                    "6.8*01(00012.3*MWh)\r\n0.9.2(23-01-31)!\r\n\x03"));
  ASSERT_TRUE(obis.ok()) << obis.error().message();
  EXPECT_EQ(obis->records[0].id, "6.8*01");
  EXPECT_EQ(obis->records[1].value, "23-01-31");
}

TEST(IecReadout, StandardIdentsExposeManufacturerAndBaud) {
  auto a = make_ident("ISK5MT174-0001");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->manufacturer, "ISK");
  EXPECT_EQ(a->baud_char, '5');
  EXPECT_EQ(a->baud, 9600u);
  auto b = make_ident("LGZ4ZMF100AC.M23");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->baud, 4800u);
  auto c = make_ident("ABCB");
  EXPECT_EQ(c->baud, 1200u);  // mode B 'B'
  auto d = make_ident("12 meter");
  EXPECT_EQ(d->manufacturer, "");
  EXPECT_FALSE(make_ident("").ok());
  EXPECT_FALSE(make_ident("ABCDEFGHIJKLMNOPQ").ok());  // 17
  EXPECT_TRUE(make_ident("ABCDEFGHIJKLMNOP").ok());    // 16
  EXPECT_EQ(encode_ident("KAM MC").value(), raw("/KAM MC\r\n"));
}

// ---- readout errors ----

TEST(IecReadoutErrors, EachProblemHasItsCode) {
  struct Case {
    Bytes bytes;
    Errc code;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {raw(""), Errc::iec_no_stx, "the input is empty"},
      {raw("/KAM MC"), Errc::iec_bad_ident, "ident line '/KAM MC' has no CR LF"},
      {raw("/ABCDEFGHIJKLMNOPQ\r\n\x02"), Errc::iec_bad_ident,
       "ident line '/ABCDEFGHIJKLMNOPQ' has no CR LF within 16 characters"},
      {raw("/KAM MC\n\x02"), Errc::iec_bad_ident, "ident line '/KAM MC' is not ended by CR LF"},
      {raw("/\r\n\x02!\r\n\x03\x22"), Errc::iec_bad_ident, "ident text is empty"},
      {raw("/KA\x01M\r\n\x02"), Errc::iec_bad_ident,
       "ident text 'KA\\x01M' contains the non-printable byte 0x01"},
      {raw("/KAM MC\r\n"), Errc::iec_no_stx, "the input ends after the ident line"},
      {raw("/KAM MC\r\n6.8("), Errc::iec_no_stx, "the ident line is followed by 0x36, not STX"},
      {raw("6.8(1*MWh)"), Errc::iec_no_stx,
       "the input starts with 0x36, expected '/' (ident line) or STX"},
      {raw("\x02"
           "6.8(1*MWh)!\r\n"),
       Errc::iec_no_etx, "no ETX in the 13 bytes after STX"},
      {raw("\x02"
           "6.8(1*MWh)!\r\n\x03"),
       Errc::iec_no_bcc, "the input ends with ETX"},
      {raw("\x02!\r\n\x03\x3B\x3B"), Errc::iec_too_long, "1 bytes follow the BCC"},
      {with_bcc("\x02"
                "0.0(1)\r\n6.26(1*m3)\r\n6.8(00000.00*MWh\r\n!\r\n\x03"),
       Errc::iec_bad_record, "record 3 '6.8(00000.00*MWh' has no closing ')'"},
      {with_bcc("\x02"
                "6.8 00000.00*MWh)!\r\n\x03"),
       Errc::iec_bad_record, "record 1 '6.8 00000.00*MWh' has no '('"},
      {with_bcc("\x02"
                "6.8(1*MWh)"),
       Errc::iec_no_etx, "no ETX in the 11 bytes after STX"},
      {with_bcc("\x02"
                "6.8(1*MWh)\x03"),
       Errc::iec_bad_record, "data block does not end with the end mark '!' CR LF before ETX"},
      {with_bcc("\x02"
                "6.8(1*MWh)!\r\x03"),
       Errc::iec_bad_record, "end mark '!' is followed by '\\x0D' instead of CR LF and ETX"},
      {with_bcc("\x02"
                "6.8(1*)!\r\n\x03"),
       Errc::iec_bad_record, "record 1 '6.8(1*)' has an empty unit"},
      {with_bcc("\x02(1*MWh)!\r\n\x03"), Errc::iec_bad_record,
       "record 1 '(1*MWh)' has an empty id"},
      {with_bcc("\x02"
                "12345678901234567(1)!\r\n\x03"),
       Errc::iec_bad_record,
       "record 1 '12345678901234567(1)' id '12345678901234567' is longer than 16 characters"},
      {with_bcc("\x02"
                "1(123456789012345678901234567890123)!\r\n\x03"),
       Errc::iec_bad_record,
       "record 1 '1(123456789012345678901234567890123)' value "
       "'123456789012345678901234567890123' is longer than 32 characters"},
      {with_bcc("\x02"
                "1(1*12345678901234567)!\r\n\x03"),
       Errc::iec_bad_record,
       "record 1 '1(1*12345678901234567)' unit '12345678901234567' is longer than 16 characters"},
      {with_bcc("\x02"
                "1(1\x7F)!\r\n\x03"),
       Errc::iec_bad_record,
       "record 1 '1(1\\x7F)' value '1\\x7F' contains the invalid character 0x7F"},
      {with_bcc("\x02"
                "1(1)(2)!\r\n\x03"),
       Errc::iec_bad_record, "record 1 '1(1)' is followed by a second '(' value group"},
      {with_bcc("\x02"
                "1(1)\n2(2)!\r\n\x03"),
       Errc::iec_bad_record, "record 1 '1(1)' is followed by a line break that is not CR LF"},
      {with_bcc("\x02"
                "1(1)\r\n2(2)3(3)!\r\n\x03"),
       Errc::iec_bad_record, "record 2 '2(2)' is not followed by CR LF like the records before it"},
      {with_bcc("\x02"
                "1(1)2(2)\r\n3(3)!\r\n\x03"),
       Errc::iec_bad_record,
       "record 2 '2(2)' is followed by CR LF, but the records before it are not separated"},
  };
  for (const Case& c : cases) {
    const Error e = readout_error(c.bytes);
    EXPECT_EQ(e.code, c.code) << c.detail << " / got: " << e.message();
    EXPECT_EQ(e.detail, c.detail);
  }
}

TEST(IecReadoutErrors, BoundsOnSizeAndRecordCount) {
  Bytes big(kMaxReadoutBytes + 1, '0');
  big[0] = kStx;
  EXPECT_EQ(readout_error(big).code, Errc::iec_too_long);
  std::string block = "\x02";
  for (int i = 0; i < 65; ++i)
    block += "1(2)";
  block += "!\r\n\x03";
  const Error e = readout_error(with_bcc(block));
  EXPECT_EQ(e.code, Errc::iec_too_long);
  EXPECT_EQ(e.detail, "more than 64 records in the data block");
}

TEST(IecReadoutErrors, DamageWithABadBccIsReportedAsTheBcc) {
  // "6.8(00000.00*MWh)" loses its ')' on the line: malformed and the BCC no longer matches.
  std::string text(kReadout1Text);
  text.erase(text.find("MWh)") + 3, 1);
  Bytes wire = raw(text);
  wire.push_back(0x10);  // the original BCC
  const Error e = readout_error(wire);
  EXPECT_EQ(e.code, Errc::iec_bcc_mismatch);
  EXPECT_EQ(e.detail,
            "computed 0x67, received 0x10 (kamstrup-sum); the block is also malformed: invalid "
            "IEC 62056-21 data record: record 2 '6.8(00000.00*MWh' has no closing ')'");
}

TEST(IecReadoutErrors, EncoderRefusesWhatTheParserWouldRefuse) {
  Readout r;
  r.records = {{"6.8", "1(2", "MWh"}};
  EXPECT_EQ(encode_readout(r).error().code, Errc::iec_bad_record);
  r.records = {{"6.8", "1", ""}};
  EXPECT_EQ(encode_readout(r).error().code, Errc::iec_bad_record);
  r.records.assign(65, Record{"1", "2", std::nullopt});
  EXPECT_EQ(encode_readout(r).error().code, Errc::iec_too_long);
  r.records.assign(40, Record{"1234567890123456", "12345678901234567890123456789012", "u"});
  EXPECT_EQ(encode_readout(r).error().code, Errc::iec_too_long);  // > 1024 bytes
  r.records.clear();
  r.ident = Ident{"\x01", "", std::nullopt, std::nullopt};
  EXPECT_EQ(encode_readout(r).error().code, Errc::iec_bad_ident);
}

// ---- properties ----

TEST(IecProperties, EverySingleBitFlipIsCaughtExceptBit7UnderTheSum) {
  const auto data = load_frames();
  for (const auto& v : data["frames"]) {
    const Bytes wire = hex(v["hex"].get<std::string>());
    const auto stx =
        static_cast<std::size_t>(std::find(wire.begin(), wire.end(), kStx) - wire.begin());
    auto original = parse_readout_strict(wire);
    ASSERT_TRUE(original.ok());
    for (std::size_t i = 0; i < wire.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        Bytes flipped = wire;
        flipped[i] = static_cast<std::uint8_t>(flipped[i] ^ (1u << bit));
        SCOPED_TRACE("byte " + std::to_string(i) + " bit " + std::to_string(bit));
        auto lenient = parse_readout(flipped);
        auto strict = parse_readout_strict(flipped);
        if (i < stx) {
          // The ident line is not covered by the BCC: either rejected or a different ident.
          if (strict.ok()) {
            EXPECT_NE(strict->ident, original->ident);
          }
          continue;
        }
        if (i > stx && i + 1 < wire.size()) {
          // A data byte (STX+1..ETX): the sum changes unless bit 7 flipped.
          const Bytes block(flipped.begin() + static_cast<std::ptrdiff_t>(stx + 1),
                            flipped.end() - 1);
          const bool same_sum = compute_bcc(block) == wire.back();
          EXPECT_EQ(same_sum, bit == 7);
          EXPECT_NE(compute_bcc(block, BccMethod::xor_),
                    compute_bcc(
                        Bytes(wire.begin() + static_cast<std::ptrdiff_t>(stx + 1), wire.end() - 1),
                        BccMethod::xor_));
        }
        // Whatever the flip, the strict parse rejects it (a byte >= 0x80 is not a valid
        // character, so the bit-7 flips the sum cannot see are caught as bad records).
        EXPECT_FALSE(strict.ok());
        if (lenient.ok()) {
          EXPECT_FALSE(lenient->bcc_ok);
        }
      }
    }
  }
}

Readout random_readout(std::mt19937& rng) {
  auto pick = [&](std::string_view chars, std::size_t min, std::size_t max) {
    std::uniform_int_distribution<std::size_t> len(min, max);
    std::uniform_int_distribution<std::size_t> at(0, chars.size() - 1);
    std::string s;
    const std::size_t n = len(rng);
    for (std::size_t i = 0; i < n; ++i)
      s += chars[at(rng)];
    return s;
  };
  constexpr std::string_view kIdChars = "0123456789.:*-&ABCxyz ";
  constexpr std::string_view kValueChars = "0123456789.-+ :ABCabc";
  constexpr std::string_view kUnitChars = "kMWhGJm3/%";
  Readout r;
  if (rng() % 2) r.ident = make_ident(pick("KAM MC-B0123456789/", 1, 16)).value();
  const std::size_t n = rng() % 12;
  for (std::size_t i = 0; i < n; ++i) {
    Record rec{pick(kIdChars, 1, 16), pick(kValueChars, 0, 32), std::nullopt};
    // '/' is not allowed inside records.
    std::string unit = pick(kUnitChars, 1, 16);
    std::erase(unit, '/');
    if (!unit.empty() && rng() % 3) rec.unit = unit;
    r.records.push_back(rec);
  }
  r.separator = rng() % 2 ? Separator::crlf : Separator::none;
  if (r.records.size() < 2) r.separator = Separator::crlf;
  r.line_break_at_end = !r.records.empty() && rng() % 2;
  return r;
}

TEST(IecProperties, RandomReadoutsRoundTrip) {
  std::mt19937 rng(61107);
  int checked = 0;
  for (int i = 0; i < 2000; ++i) {
    const Readout r = random_readout(rng);
    const BccMethod method = i % 2 ? BccMethod::xor_ : BccMethod::kamstrup_sum;
    auto wire = encode_readout(r, method);
    if (!wire.ok()) {
      ADD_FAILURE() << wire.error().message();
      continue;
    }
    auto back = parse_readout_strict(*wire, method);
    ASSERT_TRUE(back.ok()) << back.error().message() << "\n" << to_hex(*wire);
    EXPECT_EQ(back->ident, r.ident);
    EXPECT_EQ(back->records, r.records);
    EXPECT_EQ(back->separator, r.separator);
    EXPECT_EQ(back->line_break_at_end, r.line_break_at_end);
    ++checked;
  }
  EXPECT_EQ(checked, 2000);
}

TEST(IecProperties, RandomBytesParseOnlyWhenTheyReallyAreAReadout) {
  std::mt19937 rng(1107);
  const Bytes base = with_bcc(kReadout1Text);
  std::size_t valid = 0;
  for (int i = 0; i < 20000; ++i) {
    Bytes bytes;
    if (i % 2) {
      // Noise around a real readout: mutate a few bytes, cut or extend.
      bytes = base;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < edits; ++k) {
        const std::size_t at = rng() % bytes.size();
        switch (rng() % 3) {
          case 0:
            bytes[at] = static_cast<std::uint8_t>(rng());
            break;
          case 1:
            bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at));
            break;
          default:
            bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                         static_cast<std::uint8_t>(rng() % 128));
        }
        if (bytes.empty()) break;
      }
    } else {
      bytes.resize(rng() % 64);
      for (auto& b : bytes)
        b = static_cast<std::uint8_t>(rng() % 8 == 0 ? 2 + rng() % 2 : rng());
    }
    for (BccMethod method : {BccMethod::kamstrup_sum, BccMethod::xor_}) {
      auto r = parse_readout(bytes, method);
      if (r.ok() && r->bcc_ok) {
        ++valid;
        EXPECT_EQ(encode_readout(*r, method).value(), bytes);
      }
    }
  }
  EXPECT_GT(valid, 0u);  // the mutations sometimes keep a valid readout (e.g. value digit swaps)
}

// ---- MC66 data strings (docs/protocols/en61107.md; Kamstrup 5511-634) ----

Mc66Reply reply(Mc66Request request, std::string_view text,
                const std::optional<ProgramNumber>& program = std::nullopt) {
  auto r = parse_reply(request, as_bytes(text), program);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? r.value() : Mc66Reply{};
}

std::string value_of(const Mc66Reply& r, std::string_view name) {
  const Mc66Value* v = r.find(name);
  EXPECT_NE(v, nullptr) << name;
  return v ? v->value.to_string() + (v->unit.empty() ? "" : " " + std::string(v->unit)) : "";
}

ProgramNumber program(std::string_view text) {
  auto p = parse_program_number(text);
  EXPECT_TRUE(p.ok()) << text;
  return p.ok() ? p.value() : ProgramNumber{};
}

constexpr std::string_view kStd1 =
    "0012345 0012345 0056296 0002361 0002219 0000142 0000123 0000456 0000789 0000000\r";

TEST(Mc66, StandardData1FallbackFixesTheOriginalsFormatting) {
  const Mc66Reply r = reply(Mc66Request::standard_data_1, kStd1);
  EXPECT_EQ(r.scaling, Scaling::fallback);
  EXPECT_EQ(r.fallback_reason, "no program number");
  EXPECT_EQ(value_of(r, "t1"), "23.61 C");  // HEAD printed 23.60
  EXPECT_EQ(value_of(r, "t2"), "22.19 C");
  EXPECT_EQ(value_of(r, "tdif"), "1.42 C");      // HEAD printed 1.41
  EXPECT_EQ(value_of(r, "effect1"), "12.3 kW");  // SEED printed 12.23
  EXPECT_EQ(value_of(r, "flow1"), "456 l/h");
  EXPECT_EQ(value_of(r, "peak_power"), "78.9 kW");
  EXPECT_EQ(value_of(r, "hours"), "56296 h");
  EXPECT_EQ(value_of(r, "info"), "0");
  EXPECT_EQ(value_of(r, "energy"), "12345");  // unscaled, unit unknown
  EXPECT_EQ(r.find("energy")->placement, Placement::unscaled);
  EXPECT_EQ(value_of(r, "volume"), "12345 m3");
  EXPECT_EQ(r.find("volume")->placement, Placement::unscaled);
  EXPECT_EQ(r.find("effect1")->placement, Placement::fallback);
  EXPECT_EQ(r.find("t1")->placement, Placement::fixed);
  EXPECT_EQ(r.find("t1")->token, "0002361");
  // Flow without leading zero keeps its last digit (SEED truncated it).
  const Mc66Reply big =
      reply(Mc66Request::standard_data_1, "0 0 0 0 0 0 0000005 1234567 0000015 0\r");
  EXPECT_EQ(value_of(big, "flow1"), "1234567 l/h");
  EXPECT_EQ(value_of(big, "effect1"), "0.5 kW");
  EXPECT_EQ(value_of(big, "peak_power"), "1.5 kW");  // SEED printed 1.15
}

TEST(Mc66, NegativeTemperatures) {
  const Mc66Reply r =
      reply(Mc66Request::standard_data_1, "0 0 0 -002735 -000050 -000001 0 0 0 0\r");
  EXPECT_EQ(value_of(r, "t1"), "-27.35 C");
  EXPECT_EQ(value_of(r, "t2"), "-0.50 C");  // SEED printed garbage
  EXPECT_EQ(value_of(r, "tdif"), "-0.01 C");
  const Mc66Reply zero = reply(Mc66Request::inst_values, "-000000 0 0 0 0 0 0 0\r");
  EXPECT_EQ(value_of(zero, "t1"), "0.00 C");
}

TEST(Mc66, InstValuesGiveT3) {
  const Mc66Reply r = reply(Mc66Request::inst_values,
                            "0006521 0001820 0004002 0000016 0000015 0000020 0000000 0000005\r");
  EXPECT_EQ(value_of(r, "t1"), "65.21 C");
  EXPECT_EQ(value_of(r, "t3"), "18.20 C");
  EXPECT_EQ(value_of(r, "t2"), "40.02 C");
  EXPECT_EQ(value_of(r, "p1"), "16");
  EXPECT_EQ(r.find("p1")->placement, Placement::unscaled);
  EXPECT_EQ(value_of(r, "flow1"), "20 l/h");
  EXPECT_EQ(value_of(r, "effect1"), "0.5 kW");
  const Mc66Reply p = reply(Mc66Request::inst_values,
                            "0006521 0001820 0004002 0000016 0000015 0001234 0000000 0000005\r",
                            program("3-4-158"));
  EXPECT_EQ(value_of(p, "flow1"), "12.34 m3/h");
  EXPECT_EQ(value_of(p, "flow2"), "0.00 m3/h");
  EXPECT_EQ(value_of(p, "effect1"), "5 kW");
}

TEST(Mc66, StandardData2CarriesTheProgramNumber) {
  const Mc66Reply r = reply(
      Mc66Request::standard_data_2,
      "00000000040 0000000 0000000 0000000 0000000 0000000 0000000 0011234 5010200 0230131\r");
  ASSERT_TRUE(r.program.has_value());
  EXPECT_EQ(r.program->text(), "112345010200");
  EXPECT_EQ(r.program->a, 1);
  EXPECT_EQ(r.program->b, 1);
  EXPECT_EQ(r.program->ccc, 234);
  EXPECT_EQ(r.customer, 40u);
  EXPECT_EQ(r.scaling, Scaling::fallback);  // B=1 is no energy unit, CCC 234 not in the table
  EXPECT_EQ(r.find("abccc")->token, "0011234");
  EXPECT_EQ(r.find("date")->token, "0230131");

  const Mc66Reply k = reply(
      Mc66Request::standard_data_2,
      "12345678901 0000001 0000002 0000003 0000004 0000005 0000006 0034116 1020304 0230131\r");
  EXPECT_EQ(k.program->text(), "341161020304");
  EXPECT_EQ(k.program->dd, 10);
  EXPECT_EQ(k.program->e, 2);
  EXPECT_EQ(k.program->ff, 3);
  EXPECT_EQ(k.program->gg, 4);
  EXPECT_EQ(k.scaling, Scaling::program);
  EXPECT_EQ(k.customer, 12345678901u);

  auto bad =
      parse_reply(Mc66Request::standard_data_2, as_bytes("1 0 0 0 0 0 0 -011234 5010200 0\r"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().detail,
            "standard data 2 (/#2): program token xxABCCC '-011234' is not 7 digits");
}

TEST(Mc66, ProgramNumberForms) {
  EXPECT_EQ(program("34116").text(), "34116");
  EXPECT_EQ(program("3-4-116").ccc, 116);
  EXPECT_EQ(program("0034116").text(), "34116");
  EXPECT_EQ(program("112345010200").text(), "112345010200");
  EXPECT_EQ(program("0011234 5010200").text(), "112345010200");
  EXPECT_EQ(program("0011234 5010200").abccc_token(), 11234u);
  EXPECT_EQ(program("0011234 5010200").ddeffgg_token(), 5010200u);
  EXPECT_FALSE(parse_program_number("3411").ok());
  EXPECT_FALSE(parse_program_number("34x16").ok());
  EXPECT_FALSE(parse_program_number("-34116").ok());
  EXPECT_FALSE(parse_program_number("").ok());
}

TEST(Mc66, DecimalsFromTheProgramNumber) {
  struct Case {
    std::string_view program;
    std::string_view energy, volume, flow, power;
  };
  // Every value token is 0012345 except flow (0000456) and power (0000123).
  const Case cases[] = {
      {"3-4-116", "12.345 MWh", "123.45 m3", "456 l/h", "12.3 kW"},
      {"3-2-116", "123.45 GJ", "123.45 m3", "456 l/h", "12.3 kW"},
      {"3-3-116", "12345 kWh", "123.45 m3", "456 l/h", "12.3 kW"},
      {"3-5-116", "12.345 Gcal", "123.45 m3", "456 l/h", "12.3 kW"},
      {"4-4-151", "123.45 MWh", "1234.5 m3", "456 l/h", "12.3 kW"},
      {"4-2-179", "1234.5 GJ", "1234.5 m3", "456 l/h", "12.3 kW"},
      {"3-4-158", "1234.5 MWh", "12345 m3", "4.56 m3/h", "123 kW"},
      {"3-2-170", "12345 GJ", "12345 m3", "4.56 m3/h", "0.123 MW"},
      {"3-4-181", "1234.5 MWh", "12345 m3", "4.56 m3/h", "0.123 MW"},
      {"3-4-171", "12345 MWh", "123450 m3", "45.6 m3/h", "1.23 MW"},  // x10 volume
      {"3-2-182", "123450 GJ", "123450 m3", "45.6 m3/h", "1.23 MW"},  // x10 energy, volume
      {"3-4-000", "12.345 MWh", "123.45 m3", "4.56 m3/h", "0.123 MW"},
      {"3-2-006", "1234.5 GJ", "1234.5 m3", "456 m3/h", "12.3 MW"},
      {"3-3-009", "12345 kWh", "123.45 m3", "4.56 m3/h", "0.123 MW"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.program);
    const Mc66Reply r = reply(Mc66Request::standard_data_1,
                              "0012345 0012345 0000001 0002361 0002219 0000142 0000123 0000456 "
                              "0000123 0000000\r",
                              program(c.program));
    EXPECT_EQ(r.scaling, Scaling::program);
    EXPECT_EQ(r.fallback_reason, "");
    EXPECT_EQ(value_of(r, "energy"), c.energy);
    EXPECT_EQ(value_of(r, "volume"), c.volume);
    EXPECT_EQ(value_of(r, "flow1"), c.flow);
    EXPECT_EQ(value_of(r, "effect1"), c.power);
    EXPECT_EQ(value_of(r, "peak_power"), c.power);
    EXPECT_EQ(value_of(r, "t1"), "23.61 C");
    EXPECT_EQ(r.find("energy")->placement, Placement::program);
  }
}

TEST(Mc66, FallbackReasons) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"3-4-999", "flow-meter code CCC 999 is not in the decimals table"},
      {"3-4-001", "flow-meter code CCC 001 is not in the decimals table"},
      {"3-7-116", "energy unit B=7 is not one of 2 (GJ), 3 (kWh), 4 (MWh), 5 (Gcal)"},
      {"3-3-151", "flow-meter code CCC 151 is not used with kWh"},
      {"3-3-000", "flow-meter code CCC 000 is not used with kWh"},
  };
  for (const auto& [text, reason] : cases) {
    const Mc66Reply r = reply(Mc66Request::standard_data_1, kStd1, program(text));
    EXPECT_EQ(r.scaling, Scaling::fallback) << text;
    EXPECT_EQ(r.fallback_reason, reason);
    EXPECT_EQ(value_of(r, "effect1"), "12.3 kW");
    EXPECT_EQ(value_of(r, "flow1"), "456 l/h");
    EXPECT_EQ(r.find("energy")->placement, Placement::unscaled);
  }
  // With a known B the unscaled energy still carries its unit.
  EXPECT_EQ(value_of(reply(Mc66Request::standard_data_1, kStd1, program("3-4-999")), "energy"),
            "12345 MWh");
}

TEST(Mc66, TheTableIsWellFormed) {
  for (const FlowMeterCode& row : kFlowMeterCodes) {
    SCOPED_TRACE(row.ccc);
    EXPECT_EQ(find_flow_meter_code(row.ccc), &row);  // no duplicates
    EXPECT_NE(row.m3, kNotUsed);
    EXPECT_NE(row.mwh_gcal, kNotUsed);
    EXPECT_NE(row.gj, kNotUsed);
    // Exactly one flow unit and one power unit.
    EXPECT_NE(row.l_per_h == kNotUsed, row.m3_per_h == kNotUsed);
    EXPECT_NE(row.kw == kNotUsed, row.mw == kNotUsed);
  }
  EXPECT_EQ(find_flow_meter_code(999), nullptr);
  EXPECT_EQ(energy_unit(4), "MWh");
  EXPECT_EQ(energy_unit(1), "");
}

TEST(Mc66, ReplyErrors) {
  auto error_of = [](Mc66Request request, std::string_view text) {
    auto r = parse_reply(request, as_bytes(text));
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? std::string()
                  : std::string(errc_name(r.error().code)) + ": " + r.error().detail;
  };
  EXPECT_EQ(error_of(Mc66Request::standard_data_1, "0 0 0 0 0 0 0\r"),
            "iec_bad_reply: standard data 1 (/#1) reply has 7 tokens, expected 10");
  EXPECT_EQ(error_of(Mc66Request::inst_values, "0 0 0 0 0 0 0 0"),
            "iec_bad_reply: inst. values (/#C) reply does not end with CR");
  EXPECT_EQ(error_of(Mc66Request::inst_values, "0 0 0 0 0 0 0 0x\r"),
            "iec_bad_reply: inst. values (/#C) reply has the unexpected byte 'x' at offset 15");
  EXPECT_EQ(error_of(Mc66Request::inst_values, "0 0 0 0 0 0 0 0-1\r"),
            "iec_bad_reply: inst. values (/#C) token 8 '0-1' is not a number");
  EXPECT_EQ(error_of(Mc66Request::inst_values, "0 0 - 0 0 0 0 0\r"),
            "iec_bad_reply: inst. values (/#C) token 3 '-' is not a number");
  EXPECT_EQ(error_of(Mc66Request::inst_values, "00000001 0 0 0 0 0 0 0\r"),
            "iec_bad_reply: inst. values (/#C) token 1 (t1) '00000001' is longer than 7 "
            "characters");
  EXPECT_EQ(error_of(Mc66Request::inst_values, "0 0 0 0 0 0 0 1234567890123\r"),
            "iec_bad_reply: inst. values (/#C) token 8 '1234567890123' is longer than 12 "
            "characters");
  EXPECT_EQ(error_of(Mc66Request::standard_data_2, "-1 0 0 0 0 0 0 0034116 0000000 0\r"),
            "iec_bad_reply: standard data 2 (/#2) token 1 (customer) '-1' is negative");
  const std::string long_reply(257, ' ');
  EXPECT_EQ(error_of(Mc66Request::inst_values, long_reply),
            "iec_too_long: inst. values (/#C) reply of 257 bytes, at most 256");
  std::string many;
  for (int i = 0; i < 33; ++i)
    many += "0 ";
  many += "\r";
  EXPECT_EQ(error_of(Mc66Request::inst_values, many),
            "iec_too_long: inst. values (/#C) reply has more than 32 tokens");
  // Tolerated: extra tokens, runs of spaces, a trailing LF.
  const Mc66Reply r = reply(Mc66Request::inst_values, " 1  2 3 4 5 6 7 8 9 10 \r\n");
  EXPECT_EQ(r.extra_tokens, (std::vector<std::string>{"9", "10"}));
  EXPECT_EQ(value_of(r, "t1"), "0.01 C");
}

TEST(Mc66, EncodeTokens) {
  EXPECT_EQ(encode_token(2361, 7).value(), "0002361");
  EXPECT_EQ(encode_token(-2735, 7).value(), "-002735");
  EXPECT_EQ(encode_token(-1, 7).value(), "-000001");
  EXPECT_EQ(encode_token(9999999, 7).value(), "9999999");
  EXPECT_FALSE(encode_token(10000000, 7).ok());
  EXPECT_EQ(encode_token(-999999, 7).value(), "-999999");
  EXPECT_FALSE(encode_token(-1000000, 7).ok());
  EXPECT_EQ(encode_token(40, 11).value(), "00000000040");
  EXPECT_FALSE(encode_token(INT64_MIN, 7).ok());
}

TEST(Mc66, EncodeReplies) {
  const std::vector<Decimal> std1 = {dec("12.345"), dec("123.45"), dec("56296"), dec("23.61"),
                                     dec("22.19"),  dec("1.42"),   dec("12.3"),  dec("456"),
                                     dec("12.3"),   dec("0")};
  const std::string line =
      encode_reply(Mc66Request::standard_data_1, std1, program("34116")).value();
  EXPECT_EQ(line,
            "0012345 0012345 0056296 0002361 0002219 0000142 0000123 0000456 0000123 0000000\r");
  // Too many decimals for the place, too large, wrong count.
  std::vector<Decimal> bad = std1;
  bad[6] = dec("12.34");
  EXPECT_EQ(encode_reply(Mc66Request::standard_data_1, bad, program("34116")).error().detail,
            "effect1 12.34 has more than 1 decimals (counts of 1e-1)");
  bad = std1;
  bad[3] = dec("100000");
  EXPECT_FALSE(encode_reply(Mc66Request::standard_data_1, bad).ok());
  EXPECT_FALSE(encode_reply(Mc66Request::inst_values, std1).ok());
  // Decimals that are only zeros are fine: 23.600 is 2360 counts of 0.01.
  std::vector<Decimal> inst = {dec("23.600"), dec("-27.35"), dec("0"), dec("16"),
                               dec("15"),     dec("20"),     dec("0"), dec("0.5")};
  EXPECT_EQ(encode_reply(Mc66Request::inst_values, inst).value(),
            "0002360 -002735 0000000 0000016 0000015 0000020 0000000 0000005\r");
  // x10: 123450 m3 is 12345 tens.
  std::vector<Decimal> x10 = std1;
  x10[0] = dec("123450");
  x10[1] = dec("123450");
  x10[6] = dec("1.23");
  x10[7] = dec("45.6");
  x10[8] = dec("1.23");
  EXPECT_EQ(encode_reply(Mc66Request::standard_data_1, x10, program("32182")).value(),
            "0012345 0012345 0056296 0002361 0002219 0000142 0000123 0000456 0000123 0000000\r");
  x10[1] = dec("123455");
  EXPECT_FALSE(encode_reply(Mc66Request::standard_data_1, x10, program("32182")).ok());
}

TEST(Mc66Properties, RandomRepliesRoundTrip) {
  std::mt19937 rng(66);
  const std::string_view programs[] = {"",      "34116", "32151", "34158", "32170",
                                       "34171", "33009", "34999", "31234"};
  for (int i = 0; i < 3000; ++i) {
    const auto request = static_cast<Mc66Request>(rng() % 3);
    std::optional<ProgramNumber> prog;
    const std::string_view p = programs[rng() % std::size(programs)];
    if (!p.empty()) prog = program(p);
    std::string text;
    for (const FieldSpec& f : reply_fields(request)) {
      std::int64_t count = static_cast<std::int64_t>(rng() % 10000000);
      if (f.kind == FieldKind::customer) {
        count = static_cast<std::int64_t>(rng() % 100000) * 1000000;
      } else if (f.kind == FieldKind::temperature && rng() % 3 == 0) {
        count = -static_cast<std::int64_t>(rng() % 1000000);
      } else if (f.name == "abccc") {
        count = prog ? prog->abccc_token() : 34116;
      } else if (f.name == "ddeffgg") {
        count = rng() % 10000000;
      }
      if (!text.empty()) text += ' ';
      text += encode_token(count, f.digits).value();
    }
    text += '\r';
    const Mc66Reply r = reply(request, text, prog);
    std::vector<Decimal> values;
    for (const Mc66Value& v : r.values)
      values.push_back(v.value);
    auto again = encode_reply(request, values, r.program);
    ASSERT_TRUE(again.ok()) << again.error().message();
    // "-000000" comes back as "0000000"; everything else byte for byte.
    std::string want = text;
    for (std::size_t at = want.find("-000000"); at != std::string::npos; at = want.find("-000000"))
      want.replace(at, 7, "0000000");
    EXPECT_EQ(*again, want);
  }
}

}  // namespace
}  // namespace ml::core::iec
