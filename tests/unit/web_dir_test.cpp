// Where `serve` finds the dashboard (server/web_dir.hpp): the search order and the page shown
// when none of the folders holds index.html.
#include "server/web_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "sim_support.hpp"

namespace ml::server {
namespace {

TEST(WebDir, ConfiguredFolderAloneElsePackagedThenBuildTree) {
  const std::string packaged(kPackagedWebDir);
  EXPECT_EQ(
      web_dir_candidates(packaged, "/src/build/dev/apps/meterlogger-server/meterlogger-server"),
      (std::vector<std::string>{"/usr/share/meterlogger/web", "/src/build/dev/web"}));
  EXPECT_EQ(web_dir_candidates(packaged, ""),
            (std::vector<std::string>{"/usr/share/meterlogger/web"}));
  EXPECT_EQ(web_dir_candidates("/srv/web", "/b/apps/meterlogger-server/meterlogger-server"),
            (std::vector<std::string>{"/srv/web"}));
}

TEST(WebDir, FindsTheFirstFolderWithIndexHtml) {
  test::TempDir dir;
  const std::string a = dir.file("a"), b = dir.file("b"), c = dir.file("c");
  std::filesystem::create_directories(a);
  std::filesystem::create_directories(b + "/index.html");  // a folder, not the file
  std::filesystem::create_directories(c);
  std::ofstream(c + "/index.html") << "<html></html>";
  auto s = find_web_dir({a, b, c, dir.file("d")});
  EXPECT_EQ(s.found, c);
  EXPECT_EQ(s.tried, (std::vector<std::string>{a, b, c}));
  auto none = find_web_dir({a, b});
  EXPECT_EQ(none.found, "");
  EXPECT_EQ(none.tried.size(), 2u);
}

TEST(WebDir, ThePageNamesTheFoldersAndWebDirEscaped) {
  WebDirSearch s{"", {"/usr/share/meterlogger/web", "/b/<web>"}};
  const auto page = missing_dashboard_page(s, "/etc/meterlogger/server.toml");
  EXPECT_NE(page.find("<code>/usr/share/meterlogger/web</code>"), std::string::npos) << page;
  EXPECT_NE(page.find("/b/&lt;web&gt;"), std::string::npos) << page;
  EXPECT_EQ(page.find("<web>"), std::string::npos);
  EXPECT_NE(page.find("<code>web_dir</code>"), std::string::npos);
  EXPECT_NE(page.find("/etc/meterlogger/server.toml"), std::string::npos);
  const auto line = missing_dashboard_text(s, "/etc/meterlogger/server.toml");
  EXPECT_NE(line.find("/usr/share/meterlogger/web, /b/<web>"), std::string::npos) << line;
  EXPECT_NE(line.find("[http] web_dir"), std::string::npos) << line;
}

}  // namespace
}  // namespace ml::server
