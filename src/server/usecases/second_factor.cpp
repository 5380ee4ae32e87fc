// A staff user's second factor at login (second_factor.hpp).
#include "server/usecases/second_factor.hpp"

#include "core/totp/totp.hpp"
#include "password/password.hpp"
#include "platform/crypto/random.hpp"
#include "server/usecases/spelling.hpp"

namespace ml::server::usecase {
namespace {

namespace totp = core::totp;

core::Status audit_factor(ServerStore& store, const Actor& actor, std::int64_t now,
                          const std::string& action, const std::string& user) {
  return store.audit_admin({0, now, actor.name, actor.remote, action, "", "user " + user});
}

// Recovery codes are kept as the SHA-256 of their normalised text: 50 random bits each, too
// many to try one by one against the login limit, so a fast hash is enough.
std::string recovery_hash(const std::string& normalised) {
  return password::secret_hash(normalised);
}

core::Result<User> user_named(ServerStore& store, const std::string& name) {
  auto u = store.user(name);
  if (!u) return u.error();
  if (!*u) return invalid("no user " + name);
  return std::move(**u);
}

// A code's six digits, or nothing when `text` is not one (then it may be a recovery code).
bool looks_like_code(const std::string& text) {
  return totp::parse_code(text).ok();
}

}  // namespace

core::Result<Enrolment> begin_totp(ServerStore& store, const std::string& user, const Actor& actor,
                                   std::int64_t now) {
  ML_TRY(user_named(store, user));
  auto secret = platform::random_bytes(totp::kSecretBytes);
  if (!secret) return secret.error();
  auto uri = totp::key_uri(*secret, kTotpIssuer, user);
  if (!uri)
    return invalid("this user name cannot be put in an authenticator app's key: " +
                   uri.error().detail);
  Enrolment out{totp::base32_encode(*secret), std::move(*uri)};
  auto done = store.write_transaction([&]() -> core::Status {
    ML_TRY(store.put_second_factor(user, {out.secret, false, totp::kNoStepUsed, now}, {}));
    return audit_factor(store, actor, now, "user.totp_begin", user);
  });
  if (!done) return done.error();
  return out;
}

core::Result<std::vector<std::string>> confirm_totp(ServerStore& store, const std::string& user,
                                                    const std::string& code, const Actor& actor,
                                                    std::int64_t now) {
  ML_TRY(user_named(store, user));
  auto factor = store.second_factor(user);
  if (!factor) return factor.error();
  if (!*factor) return invalid("no second factor is being set up for " + user + "; begin first");
  if ((*factor)->confirmed) return invalid(user + " has a confirmed second factor already");
  auto secret = totp::secret_from_base32((*factor)->secret);
  if (!secret) return secret.error();
  auto step = totp::verify(*secret, code, now, (*factor)->last_step);
  if (!step) return invalid(step.error().detail);
  auto random = platform::random_bytes(kRecoveryCodes * totp::kRecoveryCodeRandomBytes);
  if (!random) return random.error();
  auto codes = totp::format_recovery_codes(kRecoveryCodes, *random);
  if (!codes) return codes.error();
  std::vector<std::string> hashes;
  for (const auto& c : *codes) {
    auto normalised = totp::normalize_recovery_code(c);
    if (!normalised) return normalised.error();
    hashes.push_back(recovery_hash(*normalised));
  }
  auto done = store.write_transaction([&]() -> core::Status {
    // Put again with the codes, then the step used (which also marks it confirmed): a login
    // in parallel cannot use the same code.
    ML_TRY(store.put_second_factor(user, {(*factor)->secret, false, (*factor)->last_step, now},
                                   hashes));
    auto used = store.use_second_factor_step(user, *step);
    if (!used) return used.error();
    if (!*used) return invalid(std::string(totp::kRefusedAlreadyUsed));
    return audit_factor(store, actor, now, "user.totp_enable", user);
  });
  if (!done) return done.error();
  return std::move(*codes);
}

core::Result<FactorUsed> check_second_factor(ServerStore& store, const std::string& user,
                                             const std::string& text, std::int64_t now) {
  auto factor = store.second_factor(user);
  if (!factor) return factor.error();
  if (!*factor || !(*factor)->confirmed) return invalid(user + " has no second factor");
  if (looks_like_code(text)) {
    auto secret = totp::secret_from_base32((*factor)->secret);
    if (!secret) return secret.error();
    auto step = totp::verify(*secret, text, now, (*factor)->last_step);
    if (!step) return invalid(step.error().detail);
    auto used = store.use_second_factor_step(user, *step);
    if (!used) return used.error();
    if (!*used) return invalid(std::string(totp::kRefusedAlreadyUsed));
    return FactorUsed::code;
  }
  auto normalised = totp::normalize_recovery_code(text);
  if (!normalised) {
    return invalid("give the 6-digit code from the authenticator app, or a recovery code (" +
                   normalised.error().detail + ")");
  }
  auto used = store.use_recovery_code(user, recovery_hash(*normalised));
  if (!used) return used.error();
  if (!*used) return invalid("recovery code: wrong or used already");
  return FactorUsed::recovery_code;
}

core::Status disable_totp(ServerStore& store, const std::string& user, const Actor& actor,
                          std::int64_t now) {
  ML_TRY(user_named(store, user));
  return store.write_transaction([&]() -> core::Status {
    ML_TRY(store.delete_second_factor(user));
    return audit_factor(store, actor, now, "user.totp_disable", user);
  });
}

core::Result<FactorState> second_factor_state(ServerStore& store, const std::string& user) {
  auto factor = store.second_factor(user);
  if (!factor) return factor.error();
  FactorState out;
  if (!*factor) return out;
  out.enrolled = (*factor)->confirmed;
  out.pending = !(*factor)->confirmed;
  auto left = store.recovery_codes_left(user);
  if (!left) return left.error();
  out.recovery_codes_left = *left;
  return out;
}

}  // namespace ml::server::usecase
