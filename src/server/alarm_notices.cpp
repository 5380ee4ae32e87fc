// queue_alarm_notification: recipients, texts and outbox keys of an alarm's messages (contract in
// alarm_notices.hpp).
#include "server/alarm_notices.hpp"

#include <algorithm>

#include "server/notify/notifier.hpp"

namespace ml::server {

core::Result<int> queue_alarm_notification(ServerStore& store, const notify::NotifyConfig& config,
                                           const AlarmNotification& n, std::int64_t now) {
  auto meter = store.meter(n.serial);
  if (!meter) return meter.error();
  const std::string group = *meter ? (*meter)->group : "";
  std::string subject = "MeterLogger " + n.text;
  if (subject.size() > notify::kMaxSubject) subject.resize(notify::kMaxSubject);
  const std::string body = n.text + "\n\nAlarm " + std::to_string(n.episode) + ", rule #" +
                           std::to_string(n.rule_id) + " (" + n.rule_name + "), meter " + n.serial +
                           (group.empty() ? "" : ", group " + group) + ".\n";
  const std::string key = "alarm:" + std::to_string(n.episode) + ":" +
                          std::string(core::alarm::notify_name(n.kind)) + ":" +
                          std::to_string(n.time) + ":";
  const auto wants = [&](AlarmRecipient kind) {
    return std::find(n.recipients.begin(), n.recipients.end(), kind) != n.recipients.end();
  };
  int queued = 0;
  for (const auto& channel : config.channels) {
    if (!n.channels.empty() &&
        std::find(n.channels.begin(), n.channels.end(), channel.name) == n.channels.end())
      continue;
    std::vector<std::string> recipients;
    if (channel.type == notify::ChannelType::webhook) {
      recipients.emplace_back();
    } else {
      if (wants(AlarmRecipient::operators)) {
        auto r = notify::operator_recipients(store, group, channel.type);
        if (!r) return r.error();
        recipients = std::move(r).value();
      }
      if (wants(AlarmRecipient::customer) && *meter) {
        const std::string& to = channel.type == notify::ChannelType::sms ? (*meter)->contact_phone
                                                                         : (*meter)->contact_email;
        if (!to.empty() && std::find(recipients.begin(), recipients.end(), to) == recipients.end())
          recipients.push_back(to);
      }
    }
    for (const auto& to : recipients) {
      notify::Notification m{
          key + channel.name + ":" + to, channel.name, to, n.serial, subject, body};
      auto q = notify::queue_notification(store, config, m, now);
      if (!q) return q.error();
      if (q->queued) ++queued;
    }
  }
  return queued;
}

}  // namespace ml::server
