// `meterlogger-server pay` and `payments`: the prepaid ledger through the payment use cases
// (server/usecases/payments.hpp), which the HTTP API shares.
#include <cstdio>
#include <iostream>

#include "common.hpp"
#include "server/ledger.hpp"
#include "server/usecases/payments.hpp"

namespace ml::server_app {
namespace {

namespace usecase = server::usecase;

struct PayArgs {
  std::string serial;
  std::string amount;
  std::string price;
  std::string note;
  std::int64_t id = 0;
  std::string actor;
};

void print_limit(const std::string& serial, const std::string& limit) {
  std::cout << "queued open_until " << limit << " for " << serial
            << " (the device closes its valve there)\n";
}

void pay(const std::string& config_path, const PayArgs& a) {
  const usecase::PaymentRequest request{a.serial, a.amount, a.price, a.note,
                                        usecase::Spelling::option};
  const auto now = unix_now();
  auto store = open_store(config_from(config_path));
  const auto paid = ok(usecase::pay(*store, request, actor_of(a.actor), now));
  std::cout << "payment #" << paid.change.id << ": " << paid.payment.amount.to_string() << " at "
            << paid.payment.price.to_string() << " per kWh\n";
  print_limit(a.serial, paid.change.open_until);
}

void payments_list(const std::string& config_path, const std::string& serial) {
  auto store = open_store(config_from(config_path));
  auto m = ok(store->meter(serial));
  if (!m) fail("no meter " + serial);
  const auto entries = ok(store->payments(serial));
  std::printf("%-6s %-20s %12s %10s %-6s %s\n", "id", "time", "amount", "price", "state", "note");
  for (const auto& p : entries) {
    std::printf("%-6lld %-20s %12s %10s %-6s %s\n", static_cast<long long>(p.id),
                utc(p.time).c_str(), p.amount.to_string().c_str(), p.price.to_string().c_str(),
                std::string(server::state_name(p.state)).c_str(), p.note.c_str());
  }
  std::cout << "paid " << ok(server::paid(entries)).to_string() << ", setup value "
            << m->setup_value.to_string() << ", open_until "
            << ok(server::open_until_limit(*m, entries)).to_string() << "\n";
}

void payments_correct(const std::string& config_path, const PayArgs& a) {
  auto store = open_store(config_from(config_path));
  const auto c = ok(
      usecase::correct_payment(*store, {a.id, a.amount, a.price, a.note, usecase::Spelling::option},
                               actor_of(a.actor), unix_now()));
  std::cout << "payment #" << a.id << " corrected by #" << c.change.id << "\n";
  print_limit(c.serial, c.change.open_until);
}

void payments_void(const std::string& config_path, const PayArgs& a) {
  auto store = open_store(config_from(config_path));
  const auto c = ok(usecase::withdraw_payment(*store, a.id, actor_of(a.actor), unix_now()));
  std::cout << "payment #" << a.id << " withdrawn\n";
  print_limit(c.serial, c.change.open_until);
}

void payments_audit(const std::string& config_path, const std::string& serial) {
  auto store = open_store(config_from(config_path));
  for (const auto& e : ok(store->audit_log(serial))) {
    std::cout << utc(e.time) << " " << e.actor << " " << server::action_name(e.action) << " #"
              << e.payment_id << " " << e.amount.to_string() << " at " << e.price.to_string()
              << (e.note.empty() ? "" : " (" + e.note + ")") << "\n";
  }
}

}  // namespace

void add_payment_commands(CLI::App& app, const std::string& config) {
  auto pa = std::make_shared<PayArgs>();
  auto* payc = app.add_subcommand("pay", "Add a payment and queue the new open_until limit");
  as_serial(payc->add_option("serial", pa->serial, "the meter's serial"))->required();
  payc->add_option("--amount", pa->amount, "money paid, exact decimal above 0")->required();
  payc->add_option("--price", pa->price, "money per kWh (per m3 for water); 0 credits no energy")
      ->required();
  payc->add_option("--note", pa->note, "a note for the ledger");
  payc->add_option("--actor", pa->actor, "who enters it (default: the login name)");
  payc->footer(
      "open_until = sum of amount/price over the meter's payments + its setup value (kWh, to 1 "
      "Wh);\n"
      "the device closes its valve by itself when its register reaches it. The payment and the\n"
      "limit are stored together or not at all. A wrong payment is corrected or withdrawn with\n"
      "`payments correct|void` (a zero or negative amount is refused).\n\n"
      "Example:\n  meterlogger-server pay 6892850 --amount 500 --price 0.85 --note \"MobilePay "
      "2026-11\"");
  payc->callback([=, &config] { pay(config, *pa); });

  auto* pays = app.add_subcommand("payments", "List, correct and withdraw payments; the audit log");
  pays->require_subcommand(1);
  auto* plist = pays->add_subcommand("list", "A meter's payments and its limit");
  as_serial(plist->add_option("serial", pa->serial, "the meter's serial"))->required();
  plist->callback([=, &config] { payments_list(config, pa->serial); });
  auto* pcorr = pays->add_subcommand("correct", "Replace a payment by a corrected one");
  pcorr->add_option("id", pa->id, "the payment's number")->required();
  pcorr->add_option("--amount", pa->amount, "the corrected amount");
  pcorr->add_option("--price", pa->price, "the corrected price");
  pcorr->add_option("--note", pa->note, "a note");
  pcorr->add_option("--actor", pa->actor, "who corrects it");
  pcorr->footer("Example:\n  meterlogger-server payments correct 12 --amount 450");
  pcorr->callback([=, &config] { payments_correct(config, *pa); });
  auto* pvoid = pays->add_subcommand("void", "Withdraw a payment");
  pvoid->add_option("id", pa->id, "the payment's number")->required();
  pvoid->add_option("--actor", pa->actor, "who withdraws it");
  pvoid->callback([=, &config] { payments_void(config, *pa); });
  auto* paudit = pays->add_subcommand("audit", "Every change to a meter's ledger, append-only");
  as_serial(paudit->add_option("serial", pa->serial, "the meter's serial"))->required();
  paudit->callback([=, &config] { payments_audit(config, pa->serial); });
}

}  // namespace ml::server_app
