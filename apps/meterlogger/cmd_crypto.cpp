// meterlogger crypto: derive the keys of a master key, and seal or open MeterLogger v2 payloads.

#include <iostream>
#include <memory>
#include <string>

#include "common.hpp"
#include "core/envelope/envelope.hpp"
#include "core/topic/topic.hpp"
#include "platform/crypto/random.hpp"

namespace ml::app {
namespace {

namespace envelope = core::envelope;

// The master key from --key or --key-file.
struct KeyOptions {
  std::string key;
  std::string key_file;
};

void add_key_options(CLI::App& cmd, KeyOptions& o, bool positional) {
  CLI::Option* key = nullptr;
  if (positional) {
    key = cmd.add_option("KEY", o.key, "master key: 32 hex digits");
  } else {
    key = cmd.add_option("--key", o.key,
                         "master key: 32 hex digits (visible in the process list and the shell "
                         "history; prefer --key-file)");
  }
  auto* file = cmd.add_option("--key-file", o.key_file,
                              "file holding the master key (32 hex digits; surrounding "
                              "whitespace is ignored)");
  key->excludes(file);
  file->excludes(key);
}

std::string trim(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && space(text.back()))
    text.remove_suffix(1);
  return std::string(text);
}

envelope::MasterKey master_key(const KeyOptions& o) {
  std::string text = o.key;
  std::string where;
  if (!o.key_file.empty()) {
    text = trim(read_file(o.key_file, 4096));
    where = o.key_file + ": ";
  } else if (o.key.empty()) {
    fail("a master key is needed (32 hex digits, or --key-file PATH)");
  }
  auto master = envelope::parse_master_key(text);
  if (!master) {
    core::Error error = master.error();
    error.detail = where + error.detail;
    fail(error);
  }
  return *master;
}

envelope::Keys keys_of(const envelope::MasterKey& master) {
  auto keys = envelope::derive_keys(master);
  if (!keys) fail(keys.error());
  return *keys;
}

// A topic must be a MeterLogger topic unless --any-topic is given (the envelope itself works
// with any topic bytes).
void check_topic(const std::string& topic, bool any_topic) {
  if (any_topic) return;
  auto parsed = core::topic::parse(topic);
  if (!parsed) {
    core::Error error = parsed.error();
    error.detail += " (--any-topic to use it anyway)";
    fail(error);
  }
}

void print_key_value(std::string_view key, std::string_view value) {
  std::cout << key << ": " << value << '\n';
}

// --- derive -------------------------------------------------------------------------------------

void add_derive(CLI::App& crypto) {
  struct Options {
    KeyOptions key;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = crypto.add_subcommand(
      "derive", "Print the AES and HMAC keys, SHA-256 and setup-AP password of a master key");
  add_key_options(*cmd, o->key, true);
  cmd->add_flag("--json", o->json, "print JSON instead of key: value lines");
  cmd->footer(
      "SHA-256 of the 16 key bytes: the first 16 bytes are the AES-128 key, the last 16 the\n"
      "HMAC-SHA256 key. The setup-AP password is the first 16 hex digits of the key.\n\n"
      "Examples:\n"
      "  meterlogger crypto derive ef500c9268cf749016d26d6cbfaaf7bf\n"
      "  meterlogger crypto derive --key-file /etc/meterlogger/key --json\n");
  cmd->callback([o] {
    const auto master = master_key(o->key);
    const auto keys = keys_of(master);
    const std::string sha256 = core::to_hex(keys.digest());
    const std::string aes = core::to_hex(keys.aes);
    const std::string hmac = core::to_hex(keys.hmac);
    const std::string password = envelope::setup_ap_password(master);
    if (o->json) {
      nlohmann::ordered_json j;
      j["sha256"] = sha256;
      j["aes_key"] = aes;
      j["hmac_key"] = hmac;
      j["setup_ap_password"] = password;
      print_json(j);
      return;
    }
    print_key_value("sha256", sha256);
    print_key_value("aes_key", aes);
    print_key_value("hmac_key", hmac);
    print_key_value("setup_ap_password", password);
  });
}

// --- seal ---------------------------------------------------------------------------------------

envelope::Iv random_iv() {
  auto iv = platform::random_iv();
  if (!iv) fail(iv.error());
  return *iv;
}

envelope::Iv iv_argument(const std::string& text) {
  auto bytes = core::from_hex(text, envelope::kIvSize + 1);
  if (!bytes) fail("--iv: " + bytes.error().detail);
  if (bytes->size() != envelope::kIvSize) {
    fail("--iv: an IV is 16 bytes (32 hex digits), got " + std::to_string(bytes->size()) +
         " bytes");
  }
  envelope::Iv iv{};
  std::copy(bytes->begin(), bytes->end(), iv.begin());
  return iv;
}

void add_seal(CLI::App& crypto) {
  struct Options {
    KeyOptions key;
    std::string topic;
    std::string iv;
    std::string padding = "pkcs7";
    std::string text;
    bool raw = false;
    bool any_topic = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = crypto.add_subcommand("seal", "Encrypt and authenticate a text for an MQTT topic");
  add_key_options(*cmd, o->key, false);
  cmd->add_option("--topic", o->topic, "MQTT topic the payload is published on")->required();
  cmd->add_option("--iv", o->iv, "IV as 32 hex digits (default: 16 random bytes)");
  cmd->add_option("--padding", o->padding,
                  "pkcs7 (current firmware and server) or zero (firmware of 2018)")
      ->check(CLI::IsMember({"pkcs7", "zero"}))
      ->capture_default_str();
  cmd->add_flag("--raw", o->raw, "write the payload as binary instead of hex");
  cmd->add_flag("--any-topic", o->any_topic, "accept a topic that is not a MeterLogger topic");
  cmd->add_option("TEXT", o->text,
                  "the text (without a NUL byte); - reads it from standard input, byte for "
                  "byte (a trailing newline is part of the text)")
      ->required();
  cmd->footer(
      "Prints HMAC (32 bytes) || IV (16) || AES-128-CBC(TEXT, NUL, padding) in hex.\n\n"
      "Examples:\n"
      "  meterlogger crypto seal --key ef500c9268cf749016d26d6cbfaaf7bf \\\n"
      "      --topic /config/v2/7210086/1466572820/open_until \\\n"
      "      --iv 000102030405060708090a0b0c0d0e0f 1000\n"
      "  printf 'heap=21376&t1=23.61 C&' | meterlogger crypto seal --key-file key.txt \\\n"
      "      --topic /sample/v2/7210086/1466572820 --padding zero -\n"
      "  t=/config/v2/7210086/$(date +%s)/ping\n"
      "  meterlogger crypto seal --key-file key.txt --topic \"$t\" --raw 1 |\n"
      "    mosquitto_pub -t \"$t\" -s\n");
  cmd->callback([o] {
    const auto keys = keys_of(master_key(o->key));
    check_topic(o->topic, o->any_topic);
    const std::string text = o->text == "-" ? read_stdin(envelope::kMaxTextSize) : o->text;
    const auto iv = o->iv.empty() ? random_iv() : iv_argument(o->iv);
    const auto padding = o->padding == "zero" ? envelope::Padding::zero : envelope::Padding::pkcs7;
    auto payload = envelope::seal(keys, o->topic, iv, text, padding);
    if (!payload) fail(payload.error());
    const auto parsed = core::topic::parse(o->topic);
    if (parsed && parsed->kind == core::topic::Kind::command &&
        payload->size() > envelope::kDeviceMaxPayloadSize) {
      std::cerr << "meterlogger: warning: the payload is " << payload->size()
                << " bytes; the firmware drops commands of 512 bytes or more\n";
    }
    if (o->raw) {
      std::cout.write(reinterpret_cast<const char*>(payload->data()),
                      static_cast<std::streamsize>(payload->size()));
      std::cout.flush();
    } else {
      std::cout << core::to_hex(*payload) << '\n';
    }
  });
}

// --- open ---------------------------------------------------------------------------------------

void add_open(CLI::App& crypto) {
  struct Options {
    KeyOptions key;
    std::string topic;
    std::string payload;
    bool allow_empty = false;
    bool any_topic = false;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = crypto.add_subcommand("open", "Verify and decrypt a payload received on a topic");
  add_key_options(*cmd, o->key, false);
  cmd->add_option("--topic", o->topic, "MQTT topic the payload was received on")->required();
  cmd->add_flag("--allow-empty", o->allow_empty,
                "accept an empty text (the `ping` and `clear_cron` replies are empty)");
  cmd->add_flag("--any-topic", o->any_topic, "accept a topic that is not a MeterLogger topic");
  cmd->add_flag("--json", o->json, "print the text, the padding and the topic fields as JSON");
  cmd->add_option("PAYLOAD", o->payload,
                  "the payload in hex; - reads it from standard input (binary or hex)")
      ->required();
  cmd->footer(
      "Prints the text. On failure prints the reason (envelope_bad_mac, envelope_bad_padding,\n"
      "...) and exits with status 1.\n\n"
      "Examples:\n"
      "  meterlogger crypto open --key ef500c9268cf749016d26d6cbfaaf7bf \\\n"
      "      --topic /config/v2/7210086/1466572820/ping \\\n"
      "      8dea848975fbdec38f55b1bc7d3ac8c469bae2ac88e709647f9b9c07131ca3ce"
      "000102030405060708090a0b0c0d0e0f24b84cdbc567fc217019f4a0c30fb96c\n"
      "  mosquitto_sub -C 1 -N -t /sample/v2/7210086/1466572820 |\n"
      "    meterlogger crypto open --key-file key.txt --topic /sample/v2/7210086/1466572820 -\n");
  cmd->callback([o] {
    const auto keys = keys_of(master_key(o->key));
    check_topic(o->topic, o->any_topic);
    const core::Bytes payload = bytes_argument(o->payload, 8 * envelope::kMaxPayloadSize);
    auto opened = envelope::open_message(
        keys, o->topic, payload,
        o->allow_empty ? envelope::EmptyText::accept : envelope::EmptyText::reject);
    if (!opened) fail(opened.error());
    if (!o->json) {
      std::cout << opened->text << '\n';
      return;
    }
    nlohmann::ordered_json j;
    j["text"] = opened->text;
    j["padding"] = envelope::padding_name(opened->padding);
    j["payload_bytes"] = payload.size();
    if (auto t = core::topic::parse(o->topic)) {
      j["kind"] = core::topic::kind_name(t->kind);
      j["name"] = t->name;
      j["serial"] = t->serial.text();
      if (t->kind != core::topic::Kind::offline) j["time"] = t->time;
    }
    // The text is authentic but not necessarily UTF-8: replace what JSON cannot carry.
    std::cout << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
  });
}

}  // namespace

void add_crypto_commands(CLI::App& app) {
  auto* crypto = app.add_subcommand(
      "crypto", "Derive keys, and seal or open MeterLogger v2 MQTT payloads (HMAC-SHA256 + AES)");
  crypto->require_subcommand(1);
  add_derive(*crypto);
  add_seal(*crypto);
  add_open(*crypto);
}

}  // namespace ml::app
