// The offline pieces of `meterlogger-server check` (server/install_check.hpp): the secret file
// mode check and the mosquitto.conf parser and its checks.
#include "server/install_check.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "sim_support.hpp"

namespace ml::server::check {
namespace {

Level level_of(const std::vector<Line>& lines, std::string_view starts) {
  for (const auto& l : lines)
    if (l.text.starts_with(starts) || l.text.find(starts) != std::string::npos) return l.level;
  ADD_FAILURE() << "no line with " << starts;
  return Level::error;
}

TEST(InstallCheck, TheRecommendedLinesPass) {
  auto conf = parse_mosquitto_conf(kMosquittoLines);
  ASSERT_TRUE(conf.ok()) << conf.error().text();
  for (const auto& l : check_mosquitto_conf(*conf, "m.conf"))
    EXPECT_EQ(l.level, Level::ok) << format_line(l);
}

TEST(InstallCheck, WeakSettingsAreNamedWithTheFix) {
  auto conf = parse_mosquitto_conf(
      "# test\nlistener 1883\nallow_anonymous true\n  max_queued_messages   500 \r\n");
  ASSERT_TRUE(conf.ok()) << conf.error().text();
  const auto lines = check_mosquitto_conf(*conf, "m.conf");
  EXPECT_EQ(lines.size(), 5u);
  EXPECT_EQ(level_of(lines, "allow_anonymous true in m.conf"), Level::warning);
  EXPECT_EQ(level_of(lines, "max_queued_messages 500 in m.conf"), Level::error);
  EXPECT_EQ(level_of(lines, "persistence is not true"), Level::error);
  EXPECT_EQ(level_of(lines, "message_size_limit is not set"), Level::warning);
  EXPECT_EQ(level_of(lines, "no password_file"), Level::warning);
  EXPECT_EQ(conf->settings.at("max_queued_messages"), "500");
}

TEST(InstallCheck, BadFilesAreRejectedNamingTheLine) {
  auto empty = parse_mosquitto_conf("persistence true\npersistence\n");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().text().find("line 2"), std::string::npos) << empty.error().text();
  EXPECT_FALSE(parse_mosquitto_conf(std::string("a b\n\x01\n")).ok());
  EXPECT_FALSE(parse_mosquitto_conf(std::string(kMaxConfLine + 1, 'a') + " b\n").ok());
  EXPECT_FALSE(parse_mosquitto_conf(std::string(kMaxConfBytes + 1, '#')).ok());
}

TEST(InstallCheck, ASecretFileMustBeTheOwnersOnly) {
  test::TempDir dir;
  const auto f = dir.file("pw");
  std::ofstream(f) << "secret";
  ::chmod(f.c_str(), 0644);
  auto open = check_secret_file("mqtt.password_file", f);
  EXPECT_EQ(open.level, Level::error);
  EXPECT_NE(open.text.find("chmod 600 " + f), std::string::npos) << open.text;
  ::chmod(f.c_str(), 0400);
  EXPECT_EQ(check_secret_file("mqtt.password_file", f).level, Level::ok);
  EXPECT_EQ(check_secret_file("k", dir.file("missing")).level, Level::error);
}

}  // namespace
}  // namespace ml::server::check
