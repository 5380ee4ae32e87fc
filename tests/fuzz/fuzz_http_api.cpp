// Fuzz target: requests into the server's HTTP API (src/server/http/api.cpp) on a real SQLite
// file, half of them with a logged-in admin's session and CSRF token, some with a resident's.
// Input: a method byte (bit 2: the admin, bit 5: the resident), then lines: path, query
// ("k=v&k=v"), body. Invariants: every answer is one of the statuses the API documents (never 500:
// bad input is the client's error), and a JSON answer parses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/totp/totp.hpp"
#include "password/password.hpp"
#include "server/http/api.hpp"
#include "server/sqlite/store.hpp"

using namespace ml::server;

namespace {

struct World {
  std::unique_ptr<SqliteStore> store;
  ServerConfig config;
  std::unique_ptr<http::Api> api;
  std::string cookie;
  std::string csrf;
  std::string resident_cookie;  // a resident of meter 6892850 (docs/residents.md)
  std::string resident_csrf;
};

World& world() {
  static World w = [] {
    World x;
    const auto dir =
        std::filesystem::temp_directory_path() / ("ml-fuzz-http-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    // Removed at exit (libFuzzer ends a timed run with exit()): registered before `w` is
    // complete, so it runs after w's destructor has closed the database.
    static const std::filesystem::path removed_at_exit = dir;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(removed_at_exit, ignored);
    });
    x.store = SqliteStore::open((dir / "server.db").string()).value();
    Meter m;
    m.serial = "6892850";
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    m.group = "g";
    (void)x.store->add_meter(m);
    User u{"admin", "", Role::admin, {"*"}, 0};
    ml::password::hash_password("fuzz-password", &u.password_hash);
    (void)x.store->add_user(u);
    // The global admin logs in with its second factor (the default rule needs one).
    const ml::core::Bytes secret(ml::core::totp::kSecretBytes, 0x5a);
    (void)x.store->put_second_factor("admin", {ml::core::totp::base32_encode(secret), true, -1, 0},
                                     {});
    const std::string code = ml::core::totp::totp(secret, 1800000000).value();
    x.config.http.trusted_proxies = {parse_network("127.0.0.0/8").value()};
    x.config.residents.url = "https://heat.example.org/resident.html";
    x.config.residents.payment = "MobilePay 12 34 56 78, message {serial}";
    Resident resident;
    resident.email = "anna@example.org";
    resident.serials = {"6892850"};
    const auto resident_id = x.store->add_resident(resident).value();
    const std::string resident_token(64, 'a');
    x.resident_csrf = "resident-csrf";
    (void)x.store->insert_resident_session(
        ml::password::secret_hash(resident_token),
        {resident_id, x.resident_csrf, 1800000000, 1900000000, "127.0.0.1"});
    x.resident_cookie = std::string(http::kResidentCookie) + "=" + resident_token;
    x.api =
        std::make_unique<http::Api>(*x.store, x.config, [] { return std::int64_t{1800000000}; });
    auto r =
        x.api->handle({"POST",
                       "/api/login",
                       {},
                       "",
                       "",
                       R"({"username":"admin","password":"fuzz-password","code":")" + code + "\"}",
                       "127.0.0.1",
                       "application/json",
                       ""});
    for (const auto& [k, v] : r.headers)
      if (k == "Set-Cookie") x.cookie = v.substr(0, v.find(';'));
    x.csrf = nlohmann::json::parse(r.body).value("csrf", "");
    if (x.cookie.empty() || x.csrf.empty()) std::abort();
    return x;
  }();
  return w;
}

std::string next_line(std::string_view& in) {
  const auto nl = in.find('\n');
  std::string line(in.substr(0, nl));
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 4096) return 0;
  World& w = world();
  static const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
  http::Request r;
  r.method = kMethods[data[0] & 3];
  const bool logged_in = (data[0] & 4) != 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  r.path = next_line(in);
  const std::string query_line = next_line(in);
  std::string_view query = query_line;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    const auto eq = item.find('=');
    r.query.emplace(std::string(item.substr(0, eq)),
                    eq == std::string_view::npos ? "" : std::string(item.substr(eq + 1)));
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
  }
  r.body = std::string(in);
  r.remote = "127.0.0.1";
  r.content_type = (data[0] & 8) != 0 ? "text/plain" : "application/json";
  if ((data[0] & 16) != 0) r.forwarded_for = std::string(next_line(in));
  if (logged_in) {
    r.cookie = w.cookie;
    r.csrf = w.csrf;
  }
  if ((data[0] & 32) != 0) {  // the resident instead (their own routes, or nothing)
    r.cookie = w.resident_cookie;
    r.csrf = w.resident_csrf;
  }
  // Never log out the shared session (that is tested elsewhere).
  if (r.path.find("logout") != std::string::npos) return 0;
  const auto out = w.api->handle(r);
  static const std::set<int> documented = {200, 201, 202, 204, 400, 401,
                                           403, 404, 405, 409, 415, 429};
  if (documented.count(out.status) == 0) std::abort();
  if (out.content_type == "application/json" && out.status != 204 &&
      nlohmann::json::parse(out.body, nullptr, false).is_discarded()) {
    std::abort();
  }
  return 0;
}
