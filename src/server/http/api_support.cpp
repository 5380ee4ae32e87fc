// The request and answer helpers of api_support.hpp.
#include "server/http/api_support.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>

#include "core/bytes.hpp"

namespace ml::server::http {

Response json_response(int status, const json& j) {
  Response r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

Response error(int status, const std::string& message) {
  return json_response(status, json{{"error", message}});
}

Response store_error(const core::Error& e) {
  return error(500, "storage: " + e.text());
}

namespace {
// A query parameter that is a number of 0 or more; `what` names it in the error.
core::Result<std::int64_t> whole_param(const Request& r, const char* name, std::int64_t fallback,
                                       const char* what) {
  auto it = r.query.find(name);
  if (it == r.query.end() || it->second.empty()) return fallback;
  std::int64_t v = 0;
  const auto& s = it->second;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) {
    return core::make_error(core::Errc::invalid_argument,
                            std::string(name) + " must be " + what + ", not \"" + s + "\"");
  }
  return v;
}
}  // namespace

core::Result<std::int64_t> time_param(const Request& r, const char* name, std::int64_t fallback) {
  return whole_param(r, name, fallback, "unix seconds");
}

core::Result<std::int64_t> count_param(const Request& r, const char* name, std::int64_t fallback) {
  return whole_param(r, name, fallback, "a whole number");
}

core::Result<json> body_object(const Request& r) {
  if (r.body.size() > kMaxBody) {
    return core::make_error(core::Errc::invalid_argument, "the body is larger than 64 KiB");
  }
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return core::make_error(core::Errc::invalid_argument, "the body must be a JSON object");
  }
  return j;
}

core::Result<std::string> string_field(const json& body, const char* name, std::size_t max) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return core::make_error(core::Errc::invalid_argument, std::string(name) + " must be a string");
  }
  auto s = it->get<std::string>();
  if (s.size() > max) {
    return core::make_error(core::Errc::invalid_argument, std::string(name) + " is longer than " +
                                                              std::to_string(max) + " characters");
  }
  return s;
}

core::Result<std::vector<std::string>> string_list_field(const json& body, const char* name,
                                                         std::size_t max_items, std::size_t max) {
  std::vector<std::string> out;
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return out;
  const auto bad = [&] {
    return core::make_error(core::Errc::invalid_argument,
                            std::string(name) + " must be an array of at most " +
                                std::to_string(max_items) + " strings of at most " +
                                std::to_string(max) + " characters");
  };
  if (!it->is_array() || it->size() > max_items) return bad();
  for (const auto& v : *it) {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > max) return bad();
    out.push_back(v.get<std::string>());
  }
  return out;
}

bool has_field(const json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && !it->is_null();
}

core::Result<bool> bool_field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return false;
  if (!it->is_boolean()) {
    return core::make_error(core::Errc::invalid_argument,
                            std::string(name) + " must be true or false");
  }
  return it->get<bool>();
}

std::optional<std::int64_t> path_id(const std::string& text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

std::string random_token() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  return core::to_hex(core::ByteView(bytes, sizeof bytes));
}

bool is_token(std::string_view t) {
  return t.size() == 64 && std::all_of(t.begin(), t.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool same_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ml::server::http
