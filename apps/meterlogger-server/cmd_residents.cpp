// `meterlogger-server residents`: the residents who log in to see their own meters
// (docs/residents.md): invite one to their meters, list them, remove one (their personal data;
// the meters' history stays). `meterlogger-server poster`: their posters (server/http/poster.hpp).
#include <fstream>
#include <iostream>
#include <map>

#include "common.hpp"
#include "core/topic/topic.hpp"
#include "server/http/poster.hpp"
#include "server/http/resident_export.hpp"
#include "server/usecases/residents.hpp"

namespace ml::server_app {
namespace {

struct InviteArgs {
  std::vector<std::string> serials;
  std::string name;
  std::string email;
  std::string phone;
  std::string language;
};

void residents_invite(const std::string& config_path, const InviteArgs& a) {
  const auto config = config_from(config_path);
  auto store = open_store(config);
  server::usecase::Invite invite{
      a.name, a.email, server::usecase::login_address(a.phone), a.language, {}};
  for (const auto& s : a.serials)
    invite.serials.push_back(core::topic::canonical_serial(s));
  const auto id = ok(server::usecase::invite_resident(*store, invite, cli_actor(), unix_now()));
  std::cout << "resident " << id << " invited to";
  for (const auto& s : invite.serials)
    std::cout << " " << s;
  std::cout << ": they log in "
            << (config.residents.url.empty() ? "on the residents' page (resident.html)"
                                             : "at " + config.residents.url)
            << " with a code sent to " << (a.email.empty() ? invite.phone : a.email) << "\n";
}

void residents_list(const std::string& config_path, const std::string& serial) {
  auto store = open_store(config_from(config_path));
  std::map<std::int64_t, server::Resident> found;
  std::vector<std::string> serials;
  if (!serial.empty()) {
    if (!ok(store->meter(serial))) fail("no meter " + serial);
    serials.push_back(serial);
  } else {
    for (const auto& m : ok(store->meters()))
      serials.push_back(m.serial);
  }
  for (const auto& s : serials) {
    for (auto& r : ok(store->residents_of(s)))
      found.emplace(r.id, std::move(r));
  }
  if (found.empty()) {
    std::cout << "no residents" << (serial.empty() ? "" : " of meter " + serial)
              << "; invite one with `meterlogger-server residents invite SERIAL --email ...`\n";
    return;
  }
  for (const auto& [id, r] : found) {
    std::string meters;
    for (const auto& s : r.serials)
      meters += (meters.empty() ? "" : ",") + s;
    std::cout << id << "  " << (r.name.empty() ? "-" : r.name) << "  "
              << (r.email.empty() ? "-" : r.email) << "  " << (r.phone.empty() ? "-" : r.phone)
              << "  " << (r.language.empty() ? "browser" : r.language) << "  meters " << meters
              << "  invited " << utc(r.created) << " by " << r.invited_by << "\n";
  }
}

void residents_remove(const std::string& config_path, std::int64_t id) {
  auto store = open_store(config_from(config_path));
  ok(server::usecase::remove_resident(*store, id, cli_actor(), unix_now()));
  std::cout << "resident " << id
            << " removed: their name, addresses, codes and sessions are gone; their meters and "
               "the meters' history stay\n";
}

// A resident's data as they download it themselves (a request by letter or e-mail).
void residents_export(const std::string& config_path, std::int64_t id, const std::string& out) {
  auto store = open_store(config_from(config_path));
  auto who = ok(store->resident(id));
  if (!who) fail("no resident " + std::to_string(id) + " (`residents list`)");
  const auto json = ok(server::http::resident_export_json(*store, *who, unix_now()));
  if (out.empty() || out == "-") {
    std::cout << json;
    return;
  }
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file << json;
  if (!file.flush()) fail("cannot write " + out);
}

struct PosterArgs {
  std::vector<std::string> serials;
  std::string group;
  std::string language = "da";
  std::string out;
};

void poster(const std::string& config_path, const PosterArgs& a) {
  const auto config = config_from(config_path);
  auto store = open_store(config);
  std::vector<server::Meter> meters;
  if (!a.group.empty()) {
    for (auto& m : ok(store->meters()))
      if (m.group == a.group) meters.push_back(std::move(m));
    if (meters.empty()) fail("no meters in group \"" + a.group + "\"");
  }
  for (const auto& s : a.serials) {
    auto m = ok(store->meter(core::topic::canonical_serial(s)));
    if (!m) fail("no meter " + s);
    meters.push_back(std::move(*m));
  }
  if (meters.empty()) fail("give the meters' serials or --group");
  const auto html = ok(server::http::posters_html(meters, config.residents, a.language));
  if (a.out.empty() || a.out == "-") {
    std::cout << html;
    return;
  }
  std::ofstream file(a.out, std::ios::binary | std::ios::trunc);
  file << html;
  if (!file.flush()) fail("cannot write " + a.out);
  std::cerr << meters.size() << " poster" << (meters.size() == 1 ? "" : "s") << " in " << a.out
            << ": open it in a browser and print it on A4 (or save it as PDF)\n";
}

}  // namespace

void add_resident_commands(CLI::App& app, const std::string& config) {
  auto* residents = app.add_subcommand(
      "residents", "The residents who log in to see their own meters (docs/residents.md)");
  residents->require_subcommand(1);

  auto a = std::make_shared<InviteArgs>();
  auto* invite = residents->add_subcommand(
      "invite", "Give a resident a login to their meters: a code sent by e-mail or SMS");
  as_serial(invite->add_option("serials", a->serials, "the resident's meters")->required());
  invite->add_option("--name", a->name, "the resident's name (shown to staff and the resident)");
  invite->add_option("--email", a->email, "where the login code is e-mailed");
  invite->add_option("--phone", a->phone, "where the login code is sent by SMS (+4512345678)");
  invite->add_option("--language", a->language, "da or en; left out: the browser's")
      ->check(CLI::IsMember({"da", "en"}));
  invite->footer(
      "Give --email or --phone (or both); each address belongs to one resident.\n"
      "Examples:\n"
      "  meterlogger-server residents invite 6892850 --name \"Anna Hansen\" "
      "--email anna@example.org\n"
      "  meterlogger-server residents invite 6892850 6892851 --phone +4512345678 --language da");
  invite->callback([a, &config] { residents_invite(config, *a); });

  auto serial = std::make_shared<std::string>();
  auto* list = residents->add_subcommand("list", "The residents, with their meters");
  as_serial(list->add_option("--serial", *serial, "only this meter's residents"));
  list->footer("Example:\n  meterlogger-server residents list --serial 6892850");
  list->callback([serial, &config] { residents_list(config, *serial); });

  auto id = std::make_shared<std::int64_t>(0);
  auto* remove = residents->add_subcommand(
      "remove", "Delete a resident's personal data (GDPR); the meters' history stays");
  remove->add_option("id", *id, "the resident's number (`residents list`)")->required();
  remove->footer("Example:\n  meterlogger-server residents remove 3");
  remove->callback([id, &config] { residents_remove(config, *id); });

  auto exported = std::make_shared<std::pair<std::int64_t, std::string>>(0, "");
  auto* export_cmd = residents->add_subcommand(
      "export", "A resident's own data as JSON, as they download it on their page (GDPR)");
  export_cmd->add_option("id", exported->first, "the resident's number (`residents list`)")
      ->required();
  export_cmd->add_option("--out", exported->second, "the file to write (default: standard output)");
  export_cmd->footer("Example:\n  meterlogger-server residents export 3 --out resident-3.json");
  export_cmd->callback(
      [exported, &config] { residents_export(config, exported->first, exported->second); });

  auto p = std::make_shared<PosterArgs>();
  auto* poster_cmd = app.add_subcommand(
      "poster", "Printable A4 posters: the residents' login QR code and how to pay, per meter");
  as_serial(poster_cmd->add_option("serials", p->serials, "the meters"));
  poster_cmd->add_option("--group", p->group, "every meter of this group");
  poster_cmd->add_option("--language", p->language, "da or en")
      ->check(CLI::IsMember({"da", "en"}))
      ->capture_default_str();
  poster_cmd->add_option("--out", p->out, "the HTML file to write (default: standard output)");
  poster_cmd->footer(
      "Needs [residents] url (the residents' page as residents reach it); [residents] payment\n"
      "adds how to pay. Open the file in a browser and print it, or save it as PDF.\n"
      "Examples:\n"
      "  meterlogger-server poster 6892850 --out poster.html\n"
      "  meterlogger-server poster --group Loppen --language en --out loppen.html");
  poster_cmd->callback([p, &config] { poster(config, *p); });
}

}  // namespace ml::server_app
