// Reading TOML configuration files with errors that name the key and the problem
// ("meter[2].key: must be 32 hex digits"), shared by the agent's and the server's configuration.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/result.hpp"
#include "platform/mqtt/tls.hpp"

namespace ml::platform::config {

// config_invalid: "<key>: <problem>".
inline core::Error bad(const std::string& key, const std::string& problem) {
  return core::make_error(core::Errc::config_invalid, key + ": " + problem);
}

// Reads typed values from a table, remembering which keys were used so unknown keys (typos)
// can be reported.
class Reader {
 public:
  Reader(const toml::table& table, std::string prefix) : t_(table), prefix_(std::move(prefix)) {}

  std::string key(std::string_view k) const {
    return prefix_.empty() ? std::string(k) : prefix_ + "." + std::string(k);
  }

  template <class T>
  core::Result<std::optional<T>> get(std::string_view k) {
    used_.insert(std::string(k));
    const toml::node* node = t_.get(k);
    if (!node) return std::optional<T>{};
    if constexpr (std::is_same_v<T, std::string>) {
      if (auto v = node->value<std::string>()) return std::optional<T>(*v);
      return bad(key(k), "must be a string");
    } else if constexpr (std::is_same_v<T, bool>) {
      if (auto v = node->value<bool>(); v && node->is_boolean()) return std::optional<T>(*v);
      return bad(key(k), "must be true or false");
    } else {
      if (!node->is_integer()) return bad(key(k), "must be an integer");
      return std::optional<T>(static_cast<T>(*node->value<std::int64_t>()));
    }
  }

  core::Status integer(std::string_view k, std::int64_t& out, std::int64_t min, std::int64_t max) {
    auto v = get<std::int64_t>(k);
    if (!v) return v.error();
    if (!*v) return core::Ok{};
    if (**v < min || **v > max) {
      return bad(key(k), "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                             ", not " + std::to_string(**v));
    }
    out = **v;
    return core::Ok{};
  }

  core::Status string(std::string_view k, std::string& out) {
    auto v = get<std::string>(k);
    if (!v) return v.error();
    if (*v) out = **v;
    return core::Ok{};
  }

  core::Status boolean(std::string_view k, bool& out) {
    auto v = get<bool>(k);
    if (!v) return v.error();
    if (*v) out = **v;
    return core::Ok{};
  }

  // An array of strings; absent leaves `out` as it is.
  core::Status string_array(std::string_view k, std::vector<std::string>& out) {
    used_.insert(std::string(k));
    const toml::node* node = t_.get(k);
    if (!node) return core::Ok{};
    const toml::array* a = node->as_array();
    if (a == nullptr) return bad(key(k), "must be an array of strings");
    std::vector<std::string> items;
    for (const auto& item : *a) {
      auto v = item.value<std::string>();
      if (!v || !item.is_string()) return bad(key(k), "must be an array of strings");
      items.push_back(*v);
    }
    out = std::move(items);
    return core::Ok{};
  }

  // An array (of tables, say); nullptr when absent or not an array.
  const toml::array* array(std::string_view k) {
    used_.insert(std::string(k));
    const toml::node* node = t_.get(k);
    return node ? node->as_array() : nullptr;
  }

  const toml::table* table(std::string_view k) {
    used_.insert(std::string(k));
    const toml::node* node = t_.get(k);
    return node ? node->as_table() : nullptr;
  }

  core::Status no_unknown_keys() const {
    for (const auto& [k, v] : t_) {
      if (!used_.count(std::string(k.str()))) {
        return bad(key(k.str()), "unknown setting (misspelt?)");
      }
    }
    return core::Ok{};
  }

 private:
  const toml::table& t_;
  std::string prefix_;
  std::set<std::string> used_;
};

// The whole configuration file; "<path>: cannot read the file" when it cannot be read.
core::Result<std::string> read_config_file(const std::string& path);

// `log_level`: debug, info, warning or error.
core::Status read_log_level(Reader& r, std::string& level);

// The text parsed as TOML; a syntax error says "<path>:<line>:<column>: <what>".
core::Result<toml::table> parse_toml(std::string_view text, const std::string& path);

// The text of a secret file (a key, a password), trailing newlines and spaces removed. The file
// must not be readable by everyone. A relative path is taken from `base` (the config's folder).
core::Result<std::string> read_secret_file(const std::string& key, const std::string& file,
                                           const std::filesystem::path& base);

// `password` or `password_file` (read with read_secret_file), not both, into `password`. True when
// the password came from the file.
core::Result<bool> read_password(Reader& r, std::string& password,
                                 const std::filesystem::path& base);

// The optional `tls` table of `r` ([mqtt.tls], [homeassistant.tls]): ca_file (required), cert_file
// and key_file (together or neither), insecure; relative paths are taken from `base` (the
// config's folder). nullopt when the table is absent.
core::Result<std::optional<MqttTls>> read_tls(Reader& r, const std::filesystem::path& base);

// A table that must be there: `read(Reader&)` parses it (its keys named "<name>.<key>"); when it
// is absent, "<name>: required: <what>".
template <class F>
core::Status required_table(Reader& r, std::string_view name, std::string_view what, F&& read) {
  const toml::table* t = r.table(name);
  if (t == nullptr) return bad(r.key(name), "required: " + std::string(what));
  Reader tr(*t, r.key(name));
  return read(tr);
}

// "HOST:PORT" or "[V6]:PORT".
core::Status parse_listen(const std::string& key, const std::string& text, std::string& host,
                          int& port);

}  // namespace ml::platform::config
