// Sign-in at the tenant's issuer beyond the password: the second factor
// (TOTP), single sign-on through the tenant's identity provider, the browser
// session, and what each refusal (and each expiry) leaves in the auth event log.

#include <functional>

#include <gtest/gtest.h>

#include "mcpcert/config.hpp"
#include "mcpcert/jwt.hpp"
#include "mcpcert/mock_backend/identity_provider.hpp"
#include "mcpcert/totp.hpp"
#include "state_directory.hpp"
#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

using namespace test_world;

std::string start(TenantWorld& world) {
  auto step = world.server().authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())));
  return std::get<LoginForm>(step).txn;
}

std::string code_at(TenantWorld& world, std::int64_t offset_seconds = 0) {
  return totp(erin_totp_key, world.clock.now() + Seconds(offset_seconds));
}

std::vector<AuthEvent> events_of(TenantWorld& world, AuthEventKind kind) {
  std::vector<AuthEvent> out;
  for (auto& event : world.tenant.events().since(0, 1000))
    if (event.kind == kind) out.push_back(std::move(event));
  return out;
}

std::string form_error(const AuthorizationStep& step) {
  const auto* form = std::get_if<SecondFactorForm>(&step);
  return form ? form->error : "(no second-factor form)";
}

// --- second factor -------------------------------------------------------------

TEST(SecondFactor, ComesAfterTheRightPasswordAndBeforeConsent) {
  TenantWorld world;
  auto txn = start(world);
  auto step = world.server().login(txn, "erin", "erin-pw");
  ASSERT_TRUE(std::holds_alternative<SecondFactorForm>(step));
  EXPECT_TRUE(std::get<SecondFactorForm>(step).error.empty());
  // Not signed in yet: no sign_in event, and no consent can be answered.
  EXPECT_TRUE(events_of(world, AuthEventKind::sign_in).empty());
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(world.server().consent(txn, "approve")));

  step = world.server().second_factor(txn, code_at(world));
  ASSERT_TRUE(std::holds_alternative<ConsentForm>(step)) << redirect_error(step);
  auto signed_in = events_of(world, AuthEventKind::sign_in);
  ASSERT_EQ(signed_in.size(), 1u);
  EXPECT_EQ(signed_in[0].user, "erin");
  EXPECT_NE(signed_in[0].detail.find("one-time code"), std::string::npos) << signed_in[0].detail;
  EXPECT_FALSE(location_param(std::get<Redirect>(world.server().consent(txn, "approve")).location, "code").empty());
}

TEST(SecondFactor, WrongPasswordNeverReachesIt) {
  TenantWorld world;
  auto txn = start(world);
  EXPECT_TRUE(std::holds_alternative<LoginForm>(world.server().login(txn, "erin", "nope")));
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(world.server().second_factor(txn, code_at(world))));
}

TEST(SecondFactor, UsersWithoutOneAreNotAsked) {
  TenantWorld world;
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(world.server().login(start(world), "alice", "alice-pw")));
}

TEST(SecondFactor, AcceptsTheStepBeforeAndAfterOnTheIssuersClock) {
  TenantWorld world;
  // Virtual time decides: a day later, the codes of a day later.
  world.advance(86'400);
  auto txn = start(world);
  world.server().login(txn, "erin", "erin-pw");
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(world.server().second_factor(txn, code_at(world, -30))));

  txn = start(world);
  world.server().login(txn, "erin", "erin-pw");
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(world.server().second_factor(txn, code_at(world, 30))));
}

TEST(SecondFactor, RefusesCodesTwoStepsAway) {
  TenantWorld world;
  auto txn = start(world);
  world.server().login(txn, "erin", "erin-pw");
  EXPECT_EQ(form_error(world.server().second_factor(txn, code_at(world, -60))), "Wrong one-time code.");
  EXPECT_EQ(form_error(world.server().second_factor(txn, code_at(world, 60))), "Wrong one-time code.");
  // A code of the real clock is wrong once virtual time has moved on.
  world.advance(3600);
  txn = start(world);
  world.server().login(txn, "erin", "erin-pw");
  EXPECT_EQ(form_error(world.server().second_factor(txn, totp(erin_totp_key, std::chrono::system_clock::now()))),
            "Wrong one-time code.");
  auto failures = events_of(world, AuthEventKind::sign_in_failure);
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_EQ(failures[0].user, "erin");
  EXPECT_EQ(failures[0].detail, "wrong one-time code");
}

TEST(SecondFactor, ACodeIsAcceptedOnceOnly) {
  TenantWorld world;
  auto code = code_at(world);
  auto first = start(world);
  world.server().login(first, "erin", "erin-pw");
  ASSERT_TRUE(std::holds_alternative<ConsentForm>(world.server().second_factor(first, code)));

  // RFC 6238 5.2: the same code in another sign-in is refused...
  auto second = start(world);
  world.server().login(second, "erin", "erin-pw");
  EXPECT_EQ(form_error(world.server().second_factor(second, code)), "One-time code already used.");
  // ...and so is an older one still inside the window, once a newer was accepted.
  EXPECT_EQ(form_error(world.server().second_factor(second, code_at(world, -30))), "One-time code already used.");
  auto failures = events_of(world, AuthEventKind::sign_in_failure);
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0].detail, "one-time code already used");
  // The next step's code is fresh.
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(world.server().second_factor(second, code_at(world, 30))));
}

TEST(SecondFactor, ACodeStaysSpentAcrossARestart) {
  StateDirectory dir;
  const auto file = dir.file("emea-finance.sqlite");
  std::string code;
  {
    TenantWorld world({}, file);
    code = code_at(world);
    auto txn = start(world);
    world.server().login(txn, "erin", "erin-pw");
    ASSERT_TRUE(std::holds_alternative<ConsentForm>(world.server().second_factor(txn, code)));
  }
  // The same tenant restarted on its state: the code it accepted is spent.
  TenantWorld restarted({}, file);
  auto txn = start(restarted);
  restarted.server().login(txn, "erin", "erin-pw");
  EXPECT_EQ(form_error(restarted.server().second_factor(txn, code)), "One-time code already used.");
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(restarted.server().second_factor(txn, code_at(restarted, 30))));
}

TEST(SecondFactor, ACodeTheStoreCannotRecordSignsNobodyIn) {
  StateDirectory dir;
  const auto file = dir.file("emea-finance.sqlite");
  TenantWorld world({}, file);
  ASSERT_TRUE(refuse_inserts_into(file, "spent_totp_steps"));

  auto txn = start(world);
  world.server().login(txn, "erin", "erin-pw");
  auto step = world.server().second_factor(txn, code_at(world));
  ASSERT_TRUE(std::holds_alternative<Redirect>(step));
  EXPECT_EQ(location_param(std::get<Redirect>(step).location, "error"), "server_error");
  EXPECT_TRUE(events_of(world, AuthEventKind::sign_in).empty());
  EXPECT_EQ(events_of(world, AuthEventKind::sign_in_failure).back().detail,
            "one-time code right but not recorded: the state database refused it");
}

TEST(SecondFactor, MalformedCodesAreSaidToBeMalformed) {
  TenantWorld world;
  auto txn = start(world);
  world.server().login(txn, "erin", "erin-pw");
  EXPECT_EQ(form_error(world.server().second_factor(txn, "12345")), "Malformed one-time code (6 digits expected).");
  EXPECT_EQ(form_error(world.server().second_factor(txn, "abcdef")), "Wrong one-time code.");
  EXPECT_EQ(events_of(world, AuthEventKind::sign_in_failure).at(0).detail, "malformed one-time code (6 digits expected)");
}

TEST(SecondFactor, FiveWrongCodesEndTheSignIn) {
  TenantWorld world;
  auto txn = start(world);
  world.server().login(txn, "erin", "erin-pw");
  const auto wrong = code_at(world, 3600);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(form_error(world.server().second_factor(txn, wrong)), "Wrong one-time code.");
  auto step = world.server().second_factor(txn, wrong);
  ASSERT_TRUE(std::holds_alternative<Redirect>(step));
  EXPECT_EQ(location_param(std::get<Redirect>(step).location, "error"), "access_denied");
  EXPECT_EQ(location_param(std::get<Redirect>(step).location, "state"), "st-123");
  // The attempt is over: even the right code can't finish it.
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(world.server().second_factor(txn, code_at(world))));
  auto failures = events_of(world, AuthEventKind::sign_in_failure);
  ASSERT_EQ(failures.size(), 5u);
  EXPECT_EQ(failures.back().detail, "wrong one-time code; too many attempts, sign-in abandoned");
}

TEST(SecondFactor, OnlyAfterAPassword) {
  TenantWorld world;
  auto txn = start(world);
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(world.server().second_factor(txn, code_at(world))));
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(world.server().second_factor("no-such-txn", code_at(world))));
}

TEST(SecondFactor, TheSessionGateStillApplies) {
  TenantWorld world;
  world.tenant.directory().set_mcp_access("erin", "ent-brussels", false);
  auto txn = start(world);
  ASSERT_TRUE(std::holds_alternative<SecondFactorForm>(world.server().login(txn, "erin", "erin-pw")));
  EXPECT_EQ(redirect_error(world.server().second_factor(txn, code_at(world))), "access_denied");
}

// --- fixture -------------------------------------------------------------------

std::string fixture_problem(const std::function<void(nlohmann::json&)>& spoil, nlohmann::json fixture = test_fixture()) {
  spoil(fixture);
  try {
    parse_tenant_fixture(fixture, "test-fixture");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(accepted)";
}

nlohmann::json& user(nlohmann::json& fixture, std::string_view id) {
  for (auto& candidate : fixture["users"])
    if (candidate["id"] == id) return candidate;
  throw std::logic_error("no such user");
}

TEST(SecondFactorFixture, IsStrict) {
  EXPECT_NE(fixture_problem([](auto& f) { user(f, "erin").erase("totp_secret"); }).find("users[4].totp_secret: is required"),
            std::string::npos);
  EXPECT_NE(fixture_problem([](auto& f) { user(f, "alice")["totp_secret"] = "not base32!"; }).find("totp_secret: must be base32"),
            std::string::npos);
  EXPECT_NE(fixture_problem([](auto& f) { user(f, "alice")["totp_secret"] = "GEZDGNBV"; }).find("at least 128 bits"),
            std::string::npos);
  EXPECT_NE(fixture_problem([](auto& f) { user(f, "alice")["mfa_required"] = "yes"; }).find("mfa_required"), std::string::npos);
  // A tenant that requires a second factor refuses every user without one.
  EXPECT_NE(fixture_problem([](auto& f) { f["mfa_required"] = true; }).find("users[0].totp_secret: is required"),
            std::string::npos);
  EXPECT_EQ(fixture_problem([](auto&) {}), "(accepted)");
}

TEST(SecondFactorFixture, KeepsTheBase32TextForTheControlPlane) {
  auto fixture = parse_tenant_fixture(test_fixture(), "test-fixture");
  for (const auto& credential : fixture.credentials)
    EXPECT_EQ(credential.totp_secret, credential.user == "erin" ? "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" : "") << credential.user;
  EXPECT_TRUE(fixture.directory.find_user("erin")->has_second_factor());
  EXPECT_FALSE(fixture.directory.find_user("alice")->has_second_factor());
}

// --- account lockout -------------------------------------------------------------

std::string login_error(const AuthorizationStep& step) {
  const auto* form = std::get_if<LoginForm>(&step);
  return form ? form->error : "(no login form)";
}

constexpr std::string_view locked_for_15_minutes =
    "Too many failed sign-in attempts: this account is locked for 15 more minutes.";

TEST(SignInLockout, WrongPasswordsAcrossSignInsLockTheAccount) {
  TenantWorld world;
  // A sign-in allows five attempts, but starting another is free: the count
  // that stops guessing is the account's.
  for (int i = 0; i < 10; ++i) world.server().login(start(world), "alice", "guess-" + std::to_string(i));
  EXPECT_EQ(login_error(world.server().login(start(world), "alice", "alice-pw")), locked_for_15_minutes);
  auto failures = events_of(world, AuthEventKind::sign_in_failure);
  ASSERT_EQ(failures.size(), 11u);
  EXPECT_EQ(failures[9].detail, "unknown user name or wrong password; account locked after 10 failed attempts in a row");
  EXPECT_EQ(failures[10].detail, "password sign-in refused: the account is locked after too many failed attempts");
  EXPECT_TRUE(events_of(world, AuthEventKind::sign_in).empty());

  // Nobody else is locked out, and the lockout ends on the issuer's clock.
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(world.server().login(start(world), "bob", "bob-pw")));
  world.advance(14 * 60);
  EXPECT_EQ(login_error(world.server().login(start(world), "alice", "alice-pw")),
            "Too many failed sign-in attempts: this account is locked for 1 more minute.");
  world.advance(60);
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(world.server().login(start(world), "alice", "alice-pw")));
}

TEST(SignInLockout, ASignInBeforeTheLimitStartsTheCountAgain) {
  TenantWorld world;
  for (int i = 0; i < 9; ++i) world.server().login(start(world), "alice", "guess");
  ASSERT_TRUE(std::holds_alternative<ConsentForm>(world.server().login(start(world), "alice", "alice-pw")));
  for (int i = 0; i < 9; ++i) world.server().login(start(world), "alice", "guess");
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(world.server().login(start(world), "alice", "alice-pw")));
}

TEST(SignInLockout, WrongCodesLockTheAccountThoughThePasswordIsRight) {
  TenantWorld world;
  const auto wrong = code_at(world, 3600);
  // The right password each time must not start the count again, or each
  // new sign-in would buy five more code guesses.
  for (int i = 0; i < 9; ++i) {
    auto txn = start(world);
    ASSERT_TRUE(std::holds_alternative<SecondFactorForm>(world.server().login(txn, "erin", "erin-pw")));
    EXPECT_EQ(form_error(world.server().second_factor(txn, wrong)), "Wrong one-time code.");
  }
  auto txn = start(world);
  world.server().login(txn, "erin", "erin-pw");
  auto step = world.server().second_factor(txn, wrong);
  ASSERT_TRUE(std::holds_alternative<Redirect>(step));
  EXPECT_EQ(location_param(std::get<Redirect>(step).location, "error"), "access_denied");
  EXPECT_EQ(location_param(std::get<Redirect>(step).location, "error_description"), locked_for_15_minutes);
  EXPECT_EQ(events_of(world, AuthEventKind::sign_in_failure).back().detail,
            "wrong one-time code; account locked after 10 failed attempts in a row");
  // Locked: the password is not even checked now.
  EXPECT_EQ(login_error(world.server().login(start(world), "erin", "erin-pw")), locked_for_15_minutes);
  world.advance(15 * 60);
  txn = start(world);
  world.server().login(txn, "erin", "erin-pw");
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(world.server().second_factor(txn, code_at(world))));
}

TEST(SignInLockout, ALockoutDuringTheCodeStepEndsThatSignIn) {
  TenantWorld world;
  auto txn = start(world);
  ASSERT_TRUE(std::holds_alternative<SecondFactorForm>(world.server().login(txn, "erin", "erin-pw")));
  // Someone else guesses erin's password meanwhile until the account locks.
  for (int i = 0; i < 10; ++i) world.server().login(start(world), "erin", "guess");
  auto step = world.server().second_factor(txn, code_at(world));
  ASSERT_TRUE(std::holds_alternative<Redirect>(step));
  EXPECT_EQ(location_param(std::get<Redirect>(step).location, "error_description"), locked_for_15_minutes);
  EXPECT_TRUE(events_of(world, AuthEventKind::sign_in).empty());
}

TEST(SignInLockout, ARestartNeitherEndsALockoutNorForgetsTheCount) {
  StateDirectory dir;
  const auto file = dir.file("emea-finance.sqlite");
  {
    TenantWorld world({}, file);
    for (int i = 0; i < 10; ++i) world.server().login(start(world), "alice", "guess");
    for (int i = 0; i < 9; ++i) world.server().login(start(world), "bob", "guess");
  }
  TenantWorld restarted({}, file);
  EXPECT_EQ(login_error(restarted.server().login(start(restarted), "alice", "alice-pw")), locked_for_15_minutes);
  // bob's nine guesses still count: the tenth locks.
  restarted.server().login(start(restarted), "bob", "guess");
  EXPECT_EQ(login_error(restarted.server().login(start(restarted), "bob", "bob-pw")), locked_for_15_minutes);
}

TEST(SignInLockout, ACompletedSignInClearsTheStoredCount) {
  StateDirectory dir;
  const auto file = dir.file("emea-finance.sqlite");
  {
    TenantWorld world({}, file);
    for (int i = 0; i < 9; ++i) world.server().login(start(world), "alice", "guess");
    ASSERT_TRUE(std::holds_alternative<ConsentForm>(world.server().login(start(world), "alice", "alice-pw")));
  }
  TenantWorld restarted({}, file);
  for (int i = 0; i < 9; ++i) restarted.server().login(start(restarted), "alice", "guess");
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(restarted.server().login(start(restarted), "alice", "alice-pw")));
}

TEST(SignInLockout, AFailureTheStoreCannotRecordStillCountsAndIsLogged) {
  StateDirectory dir;
  const auto file = dir.file("emea-finance.sqlite");
  TenantWorld world({}, file);
  ASSERT_TRUE(refuse_inserts_into(file, "failed_sign_ins"));

  EXPECT_EQ(login_error(world.server().login(start(world), "alice", "guess")), "Unknown user name or wrong password.");
  for (int i = 0; i < 9; ++i) world.server().login(start(world), "alice", "guess");
  EXPECT_EQ(login_error(world.server().login(start(world), "alice", "alice-pw")), locked_for_15_minutes);
  auto failures = events_of(world, AuthEventKind::sign_in_failure);
  ASSERT_EQ(failures.size(), 11u);
  EXPECT_EQ(failures[0].detail,
            "unknown user name or wrong password; not recorded in the state database, a restart forgets it");

  // A wrong code likewise: the event tells, the page does not.
  auto txn = start(world);
  ASSERT_TRUE(std::holds_alternative<SecondFactorForm>(world.server().login(txn, "erin", "erin-pw")));
  EXPECT_EQ(form_error(world.server().second_factor(txn, code_at(world, 3600))), "Wrong one-time code.");
  EXPECT_EQ(events_of(world, AuthEventKind::sign_in_failure).back().detail,
            "wrong one-time code; not recorded in the state database, a restart forgets it");
}

// --- single sign-on --------------------------------------------------------------

constexpr std::string_view idp_url = "http://127.0.0.1:9003";

IdentityProviderSpec test_provider() {
  auto spec = single_sign_on_fixture()["identity_provider"];
  IdentityProviderSpec out{spec["id"], spec["name"], {}};
  for (const auto& user : spec["users"]) out.users.push_back({user["id"], user.value("display_name", ""), user["password"]});
  return out;
}

/// The tenant of single_sign_on_fixture() trusting its identity provider.
struct SsoWorld {
  explicit SsoWorld(std::string relying_party = std::string(issuer_url))
      : world({}, {}, single_sign_on_fixture()), provider(test_provider(), std::string(idp_url), relying_party, world.clock) {
    world.server().trust_identity_provider(
        {provider.id(), provider.name(), provider.issuer(), provider.login_url(), provider.verification_keys()});
  }

  /// authorize; the offer of the login page.
  SingleSignOnOffer start() {
    auto step = world.server().authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())));
    const auto& login = std::get<LoginForm>(step);
    EXPECT_TRUE(login.single_sign_on);
    return login.single_sign_on.value_or(SingleSignOnOffer{});
  }

  /// The provider's answer to its login form for `offer`.
  IdentityProviderStep sign_in_at_provider(const SingleSignOnOffer& offer, std::string user, std::string password) {
    auto form = offer.fields;
    form["username"] = std::move(user);
    form["password"] = std::move(password);
    return provider.login(form);
  }

  AssertionPost assertion_for(const SingleSignOnOffer& offer, std::string user, std::string password) {
    auto step = sign_in_at_provider(offer, std::move(user), std::move(password));
    EXPECT_TRUE(std::holds_alternative<AssertionPost>(step));
    return std::holds_alternative<AssertionPost>(step) ? std::get<AssertionPost>(step) : AssertionPost{};
  }

  std::string last_failure() {
    auto failures = events_of(world, AuthEventKind::sign_in_failure);
    return failures.empty() ? "(none)" : failures.back().detail;
  }

  TenantWorld world;
  IdentityProvider provider;
};

TEST(SingleSignOn, TheProviderLocksItsAccountsAfterTooManyWrongPasswords) {
  SsoWorld sso;
  auto offer = sso.start();
  auto error_of = [](const IdentityProviderStep& step) {
    const auto* form = std::get_if<IdpLoginForm>(&step);
    return form ? form->error : "(no login form)";
  };
  for (int i = 0; i < 9; ++i)
    EXPECT_EQ(error_of(sso.sign_in_at_provider(offer, "gina@test-id.example", "guess")), "Unknown user name or wrong password.");
  EXPECT_EQ(error_of(sso.sign_in_at_provider(offer, "gina@test-id.example", "guess")), locked_for_15_minutes);
  EXPECT_EQ(error_of(sso.sign_in_at_provider(offer, "gina@test-id.example", "gina-idp-pw")), locked_for_15_minutes);
  EXPECT_TRUE(std::holds_alternative<AssertionPost>(sso.sign_in_at_provider(offer, "hank@test-id.example", "hank-idp-pw")));
  sso.world.advance(15 * 60);
  EXPECT_TRUE(std::holds_alternative<AssertionPost>(sso.sign_in_at_provider(offer, "gina@test-id.example", "gina-idp-pw")));
}

/// The provider's login error for `password`, or why there was no login form.
std::string provider_error(IdentityProvider& provider, std::string user, std::string password) {
  auto step = provider.login({{"rp", std::string(issuer_url)},
                              {"nonce", "n-1"},
                              {"relay_state", "r-1"},
                              {"username", std::move(user)},
                              {"password", std::move(password)}});
  if (std::holds_alternative<AssertionPost>(step)) return "(signed in)";
  const auto* form = std::get_if<IdpLoginForm>(&step);
  return form ? form->error : "(no login form)";
}

TEST(SingleSignOn, TheProvidersLockoutsOutliveARestartApartFromTheIssuers) {
  StateDirectory dir;
  const auto file = dir.file("emea-finance.sqlite");
  VirtualClock clock;
  const std::string gina = "gina@test-id.example";
  const std::string hank = "hank@test-id.example";
  {
    auto storage = open_tenant_storage(file, "emea-finance", clock);
    IdentityProvider provider(test_provider(), std::string(idp_url), std::string(issuer_url), clock,
                              storage.identity_provider_lockouts.get());
    for (int i = 0; i < 10; ++i) provider_error(provider, gina, "guess");
    for (int i = 0; i < 9; ++i) provider_error(provider, hank, "guess");
    ASSERT_EQ(provider_error(provider, gina, "gina-idp-pw"), locked_for_15_minutes);
  }
  auto storage = open_tenant_storage(file, "emea-finance", clock);
  // The provider's accounts are not the issuer's: nothing of theirs is in its table.
  EXPECT_TRUE(storage.issuer_state->lockouts().standings().empty());
  IdentityProvider restarted(test_provider(), std::string(idp_url), std::string(issuer_url), clock,
                             storage.identity_provider_lockouts.get());
  EXPECT_EQ(provider_error(restarted, gina, "gina-idp-pw"), locked_for_15_minutes);
  // hank's nine guesses still count: the tenth locks.
  EXPECT_EQ(provider_error(restarted, hank, "guess"), locked_for_15_minutes);
  clock.advance(std::chrono::minutes(15));
  EXPECT_EQ(provider_error(restarted, gina, "gina-idp-pw"), "(signed in)");
  // A completed sign-in clears the stored count too.
  EXPECT_FALSE(storage.identity_provider_lockouts->standings().contains(gina));
}

TEST(SingleSignOn, AnUnreadableProviderCountStopsTheStart) {
  StateDirectory dir;
  const auto file = dir.file("emea-finance.sqlite");
  VirtualClock clock;
  { auto storage = open_tenant_storage(file, "emea-finance", clock); }
  ASSERT_TRUE(edit_state_file(file, "INSERT INTO identity_provider_failed_sign_ins VALUES ('gina@test-id.example', -1, 0, 0)"));
  auto storage = open_tenant_storage(file, "emea-finance", clock);
  EXPECT_THROW(IdentityProvider(test_provider(), std::string(idp_url), std::string(issuer_url), clock,
                                storage.identity_provider_lockouts.get()),
               StorageError);
}

TEST(SingleSignOn, LoginPageOffersTheProviderBoundToThisSignIn) {
  SsoWorld sso;
  auto offer = sso.start();
  EXPECT_EQ(offer.provider_name, "Test ID");
  EXPECT_EQ(offer.login_url, std::string(idp_url) + "/login");
  EXPECT_EQ(offer.fields.at("rp"), issuer_url);
  EXPECT_EQ(offer.fields.at("nonce").size(), 22u);
  EXPECT_NE(sso.start().fields.at("nonce"), offer.fields.at("nonce"));
  // Tenants without a provider offer nothing.
  TenantWorld plain;
  auto step = plain.server().authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())));
  EXPECT_FALSE(std::get<LoginForm>(step).single_sign_on);
}

TEST(SingleSignOn, TheProvidersAssertionSignsInTheLinkedUser) {
  SsoWorld sso;
  auto offer = sso.start();
  auto post = sso.assertion_for(offer, "gina@test-id.example", "gina-idp-pw");
  EXPECT_EQ(post.action, std::string(issuer_url) + "/authorize/sso");
  EXPECT_EQ(post.relay_state, offer.fields.at("relay_state"));
  auto claims = decode_jwt(post.assertion)->claims;
  EXPECT_EQ(claims["aud"], issuer_url);
  EXPECT_EQ(claims["iss"], idp_url);
  EXPECT_EQ(claims["nonce"], offer.fields.at("nonce"));
  EXPECT_EQ(claims["exp"].get<std::int64_t>() - claims["iat"].get<std::int64_t>(), 60);

  auto step = sso.world.server().single_sign_on(post.relay_state, post.assertion);
  ASSERT_TRUE(std::holds_alternative<ConsentForm>(step)) << redirect_error(step) << sso.last_failure();
  EXPECT_EQ(std::get<ConsentForm>(step).user, "gina");
  auto signed_in = events_of(sso.world, AuthEventKind::sign_in);
  ASSERT_EQ(signed_in.size(), 1u);
  EXPECT_EQ(signed_in[0].detail, "entity ent-brussels, single sign-on via test-id");
  auto redirect = sso.world.server().consent(post.relay_state, "approve");
  EXPECT_FALSE(location_param(std::get<Redirect>(redirect).location, "code").empty());
}

TEST(SingleSignOn, AnAssertionIsUsedOnceOnly) {
  SsoWorld sso;
  auto offer = sso.start();
  auto post = sso.assertion_for(offer, "gina@test-id.example", "gina-idp-pw");
  ASSERT_TRUE(std::holds_alternative<ConsentForm>(sso.world.server().single_sign_on(post.relay_state, post.assertion)));
  auto replay = sso.world.server().single_sign_on(post.relay_state, post.assertion);
  ASSERT_TRUE(std::holds_alternative<ErrorPage>(replay));
  EXPECT_EQ(sso.last_failure(), "single sign-on refused: the assertion was already used");
  EXPECT_EQ(events_of(sso.world, AuthEventKind::sign_in_failure).back().user, "gina");
  // In another sign-in its nonce gives it away first.
  auto other = sso.start();
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(
      sso.world.server().single_sign_on(other.fields.at("relay_state"), post.assertion)));
  EXPECT_EQ(sso.last_failure(), "single sign-on refused: the assertion's nonce is not this sign-in's");
}

TEST(SingleSignOn, AnExpiredAssertionIsRefused) {
  SsoWorld sso;
  auto offer = sso.start();
  auto post = sso.assertion_for(offer, "gina@test-id.example", "gina-idp-pw");
  sso.world.advance(61);
  auto step = sso.world.server().single_sign_on(post.relay_state, post.assertion);
  ASSERT_TRUE(std::holds_alternative<ErrorPage>(step));
  EXPECT_EQ(std::get<ErrorPage>(step).status, 400u);
  EXPECT_EQ(sso.last_failure(), "single sign-on refused: the assertion has expired");
}

TEST(SingleSignOn, AnAssertionForAnotherAudienceIsRefused) {
  // A provider serving another relying party, whose key this tenant trusts.
  SsoWorld sso("http://127.0.0.1:9999");
  auto offer = sso.start();
  offer.fields["rp"] = "http://127.0.0.1:9999";
  auto post = sso.assertion_for(offer, "gina@test-id.example", "gina-idp-pw");
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(sso.world.server().single_sign_on(offer.fields.at("relay_state"), post.assertion)));
  EXPECT_EQ(sso.last_failure(), "single sign-on refused: the assertion is for another audience");
}

TEST(SingleSignOn, ABadSignatureIsRefused) {
  SsoWorld sso;
  auto offer = sso.start();
  auto post = sso.assertion_for(offer, "gina@test-id.example", "gina-idp-pw");
  // The same claims and kid, signed by another key.
  auto decoded = decode_jwt(post.assertion);
  auto impostor = EcSigningKey::generate(decoded->header["kid"]);
  auto forged = sign_jwt(impostor, decoded->claims, sso_assertion_type);
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(sso.world.server().single_sign_on(post.relay_state, forged)));
  EXPECT_EQ(sso.last_failure(), "single sign-on refused: the assertion's signature does not verify");
  // Unsigned or garbage: refused as invalid.
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(sso.world.server().single_sign_on(post.relay_state, "not-a-jwt")));
  EXPECT_EQ(sso.last_failure(), "single sign-on refused: the assertion is invalid (malformed)");
  // The genuine one still works: refusals spend nothing.
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(sso.world.server().single_sign_on(post.relay_state, post.assertion)));
}

TEST(SingleSignOn, ASubjectLinkedToNobodyIsRefused) {
  SsoWorld sso;
  auto offer = sso.start();
  auto post = sso.assertion_for(offer, "hank@test-id.example", "hank-idp-pw");
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(sso.world.server().single_sign_on(post.relay_state, post.assertion)));
  EXPECT_EQ(sso.last_failure(), "single sign-on refused: no user is linked to Test ID account hank@test-id.example");
}

TEST(SingleSignOn, UnknownSignInsAndTenantsWithoutAProviderAreRefused) {
  SsoWorld sso;
  auto offer = sso.start();
  auto post = sso.assertion_for(offer, "gina@test-id.example", "gina-idp-pw");
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(sso.world.server().single_sign_on("no-such-txn", post.assertion)));
  EXPECT_EQ(sso.last_failure(), "single sign-on refused: the sign-in has expired or is unknown");
  TenantWorld plain;
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(plain.server().single_sign_on("txn", post.assertion)));
}

TEST(SingleSignOn, SsoOnlyUsersCannotUseAPassword) {
  SsoWorld sso;
  auto txn = sso.start().fields.at("relay_state");
  for (auto password : {"", "gina-idp-pw", "anything"}) {
    auto step = sso.world.server().login(txn, "gina", password);
    ASSERT_TRUE(std::holds_alternative<LoginForm>(step));
    EXPECT_EQ(std::get<LoginForm>(step).error, "This account signs in with Test ID.");
  }
  EXPECT_EQ(sso.last_failure(), "password sign-in refused: the user signs in through the identity provider only");
  // A linked user who is not SSO-only keeps the password too.
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(sso.world.server().login(txn, "alice", "alice-pw")));
}

TEST(SingleSignOn, TheProviderServesItsRelyingPartyOnly) {
  SsoWorld sso;
  auto offer = sso.start();
  EXPECT_TRUE(std::holds_alternative<IdpLoginForm>(sso.provider.start(offer.fields)));
  auto elsewhere = offer.fields;
  elsewhere["rp"] = "https://attacker.example";
  EXPECT_TRUE(std::holds_alternative<IdpErrorPage>(sso.provider.start(elsewhere)));
  EXPECT_TRUE(std::holds_alternative<IdpErrorPage>(sso.sign_in_at_provider(
      {"Test ID", "", elsewhere}, "gina@test-id.example", "gina-idp-pw")));
  auto no_nonce = offer.fields;
  no_nonce.erase("nonce");
  EXPECT_TRUE(std::holds_alternative<IdpErrorPage>(sso.provider.start(no_nonce)));
  auto wrong = sso.sign_in_at_provider(offer, "gina@test-id.example", "nope");
  ASSERT_TRUE(std::holds_alternative<IdpLoginForm>(wrong));
  EXPECT_EQ(std::get<IdpLoginForm>(wrong).error, "Unknown user name or wrong password.");
}

TEST(SingleSignOnFixture, IsStrict) {
  auto problem = [](const std::function<void(nlohmann::json&)>& spoil) {
    return fixture_problem(spoil, single_sign_on_fixture());
  };
  EXPECT_EQ(problem([](auto&) {}), "(accepted)");
  EXPECT_NE(problem([](auto& f) { user(f, "gina")["sso_subject"] = "nobody@test-id.example"; })
                .find("users[5].sso_subject: no user nobody@test-id.example at identity provider test-id"),
            std::string::npos);
  EXPECT_NE(problem([](auto& f) { user(f, "gina").erase("sso_subject"); }).find("users[5].sso_only: needs an sso_subject"),
            std::string::npos);
  EXPECT_NE(problem([](auto& f) { user(f, "gina")["password"] = "pw"; }).find("users[5].password: an sso_only user has no password here"),
            std::string::npos);
  EXPECT_NE(problem([](auto& f) { user(f, "bob")["sso_subject"] = "gina@test-id.example"; }).find("linked to another user"),
            std::string::npos);
  EXPECT_NE(problem([](auto& f) { f.erase("identity_provider"); }).find("sso_subject: the tenant has no identity_provider"),
            std::string::npos);
  EXPECT_NE(problem([](auto& f) { f["identity_provider"]["users"] = nlohmann::json::array(); })
                .find("identity_provider.users: needs at least one user"),
            std::string::npos);
  EXPECT_NE(problem([](auto& f) { f["identity_provider"]["url"] = "x"; }).find("identity_provider"), std::string::npos);
  EXPECT_NE(problem([](auto& f) { f["identity_provider"].erase("name"); }).find("identity_provider.name"), std::string::npos);
}

// --- browser session -------------------------------------------------------------

std::string session_of(const AuthorizationStep& step) {
  const auto* consent = std::get_if<ConsentForm>(&step);
  return consent ? consent->new_session : std::string{};
}

AuthorizationStep authorize_with(TenantWorld& world, std::string_view session) {
  return world.server().authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())), session);
}

TEST(BrowserSession, ASignedInUserIsNotAskedAgainButStillConsents) {
  TenantWorld world;
  auto session = session_of(world.server().login(start(world), "alice", "alice-pw"));
  ASSERT_EQ(session.size(), 43u);
  auto step = authorize_with(world, session);
  ASSERT_TRUE(std::holds_alternative<ConsentForm>(step));
  EXPECT_EQ(std::get<ConsentForm>(step).user, "alice");
  EXPECT_TRUE(std::get<ConsentForm>(step).new_session.empty());
  EXPECT_EQ(events_of(world, AuthEventKind::sign_in).back().detail, "entity ent-brussels, browser session");
  // Consent is asked as before, and decides as before.
  EXPECT_FALSE(location_param(std::get<Redirect>(world.server().consent(std::get<ConsentForm>(step).txn, "approve")).location,
                              "code")
                   .empty());
}

TEST(BrowserSession, CoversTheSecondFactorToo) {
  TenantWorld world;
  auto txn = start(world);
  world.server().login(txn, "erin", "erin-pw");
  auto session = session_of(world.server().second_factor(txn, code_at(world)));
  ASSERT_FALSE(session.empty());
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(authorize_with(world, session)));
}

TEST(BrowserSession, ExpiresOnTheIssuersClock) {
  TenantWorld world;
  auto session = session_of(world.server().login(start(world), "alice", "alice-pw"));
  world.advance(8 * 3600 - 1);
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(authorize_with(world, session)));
  world.advance(1);
  EXPECT_TRUE(std::holds_alternative<LoginForm>(authorize_with(world, session)));
  auto expired = events_of(world, AuthEventKind::expiry);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].user, "alice");
  EXPECT_EQ(expired[0].client, scripted_client);
  EXPECT_EQ(expired[0].detail, "browser session expired");
  // Gone for good: no second expiry event.
  EXPECT_TRUE(std::holds_alternative<LoginForm>(authorize_with(world, session)));
  EXPECT_EQ(events_of(world, AuthEventKind::expiry).size(), 1u);
}

TEST(BrowserSession, SignOutEndsIt) {
  TenantWorld world;
  auto session = session_of(world.server().login(start(world), "alice", "alice-pw"));
  auto out = world.server().sign_out(session);
  EXPECT_TRUE(out.ended);
  EXPECT_EQ(out.user, "alice");
  EXPECT_TRUE(std::holds_alternative<LoginForm>(authorize_with(world, session)));
  EXPECT_FALSE(world.server().sign_out(session).ended);
  EXPECT_FALSE(world.server().sign_out("").ended);
  auto signed_out = events_of(world, AuthEventKind::sign_out);
  ASSERT_EQ(signed_out.size(), 1u);
  EXPECT_EQ(signed_out[0].user, "alice");
}

TEST(BrowserSession, UnknownSessionsAskForAPassword) {
  TenantWorld world;
  EXPECT_TRUE(std::holds_alternative<LoginForm>(authorize_with(world, "made-up")));
  EXPECT_TRUE(events_of(world, AuthEventKind::expiry).empty());
}

TEST(BrowserSession, RotatedCredentialsAndSuspensionEndIt) {
  TenantWorld world;
  auto session = session_of(world.server().login(start(world), "alice", "alice-pw"));
  world.server().revoke_user_grants("alice", "credentials rotated");
  EXPECT_TRUE(std::holds_alternative<LoginForm>(authorize_with(world, session)));
}

TEST(BrowserSession, ARestartSignsNobodyOutAndBringsBackNoSessionThatEnded) {
  StateDirectory dir;
  const auto file = dir.file("emea-finance.sqlite");
  std::string kept, signed_out, rotated;
  {
    TenantWorld world({}, file);
    // Two browsers of alice's, one signed out; bob's credentials rotated.
    kept = session_of(world.server().login(start(world), "alice", "alice-pw"));
    signed_out = session_of(world.server().login(start(world), "alice", "alice-pw"));
    rotated = session_of(world.server().login(start(world), "bob", "bob-pw"));
    for (const auto* session : {&kept, &signed_out, &rotated}) ASSERT_EQ(session->size(), 43u);
    ASSERT_TRUE(world.server().sign_out(signed_out).ended);
    ASSERT_TRUE(world.server().revoke_user_grants("bob", "credentials rotated"));
  }
  TenantWorld restarted({}, file);
  auto step = authorize_with(restarted, kept);
  ASSERT_TRUE(std::holds_alternative<ConsentForm>(step));
  EXPECT_EQ(std::get<ConsentForm>(step).user, "alice");
  EXPECT_TRUE(std::holds_alternative<LoginForm>(authorize_with(restarted, signed_out)));
  EXPECT_TRUE(std::holds_alternative<LoginForm>(authorize_with(restarted, rotated)));
  // It keeps its expiry too.
  restarted.advance(8 * 3600);
  EXPECT_TRUE(std::holds_alternative<LoginForm>(authorize_with(restarted, kept)));
}

TEST(BrowserSession, ASignOutTheStoreCannotRecordLeavesTheSessionStanding) {
  StateDirectory dir;
  const auto file = dir.file("emea-finance.sqlite");
  TenantWorld world({}, file);
  auto session = session_of(world.server().login(start(world), "alice", "alice-pw"));
  ASSERT_TRUE(refuse_deletes_from(file, "browser_sessions"));
  auto out = world.server().sign_out(session);
  EXPECT_TRUE(out.refused);
  EXPECT_FALSE(out.ended);
  // Not signed out here and back after a restart: still signed in, and told so.
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(authorize_with(world, session)));
  EXPECT_TRUE(events_of(world, AuthEventKind::sign_out).empty());
  // A rotation still ends it here, and says the store could not.
  EXPECT_FALSE(world.server().revoke_user_grants("alice", "credentials rotated"));
  EXPECT_TRUE(std::holds_alternative<LoginForm>(authorize_with(world, session)));
}

TEST(BrowserSession, ASuspendedUsersSessionGetsNoConsentPage) {
  TenantWorld world;
  auto session = session_of(world.server().login(start(world), "bob", "bob-pw"));
  world.tenant.directory().set_suspended("bob", true);
  EXPECT_EQ(redirect_error(authorize_with(world, session)), "access_denied");
}

// --- expiry events -----------------------------------------------------------------

TEST(ExpiryEvents, AnExpiredCodeIsLogged) {
  TenantWorld world;
  auto issued = obtain_code(world.server(), "alice", "alice-pw");
  world.advance(61);
  EXPECT_EQ(redeem(world.server(), issued).error(), "invalid_grant");
  auto expired = events_of(world, AuthEventKind::expiry);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].user, "alice");
  EXPECT_EQ(expired[0].client, scripted_client);
  EXPECT_TRUE(expired[0].detail.starts_with("authorization code expired (grant grt_")) << expired[0].detail;
}

TEST(ExpiryEvents, AnExpiredRefreshTokenIsLogged) {
  TenantWorld world;
  auto tokens = redeem(world.server(), obtain_code(world.server(), "alice", "alice-pw"));
  world.advance(2'592'000);
  EXPECT_EQ(refresh(world.server(), tokens.body["refresh_token"]).error(), "invalid_grant");
  auto expired = events_of(world, AuthEventKind::expiry);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_TRUE(expired[0].detail.starts_with("refresh token expired (grant grt_")) << expired[0].detail;
}

} // namespace
} // namespace mcpcert::backend
