#include "server/gaps.hpp"

#include <algorithm>

#include "server/command_queue.hpp"

namespace ml::server {
namespace {

constexpr std::string_view kResend = "resend";

struct Tries {
  std::int64_t count = 0;
  bool pending = false;
  bool answered = false;
  std::int64_t newest_id = 0;
  std::int64_t newest_created = 0;
};

Tries tries_of(const std::vector<Command>& commands, const std::string& argument) {
  Tries t;
  for (const Command& c : commands) {
    if (c.command != kResend || c.argument != argument) continue;
    if (c.state == CommandState::superseded) continue;
    ++t.count;
    t.pending = t.pending || is_pending(c.state);
    t.answered = t.answered || c.state == CommandState::acked;
    if (c.created >= t.newest_created) {
      t.newest_created = c.created;
      t.newest_id = c.id;
    }
  }
  return t;
}

GapState state_of(const Tries& t, const GapsConfig& o) {
  if (t.pending) return GapState::requested;
  if (t.answered) return GapState::not_kept;
  if (t.count >= o.max_tries) return GapState::unanswered;
  return GapState::open;
}

}  // namespace

std::string_view gap_state_name(GapState state) {
  switch (state) {
    case GapState::open:
      return "open";
    case GapState::requested:
      return "requested";
    case GapState::not_kept:
      return "not_kept";
    case GapState::unanswered:
      return "unanswered";
  }
  return "?";
}

core::Result<MeterGaps> meter_gaps(ServerStore& store, const std::string& serial, std::int64_t now,
                                   const GapsConfig& options) {
  MeterGaps out;
  auto takes = obeys_extensions(store, serial);
  if (!takes) return takes.error();
  out.takes_resend = *takes;
  auto times = store.sample_times(serial, std::max<std::int64_t>(0, now - options.window_s), now);
  if (!times) return times.error();
  out.interval = core::gaps::sampling_interval(*times);
  if (!out.interval) return out;
  auto commands = store.commands(serial);
  if (!commands) return commands.error();
  for (const core::gaps::Gap& g :
       core::gaps::find_gaps(*times, *out.interval, now - options.delay_s)) {
    const Tries t = tries_of(*commands, core::gaps::format_resend(g.missing));
    out.gaps.push_back(MeterGap{g, state_of(t, options), t.newest_id, t.count, t.newest_created});
  }
  return out;
}

core::Result<GapRound> run_gap_round(ServerStore& store, std::int64_t now,
                                     const GapsConfig& options) {
  GapRound round;
  auto meters = store.meters();
  if (!meters) return meters.error();
  for (const Meter& m : *meters) {
    ++round.meters;
    auto gaps = meter_gaps(store, m.serial, now, options);
    if (!gaps) return gaps.error();
    round.gaps += static_cast<std::int64_t>(gaps->gaps.size());
    if (!gaps->takes_resend) continue;
    // One request at a time a meter: the device answers them in turn anyway.
    auto pending = store.pending_commands(m.serial);
    if (!pending) return pending.error();
    if (std::any_of(pending->begin(), pending->end(),
                    [](const Command& c) { return c.command == kResend; })) {
      continue;
    }
    for (const MeterGap& g : gaps->gaps) {
      if (g.state != GapState::open) continue;
      if (g.tries > 0 && now - g.last_asked < options.retry_after_s) continue;
      auto id =
          enqueue_command(store, m.serial, std::string(kResend),
                          core::gaps::format_resend(g.gap.missing), now, now + options.expires_s);
      if (!id) return id.error();
      ++round.requested;
      break;
    }
  }
  return round;
}

}  // namespace ml::server
