#include "mcpcert/mock_backend/authorization_server.hpp"

#include <algorithm>
#include <array>
#include <iostream>

#include "mcpcert/mock_backend/identity_provider.hpp"
#include "mcpcert/mock_backend/tenant_storage.hpp"
#include "mcpcert/pkce.hpp"
#include "mcpcert/totp.hpp"

namespace mcpcert::backend {
namespace {

// offline_access asks for a refresh token (OpenID Connect Core 11); see IssuerPolicy.
constexpr std::array<std::string_view, 5> supported_scopes = {scope_finance_read, scope_finance_write, scope_planning_read,
                                                              scope_planning_write, scope_offline_access};
constexpr std::size_t max_pending_authorizations = 10'000;
constexpr int max_login_attempts = 5;
// Wrong one-time codes before the sign-in is abandoned: guessing 6 digits stays hopeless.
constexpr int max_code_attempts = 5;
// The failure still counts until the process ends; the event says what a
// restart would lose.
constexpr std::string_view unkept_failure_note = "; not recorded in the state database, a restart forgets it";
// Open registration must not exhaust memory; far above what a harness run registers.
constexpr std::size_t max_clients = 10'000;
constexpr std::string_view token_type_hint_refresh = "refresh_token";
// Exchanged tokens remembered for reuse: one per live subject token and scope,
// far more than a harness run keeps alive at once (about 1 KB each).
constexpr std::size_t max_remembered_exchanges = 4096;

// RFC 6749 3.1: a parameter sent without a value is treated as omitted.
const std::string* field(const FormFields& form, std::string_view name) {
  auto it = form.find(name);
  return it == form.end() || it->second.empty() ? nullptr : &it->second;
}

std::vector<std::string_view> split_scope(std::string_view scope) {
  std::vector<std::string_view> out;
  while (!scope.empty()) {
    auto space = scope.find(' ');
    auto item = scope.substr(0, space);
    if (!item.empty()) out.push_back(item);
    if (space == std::string_view::npos) break;
    scope.remove_prefix(space + 1);
  }
  return out;
}

bool scope_supported(std::string_view scope) {
  auto items = split_scope(scope);
  if (items.empty()) return false;
  return std::all_of(items.begin(), items.end(), [](std::string_view item) {
    return std::find(supported_scopes.begin(), supported_scopes.end(), item) != supported_scopes.end();
  });
}

bool scope_subset(std::string_view requested, std::string_view granted) {
  auto items = split_scope(requested);
  if (items.empty()) return false;
  return std::all_of(items.begin(), items.end(), [&](std::string_view item) { return scope_contains(granted, item); });
}

// Codes and refresh tokens are stored only as this digest.
std::string secret_digest(std::string_view secret) { return hex_encode(sha256(secret)); }

bool base64url_text(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

std::int64_t unix_floor(TimePoint time) {
  return std::chrono::floor<Seconds>(time.time_since_epoch()).count();
}

// `exp` is rounded up: a token then lives at least its full lifetime, so a
// check at ttl - 1 s never fails because the token was issued late in a second
// (and a check at ttl + 1 s still does).
std::int64_t expiry(TimePoint issued, Seconds lifetime) {
  return std::chrono::ceil<Seconds>(issued.time_since_epoch()).count() + lifetime.count();
}

std::string claim_string(const nlohmann::json& claims, std::string_view name) {
  auto it = claims.find(name);
  return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

TokenResponse oauth_error(unsigned status, std::string_view error, std::string_view description) {
  TokenResponse response;
  response.status = status;
  response.body = {{"error", std::string(error)}, {"error_description", std::string(description)}};
  return response;
}

TokenResponse invalid_request(std::string_view description) {
  return oauth_error(400, "invalid_request", description);
}

TokenResponse invalid_grant(std::string_view description) { return oauth_error(400, "invalid_grant", description); }

// The store could not make the outcome durable, so no token may be handed out.
TokenResponse storage_failure() { return oauth_error(500, "server_error", "the authorization server could not store the outcome"); }

nlohmann::json inactive() { return {{"active", false}}; }

std::string new_kid(const std::string& tenant) { return tenant + "-" + random_token(6); }

bool same_url(std::string_view a, std::string_view b) {
  if (a.ends_with('/')) a.remove_suffix(1);
  if (b.ends_with('/')) b.remove_suffix(1);
  return a == b;
}

std::string describe_subject_token_failure(JwtStatus status) {
  if (status == JwtStatus::expired) return "subject token expired";
  return std::string("subject token invalid: ") + to_string(status);
}

// A plain challenge is stored with this prefix; an S256 one (base64url) never holds a ':'.
constexpr std::string_view plain_challenge_prefix = "plain:";

} // namespace

const std::vector<IssuerMutantInfo>& issuer_mutant_catalogue() {
  static const std::vector<IssuerMutantInfo> catalogue{
      {IssuerMutant::pkce_plain_accepted, "pkce-plain-accepted", "AUTH-CODE-PKCE", "accepts the plain PKCE method"},
      {IssuerMutant::code_reusable, "code-reusable", "AUTH-CODE-PKCE",
       "lets an authorization code be redeemed again and revokes nothing on a replay"},
      {IssuerMutant::consent_auto_approved, "consent-auto-approved", "CONSENT", "approves on sign-in, without a consent page"},
      {IssuerMutant::refresh_not_rotated, "refresh-not-rotated", "REFRESH-ROTATE", "hands the same refresh token back"},
      {IssuerMutant::refresh_old_token_valid, "refresh-old-token-valid", "REFRESH-ROTATE",
       "issues a new refresh token and keeps the old one valid"},
      {IssuerMutant::refresh_reuse_ignored, "refresh-reuse-ignored", "REFRESH-ROTATE",
       "refuses a reused refresh token but leaves its family standing"},
      {IssuerMutant::refresh_never_expires, "refresh-never-expires", "REFRESH-TTL", "accepts expired refresh tokens"},
      {IssuerMutant::revocation_noop, "revocation-noop", "REVOKE-CLIENT", "answers /revoke with 200 and revokes nothing"},
      {IssuerMutant::grants_survive_rotation, "grants-survive-rotation", "REVOKE-ROTATE-CREDS",
       "keeps a user's grants when their credentials are rotated"},
      {IssuerMutant::mcp_access_unchecked, "mcp-access-unchecked", "MCP-ACCESS",
       "checks MCP Access only at token exchange, not at authorize, token or refresh"},
  };
  return catalogue;
}

std::optional<IssuerMutant> issuer_mutant_from_name(std::string_view name) {
  for (const auto& info : issuer_mutant_catalogue())
    if (name == info.name) return info.mutant;
  return std::nullopt;
}

bool scope_contains(std::string_view scope, std::string_view wanted) {
  auto items = split_scope(scope);
  return std::find(items.begin(), items.end(), wanted) != items.end();
}

ClientDocumentLookup AuthorizationServer::find_client(std::string_view id) const {
  if (auto client = clients_.find(id)) return {std::move(client), {}};
  return documents_.find(id);
}

struct AuthorizationServer::ClientCheck {
  std::optional<OAuthClient> client;
  std::optional<TokenResponse> error;
};

AuthorizationServer::AuthorizationServer(IssuerIdentity identity, TokenLifetimes lifetimes, const Clock& clock,
                                         TenantDirectory& directory, ClientRegistry& clients, GrantStore& grants,
                                         AuthEventLog& events, IssuerStateStore& state, IssuerPolicy policy)
    : identity_(std::move(identity)),
      lifetimes_(lifetimes),
      policy_(std::move(policy)),
      clock_(clock),
      directory_(directory),
      clients_(clients),
      grants_(grants),
      events_(events),
      state_(state),
      documents_(policy_.client_document_hosts, {supported_scopes.begin(), supported_scopes.end()}, clock_, {},
                 policy_.client_document_trust),
      // A lockout running at a restart runs on, and counted guesses stay counted.
      lockout_(clock_, AccountLockout::Policy{}, &state_.lockouts(), state_.lockouts().standings()) {
  // A restarted issuer keeps its keys: tokens it issued before still verify.
  for (auto& stored : state_.signing_keys()) {
    auto key = EcSigningKey::from_private_jwk(stored.private_jwk, stored.kid);
    if (!key) throw StorageError("state database: signing key " + stored.kid + " is not a P-256 private JWK");
    keys_.push_back({std::move(*key), stored.published_until});
  }
  if (keys_.empty()) {
    auto key = EcSigningKey::generate(new_kid(identity_.tenant));
    if (state_.add_signing_key({key.kid(), key.private_jwk(), clock_.now(), std::nullopt}, std::nullopt) != StoreStatus::ok)
      throw StorageError("state database: cannot store the first signing key");
    keys_.push_back({std::move(key), std::nullopt});
  }
  for (const auto& key : keys_) verification_keys_.add(key.key.kid(), key.key.public_key());
  // A code used just before a restart stays spent after it (RFC 6238 5.2).
  last_totp_step_ = state_.spent_totp_steps();
  // A restart signs nobody out, and brings back no session that had ended.
  for (auto& [digest, stored] : state_.browser_sessions())
    sessions_.emplace(digest, BrowserSession{std::move(stored.user), stored.expires_at});
}

nlohmann::json AuthorizationServer::metadata() const {
  nlohmann::json metadata = {
      {"issuer", identity_.issuer},
      {"authorization_endpoint", identity_.issuer + "/authorize"},
      {"token_endpoint", identity_.issuer + "/token"},
      {"jwks_uri", identity_.issuer + "/jwks"},
      {"response_types_supported", {"code"}},
      {"grant_types_supported", {grant_authorization_code, grant_refresh_token, grant_token_exchange}},
      {"code_challenge_methods_supported",
       policy_.allow_plain_pkce ? nlohmann::json{"S256", "plain"} : nlohmann::json{"S256"}},
      {"token_endpoint_auth_methods_supported", {"none", "client_secret_basic", "client_secret_post"}},
      {"revocation_endpoint", identity_.issuer + "/revoke"},
      {"revocation_endpoint_auth_methods_supported", {"none", "client_secret_basic", "client_secret_post"}},
      {"introspection_endpoint", identity_.issuer + "/introspect"},
      {"introspection_endpoint_auth_methods_supported", {"client_secret_basic", "client_secret_post"}},
      {"registration_endpoint", identity_.issuer + "/register"},
      {"scopes_supported", supported_scopes},
      {"authorization_response_iss_parameter_supported", true},
  };
  if (documents_.enabled()) metadata["client_id_metadata_document_supported"] = true;
  return metadata;
}

nlohmann::json AuthorizationServer::jwks() const {
  auto now = clock_.now();
  nlohmann::json keys = nlohmann::json::array();
  std::shared_lock lock(keys_mutex_);
  // Newest first: a verifier that takes the first key of a set without a kid gets the signing one.
  for (auto it = keys_.rbegin(); it != keys_.rend(); ++it)
    if (!it->published_until || now < *it->published_until) keys.push_back(it->key.public_jwk());
  return {{"keys", std::move(keys)}};
}

std::optional<KeyRotation> AuthorizationServer::rotate_signing_key() {
  auto key = EcSigningKey::generate(new_kid(identity_.tenant));
  // Every token has exp <= its signing time rounded up + its lifetime, and no
  // lifetime exceeds the access token's (exchanged ones are capped by it), so
  // past this instant the previous key verifies nothing that is still valid.
  auto now = clock_.now();
  auto until = TimePoint(Seconds(expiry(now, lifetimes_.access))) + Seconds(1);
  std::unique_lock lock(keys_mutex_);
  KeyRotation rotation;
  rotation.previous_kid = keys_.back().key.kid();
  rotation.previous_published_until = until;
  // Durable before the new key signs anything: a token must never outlive the key that verifies it.
  if (state_.add_signing_key({key.kid(), key.private_jwk(), now, std::nullopt}, RetiredKey{rotation.previous_kid, until}) !=
      StoreStatus::ok)
    return std::nullopt;
  keys_.back().published_until = until;
  verification_keys_.add(key.kid(), key.public_key());
  rotation.kid = key.kid();
  keys_.push_back({std::move(key), std::nullopt});
  return rotation;
}

std::string AuthorizationServer::sign(const nlohmann::json& claims, std::string* kid) const {
  std::shared_lock lock(keys_mutex_);
  if (kid) *kid = keys_.back().key.kid();
  // Remembered as verified: a newly exchanged token's first use is at the API.
  return verified_tokens_.sign(keys_.back().key, claims, "at+jwt", clock_.unix_seconds());
}

AuthorizationStep AuthorizationServer::authorize(const FormFields& query, std::string_view session) {
  // Until client and redirect URI are known good, an error must not redirect:
  // that would make this server an open redirector (RFC 6749 4.1.2.1).
  const std::string* client_id = field(query, "client_id");
  if (!client_id) return ErrorPage{400, "The request has no client_id."};
  auto [client, problem] = find_client(*client_id);
  if (!client) return ErrorPage{400, "Unknown client \"" + *client_id + "\"." + (problem.empty() ? "" : " " + problem)};
  const std::string* redirect_uri = field(query, "redirect_uri");
  if (!redirect_uri) return ErrorPage{400, "The request has no redirect_uri."};
  if (!client->accepts_redirect(*redirect_uri))
    return ErrorPage{400, "The redirect_uri is not registered for client \"" + client->id + "\"."};

  PendingAuthorization pending;
  pending.client_id = client->id;
  pending.redirect_uri = *redirect_uri;
  if (const auto* state = field(query, "state")) pending.state = *state;
  auto fail = [&](std::string_view error, std::string_view description) -> AuthorizationStep {
    return Redirect{error_redirect(pending, error, description)};
  };

  const std::string* response_type = field(query, "response_type");
  if (!response_type) return fail("invalid_request", "response_type is required");
  if (*response_type != "code") return fail("unsupported_response_type", "only response_type=code is supported");
  if (!client->may_use(grant_authorization_code))
    return fail("unauthorized_client", "client may not use the authorization code grant");

  const bool plain_allowed = policy_.allow_plain_pkce || policy_.has(IssuerMutant::pkce_plain_accepted);
  const std::string* method = field(query, "code_challenge_method");
  // RFC 7636 4.3 defaults an absent method to plain; OAuth 2.1 wants S256, so the method must be named.
  if (!method) return fail("invalid_request", "code_challenge_method is required; S256 is supported");
  if (*method == "plain" && !plain_allowed)
    return fail("invalid_request", "code_challenge_method plain is not supported; use S256");
  if (*method != "S256" && *method != "plain") return fail("invalid_request", "unsupported code_challenge_method; use S256");
  const std::string* challenge = field(query, "code_challenge");
  if (!challenge) return fail("invalid_request", "code_challenge is required (PKCE)");
  if (*method == "plain") {
    // A plain challenge is the verifier itself (RFC 7636 4.2).
    if (!pkce_verifier_well_formed(*challenge))
      return fail("invalid_request", "a plain code_challenge must be 43-128 unreserved characters");
    pending.code_challenge = std::string(plain_challenge_prefix) + *challenge;
  } else {
    // An S256 challenge is always 32 bytes of base64url: 43 characters.
    if (challenge->size() != 43 || !base64url_text(*challenge))
      return fail("invalid_request", "code_challenge is not a base64url SHA-256 digest");
    pending.code_challenge = *challenge;
  }

  const std::string* resource = field(query, "resource");
  if (!resource) return fail("invalid_target", "resource is required (RFC 8707)");
  if (!clients_.is_registered(*resource))
    return fail("invalid_target", "resource " + *resource + " is not registered at this authorization server");
  pending.resource = *resource;

  const std::string* scope = field(query, "scope");
  pending.scope = scope ? *scope : identity_.default_scope;
  if (!scope_supported(pending.scope)) return fail("invalid_scope", "unsupported scope: " + pending.scope);

  std::lock_guard lock(pending_mutex_);
  drop_expired_pending();
  if (pending_.size() >= max_pending_authorizations)
    return fail("temporarily_unavailable", "too many sign-ins in progress");
  pending.expires_at = clock_.now() + lifetimes_.pending_authorization;
  if (identity_provider_) pending.sso_nonce = random_token(16);
  auto txn = random_token(32);
  auto& stored = pending_.emplace(txn, std::move(pending)).first->second;
  if (!session.empty()) {
    auto user = session_user(session, client->id);
    if (const User* signed_in = directory_.find_user(user))
      return complete_sign_in(txn, stored, *signed_in, "browser session", false);
  }
  return login_form(txn, stored, {});
}

void AuthorizationServer::trust_identity_provider(IdentityProviderTrust trust) { identity_provider_ = std::move(trust); }

LoginForm AuthorizationServer::login_form(std::string_view txn, const PendingAuthorization& pending,
                                          std::string error) const {
  auto client = clients_.find(pending.client_id);
  LoginForm form{std::string(txn), client ? client->name : pending.client_id, std::move(error)};
  if (identity_provider_)
    form.single_sign_on = SingleSignOnOffer{
        identity_provider_->name,
        identity_provider_->login_url,
        {{"rp", identity_.issuer}, {"nonce", pending.sso_nonce}, {"relay_state", std::string(txn)}}};
  return form;
}

std::string AuthorizationServer::session_user(std::string_view session, std::string_view client) {
  auto it = sessions_.find(secret_digest(session));
  if (it == sessions_.end()) return {};
  if (clock_.now() >= it->second.expires_at) {
    log(AuthEventKind::expiry, it->second.user, client, "browser session expired");
    // Not waited on: an expired row in the store signs nobody in.
    (void)state_.end_browser_session(it->first);
    sessions_.erase(it);
    return {};
  }
  return it->second.user;
}

AuthorizationStep AuthorizationServer::single_sign_on(std::string_view relay_state, std::string_view assertion) {
  std::lock_guard lock(pending_mutex_);
  PendingAuthorization* pending = find_pending(relay_state);
  auto refuse = [&](std::string_view user, const std::string& why) -> AuthorizationStep {
    log(AuthEventKind::sign_in_failure, user, pending ? pending->client_id : std::string{}, "single sign-on refused: " + why);
    return ErrorPage{400, "Single sign-on failed: " + why + ". Start again from the application."};
  };
  if (!identity_provider_) return refuse({}, "this tenant has no identity provider");
  if (!pending) return refuse({}, "the sign-in has expired or is unknown");

  JwtExpectations expect;
  expect.type = std::string(sso_assertion_type);
  expect.issuers = {identity_provider_->issuer};
  expect.audience = identity_.issuer;
  expect.now = clock_.unix_seconds();
  auto claims = verify_jwt(assertion, identity_provider_->keys, expect);
  if (!claims) {
    auto status = static_cast<JwtStatus>(claims.error().value());
    if (status == JwtStatus::expired) return refuse({}, "the assertion has expired");
    if (status == JwtStatus::wrong_audience) return refuse({}, "the assertion is for another audience");
    if (status == JwtStatus::bad_signature) return refuse({}, "the assertion's signature does not verify");
    return refuse({}, std::string("the assertion is invalid (") + to_string(status) + ")");
  }
  const auto subject = claim_string(*claims, "sub");
  const User* user = directory_.find_user_by_sso_subject(subject);
  const std::string who = user ? user->id : std::string{};
  if (pending->sso_nonce.empty() || !constant_time_equal(claim_string(*claims, "nonce"), pending->sso_nonce))
    return refuse(who, "the assertion's nonce is not this sign-in's");
  const auto jti = claim_string(*claims, "jti");
  if (jti.empty()) return refuse(who, "the assertion has no jti");
  if (used_assertions_.count(jti) != 0) return refuse(who, "the assertion was already used");
  used_assertions_.emplace(jti, TimePoint(Seconds(claims->value("exp", std::int64_t{0}))));
  if (!pending->user.empty()) return refuse(who, "this sign-in is already complete");
  if (!user) return refuse({}, "no user is linked to " + identity_provider_->name + " account " + subject);
  pending->awaiting_code_of.clear();
  return complete_sign_in(relay_state, *pending, *user, "single sign-on via " + identity_provider_->id, true);
}

SignOut AuthorizationServer::sign_out(std::string_view session) {
  std::lock_guard lock(pending_mutex_);
  auto it = sessions_.find(secret_digest(session));
  if (session.empty() || it == sessions_.end()) return {};
  SignOut out{clock_.now() < it->second.expires_at, it->second.user};
  // Ended in the store first: a session a restart brought back would undo the sign-out.
  if (state_.end_browser_session(it->first) != StoreStatus::ok) return SignOut{false, out.user, true};
  sessions_.erase(it);
  if (out.ended) log(AuthEventKind::sign_out, out.user, {}, "browser session ended");
  return out;
}

AuthorizationStep AuthorizationServer::login(std::string_view txn, std::string_view username,
                                             std::string_view password) {
  std::lock_guard lock(pending_mutex_);
  PendingAuthorization* pending = find_pending(txn);
  if (!pending) return ErrorPage{400, "This sign-in has expired or is unknown. Start again from the application."};
  if (!pending->user.empty()) return ErrorPage{400, "This sign-in is already complete."};
  auto client = clients_.find(pending->client_id);
  std::string client_name = client ? client->name : pending->client_id;

  // A locked account's password is not even checked: a guess during the
  // lockout must learn nothing, right or wrong.
  auto locked = lockout_.locked_until(username);
  if (locked || !directory_.verify_password(username, password)) {
    std::string detail = "password sign-in refused: the account is locked after too many failed attempts";
    std::string page_error = "Unknown user name or wrong password.";
    if (!locked) {
      const User* named = directory_.find_user(username);
      const bool sso_only = named && named->sso_only;
      detail = sso_only ? "password sign-in refused: the user signs in through the identity provider only"
                        : "unknown user name or wrong password";
      if (sso_only && identity_provider_) page_error = "This account signs in with " + identity_provider_->name + ".";
      auto failure = lockout_.record_failure(username);
      locked = failure.lockout_until;
      if (locked) detail += lockout_started_note();
      if (!failure.kept) detail += unkept_failure_note;
    }
    if (++pending->failed_logins >= max_login_attempts)
      return abandon_sign_in(txn, *pending, username, detail + "; too many attempts, sign-in abandoned",
                             "too many failed sign-in attempts");
    log(AuthEventKind::sign_in_failure, username, pending->client_id, detail);
    return login_form(txn, *pending, locked ? lockout_notice(*locked, clock_.now()) : page_error);
  }

  const User* user = directory_.find_user(username);
  if (user->has_second_factor()) {
    // The count starts again only once both factors passed: otherwise each
    // new sign-in with a known password would buy more code guesses.
    pending->awaiting_code_of = user->id;
    return SecondFactorForm{std::string(txn), client_name, {}};
  }
  // A count the store fails to clear only brings a lockout sooner after a
  // restart; it lets nobody in, so the sign-in goes on.
  (void)lockout_.record_success(user->id);
  return complete_sign_in(txn, *pending, *user, "password", true);
}

AuthorizationStep AuthorizationServer::second_factor(std::string_view txn, std::string_view code) {
  std::lock_guard lock(pending_mutex_);
  PendingAuthorization* pending = find_pending(txn);
  if (!pending) return ErrorPage{400, "This sign-in has expired or is unknown. Start again from the application."};
  if (!pending->user.empty()) return ErrorPage{400, "This sign-in is already complete."};
  if (pending->awaiting_code_of.empty()) return ErrorPage{400, "Sign in with your password before the one-time code."};
  const User* user = directory_.find_user(pending->awaiting_code_of);
  if (!user || !user->has_second_factor())
    return abandon_sign_in(txn, *pending, pending->awaiting_code_of, "the user's second factor is gone",
                           "the account changed during sign-in");

  if (auto until = lockout_.locked_until(user->id))
    return abandon_sign_in(txn, *pending, user->id,
                           "one-time code refused: the account is locked after too many failed attempts",
                           lockout_notice(*until, clock_.now()));

  std::string problem;
  auto step = totp_match(user->totp_secret, code, clock_.now());
  auto last = last_totp_step_.find(user->id);
  if (!step) {
    problem = code.size() == static_cast<std::size_t>(totp_digits) ? "wrong one-time code"
                                                                   : "malformed one-time code (6 digits expected)";
  } else if (last != last_totp_step_.end() && *step <= last->second) {
    problem = "one-time code already used";
  }
  if (!problem.empty()) {
    auto failure = lockout_.record_failure(user->id);
    // The event says what the store lost; the page only what was wrong.
    const std::string detail = failure.kept ? problem : problem + std::string(unkept_failure_note);
    if (failure.lockout_until)
      return abandon_sign_in(txn, *pending, user->id, detail + lockout_started_note(),
                             lockout_notice(*failure.lockout_until, clock_.now()));
    if (++pending->failed_codes >= max_code_attempts)
      return abandon_sign_in(txn, *pending, user->id, detail + "; too many attempts, sign-in abandoned",
                             "too many wrong one-time codes");
    log(AuthEventKind::sign_in_failure, user->id, pending->client_id, detail);
    auto client = clients_.find(pending->client_id);
    problem[0] = static_cast<char>(problem[0] - 'a' + 'A');
    return SecondFactorForm{std::string(txn), client ? client->name : pending->client_id, problem + "."};
  }
  // On disk before the code counts: otherwise a crash right after this
  // sign-in would let the same code sign in again.
  if (state_.spend_totp_step(user->id, *step) != StoreStatus::ok) {
    log(AuthEventKind::sign_in_failure, user->id, pending->client_id,
        "one-time code right but not recorded: the state database refused it");
    auto location = error_redirect(*pending, "server_error", "the one-time code could not be recorded");
    pending_.erase(pending_.find(txn));
    return Redirect{location};
  }
  last_totp_step_[user->id] = *step;
  (void)lockout_.record_success(user->id); // as after a password alone
  pending->awaiting_code_of.clear();
  return complete_sign_in(txn, *pending, *user, "password and one-time code", true);
}

std::string AuthorizationServer::lockout_started_note() const {
  return "; account locked after " + std::to_string(lockout_.policy().max_consecutive_failures) +
         " failed attempts in a row";
}

AuthorizationStep AuthorizationServer::abandon_sign_in(std::string_view txn, const PendingAuthorization& pending,
                                                       std::string_view user, std::string_view event_detail,
                                                       std::string_view description) {
  log(AuthEventKind::sign_in_failure, user, pending.client_id, event_detail);
  auto location = error_redirect(pending, "access_denied", description);
  pending_.erase(pending_.find(txn));
  return Redirect{location};
}

AuthorizationStep AuthorizationServer::complete_sign_in(std::string_view txn, PendingAuthorization& pending,
                                                        const User& user, std::string_view method, bool begin_session) {
  auto refusal = session_gate(user.id, user.default_entity);
  if (!refusal.empty()) return abandon_sign_in(txn, pending, user.id, "signed in but refused: " + refusal, refusal);
  pending.user = user.id;
  pending.entity = user.default_entity;
  log(AuthEventKind::sign_in, user.id, pending.client_id, "entity " + pending.entity + ", " + std::string(method));
  if (policy_.has(IssuerMutant::consent_auto_approved)) {
    auto approved = approve(std::move(pending));
    pending_.erase(pending_.find(txn));
    return approved;
  }
  auto client = clients_.find(pending.client_id);
  const Entity* entity = directory_.find_entity(pending.entity);
  ConsentForm form{std::string(txn), client ? client->name : pending.client_id, user.id, user.display_name,
                   pending.scope, pending.entity, entity ? entity->name : pending.entity};
  if (begin_session) {
    form.new_session = random_token(32);
    BrowserSession opened{user.id, clock_.now() + lifetimes_.browser_session};
    auto digest = secret_digest(form.new_session);
    // Not waited on: a session the store refused only asks for the password again after a restart.
    (void)state_.save_browser_session(digest, {opened.user, opened.expires_at});
    sessions_[std::move(digest)] = std::move(opened);
  }
  return form;
}

AuthorizationStep AuthorizationServer::consent(std::string_view txn, std::string_view decision) {
  PendingAuthorization pending;
  {
    std::lock_guard lock(pending_mutex_);
    PendingAuthorization* found = find_pending(txn);
    if (!found) return ErrorPage{400, "This sign-in has expired or is unknown. Start again from the application."};
    if (found->user.empty()) return ErrorPage{400, "Sign in before answering the consent request."};
    if (decision != "approve" && decision != "deny") return ErrorPage{400, "The decision must be approve or deny."};
    // Taken out of the map: one answer per consent page, even when two arrive at once.
    pending = std::move(*found);
    pending_.erase(pending_.find(txn));
  }

  if (decision == "deny") {
    log(AuthEventKind::consent, pending.user, pending.client_id, "denied");
    return Redirect{error_redirect(pending, "access_denied", "the user denied the request")};
  }
  // MCP Access may have been withdrawn while the consent page was open.
  auto refusal = session_gate(pending.user, pending.entity);
  if (!refusal.empty()) {
    log(AuthEventKind::consent, pending.user, pending.client_id, "approved but refused: " + refusal);
    return Redirect{error_redirect(pending, "access_denied", refusal)};
  }
  return approve(std::move(pending));
}

AuthorizationStep AuthorizationServer::approve(PendingAuthorization pending) {
  auto now = clock_.now();
  Grant grant{"grt_" + random_token(12), pending.user, pending.client_id, pending.scope, pending.entity,
              pending.resource, now, std::nullopt, {}};
  auto code = random_token(32);
  AuthorizationCode record;
  record.code_hash = secret_digest(code);
  record.grant_id = grant.id;
  record.client_id = pending.client_id;
  record.redirect_uri = pending.redirect_uri;
  record.code_challenge = pending.code_challenge;
  record.resource = pending.resource;
  record.scope = pending.scope;
  record.user = pending.user;
  record.entity = pending.entity;
  record.expires_at = now + lifetimes_.code;
  if (grants_.add_grant(grant, record) != StoreStatus::ok)
    return Redirect{error_redirect(pending, "server_error", "the consent could not be recorded")};
  log(AuthEventKind::consent, pending.user, pending.client_id,
      "approved: grant " + grant.id + ", scope " + grant.scope + ", entity " + grant.entity + ", resource " +
          grant.resource);
  return Redirect{redirect_with(pending.redirect_uri, {{"code", code}}, pending.state)};
}

TokenResponse AuthorizationServer::token(const FormFields& form, const std::optional<ClientCredentials>& basic) {
  const std::string* grant_type = field(form, "grant_type");
  auto outcome = [&]() -> TokenResponse {
    auto check = authenticate_client(form, basic);
    if (check.error) return *check.error;
    const OAuthClient& client = *check.client;
    TokenResponse response;
    if (!grant_type) {
      response = invalid_request("grant_type is required");
    } else if (*grant_type != grant_authorization_code && *grant_type != grant_refresh_token &&
               *grant_type != grant_token_exchange) {
      response = oauth_error(400, "unsupported_grant_type", "unsupported grant_type " + *grant_type);
    } else if (!client.may_use(*grant_type)) {
      response = oauth_error(400, "unauthorized_client", "client may not use grant_type " + *grant_type);
    } else if (*grant_type == grant_authorization_code) {
      response = redeem_code(client, form);
    } else if (*grant_type == grant_refresh_token) {
      response = refresh(client, form);
    } else {
      response = exchange(client, form);
    }
    response.client_id = client.id;
    return response;
  };
  auto response = outcome();
  if (!response.ok()) {
    // The client as presented, even when unknown: the log is for finding out who tried.
    std::string client = response.client_id;
    if (client.empty() && basic) client = basic->client_id;
    if (const auto* id = field(form, "client_id"); client.empty() && id) client = *id;
    auto detail = response.error() + ": " + response.body.value("error_description", "");
    if (grant_type && *grant_type == grant_token_exchange && response.error() != "invalid_client")
      log(AuthEventKind::token_exchange_refused, response.subject, client, detail);
    log(AuthEventKind::token_error, response.subject, client, detail);
  }
  return response;
}

TokenResponse AuthorizationServer::refuse_token_request(unsigned status, std::string_view error,
                                                        std::string_view description) {
  auto response = oauth_error(status, error, description);
  if (error == "invalid_client") response.www_authenticate = "Basic realm=\"" + identity_.issuer + "\"";
  log(AuthEventKind::token_error, {}, {}, std::string(error) + ": " + std::string(description));
  return response;
}

AuthorizationServer::ClientCheck
AuthorizationServer::authenticate_client(const FormFields& form, const std::optional<ClientCredentials>& basic) const {
  auto unauthorized = [&](std::string_view description) {
    ClientCheck check;
    check.error = oauth_error(401, "invalid_client", description);
    check.error->www_authenticate = "Basic realm=\"" + identity_.issuer + "\"";
    return check;
  };
  auto bad_request = [](std::string_view description) {
    ClientCheck check;
    check.error = invalid_request(description);
    return check;
  };

  const std::string* body_id = field(form, "client_id");
  const std::string* body_secret = field(form, "client_secret");
  if (basic && body_secret) return bad_request("use only one client authentication method");
  if (basic && body_id && *body_id != basic->client_id)
    return bad_request("client_id does not match the Authorization header");
  const std::string* id = basic ? &basic->client_id : body_id;
  if (!id) return unauthorized("client authentication required");
  auto [client, problem] = find_client(*id);
  if (!client) return unauthorized(problem.empty() ? "unknown client" : "unknown client: " + problem);

  const std::string* secret = basic ? &basic->client_secret : body_secret;
  if (client->type == ClientType::confidential) {
    if (!secret) return unauthorized("client authentication required");
    if (!clients_.secret_matches(*client, *secret)) return unauthorized("client authentication failed");
  } else if (secret && !secret->empty()) {
    return unauthorized("a public client has no secret");
  }
  ClientCheck check;
  check.client = std::move(client);
  return check;
}

TokenResponse AuthorizationServer::redeem_code(const OAuthClient& client, const FormFields& form) {
  const std::string* code = field(form, "code");
  if (!code) return invalid_request("code is required");
  const std::string* redirect_uri = field(form, "redirect_uri");
  if (!redirect_uri) return invalid_request("redirect_uri is required");
  const std::string* verifier = field(form, "code_verifier");
  if (!verifier) return invalid_request("code_verifier is required (PKCE)");

  auto digest = secret_digest(*code);
  auto record = grants_.find_code(digest);
  if (!record) return invalid_grant("unknown authorization code");
  auto refused = [&](TokenResponse response) {
    response.subject = record->user;
    return response;
  };
  // Claimed before any other check, so a failed attempt also burns the code
  // and a guessed verifier gets exactly one try.
  switch (grants_.claim_code(digest)) {
  case StoreStatus::ok: break;
  case StoreStatus::already_used: {
    if (policy_.has(IssuerMutant::code_reusable)) break;
    auto grant = grants_.find_grant(record->grant_id);
    if (!grant) return refused(invalid_grant("authorization code already used"));
    return reuse_detected(*grant, "authorization code");
  }
  case StoreStatus::failed: return refused(storage_failure());
  default: return invalid_grant("unknown authorization code");
  }
  if (clock_.now() >= record->expires_at) {
    log(AuthEventKind::expiry, record->user, client.id, "authorization code expired (grant " + record->grant_id + ")");
    return refused(invalid_grant("authorization code expired"));
  }
  if (record->client_id != client.id) return refused(invalid_grant("authorization code was issued to another client"));
  if (record->redirect_uri != *redirect_uri)
    return refused(invalid_grant("redirect_uri does not match the authorization request"));
  if (!pkce_verifier_well_formed(*verifier))
    return refused(invalid_request("code_verifier is malformed (RFC 7636 4.1)"));
  const bool plain = record->code_challenge.starts_with(plain_challenge_prefix);
  const bool verified = plain ? constant_time_equal(*verifier, std::string_view(record->code_challenge).substr(plain_challenge_prefix.size()))
                              : pkce_s256_matches(*verifier, record->code_challenge);
  if (!verified) return refused(invalid_grant("code_verifier does not match the code_challenge"));
  if (const auto* resource = field(form, "resource"); resource && *resource != record->resource)
    return refused(oauth_error(400, "invalid_target", "resource differs from the authorization request"));
  auto grant = grants_.find_grant(record->grant_id);
  if (!grant || grant->revoked()) return refused(invalid_grant("grant revoked"));
  auto refusal = session_gate(record->user, record->entity);
  if (!refusal.empty()) return refused(invalid_grant(refusal));

  auto access = client_access_token(*grant, record->scope);
  auto [refresh_token, refresh_record] = new_refresh_token(*grant, record->scope);
  // An OpenID Connect-flavoured issuer hands out a refresh token only for offline_access.
  const bool with_refresh = !policy_.refresh_requires_offline_access || scope_contains(record->scope, scope_offline_access);
  if (!with_refresh) refresh_token.clear();
  switch (grants_.issue(access.record, with_refresh ? std::optional<RefreshToken>(refresh_record) : std::nullopt)) {
  case StoreStatus::ok: break;
  case StoreStatus::failed: return refused(storage_failure());
  default: return refused(invalid_grant("grant revoked"));
  }
  log(AuthEventKind::token_issue, grant->user, client.id,
      "authorization_code: grant " + grant->id + ", jti " + access.record.jti);
  return token_pair(*grant, access, record->scope, refresh_token);
}

TokenResponse AuthorizationServer::refresh(const OAuthClient& client, const FormFields& form) {
  const std::string* token = field(form, "refresh_token");
  if (!token) return invalid_request("refresh_token is required");
  auto digest = secret_digest(*token);
  auto record = grants_.find_refresh_token(digest);
  if (!record) return invalid_grant("unknown refresh token");
  // A stolen token presented by another client must not burn the family.
  if (record->client_id != client.id) return invalid_grant("refresh token was issued to another client");
  auto grant = grants_.find_grant(record->grant_id);
  if (!grant) return invalid_grant("grant revoked");
  auto refused = [&](TokenResponse response) {
    response.subject = grant->user;
    return response;
  };
  if (grant->revoked()) return refused(invalid_grant("grant revoked"));
  auto now = clock_.now();
  // Within the grace window a rotated token still refreshes (a client that
  // lost the answer retries); the old-token-valid mutant never counts it used.
  auto in_grace = [&](const RefreshToken& used) {
    return policy_.has(IssuerMutant::refresh_old_token_valid) ||
           (policy_.refresh_grace > Seconds(0) && used.used_at && now < *used.used_at + policy_.refresh_grace);
  };
  const bool presented_again = record->used;
  if (presented_again && !in_grace(*record)) return reuse_detected(*grant, "refresh token");
  if (now >= record->expires_at && !policy_.has(IssuerMutant::refresh_never_expires)) {
    log(AuthEventKind::expiry, grant->user, client.id, "refresh token expired (grant " + grant->id + ")");
    return refused(invalid_grant("refresh token expired"));
  }
  if (lifetimes_.refresh_family && now >= grant->created_at + *lifetimes_.refresh_family) {
    log(AuthEventKind::expiry, grant->user, client.id, "refresh family reached its absolute lifetime (grant " + grant->id + ")");
    return refused(invalid_grant("the grant's refresh tokens reached their absolute lifetime"));
  }

  std::string scope = record->scope;
  if (const auto* requested = field(form, "scope")) {
    if (!scope_subset(*requested, record->scope))
      return refused(oauth_error(400, "invalid_scope", "scope exceeds the original grant"));
    scope = *requested;
  }
  if (const auto* resource = field(form, "resource"); resource && *resource != grant->resource)
    return refused(oauth_error(400, "invalid_target", "resource differs from the grant's"));
  auto refusal = session_gate(grant->user, grant->entity);
  if (!refusal.empty()) return refused(invalid_grant(refusal));

  auto access = client_access_token(*grant, scope);
  // RFC 6749 6: a rotated refresh token keeps the scope of the one it replaces.
  auto [refresh_token, successor] = new_refresh_token(*grant, record->scope);
  StoreStatus stored;
  if (policy_.has(IssuerMutant::refresh_not_rotated)) {
    stored = grants_.issue(access.record, std::nullopt);
    refresh_token = *token;
  } else if (presented_again || policy_.has(IssuerMutant::refresh_old_token_valid)) {
    stored = grants_.issue(access.record, successor); // in grace: the old token was rotated already
  } else {
    stored = grants_.rotate_refresh_token(digest, successor, access.record);
    if (stored == StoreStatus::already_used) {
      // Of concurrent refreshes with one token, every one but the first lands
      // here: a second presentation, reuse unless the grace window covers it.
      auto again = grants_.find_refresh_token(digest);
      if (!again || !in_grace(*again)) return reuse_detected(*grant, "refresh token");
      stored = grants_.issue(access.record, successor);
    }
  }
  switch (stored) {
  case StoreStatus::ok: break;
  case StoreStatus::failed: return refused(storage_failure());
  default: return refused(invalid_grant("grant revoked"));
  }
  log(AuthEventKind::refresh, grant->user, client.id,
      "grant " + grant->id + ", jti " + access.record.jti + (presented_again ? ", rotated token within the grace window" : ""));
  return token_pair(*grant, access, scope, refresh_token);
}

TokenResponse AuthorizationServer::reuse_detected(const Grant& grant, std::string_view what) {
  if (what == "refresh token" && policy_.has(IssuerMutant::refresh_reuse_ignored)) {
    auto response = invalid_grant(std::string(what) + " already used");
    response.subject = grant.user;
    return response;
  }
  log(AuthEventKind::reuse_detected, grant.user, grant.client_id,
      std::string(what) + " presented again; revoking grant " + grant.id);
  revoke_grant(grant.id, std::string(what) + " reused");
  auto response = invalid_grant(std::string(what) + " already used; the grant and all its tokens are revoked");
  response.subject = grant.user;
  return response;
}

TokenResponse AuthorizationServer::exchange(const OAuthClient& client, const FormFields& form) {
  if (client.type != ClientType::confidential)
    return oauth_error(400, "unauthorized_client", "token exchange is for confidential clients");
  const std::string* subject_token = field(form, "subject_token");
  if (!subject_token) return invalid_request("subject_token is required");
  const std::string* subject_type = field(form, "subject_token_type");
  if (!subject_type) return invalid_request("subject_token_type is required");
  if (*subject_type != token_type_access_token) return invalid_request("unsupported subject_token_type");
  if (const auto* requested = field(form, "requested_token_type"); requested && *requested != token_type_access_token)
    return invalid_request("unsupported requested_token_type");
  if (field(form, "actor_token")) return invalid_request("actor_token is not supported");

  const std::string* audience = field(form, "audience");
  const std::string* resource = field(form, "resource");
  if (!audience && !resource) return invalid_request("audience or resource is required");
  for (const std::string* target : {audience, resource}) {
    if (target && !same_url(*target, identity_.api_base))
      return oauth_error(400, "invalid_target", *target + " is not this tenant's API (" + identity_.api_base + ")");
  }

  auto verified = verify_own_token(*subject_token);
  if (!verified) return invalid_grant(describe_subject_token_failure(static_cast<JwtStatus>(verified.error().value())));
  const nlohmann::json& claims = *verified;

  auto about_subject = [&](TokenResponse response) {
    response.subject = claim_string(claims, "sub");
    response.token_id = claim_string(claims, "jti");
    return response;
  };
  bool audience_allowed = false;
  if (auto aud = claims.find("aud"); aud != claims.end()) {
    if (aud->is_string()) audience_allowed = clients_.may_exchange(aud->get<std::string>(), client.id);
    if (aud->is_array())
      for (const auto& item : *aud)
        audience_allowed = audience_allowed || (item.is_string() && clients_.may_exchange(item.get<std::string>(), client.id));
  }
  if (!audience_allowed)
    return about_subject(invalid_grant("subject token's audience is not a resource of client " + client.id));

  auto jti = claim_string(claims, "jti");
  auto issued = grants_.find_access_token(jti);
  if (!issued) return about_subject(invalid_grant("subject token was not issued by this issuer"));
  // The grant first: a revoked grant also revoked its tokens, and says why.
  auto grant = grants_.find_grant(issued->grant_id);
  if (!grant || grant->revoked()) return about_subject(invalid_grant("grant revoked"));
  if (issued->revoked) return about_subject(invalid_grant("subject token revoked"));
  auto user = claim_string(claims, "sub");
  auto entity = claim_string(claims, "entity");
  // Checked on every exchange: this is what makes an admin's removal of MCP
  // Access bite on the connector's very next upstream call.
  auto refusal = session_refusal(user, entity);
  if (!refusal.empty()) return about_subject(invalid_grant(refusal));

  auto subject_scope = claim_string(claims, "scope");
  auto scope = subject_scope;
  if (const auto* requested = field(form, "scope")) {
    if (!scope_subset(*requested, subject_scope))
      return about_subject(oauth_error(400, "invalid_scope", "scope exceeds the subject token's"));
    scope = *requested;
  }

  auto now = clock_.now();
  auto iat = unix_floor(now);
  auto answer = [&](const std::string& access_token, std::int64_t expires_in) {
    TokenResponse response;
    response.body = {
        {"access_token", access_token},
        {"issued_token_type", token_type_access_token},
        {"token_type", "Bearer"},
        {"expires_in", expires_in},
        {"scope", scope},
    };
    return about_subject(std::move(response));
  };
  // Only now, every check above passed: a repeated exchange gets the token it
  // got before (as token services do for on-behalf-of). Its audience is
  // always this tenant's API, so these name the exchange.
  auto exchange_key = jti + '\n' + client.id + '\n' + scope + '\n' + entity;
  if (auto reused = reusable_exchanged_token(exchange_key, now)) {
    log(AuthEventKind::token_issue, user, client.id,
        "token exchange: jti " + reused->jti + " for subject token " + jti + " (reused)");
    return answer(reused->token, unix_floor(reused->expires_at) - iat);
  }

  auto subject_exp = claims.value("exp", iat);
  auto exp = std::min<std::int64_t>(subject_exp, expiry(now, lifetimes_.exchanged));
  nlohmann::json backend_claims = {
      {"iss", identity_.issuer},
      {"sub", user},
      {"aud", identity_.api_base},
      {"act", {{"sub", client.id}}},
      {"client_id", client.id},
      {"scope", scope},
      {"entity", entity},
      {"tenant", identity_.tenant},
      {"region", identity_.region},
      {"jti", random_token(16)},
      {"iat", iat},
      {"exp", exp},
  };
  std::string kid;
  auto access_token = sign(backend_claims, &kid);
  IssuedAccessToken record{backend_claims["jti"].get<std::string>(), grant->id, client.id, jti,
                           TimePoint(Seconds(exp)), false};
  switch (grants_.issue(record, std::nullopt)) {
  case StoreStatus::ok: break;
  case StoreStatus::failed: return about_subject(storage_failure());
  default: return about_subject(invalid_grant("grant revoked"));
  }
  log(AuthEventKind::token_issue, user, client.id, "token exchange: jti " + record.jti + " for subject token " + jti);
  remember_exchanged_token(std::move(exchange_key),
                           {access_token, record.jti, std::move(kid), TimePoint(Seconds(iat)), record.expires_at}, now);
  return answer(access_token, exp - iat);
}

bool AuthorizationServer::ExchangedToken::reusable_at(TimePoint now) const {
  return issued_at <= now && 2 * (expires_at - now) >= expires_at - issued_at;
}

std::optional<AuthorizationServer::ExchangedToken>
AuthorizationServer::reusable_exchanged_token(const std::string& exchange_key, TimePoint now) const {
  std::optional<ExchangedToken> remembered;
  {
    std::lock_guard lock(exchanged_mutex_);
    auto it = exchanged_.find(exchange_key);
    if (it == exchanged_.end() || !it->second.reusable_at(now)) return std::nullopt;
    remembered = it->second;
  }
  {
    // After a rotation the new key signs: the old one is only kept for verifying.
    std::shared_lock lock(keys_mutex_);
    if (remembered->kid != keys_.back().key.kid()) return std::nullopt;
  }
  // Revoked since, by its client (RFC 7009) or with its grant: never handed back.
  // An entry found unusable stays until the exchange that follows replaces it.
  auto issued = grants_.find_access_token(remembered->jti);
  if (!issued || issued->revoked) return std::nullopt;
  return remembered;
}

void AuthorizationServer::remember_exchanged_token(std::string exchange_key, ExchangedToken token, TimePoint now) {
  std::lock_guard lock(exchanged_mutex_);
  if (exchanged_.size() >= max_remembered_exchanges && !exchanged_.contains(exchange_key)) {
    std::erase_if(exchanged_, [&](const auto& entry) { return !entry.second.reusable_at(now); });
    // All still live: forgetting them costs each one a new signature, nothing else.
    if (exchanged_.size() >= max_remembered_exchanges) exchanged_.clear();
  }
  exchanged_.insert_or_assign(std::move(exchange_key), std::move(token));
}

AuthorizationServer::SignedToken AuthorizationServer::client_access_token(const Grant& grant,
                                                                          const std::string& scope) const {
  auto now = clock_.now();
  auto exp = expiry(now, lifetimes_.access);
  nlohmann::json claims = {
      {"iss", identity_.issuer},
      {"sub", grant.user},
      {"aud", grant.resource},
      {"client_id", grant.client_id},
      {"scope", scope},
      {"jti", random_token(16)},
      {"iat", unix_floor(now)},
      {"exp", exp},
      {"tenant", identity_.tenant},
      {"region", identity_.region},
      {"entity", grant.entity},
  };
  return {sign(claims), {claims["jti"].get<std::string>(), grant.id, grant.client_id, {}, TimePoint(Seconds(exp)), false}};
}

std::pair<std::string, RefreshToken> AuthorizationServer::new_refresh_token(const Grant& grant,
                                                                            const std::string& scope) const {
  auto now = clock_.now();
  auto expires_at = now + lifetimes_.refresh;
  if (lifetimes_.refresh_family) expires_at = std::min(expires_at, grant.created_at + *lifetimes_.refresh_family);
  auto token = random_token(32);
  RefreshToken record{secret_digest(token), grant.id, grant.client_id, scope, now, expires_at, false, std::nullopt};
  return {std::move(token), std::move(record)};
}

TokenResponse AuthorizationServer::token_pair(const Grant& grant, const SignedToken& access, const std::string& scope,
                                              const std::string& refresh_token) const {
  TokenResponse response;
  response.subject = grant.user;
  response.body = {
      {"access_token", access.token},
      {"token_type", "Bearer"},
      {"expires_in", lifetimes_.access.count()},
      {"scope", scope},
  };
  if (!refresh_token.empty()) response.body["refresh_token"] = refresh_token;
  return response;
}

TokenResponse AuthorizationServer::revoke(const FormFields& form, const std::optional<ClientCredentials>& basic) {
  auto check = authenticate_client(form, basic);
  if (check.error) return *check.error;
  const OAuthClient& client = *check.client;
  const std::string* token = field(form, "token");
  if (!token) {
    auto response = invalid_request("token is required");
    response.client_id = client.id;
    return response;
  }
  TokenResponse done; // 200 with no body, whatever was (or wasn't) found (RFC 7009 2.2)
  done.client_id = client.id;
  if (policy_.has(IssuerMutant::revocation_noop)) return done;
  auto now = clock_.now();

  // Each yields the answer once it found the token, nullopt to search on.
  auto try_refresh = [&]() -> std::optional<TokenResponse> {
    auto record = grants_.find_refresh_token(secret_digest(*token));
    if (!record) return std::nullopt;
    if (record->client_id != client.id) {
      auto response = invalid_grant("the token was issued to another client");
      response.client_id = client.id;
      return response;
    }
    auto grant = grants_.find_grant(record->grant_id);
    if (grant) done.subject = grant->user;
    if (revoke_grant(record->grant_id, "refresh token revoked by the client (RFC 7009)") == StoreStatus::failed) {
      auto response = storage_failure();
      response.client_id = client.id;
      return response;
    }
    return done;
  };
  auto try_access = [&]() -> std::optional<TokenResponse> {
    auto verified = verify_own_token(*token);
    // An expired token of ours needs no revoking; a forged or foreign one is unknown.
    if (!verified) return std::nullopt;
    auto jti = claim_string(*verified, "jti");
    auto issued = grants_.find_access_token(jti);
    if (!issued) return std::nullopt;
    if (issued->client_id != client.id) {
      auto response = invalid_grant("the token was issued to another client");
      response.client_id = client.id;
      return response;
    }
    done.subject = claim_string(*verified, "sub");
    done.token_id = jti;
    switch (grants_.revoke_access_token(jti, now)) {
    case StoreStatus::ok:
      log(AuthEventKind::revocation, done.subject, client.id, "access token " + jti + " revoked by the client (RFC 7009)");
      break;
    case StoreStatus::failed: {
      auto response = storage_failure();
      response.client_id = client.id;
      return response;
    }
    default: break;
    }
    return done;
  };

  // token_type_hint is only a hint: the other type is searched too (RFC 7009 2.1).
  const std::string* hint = field(form, "token_type_hint");
  bool refresh_first = hint && *hint == token_type_hint_refresh;
  auto found = refresh_first ? try_refresh() : try_access();
  if (!found) found = refresh_first ? try_access() : try_refresh();
  return found ? *found : done;
}

boost::system::result<nlohmann::json> AuthorizationServer::verify_own_token(std::string_view token,
                                                                          std::optional<std::string> audience) const {
  JwtExpectations expect;
  expect.type = "at+jwt";
  expect.issuers = {identity_.issuer};
  expect.audience = std::move(audience);
  expect.now = clock_.unix_seconds();
  // Shared lock: key rotation may not swap the key set under a verification.
  std::shared_lock lock(keys_mutex_);
  return verified_tokens_.verify(token, verification_keys_, expect);
}

std::optional<nlohmann::json> AuthorizationServer::active_access_claims(std::string_view token) const {
  auto verified = verify_own_token(token);
  if (!verified) return std::nullopt;
  auto issued = grants_.find_access_token(claim_string(*verified, "jti"));
  if (!issued || issued->revoked) return std::nullopt;
  auto grant = grants_.find_grant(issued->grant_id);
  if (!grant || grant->revoked()) return std::nullopt;
  return std::move(*verified);
}

TokenResponse AuthorizationServer::introspect(const FormFields& form, const std::optional<ClientCredentials>& basic) {
  auto check = authenticate_client(form, basic);
  if (check.error) return *check.error;
  const OAuthClient& client = *check.client;
  TokenResponse response;
  response.client_id = client.id;
  if (client.type != ClientType::confidential) {
    auto refused = oauth_error(401, "invalid_client", "introspection is for authenticated confidential clients");
    refused.www_authenticate = "Basic realm=\"" + identity_.issuer + "\"";
    refused.client_id = client.id;
    return refused;
  }
  const std::string* token = field(form, "token");
  if (!token) {
    auto refused = invalid_request("token is required");
    refused.client_id = client.id;
    return refused;
  }
  response.body = inactive();

  if (auto claims = active_access_claims(*token)) {
    auto aud = claims->value("aud", nlohmann::json());
    bool visible = claim_string(*claims, "client_id") == client.id;
    if (aud.is_string()) visible = visible || clients_.may_exchange(aud.get<std::string>(), client.id);
    auto user = claim_string(*claims, "sub");
    auto entity = claim_string(*claims, "entity");
    // Active means usable now: a user who lost MCP Access holds no active token.
    if (!visible || !session_refusal(user, entity).empty()) return response;
    response.subject = user;
    response.token_id = claim_string(*claims, "jti");
    nlohmann::json body = {
        {"active", true},
        {"scope", claims->value("scope", "")},
        {"client_id", claims->value("client_id", "")},
        {"sub", user},
        {"exp", claims->value("exp", 0)},
        {"iat", claims->value("iat", 0)},
        {"iss", claims->value("iss", "")},
        {"aud", aud},
        {"jti", response.token_id},
        {"token_type", "Bearer"},
        {"tenant", claims->value("tenant", "")},
        {"entity", entity},
    };
    if (auto act = claims->find("act"); act != claims->end()) body["act"] = *act;
    response.body = std::move(body);
    return response;
  }

  // A refresh token is shown only to the client it was issued to.
  auto record = grants_.find_refresh_token(secret_digest(*token));
  if (!record || record->used || record->client_id != client.id || clock_.now() >= record->expires_at)
    return response;
  auto grant = grants_.find_grant(record->grant_id);
  if (!grant || grant->revoked() || !session_refusal(grant->user, grant->entity).empty()) return response;
  response.subject = grant->user;
  response.body = {
      {"active", true},
      {"scope", record->scope},
      {"client_id", record->client_id},
      {"sub", grant->user},
      {"exp", std::chrono::floor<Seconds>(record->expires_at.time_since_epoch()).count()},
      {"iat", unix_floor(record->issued_at)},
      {"iss", identity_.issuer},
      {"aud", grant->resource},
      {"token_type", "refresh_token"},
      {"tenant", identity_.tenant},
      {"entity", grant->entity},
  };
  return response;
}

TokenResponse AuthorizationServer::register_client(const nlohmann::json& body) {
  std::set<std::string, std::less<>> scopes(supported_scopes.begin(), supported_scopes.end());
  auto parsed = parse_client_metadata(body, scopes);
  if (!parsed.metadata) return oauth_error(400, to_string(parsed.error), parsed.description);
  if (clients_.size() >= max_clients)
    return oauth_error(503, "temporarily_unavailable", "too many registered clients");
  const ClientMetadata& metadata = *parsed.metadata;

  OAuthClient client;
  client.id = "dyn_" + random_token(16);
  client.name = metadata.client_name.empty() ? client.id : metadata.client_name;
  client.application_type = metadata.application_type;
  client.redirect_uris = metadata.redirect_uris;
  client.grant_types.insert(metadata.grant_types.begin(), metadata.grant_types.end());
  auto issued_at = clock_.unix_seconds();

  TokenResponse response;
  response.status = 201;
  response.client_id = client.id;
  response.body = {
      {"client_id", client.id},
      {"client_id_issued_at", issued_at},
      {"redirect_uris", metadata.redirect_uris},
      {"token_endpoint_auth_method", metadata.token_endpoint_auth_method},
      {"grant_types", metadata.grant_types},
      {"response_types", metadata.response_types},
      {"application_type", metadata.application_type == ApplicationType::native ? "native" : "web"},
  };
  if (!metadata.client_name.empty()) response.body["client_name"] = metadata.client_name;
  if (!metadata.scope.empty()) response.body["scope"] = metadata.scope;
  if (metadata.token_endpoint_auth_method == "none") {
    client.type = ClientType::public_client;
  } else {
    auto secret = random_token(32);
    client.type = ClientType::confidential;
    client.secret_hash = sha256(secret);
    response.body["client_secret"] = secret;
    response.body["client_secret_expires_at"] = 0; // never
  }
  if (add_client(std::move(client)) != StoreStatus::ok) return storage_failure();
  return response;
}

StoreStatus AuthorizationServer::add_client(OAuthClient client) {
  if (state_.save_client(client, clock_.now()) != StoreStatus::ok) return StoreStatus::failed;
  clients_.add_client(std::move(client));
  return StoreStatus::ok;
}

BearerVerdict AuthorizationServer::verify_api_token(std::string_view token) const {
  auto verified = verify_own_token(token, identity_.api_base);
  if (!verified) return {std::nullopt, to_string(static_cast<JwtStatus>(verified.error().value()))};
  const nlohmann::json& claims = *verified;

  AccessClaims access;
  access.subject = claim_string(claims, "sub");
  access.token_id = claim_string(claims, "jti");
  access.entity = claim_string(claims, "entity");
  access.scope = claim_string(claims, "scope");
  access.client_id = claim_string(claims, "client_id");
  if (auto act = claims.find("act"); act != claims.end() && act->is_object()) access.actor = claim_string(*act, "sub");
  if (access.subject.empty() || access.token_id.empty() || access.entity.empty())
    return {std::nullopt, "token lacks sub, jti or entity"};

  auto issued = grants_.find_access_token(access.token_id);
  if (!issued) return {std::nullopt, "token was not issued by this issuer"};
  auto grant = grants_.find_grant(issued->grant_id);
  if (!grant || grant->revoked()) return {std::nullopt, "grant revoked"};
  if (issued->revoked) return {std::nullopt, "token revoked"};
  return {std::move(access), {}};
}

StoreStatus AuthorizationServer::revoke_grant(std::string_view grant_id, std::string_view reason) {
  auto status = grants_.revoke_grant(grant_id, reason, clock_.now());
  if (status == StoreStatus::ok) {
    auto grant = grants_.find_grant(grant_id);
    log(AuthEventKind::revocation, grant ? grant->user : std::string{}, grant ? grant->client_id : std::string{},
        "grant " + std::string(grant_id) + ": " + std::string(reason));
  }
  return status;
}

std::optional<std::size_t> AuthorizationServer::revoke_user_grants(std::string_view user, std::string_view reason) {
  bool sessions_ended = true;
  {
    // Rotated credentials or a suspension end the user's browser sessions
    // too, in the store as well, or a restart would bring them back.
    std::lock_guard lock(pending_mutex_);
    std::erase_if(sessions_, [&](const auto& entry) { return entry.second.user == user; });
    sessions_ended = state_.end_browser_sessions_of(user) == StoreStatus::ok;
  }
  // The control plane names a credential rotation with this reason (suspension revokes as before).
  if (reason == "credentials rotated" && policy_.has(IssuerMutant::grants_survive_rotation)) return 0;
  auto revoked = grants_.revoke_user_grants(user, reason, clock_.now());
  if (!revoked) return std::nullopt;
  for (const auto& id : *revoked) {
    auto grant = grants_.find_grant(id);
    log(AuthEventKind::revocation, user, grant ? grant->client_id : std::string{}, "grant " + id + ": " + std::string(reason));
  }
  if (!sessions_ended) return std::nullopt;
  return revoked->size();
}

void AuthorizationServer::log(AuthEventKind kind, std::string_view user, std::string_view client,
                              std::string_view detail) {
  // The response still goes out: refusing a sign-in because the log is full
  // would hand an attacker a way to lock users out.
  if (events_.append(kind, user, client, detail) == 0)
    std::cerr << "mcpcert-backend: " << identity_.tenant << ": auth event " << to_string(kind) << " not recorded\n";
}

std::string AuthorizationServer::session_refusal(std::string_view user, std::string_view entity) const {
  const User* found = directory_.find_user(user);
  if (!found) return "user " + std::string(user) + " no longer exists";
  if (found->suspended) return "user " + std::string(user) + " is suspended";
  if (!directory_.has_mcp_access(user, entity)) return "user has no MCP Access on entity " + std::string(entity);
  return {};
}

std::string AuthorizationServer::session_gate(std::string_view user, std::string_view entity) const {
  if (!policy_.has(IssuerMutant::mcp_access_unchecked)) return session_refusal(user, entity);
  const User* found = directory_.find_user(user);
  if (!found) return "user " + std::string(user) + " no longer exists";
  if (found->suspended) return "user " + std::string(user) + " is suspended";
  return {};
}

AuthorizationServer::PendingAuthorization* AuthorizationServer::find_pending(std::string_view txn) {
  auto it = pending_.find(txn);
  if (it == pending_.end()) return nullptr;
  if (clock_.now() >= it->second.expires_at) {
    pending_.erase(it);
    return nullptr;
  }
  return &it->second;
}

void AuthorizationServer::drop_expired_pending() {
  auto now = clock_.now();
  std::erase_if(pending_, [&](const auto& entry) { return now >= entry.second.expires_at; });
  // A spent assertion can't come back once it has expired anyway.
  std::erase_if(used_assertions_, [&](const auto& entry) { return now >= entry.second; });
  // Sessions long expired go unlogged: nobody presented them (those presented are logged then).
  const auto long_ago = now - std::chrono::hours(24);
  if (std::erase_if(sessions_, [&](const auto& entry) { return long_ago >= entry.second.expires_at; }) != 0)
    (void)state_.drop_browser_sessions_expired_before(long_ago); // not waited on: they sign nobody in
}

std::string AuthorizationServer::redirect_with(const std::string& redirect_uri,
                                               const std::vector<std::pair<std::string, std::string>>& params,
                                               const std::string& state) const {
  std::string location = redirect_uri;
  char separator = redirect_uri.find('?') == std::string::npos ? '?' : '&';
  auto append = [&](std::string_view name, std::string_view value) {
    location += separator;
    location += name;
    location += '=';
    location += url_encode(value);
    separator = '&';
  };
  for (const auto& [name, value] : params) append(name, value);
  if (!state.empty()) append("state", state);
  append("iss", identity_.issuer); // RFC 9207: lets the client detect mix-up attacks
  return location;
}

std::string AuthorizationServer::error_redirect(const PendingAuthorization& pending, std::string_view error,
                                                std::string_view description) const {
  return redirect_with(pending.redirect_uri,
                       {{"error", std::string(error)}, {"error_description", std::string(description)}}, pending.state);
}

} // namespace mcpcert::backend
