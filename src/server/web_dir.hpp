// Where `serve` finds the dashboard's files (docs/server.md, "Where the dashboard is"): the
// configured [http] web_dir when set, else the packaged folder, else the build tree's web folder
// beside the executable (for developers). When none holds index.html, `serve` answers a small
// page at / naming the folders it looked in and how to set web_dir, and `check` says the same.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ml::server {

// Where the package installs the dashboard.
inline constexpr std::string_view kPackagedWebDir = "/usr/share/meterlogger/web";

struct WebDirSearch {
  std::string found;               // the first folder with index.html; empty when none
  std::vector<std::string> tried;  // every folder looked in, in order
};

// The folders to look in, in order: [http] web_dir alone when it names another folder than
// the packaged one; else the packaged folder, then <build>/web for an executable at
// <build>/apps/meterlogger-server/ (`exe`: the executable's path, e.g. from /proc/self/exe;
// empty: not known).
std::vector<std::string> web_dir_candidates(const std::string& web_dir, const std::string& exe);
// The first of `candidates` holding a regular file index.html.
WebDirSearch find_web_dir(const std::vector<std::string>& candidates);
// The running executable's path (/proc/self/exe), empty when unknown.
std::string this_executable();

// One line for the log and `check`: the folders looked in and how to set web_dir.
std::string missing_dashboard_text(const WebDirSearch& search, const std::string& config_path);
// The small HTML page `serve` answers at / when there is no dashboard (the same facts).
std::string missing_dashboard_page(const WebDirSearch& search, const std::string& config_path);

}  // namespace ml::server
