// run_prepaid_notices: facts from the store, the pure step, the outbox (contract in
// prepaid_notify.hpp).
#include "server/prepaid_notify.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string_view>

#include "core/ascii.hpp"
#include "server/alarm_round.hpp"
#include "server/ledger.hpp"
#include "server/notify/notifier.hpp"

namespace ml::server {
namespace {

using core::Decimal;

// The words of the notices in each language (the residents choose theirs; the meter's contact
// gets English). {what} is the meter, {credit} what is left, {lasts} about how long.
struct NoticeWords {
  std::string_view language;
  std::string_view meter;          // "meter {serial}"
  std::string_view paid_for;       // "{left} {unit} paid for"
  std::string_view about_days;     // ", about {days} days"
  std::string_view topup_subject;  // ... {what}
  std::string_view topup_body;
  std::string_view topup_left;  // "\nLeft: {credit}{lasts}."
  std::string_view low_subject;
  std::string_view low_body;  // {what} {credit_part}
  std::string_view low_pay;
  std::string_view closed_subject;
  std::string_view closed_body;
};
constexpr std::array<NoticeWords, 2> kNoticeWords{{
    {"en", "meter ", " paid for", ", about ", "Payment received for ",
     "Your payment for {what} has arrived and the heat is on.",
     "\nLeft: ", "Running low: ", "The heat paid for at {what} is running low",
     ".\nPay in time to keep the heat on.\n", "Heat closed: ",
     "The heat paid for at {what} is used up and the valve has closed.\nA payment opens it "
     "again.\n"},
    {"da", "måler ", " betalt", ", cirka ", "Betaling modtaget for ",
     "Din betaling for {what} er kommet, og varmen er tændt.",
     "\nTilbage: ", "Saldoen er lav: ", "Varmen betalt til {what} er ved at slippe op",
     ".\nBetal i tide for at beholde varmen.\n", "Varmen er lukket: ",
     "Varmen betalt til {what} er brugt op, og ventilen er lukket.\nEn betaling åbner den "
     "igen.\n"},
}};

const NoticeWords& words_for(std::string_view language) {
  for (const auto& w : kNoticeWords)
    if (w.language == language) return w;
  return kNoticeWords.front();
}

std::string with_what(std::string_view text, const std::string& what) {
  std::string out(text);
  const auto at = out.find("{what}");
  if (at != std::string::npos) out.replace(at, 6, what);
  return out;
}

std::string unit_of(const Meter& m) {
  return m.kind == core::meter::Kind::water ? "m3" : "kWh";
}

// A resident with a low-credit threshold of their own: their own step over the meter's facts,
// of which only "running low" is theirs alone (the top-up and closed notices are the meter's).
struct OwnLow {
  Resident resident;
  PrepaidNoticeState previous, state;
  std::vector<PrepaidNotice> lows;
};

struct Pending {
  Meter meter;
  PrepaidNoticeState previous, state;
  std::vector<PrepaidNotice> notices;
  std::optional<Decimal> left, days_left;  // as the notices tell them
  std::string email;
  std::string phone;
  std::vector<Resident> residents;
  std::vector<OwnLow> own;
};

// Where a resident gets a notice of `kind`: the channel type and address their preferences
// (store/residents.hpp) say, or none.
std::optional<std::pair<notify::ChannelType, std::string>> resident_recipient(
    const Resident& r, PrepaidNoticeKind kind) {
  if (r.notices == ResidentNotices::none) return std::nullopt;
  if (r.notices == ResidentNotices::essential && kind == PrepaidNoticeKind::topup)
    return std::nullopt;
  const bool sms = r.notice_channel == "sms" || (r.notice_channel.empty() && r.email.empty());
  const std::string& to = sms ? r.phone : r.email;
  if (to.empty()) return std::nullopt;
  return std::make_pair(sms ? notify::ChannelType::sms : notify::ChannelType::email, to);
}

}  // namespace

NoticeText prepaid_notice_text(PrepaidNoticeKind kind, const Meter& meter,
                               const std::optional<Decimal>& left,
                               const std::optional<Decimal>& days_left, std::string_view language) {
  const NoticeWords& w = words_for(language);
  const std::string label = std::string(w.meter) + meter.serial;
  const std::string what = meter.name.empty() ? label : meter.name + " (" + label + ")";
  const std::string credit =
      left ? left->to_string() + " " + unit_of(meter) + std::string(w.paid_for) : "";
  const std::string lasts = days_left ? std::string(w.about_days) + days_left->to_string() +
                                            (w.language == "da" ? " dage" : " days")
                                      : "";
  switch (kind) {
    case PrepaidNoticeKind::topup:
      return {std::string(w.topup_subject) + what,
              with_what(w.topup_body, what) +
                  (credit.empty() ? "" : std::string(w.topup_left) + credit + lasts + ".") + "\n"};
    case PrepaidNoticeKind::low:
      return {std::string(w.low_subject) + what, with_what(w.low_body, what) +
                                                     (credit.empty() ? "" : ": " + credit + lasts) +
                                                     std::string(w.low_pay)};
    case PrepaidNoticeKind::closed:
      break;
  }
  return {std::string(w.closed_subject) + what, with_what(w.closed_body, what)};
}

core::Result<PrepaidRound> run_prepaid_notices(ServerStore& store,
                                               const notify::NotifyConfig& config, std::int64_t now,
                                               usecase::DailyUseCache* cache) {
  PrepaidRound round;
  const PrepaidNoticeConfig settings{Decimal{false, std::uint64_t(config.prepaid_low_days), 0},
                                     Decimal{false, std::uint64_t(config.prepaid_rearm_days), 0}};
  std::vector<Pending> pending;
  const core::Status read = store.read_snapshot([&]() -> core::Status {
    auto meters = store.meters();
    if (!meters) return meters.error();
    auto states = store.prepaid_notice_states();
    if (!states) return states.error();
    auto by_meter = store.residents_by_meter();
    if (!by_meter) return by_meter.error();
    auto own_states = store.resident_prepaid_states();
    if (!own_states) return own_states.error();
    std::map<std::string, std::vector<Resident>> residents;
    for (auto& [serial, r] : *by_meter)
      residents[serial].push_back(std::move(r));
    std::optional<std::map<std::string, ValveInfo>> valves;  // read at the first meter
    for (const auto& m : *meters) {
      const auto household = residents.find(m.serial);
      if (!m.valve_installed ||
          (m.contact_email.empty() && m.contact_phone.empty() && household == residents.end()))
        continue;
      if (!valves) {
        auto v = store.valve_states();
        if (!v) return v.error();
        valves = std::move(v).value();
      }
      ++round.meters;
      PrepaidFacts facts;
      facts.valve_installed = true;
      if (auto v = valves->find(m.serial); v != valves->end())
        facts.valve = valve_state(v->second.status);
      auto payments = store.payments(m.serial);
      if (!payments) return payments.error();
      for (const auto& p : *payments) {
        if (p.state != PaymentState::active || p.id <= facts.newest_payment_id) continue;
        facts.newest_payment_id = p.id;
        facts.newest_payment_time = p.time;
      }
      auto limit = open_until_limit(m, *payments);
      auto latest = store.latest_sample(m.serial);
      if (!latest) return latest.error();
      if (limit && *latest) {
        auto e = usecase::estimate_for(store, m, *limit, &**latest, now, cache);
        if (!e) return e.error();
        facts.remaining = e->left;
        facts.days_left = usecase::days_left_of(e->estimate);
      }
      const auto it = states->find(m.serial);
      const PrepaidNoticeState previous = it == states->end() ? PrepaidNoticeState{} : it->second;
      auto step = prepaid_step(m.serial, previous, facts, settings, now);
      Pending p{m,
                previous,
                step.state,
                std::move(step.notices),
                facts.remaining,
                facts.days_left,
                m.contact_email,
                m.contact_phone,
                {},
                {}};
      if (household != residents.end()) p.residents = household->second;
      bool changed = step.state != previous || !p.notices.empty();
      for (const auto& r : p.residents) {
        if (r.low_days <= 0) continue;
        const auto kept = own_states->find({r.id, m.serial});
        OwnLow own{r, kept == own_states->end() ? PrepaidNoticeState{} : kept->second, {}, {}};
        const PrepaidNoticeConfig theirs{Decimal{false, std::uint64_t(r.low_days), 0},
                                         settings.rearm_days};
        auto their_step = prepaid_step(m.serial, own.previous, facts, theirs, now);
        own.state = their_step.state;
        for (auto& n : their_step.notices)
          if (n.kind == PrepaidNoticeKind::low) own.lows.push_back(std::move(n));
        if (own.state != own.previous || !own.lows.empty()) {
          changed = true;
          p.own.push_back(std::move(own));
        }
      }
      if (!changed) continue;
      pending.push_back(std::move(p));
    }
    return core::Ok{};
  });
  if (!read) return read.error();
  if (pending.empty()) return round;
  const core::Status written = store.write_transaction([&]() -> core::Status {
    round.notices = 0;
    round.queued = 0;
    for (const auto& p : pending) {
      if (p.state != p.previous) ML_TRY(store.write_prepaid_notice_state(p.meter.serial, p.state));
      // One message of `notice`: to `to` on `channel`, in `language`.
      const auto queue = [&](const PrepaidNotice& notice, const std::string& key,
                             const std::string& channel, const std::string& to,
                             std::string_view language) -> core::Status {
        const auto text = prepaid_notice_text(notice.kind, p.meter, p.left, p.days_left, language);
        auto q = notify::queue_notification(
            store, config, {key, channel, to, p.meter.serial, text.subject, text.body}, now);
        if (!q) return q.error();
        if (q->queued) ++round.queued;
        return core::Ok{};
      };
      // Where resident r gets `notice`, as they chose; none when nowhere.
      const auto channel_for =
          [&](const Resident& r,
              PrepaidNoticeKind kind) -> std::optional<std::pair<std::string, std::string>> {
        const auto to = resident_recipient(r, kind);
        if (!to || core::equal_ignoring_case(to->second, p.email) || to->second == p.phone)
          return std::nullopt;
        const auto channel =
            std::find_if(config.channels.begin(), config.channels.end(),
                         [&](const notify::ChannelConfig& c) { return c.type == to->first; });
        if (channel == config.channels.end()) return std::nullopt;
        return std::make_pair(channel->name, to->second);
      };
      for (const auto& notice : p.notices) {
        ++round.notices;
        // The meter's contact, on every channel that fits (in English).
        for (const auto& channel : config.channels) {
          std::string to;
          if (channel.type == notify::ChannelType::email) to = p.email;
          if (channel.type == notify::ChannelType::sms) to = p.phone;
          if (to.empty()) continue;
          if (auto st =
                  queue(notice, notice.dedupe_key + ":" + channel.name, channel.name, to, "en");
              !st)
            return st;
        }
        // The meter's residents, as each chose (docs/residents.md, "Notices"): on the first
        // channel of their kind, in their language; not again to the contact's own address.
        // "Running low" goes by the threshold of one's own to those who set one (below).
        for (const auto& r : p.residents) {
          if (notice.kind == PrepaidNoticeKind::low && r.low_days > 0) continue;
          const auto where = channel_for(r, notice.kind);
          if (!where) continue;
          if (auto st = queue(notice, notice.dedupe_key + ":resident:" + std::to_string(r.id),
                              where->first, where->second, r.language);
              !st)
            return st;
        }
      }
      for (const auto& own : p.own) {
        if (own.state != own.previous) {
          ML_TRY(store.write_resident_prepaid_state(own.resident.id, p.meter.serial, own.state));
        }
        for (const auto& low : own.lows) {
          ++round.notices;
          const auto where = channel_for(own.resident, low.kind);
          if (!where) continue;
          if (auto st = queue(low, low.dedupe_key + ":own:" + std::to_string(own.resident.id),
                              where->first, where->second, own.resident.language);
              !st)
            return st;
        }
      }
    }
    return core::Ok{};
  });
  if (!written) return written.error();
  return round;
}

}  // namespace ml::server
