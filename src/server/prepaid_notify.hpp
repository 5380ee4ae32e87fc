// The prepaid customer notices over the store (docs/server.md, "Prepaid notices"): for every meter
// with a valve and a customer contact (an e-mail address or a phone number) or residents
// (docs/residents.md, "Notices": each on the channel they chose, unless they opted out), the
// facts now (the
// valve's newest `status`, the newest payment, the credit and the time-left estimate every screen
// shows), prepaid_step (prepaid_notice.hpp), and in one write transaction the changed states and
// the notices queued to the contact on every e-mail and SMS channel of [notify] that fits it.
// `run` calls it after each alarm round.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "server/notify/config.hpp"
#include "server/prepaid_notice.hpp"
#include "server/store.hpp"
#include "server/usecases/estimates.hpp"

namespace ml::server {

struct PrepaidRound {
  int meters = 0;  // meters looked at (a valve, and a contact or residents)
  int notices = 0;
  int queued = 0;  // messages queued (a notice goes to each channel that fits the contact)
};

// The message a notice sends: subject and body, plain text, in English or Danish ("da"; any other
// language is English). `left` and `days_left` as the meter's page shows them (none: not known).
struct NoticeText {
  std::string subject;
  std::string body;
};
NoticeText prepaid_notice_text(PrepaidNoticeKind kind, const Meter& meter,
                               const std::optional<core::Decimal>& left,
                               const std::optional<core::Decimal>& days_left,
                               std::string_view language = "en");

core::Result<PrepaidRound> run_prepaid_notices(ServerStore& store,
                                               const notify::NotifyConfig& config, std::int64_t now,
                                               usecase::DailyUseCache* cache = nullptr);

}  // namespace ml::server
