// Where `serve` finds the dashboard's files (web_dir.hpp).
#include "server/web_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <filesystem>

#include "core/ascii.hpp"

namespace ml::server {
namespace {

namespace fs = std::filesystem;
using core::html_escape;

std::string folders(const WebDirSearch& search) {
  std::string out;
  for (const auto& d : search.tried)
    out += (out.empty() ? "" : ", ") + d;
  return out.empty() ? "(none)" : out;
}

}  // namespace

std::vector<std::string> web_dir_candidates(const std::string& web_dir, const std::string& exe) {
  if (web_dir != kPackagedWebDir) return {web_dir};
  std::vector<std::string> out{std::string(kPackagedWebDir)};
  if (!exe.empty()) {
    // <build>/apps/meterlogger-server/meterlogger-server -> <build>/web
    const fs::path build = fs::path(exe).parent_path().parent_path().parent_path();
    if (!build.empty()) out.push_back((build / "web").lexically_normal().string());
  }
  return out;
}

WebDirSearch find_web_dir(const std::vector<std::string>& candidates) {
  WebDirSearch s;
  for (const auto& dir : candidates) {
    s.tried.push_back(dir);
    struct stat st {};
    if (::stat((fs::path(dir) / "index.html").c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      s.found = dir;
      break;
    }
  }
  return s;
}

std::string this_executable() {
  std::array<char, 4096> buf{};
  const auto n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) return {};
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

std::string missing_dashboard_text(const WebDirSearch& search, const std::string& config_path) {
  return "no dashboard: no index.html in " + folders(search) + "; set [http] web_dir in " +
         config_path +
         " to the folder the dashboard was built into (`node build.mjs DIR` in web/, "
         "docs/server.md); the API answers under /api/";
}

std::string missing_dashboard_page(const WebDirSearch& search, const std::string& config_path) {
  std::string items;
  for (const auto& d : search.tried)
    items += "<li><code>" + html_escape(d) + "</code></li>\n";
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<title>MeterLogger: no dashboard</title></head><body>\n"
         "<h1>The dashboard is not installed</h1>\n"
         "<p>meterlogger-server looked for <code>index.html</code> in:</p>\n<ul>\n" +
         items + "</ul>\n<p>Set <code>web_dir</code> in the <code>[http]</code> table of <code>" +
         html_escape(config_path) +
         "</code> to the folder the dashboard was built into (<code>npm ci &amp;&amp; node "
         "build.mjs DIR</code> in <code>web/</code>), then restart <code>serve</code>. "
         "See docs/server.md.</p>\n<p>The API answers under <code>/api/</code>.</p>\n"
         "</body></html>\n";
}

}  // namespace ml::server
