// The checks of a received command (command_check.hpp).
#include "agent/command_check.hpp"

#include <algorithm>

#include "core/topic/topic.hpp"

namespace ml::agent {

MessageVerdict check_command_message(const CommandCheckSettings& settings,
                                     std::string_view topic_text, core::ByteView payload,
                                     std::int64_t now) {
  namespace topic = core::topic;
  namespace envelope = core::envelope;
  const auto refuse = [](std::string reason) {
    return MessageVerdict{CommandVerdict{std::nullopt, std::move(reason)}, {}, 0};
  };
  if (topic_text.size() > envelope::kDeviceMaxTopicSize ||
      payload.size() > envelope::kDeviceMaxPayloadSize) {
    return refuse("too_long");
  }
  auto t = topic::parse(topic_text);
  if (!t || t->kind != topic::Kind::command) return refuse("bad_topic");
  if (t->serial.text() != settings.serial) return refuse("wrong_serial");
  auto opened =
      envelope::open_message(settings.keys, topic_text, payload, envelope::EmptyText::accept);
  if (!opened && opened.error().code == core::Errc::envelope_bad_mac && settings.previous) {
    opened = envelope::open_message(*settings.previous, topic_text, payload,
                                    envelope::EmptyText::accept);
  }
  if (!opened) return refuse(std::string(core::errc_name(opened.error().code)));
  const auto check =
      topic::check_command_time(t->time, static_cast<std::uint64_t>(std::max<std::int64_t>(now, 0)),
                                static_cast<std::uint64_t>(settings.window_s));
  if (check != topic::TimeCheck::ok) return refuse(std::string(topic::time_check_name(check)));
  MessageVerdict out{
      CommandVerdict{AcceptedCommand{std::string(t->name), std::move(opened->text)}, {}},
      {},
      static_cast<std::int64_t>(t->time)};
  std::copy_n(payload.begin(), envelope::kMacSize, out.mac.begin());
  return out;
}

core::Result<CommandVerdict> check_command(Store& store, const CommandCheckSettings& settings,
                                           std::string_view topic_text, core::ByteView payload,
                                           std::int64_t now) {
  auto checked = check_command_message(settings, topic_text, payload, now);
  if (!checked.verdict.accepted) return std::move(checked.verdict);
  auto fresh = store.remember_command(std::string(settings.serial), checked.mac, checked.topic_time,
                                      now, settings.window_s);
  if (!fresh) return fresh.error();
  if (!*fresh) return CommandVerdict{std::nullopt, "replay"};
  return std::move(checked.verdict);
}

}  // namespace ml::agent
