// What every route of the HTTP API (api.hpp) uses to read a request and write an answer: JSON
// answers and errors, the body as a JSON object, its fields checked with errors naming them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "server/http/api.hpp"

namespace ml::server::http {

using json = nlohmann::ordered_json;

// Rows of a list answer at most.
inline constexpr int kListLimit = 500;

// A JSON answer; an error answer {"error": message}; a storage failure (500).
Response json_response(int status, const nlohmann::ordered_json& j);
Response error(int status, const std::string& message);
Response store_error(const core::Error& e);

// A query parameter in unix seconds; `fallback` when absent.
core::Result<std::int64_t> time_param(const Request& r, const char* name, std::int64_t fallback);
// A query parameter that counts something (0 or more); `fallback` when absent.
core::Result<std::int64_t> count_param(const Request& r, const char* name, std::int64_t fallback);
// The JSON object of a POST body (at most kMaxBody); an error naming what is wrong.
core::Result<nlohmann::ordered_json> body_object(const Request& r);
// Field `name` of a body: a string (empty when absent) of at most `max` bytes.
core::Result<std::string> string_field(const nlohmann::ordered_json& body, const char* name,
                                       std::size_t max);
// A record's id in a path ("/api/payments/12/void"): a positive number, else nullopt.
std::optional<std::int64_t> path_id(const std::string& text);
// Field `name` of a body: an array of at most `max_items` strings of at most `max` bytes each
// (empty when absent).
core::Result<std::vector<std::string>> string_list_field(const nlohmann::ordered_json& body,
                                                         const char* name, std::size_t max_items,
                                                         std::size_t max);
// Whether the body has field `name` and it is not null.
bool has_field(const nlohmann::ordered_json& body, const char* name);
// Field `name` of a body: true or false (false when absent).
core::Result<bool> bool_field(const nlohmann::ordered_json& body, const char* name);

// A new session token or CSRF token: 32 random bytes as 64 lower-case hex digits.
std::string random_token();
// Whether `text` has the form random_token() makes.
bool is_token(std::string_view text);
// Whether two secrets are equal, in time that does not depend on where they differ.
bool same_secret(const std::string& a, const std::string& b);

}  // namespace ml::server::http

// Declares `var` from a Result, or answers 400 with its error.
#define ML_FIELD(var, expr)                                \
  auto var##_r = (expr);                                   \
  if (!var##_r) return error(400, var##_r.error().detail); \
  auto var = std::move(var##_r).value()
