// Who hears of an alarm (docs/alarms.md, "Who is notified"): the round's notification
// (alarm_round.hpp) queued in the notification outbox (notify/notifier.hpp), one message per
// recipient and channel, on the rule's channels (every configured channel when it names none;
// a named channel that is not configured is skipped, the round reports it):
// - an e-mail or SMS channel: to the rule's recipients (AlarmRule::recipients):
//   - operators: each operator of the meter's group (an admin whose groups include it, or "*")
//     that has an e-mail address or a phone number for it (`users contact`);
//   - customer: the meter's contact (`meters contact`): its e-mail address, its phone number;
//   each address once;
// - a webhook channel: one message, whoever the recipients.
// The outbox key "alarm:<episode>:<kind>:<time>:<channel>:<recipient>" makes a repeated hand-off
// of the same notification queue nothing new. Called inside the round's write transaction.
#pragma once

#include <cstdint>

#include "core/result.hpp"
#include "server/alarm_round.hpp"
#include "server/notify/config.hpp"
#include "server/store.hpp"

namespace ml::server {

// Returns how many messages it queued (0 when no channel or no contact fits: the
// alarm is still on the alarms page).
core::Result<int> queue_alarm_notification(ServerStore& store, const notify::NotifyConfig& config,
                                           const AlarmNotification& n, std::int64_t now);

}  // namespace ml::server
