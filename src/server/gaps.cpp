#include "server/gaps.hpp"

#include <algorithm>
#include <functional>
#include <iterator>

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

// A meter's interval and settled gaps, found by a whole read or from GapMemory.
struct Found {
  std::optional<std::int64_t> interval;
  std::vector<core::gaps::Gap> gaps;
};

// The newest of the sorted `times` at or before `settled`; `otherwise` when there is none.
std::int64_t newest_settled(const std::vector<std::int64_t>& times, std::int64_t settled,
                            std::int64_t otherwise) {
  auto after = std::upper_bound(times.begin(), times.end(), settled);
  return after == times.begin() ? otherwise : *std::prev(after);
}

// Every sample time of [from, now] (the window, or the start of it GapMemory reads first);
// remembered in `m` when given.
core::Result<Found> read_window(ServerStore& store, const std::string& serial, std::int64_t from,
                                std::int64_t now, const GapsConfig& o, GapMemory::Meter* m) {
  from = std::max<std::int64_t>(0, from);
  auto times = store.sample_times(serial, from, now);
  if (!times) return times.error();
  Found f;
  f.interval = core::gaps::sampling_interval(*times);
  if (f.interval) f.gaps = core::gaps::find_gaps(*times, *f.interval, now - o.delay_s);
  if (m != nullptr) {
    m->interval = f.interval.value_or(0);
    m->gaps = f.gaps;
    m->resume_from = newest_settled(*times, now - o.delay_s, from);
  }
  return f;
}

// From memory: each remembered gap read again by its missing range (late samples may have filled
// or split it), then the samples from where the last read left off.
core::Result<Found> read_since(ServerStore& store, const std::string& serial, std::int64_t now,
                               const GapsConfig& o, GapMemory::Meter& m) {
  const std::int64_t window_from = std::max<std::int64_t>(0, now - o.window_s);
  const std::int64_t settled = now - o.delay_s;
  Found f;
  f.interval = m.interval;
  std::vector<std::int64_t> around;
  for (const core::gaps::Gap& g : m.gaps) {
    if (g.missing.from - 1 < window_from) continue;  // its earlier sample left the window
    auto inside = store.sample_times(serial, g.missing.from, g.missing.to);
    if (!inside) return inside.error();
    if (inside->empty()) {
      f.gaps.push_back(g);
      continue;
    }
    around.assign(1, g.missing.from - 1);
    around.insert(around.end(), inside->begin(), inside->end());
    around.push_back(g.missing.to + 1);
    for (const core::gaps::Gap& piece : core::gaps::find_gaps(around, m.interval, settled))
      f.gaps.push_back(piece);
  }
  const std::int64_t from = std::max(m.resume_from, window_from);
  auto times = store.sample_times(serial, from, now);
  if (!times) return times.error();
  for (const core::gaps::Gap& g : core::gaps::find_gaps(*times, m.interval, settled))
    f.gaps.push_back(g);
  m.gaps = f.gaps;
  m.resume_from = newest_settled(*times, settled, from);
  return f;
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
                                   const GapsConfig& options, GapMemory* memory) {
  MeterGaps out;
  auto takes = obeys_extensions(store, serial);
  if (!takes) return takes.error();
  out.takes_resend = *takes;
  core::Result<Found> found = Found{};
  if (memory == nullptr) {
    found = read_window(store, serial, now - options.window_s, now, options, nullptr);
  } else {
    auto [it, fresh] = memory->meters.try_emplace(serial);
    GapMemory::Meter& m = it->second;
    m.seen = true;
    if (fresh) {
      // The last hour now, the whole window within a day: a fleet's whole windows, all in one
      // round, would hold the database for minutes at every start of `run`.
      found = read_window(store, serial, now - GapMemory::kFirstReadS, now, options, &m);
      m.whole_read_due = now + static_cast<std::int64_t>(std::hash<std::string>{}(serial) %
                                                         GapMemory::kWholeReadEvery);
    } else if (m.interval == 0 || now >= m.whole_read_due) {
      found = read_window(store, serial, now - options.window_s, now, options, &m);
      if (found) m.whole_read_due = now + GapMemory::kWholeReadEvery;
    } else {
      found = read_since(store, serial, now, options, m);
    }
  }
  if (!found) return found.error();
  out.interval = found->interval;
  if (!out.interval || found->gaps.empty()) return out;
  auto commands = store.commands(serial);
  if (!commands) return commands.error();
  for (const core::gaps::Gap& g : found->gaps) {
    const Tries t = tries_of(*commands, core::gaps::format_resend(g.missing));
    out.gaps.push_back(MeterGap{g, state_of(t, options), t.newest_id, t.count, t.newest_created});
  }
  return out;
}

core::Result<GapRound> run_gap_round(ServerStore& store, std::int64_t now,
                                     const GapsConfig& options, GapMemory* memory) {
  GapRound round;
  auto meters = store.meters();
  if (!meters) return meters.error();
  if (memory != nullptr) {
    for (auto& [serial, m] : memory->meters)
      m.seen = false;
  }
  for (const Meter& m : *meters) {
    ++round.meters;
    auto gaps = meter_gaps(store, m.serial, now, options, memory);
    if (!gaps) return gaps.error();
    round.gaps += static_cast<std::int64_t>(gaps->gaps.size());
    if (!gaps->takes_resend || gaps->gaps.empty()) continue;
    if (round.requested >= options.max_requests) continue;  // asked in a later round
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
  if (memory != nullptr)
    std::erase_if(memory->meters, [](const auto& e) { return !e.second.seen; });
  return round;
}

}  // namespace ml::server
