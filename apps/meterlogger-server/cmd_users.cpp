// `meterlogger-server users`: the dashboard's users through the user use cases
// (server/usecases/users.hpp); each change is in the admin audit log as the login name at "cli".
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "common.hpp"
#include "platform/qr/qr.hpp"
#include "server/usecases/second_factor.hpp"
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
  std::printf("%-20s %-7s %-13s %s\n", "name", "role", "second factor", "groups");
  for (const auto& u : ok(store->users())) {
    std::string groups;
    for (const auto& g : u.groups)
      groups += (groups.empty() ? "" : ",") + g;
    const auto factor = ok(usecase::second_factor_state(*store, u.name));
    const char* state = factor.enrolled ? "yes" : factor.pending ? "being set up" : "no";
    std::printf("%-20s %-7s %-13s %s\n", u.name.c_str(),
                std::string(server::role_name(u.role)).c_str(), state, groups.c_str());
  }
}

// The QR code in the terminal, two module rows a line: the light modules drawn (a terminal is
// usually light on dark), with the quiet zone around.
void print_qr(const std::string& text) {
  auto modules = platform::qr::modules(text);
  if (!modules) {
    std::cout << "(no QR code: " << modules.error().detail << ")\n";
    return;
  }
  const int size = static_cast<int>(modules->size());
  constexpr int kQuiet = 2;
  const auto light = [&](int y, int x) {
    if (y < 0 || x < 0 || y >= size || x >= size) return true;
    return !(*modules)[static_cast<std::size_t>(y)][static_cast<std::size_t>(x)];
  };
  for (int y = -kQuiet; y < size + kQuiet; y += 2) {
    for (int x = -kQuiet; x < size + kQuiet; ++x) {
      const bool top = light(y, x);
      const bool bottom = light(y + 1, x);
      std::cout << (top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ");
    }
    std::cout << "\n";
  }
}

void totp_enable(const std::string& config_path, const std::string& name) {
  auto store = open_store(config_from(config_path));
  const auto enrolment = ok(usecase::begin_totp(*store, name, cli_actor(), unix_now()));
  std::cout << "Scan this with the authenticator app of " << name << ":\n\n";
  print_qr(enrolment.uri);
  std::cout << "\nor type the key " << enrolment.secret << " (time-based, 6 digits, 30 s).\n"
            << "Then confirm it with the code the app shows:\n"
            << "  meterlogger-server users totp confirm " << name << " CODE\n"
            << "Until then the login does not ask for a code.\n";
}

void totp_confirm(const std::string& config_path, const std::string& name,
                  const std::string& code) {
  auto store = open_store(config_from(config_path));
  const auto codes = ok(usecase::confirm_totp(*store, name, code, cli_actor(), unix_now()));
  std::cout << "The login of " << name << " asks for a code from now on.\n"
            << "Recovery codes, each good for one login without the phone; keep them safe, they "
               "are not shown again:\n";
  for (const auto& c : codes)
    std::cout << "  " << c << "\n";
}

void totp_disable(const std::string& config_path, const std::string& name) {
  auto store = open_store(config_from(config_path));
  ok(usecase::disable_totp(*store, name, cli_actor(), unix_now()));
  std::cout << "removed the second factor of " << name
            << " and its recovery codes; a role that needs one sets it up again at the next "
               "login\n";
}

}  // namespace

void add_user_commands(CLI::App& app, const std::string& config) {
  auto ua = std::make_shared<UserArgs>();
  auto* users = app.add_subcommand(
      "users",
      "Add, list, change, unlock and remove dashboard users; passwords and second factors");
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

  auto code = std::make_shared<std::string>();
  auto* totp = users->add_subcommand(
      "totp", "A user's second factor: a code from an authenticator app at every login");
  totp->require_subcommand(1);
  totp->footer(
      "[http] second_factor says whose role needs one (default: the admins of every group);\n"
      "anyone may have one. docs/security.md, \"Second factor\".\n\n"
      "Examples:\n"
      "  meterlogger-server users totp enable anna      # shows the QR code to scan\n"
      "  meterlogger-server users totp confirm anna 492039\n"
      "  meterlogger-server users totp disable anna     # the phone and the codes are lost");
  auto* ten = totp->add_subcommand(
      "enable", "Make a new secret and show it as a QR code (replaces an earlier one)");
  ten->add_option("name", ua->name, "the login name")->required();
  ten->callback([=, &config] { totp_enable(config, ua->name); });
  auto* tco = totp->add_subcommand(
      "confirm", "Confirm the secret with the app's code; prints ten recovery codes");
  tco->add_option("name", ua->name, "the login name")->required();
  tco->add_option("code", *code, "the 6 digits the app shows now")->required();
  tco->callback([=, &config] { totp_confirm(config, ua->name, *code); });
  auto* tdi = totp->add_subcommand("disable", "Remove the user's second factor and recovery codes");
  tdi->add_option("name", ua->name, "the login name")->required();
  tdi->callback([=, &config] { totp_disable(config, ua->name); });
}

}  // namespace ml::server_app
