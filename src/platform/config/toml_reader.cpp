#include "platform/config/toml_reader.hpp"

#include <sys/stat.h>

#include <charconv>
#include <fstream>

namespace ml::platform::config {

namespace fs = std::filesystem;

core::Result<std::string> read_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return core::make_error(core::Errc::config_invalid, path + ": cannot read the file");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

core::Status read_log_level(Reader& r, std::string& level) {
  ML_TRY(r.string("log_level", level));
  if (level != "debug" && level != "info" && level != "warning" && level != "error") {
    return bad(r.key("log_level"), "must be debug, info, warning or error");
  }
  return core::Ok{};
}

core::Result<toml::table> parse_toml(std::string_view text, const std::string& path) {
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return core::make_error(core::Errc::config_invalid, path + ":" + std::to_string(where.line) +
                                                            ":" + std::to_string(where.column) +
                                                            ": " + std::string(e.description()));
  }
}

core::Result<std::string> read_secret_file(const std::string& key, const std::string& file,
                                           const fs::path& base) {
  const fs::path p = fs::path(file).is_absolute() ? fs::path(file) : base / file;
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return bad(key, "cannot read " + p.string());
  if (st.st_mode & S_IROTH) {
    return bad(key, p.string() + " is readable by everyone; chmod o-r it");
  }
  std::ifstream in(p);
  if (!in) return bad(key, "cannot read " + p.string());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

core::Result<bool> read_password(Reader& r, std::string& password, const fs::path& base) {
  ML_TRY(r.string("password", password));
  std::string password_file;
  ML_TRY(r.string("password_file", password_file));
  if (password_file.empty()) return false;
  if (!password.empty()) return bad(r.key("password_file"), "give password or password_file");
  auto secret = read_secret_file(r.key("password_file"), password_file, base);
  if (!secret) return secret.error();
  password = std::move(secret).value();
  return true;
}

core::Result<std::optional<MqttTls>> read_tls(Reader& r, const fs::path& base) {
  const toml::table* t = r.table("tls");
  if (t == nullptr) return std::optional<MqttTls>{};
  Reader tr(*t, r.key("tls"));
  MqttTls tls;
  ML_TRY(tr.string("ca_file", tls.ca_file));
  ML_TRY(tr.string("cert_file", tls.cert_file));
  ML_TRY(tr.string("key_file", tls.key_file));
  ML_TRY(tr.boolean("insecure", tls.insecure));
  if (tls.ca_file.empty()) return bad(tr.key("ca_file"), "required for TLS");
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return bad(tr.key("cert_file"), "cert_file and key_file go together");
  }
  ML_TRY(tr.no_unknown_keys());
  for (std::string* f : {&tls.ca_file, &tls.cert_file, &tls.key_file}) {
    if (!f->empty() && fs::path(*f).is_relative()) *f = (base / *f).string();
  }
  return std::optional<MqttTls>{std::move(tls)};
}

// "HOST:PORT" or "[V6]:PORT".
core::Status parse_listen(const std::string& key, const std::string& text, std::string& host,
                          int& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return bad(key, "must be \"HOST:PORT\" (e.g. \"0.0.0.0:8080\"), not \"" + text + "\"");
  }
  std::string h = text.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  const std::string p = text.substr(colon + 1);
  int value = -1;
  const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size() || value < 0 || value > 65535) {
    return bad(key, "the port must be a number from 0 to 65535, not \"" + p + "\"");
  }
  host = h;
  port = value;
  return core::Ok{};
}

}  // namespace ml::platform::config
