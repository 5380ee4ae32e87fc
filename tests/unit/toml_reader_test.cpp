// The configuration helpers shared by the agent and the server
// (src/platform/config/toml_reader.hpp): read_password and required_table.
#include "platform/config/toml_reader.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ml::platform::config {
namespace {

namespace fs = std::filesystem;

toml::table parsed(std::string_view text) {
  auto t = parse_toml(text, "test.toml");
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().text());
  return t.ok() ? t.value() : toml::table{};
}

TEST(TomlReader, ReadsAnInlinePassword) {
  const toml::table t = parsed("password = \"secret\"\n");
  Reader r(t, "mqtt");
  std::string password;
  auto from_file = read_password(r, password, ".");
  ASSERT_TRUE(from_file.ok());
  EXPECT_FALSE(*from_file);
  EXPECT_EQ(password, "secret");
}

TEST(TomlReader, ReadsAPasswordFileBesideTheConfiguration) {
  const fs::path dir = fs::temp_directory_path() / ("ml_toml_reader_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  { std::ofstream(dir / "pw") << "from-file\n"; }
  ::chmod((dir / "pw").c_str(), 0600);
  const toml::table t = parsed("password_file = \"pw\"\n");
  Reader r(t, "mqtt");
  std::string password;
  auto from_file = read_password(r, password, dir);
  ASSERT_TRUE(from_file.ok()) << from_file.error().text();
  EXPECT_TRUE(*from_file);
  EXPECT_EQ(password, "from-file");
  fs::remove_all(dir);
}

TEST(TomlReader, RefusesBothPasswordAndPasswordFile) {
  const toml::table t = parsed("password = \"a\"\npassword_file = \"pw\"\n");
  Reader r(t, "mqtt");
  std::string password;
  auto from_file = read_password(r, password, ".");
  ASSERT_FALSE(from_file.ok());
  EXPECT_EQ(from_file.error().text(), "mqtt.password_file: give password or password_file");
}

TEST(TomlReader, RequiredTableIsReadWithItsNameOrNamedWhenAbsent) {
  const toml::table t = parsed("[mqtt]\nhost = \"\"\n");
  Reader r(t, "");
  std::string seen_key;
  auto ok = required_table(r, "mqtt", "a [mqtt] table", [&](Reader& mr) -> core::Status {
    seen_key = mr.key("host");
    return core::Ok{};
  });
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(seen_key, "mqtt.host");

  bool called = false;
  auto absent = required_table(r, "database", "a [database] table with path", [&](Reader&) {
    called = true;
    return core::Status{core::Ok{}};
  });
  ASSERT_FALSE(absent.ok());
  EXPECT_FALSE(called);
  EXPECT_EQ(absent.error().text(), "database: required: a [database] table with path");
}

}  // namespace
}  // namespace ml::platform::config
