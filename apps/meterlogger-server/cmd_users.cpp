// `meterlogger-server users`: the dashboard's users through the user use cases
// (server/usecases/users.hpp); each change is in the admin audit log as the login name at "cli".
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "common.hpp"
#include "server/usecases/users.hpp"

namespace ml::server_app {
namespace {

namespace usecase = server::usecase;

struct UserArgs {
  std::string name;
  std::string role = "viewer";
  std::string groups;
  std::string password_file;
};

// The password from --password-file, or typed twice on a terminal, or one line of stdin; the
// use case checks and hashes it.
core::Result<std::string> read_password(const UserArgs& a) {
  std::string password;
  if (!a.password_file.empty()) {
    std::ifstream in(a.password_file);
    if (!in) fail("cannot read " + a.password_file);
    std::getline(in, password);
  } else if (isatty(STDIN_FILENO)) {
    termios saved{};
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string again;
    std::cerr << "password for " << a.name << ": ";
    std::getline(std::cin, password);
    std::cerr << "\nagain: ";
    std::getline(std::cin, again);
    std::cerr << "\n";
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    if (password != again) fail("the passwords differ");
  } else {
    std::getline(std::cin, password);
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

void users_add(const std::string& config_path, const UserArgs& a) {
  auto store = open_store(config_from(config_path));
  ok(usecase::add_user(
      *store, {a.name, a.role, a.groups, usecase::Spelling::option},
      [&] { return read_password(a); }, cli_actor(), unix_now()));
  std::cout << "added " << a.role << " " << a.name << "\n";
}

void users_passwd(const std::string& config_path, const UserArgs& a) {
  auto store = open_store(config_from(config_path));
  ok(usecase::set_password(
      *store, a.name, [&] { return read_password(a); }, cli_actor(), unix_now()));
  std::cout << "changed the password of " << a.name << " (its sessions ended)\n";
}

void users_set(const std::string& config_path, const UserArgs& a) {
  auto store = open_store(config_from(config_path));
  ok(usecase::change_access(*store, {a.name, a.role, a.groups, usecase::Spelling::option},
                            cli_actor(), unix_now()));
  std::cout << a.name << " is now " << a.role << (a.groups.empty() ? "" : " of " + a.groups)
            << "\n";
}

void users_remove(const std::string& config_path, const std::string& name) {
  auto store = open_store(config_from(config_path));
  ok(usecase::remove_user(*store, name, cli_actor(), unix_now()));
  std::cout << "removed user " << name << " (its sessions ended)\n";
}

void users_unlock(const std::string& config_path, const std::string& name) {
  auto store = open_store(config_from(config_path));
  ok(usecase::unlock_user(*store, name, cli_actor(), unix_now()));
  std::cout << "unlocked " << name
            << ": its failed logins no longer count (the address limit stays)\n";
}

void users_list(const std::string& config_path) {
  auto store = open_store(config_from(config_path));
  std::printf("%-20s %-7s %s\n", "name", "role", "groups");
  for (const auto& u : ok(store->users())) {
    std::string groups;
    for (const auto& g : u.groups)
      groups += (groups.empty() ? "" : ",") + g;
    std::printf("%-20s %-7s %s\n", u.name.c_str(), std::string(server::role_name(u.role)).c_str(),
                groups.c_str());
  }
}

}  // namespace

void add_user_commands(CLI::App& app, const std::string& config) {
  auto ua = std::make_shared<UserArgs>();
  auto* users = app.add_subcommand(
      "users", "Add, list, change, unlock and remove dashboard users; passwords");
  users->require_subcommand(1);
  auto* uadd = users->add_subcommand("add", "Add a user (the password is asked for)");
  uadd->add_option("name", ua->name, "the login name")->required();
  uadd->add_option("--role", ua->role, "admin or viewer")->capture_default_str();
  uadd->add_option("--groups", ua->groups,
                   "admins: the meter groups they may change, comma-separated; \"*\": all");
  uadd->add_option("--password-file", ua->password_file,
                   "read the password from this file's first line (default: ask, or read one "
                   "line from stdin when it is not a terminal)");
  uadd->footer(
      "A viewer sees every meter; an admin may also add payments, open and close valves, send\n"
      "commands and add meters in its groups. Every change is in the audit log (`audit`).\n\n"
      "Examples:\n"
      "  meterlogger-server users add anna --role admin --groups Loppen,Kildevang\n"
      "  meterlogger-server users add root --role admin --groups '*'\n"
      "  echo 'a long secret' | meterlogger-server users add bo");
  uadd->callback([=, &config] { users_add(config, *ua); });
  auto* upw = users->add_subcommand("passwd", "Set a user's password (its sessions end)");
  upw->add_option("name", ua->name, "the login name")->required();
  upw->add_option("--password-file", ua->password_file, "read the password from this file");
  upw->callback([=, &config] { users_passwd(config, *ua); });
  auto* uset = users->add_subcommand("set", "Give a user a new role and groups");
  uset->add_option("name", ua->name, "the login name")->required();
  uset->add_option("--role", ua->role, "admin or viewer")->required();
  uset->add_option("--groups", ua->groups,
                   "admins: the meter groups they may change, comma-separated; \"*\": all");
  uset->footer(
      "The user's sessions go on with the new role. The dashboard's Users page does the same.\n\n"
      "Example:\n  meterlogger-server users set bo --role admin --groups Loppen");
  uset->callback([=, &config] { users_set(config, *ua); });
  auto* urm = users->add_subcommand("remove", "Remove a user (its sessions end)");
  urm->add_option("name", ua->name, "the login name")->required();
  urm->callback([=, &config] { users_remove(config, ua->name); });
  auto* uul = users->add_subcommand(
      "unlock", "Let a user log in again after too many failed logins (the running serve too)");
  uul->add_option("name", ua->name, "the login name")->required();
  uul->footer(
      "Five wrong passwords within 15 minutes lock an account for the rest of those 15 minutes\n"
      "(docs/server.md). `serve` sees the unlock at the user's next login.\n\n"
      "Example:\n  meterlogger-server users unlock anna");
  uul->callback([=, &config] { users_unlock(config, ua->name); });
  auto* uls = users->add_subcommand("list", "List the users");
  uls->callback([=, &config] { users_list(config); });
}

}  // namespace ml::server_app
