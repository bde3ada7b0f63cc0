#pragma once
/// The tenant's OAuth 2.1 authorization server, without HTTP: authorization
/// code with PKCE (S256 only), refresh with rotation and reuse detection,
/// token exchange (RFC 8693) for the connector, revocation (RFC 7009),
/// introspection (RFC 7662), dynamic client registration (RFC 7591) and
/// signing-key rotation. Every outcome is a value the issuer endpoint turns
/// into a response; every authentication event goes to the tenant's log.
///
/// Thread-safe as long as the tenant directory is not changed meanwhile (the
/// tenant's lock orders admin changes against requests).

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/jwt.hpp"
#include "mcpcert/mock_backend/account_lockout.hpp"
#include "mcpcert/mock_backend/auth_event_log.hpp"
#include "mcpcert/mock_backend/client_metadata_documents.hpp"
#include "mcpcert/mock_backend/client_registry.hpp"
#include "mcpcert/mock_backend/grant_store.hpp"
#include "mcpcert/mock_backend/issuer_state_store.hpp"
#include "mcpcert/mock_backend/tenant_directory.hpp"

namespace mcpcert::backend {

inline constexpr std::string_view token_type_access_token = "urn:ietf:params:oauth:token-type:access_token";
inline constexpr std::string_view scope_finance_read = "finance:read";
inline constexpr std::string_view scope_finance_write = "finance:write";
inline constexpr std::string_view scope_planning_read = "planning:read";
inline constexpr std::string_view scope_planning_write = "planning:write";
inline constexpr std::string_view scope_offline_access = "offline_access";

/// Where the tenant lives and how it is addressed; the URLs are known once listeners are bound.
struct IssuerIdentity {
  std::string tenant;
  std::string region;
  std::string issuer;   ///< the issuer listener's base URL, no trailing slash
  std::string api_base; ///< the API listener's base URL: the audience of exchanged tokens
  /// What an authorization request without `scope` gets: the read scope of the tenant's product.
  std::string default_scope{scope_finance_read};
};

struct TokenLifetimes {
  Seconds access{3600};
  Seconds refresh{2'592'000};
  Seconds code{60};
  Seconds pending_authorization{600};
  /// Upper bound of an exchanged (backend-audience) token.
  Seconds exchanged{300};
  /// Absolute limit of a grant's refresh family, counted from consent; none by default.
  std::optional<Seconds> refresh_family;
  /// A browser sign-in session: within it the issuer asks for no password again (consent still).
  Seconds browser_session{8 * 3600};
};

/// Deliberate defects of the authorization server that each break exactly one
/// promise, so the harness can prove its checks of that promise bite. Only a
/// start with the test-only switch (`mcpcert-backend --test-only-mutant`,
/// MCPCERT_ALLOW_MUTANTS=1) switches one on.
enum class IssuerMutant {
  pkce_plain_accepted,     ///< accepts code_challenge_method=plain whatever the policy says
  code_reusable,           ///< a replayed authorization code is refused but revokes nothing, and redeems again
  consent_auto_approved,   ///< no consent page: signing in approves
  refresh_not_rotated,     ///< a refresh hands the presented refresh token back
  refresh_old_token_valid, ///< a refresh issues a new refresh token and keeps the old one valid
  refresh_reuse_ignored,   ///< a reused refresh token is refused but its family stands
  refresh_never_expires,   ///< refresh tokens are accepted after their expiry
  revocation_noop,         ///< /revoke answers 200 and revokes nothing
  grants_survive_rotation, ///< credential rotation revokes no grant
  mcp_access_unchecked,    ///< MCP Access checked only at token exchange, not at authorize, token or refresh
};

/// A mutant's switch name, the claim it breaks and what it does.
struct IssuerMutantInfo {
  IssuerMutant mutant;
  const char* name;
  const char* claim;
  const char* defect;
};

const std::vector<IssuerMutantInfo>& issuer_mutant_catalogue();
std::optional<IssuerMutant> issuer_mutant_from_name(std::string_view name);

/// How this issuer applies the rules where OAuth leaves a choice (all per tenant).
struct IssuerPolicy {
  /// How long a rotated refresh token may still be presented (the same
  /// successor is not handed out again: a new one is, and the family stands).
  /// 0: strictly one-time; any later presentation is reuse.
  Seconds refresh_grace{0};
  /// PKCE `plain` (RFC 7636 4.2) besides S256; OAuth 2.1 wants S256 wherever the client can.
  bool allow_plain_pkce = false;
  /// Refresh tokens only for authorizations that asked for `offline_access`
  /// (OpenID Connect Core 11); otherwise every code redemption gets one.
  bool refresh_requires_offline_access = false;
  /// Hosts (`host[:port]`) client ID metadata documents are fetched from; empty: documents off.
  std::vector<std::string> client_document_hosts;
  /// Whom an https document host must prove itself to; null: the machine's certificate store.
  std::shared_ptr<const http::TlsTrust> client_document_trust;
  std::set<IssuerMutant> mutants;
  bool has(IssuerMutant mutant) const { return mutants.count(mutant) != 0; }
};

/// Shown instead of redirecting, when the redirect target can't be trusted (RFC 6749 4.1.2.1).
struct ErrorPage {
  unsigned status = 400;
  std::string message;
};
/// 302 to the client's redirect URI, carrying either a code or an error, plus state and iss.
struct Redirect {
  std::string location;
};
/// "Sign in with <provider>": a GET form to the identity provider's login page.
struct SingleSignOnOffer {
  std::string provider_name;
  std::string login_url;
  FormFields fields; ///< rp, nonce, relay_state
};
struct LoginForm {
  std::string txn;
  std::string client_name;
  std::string error; ///< set after a failed attempt
  std::optional<SingleSignOnOffer> single_sign_on{};
};
/// After a correct password, for a user with a second factor: the one-time code.
struct SecondFactorForm {
  std::string txn;
  std::string client_name;
  std::string error; ///< set after a refused code
};
struct ConsentForm {
  std::string txn;
  std::string client_name;
  std::string user; ///< user id
  std::string user_name;
  std::string scope;
  std::string entity;
  std::string entity_name;
  /// A browser session begun by this sign-in, for the session cookie; empty when none began.
  std::string new_session{};
};
using AuthorizationStep = std::variant<ErrorPage, Redirect, LoginForm, ConsentForm, SecondFactorForm>;

struct ClientCredentials {
  std::string client_id;
  std::string client_secret;
};

/// An answer of /token, /revoke, /introspect or /register: a status with a
/// JSON body (none for a plain 200 of /revoke), or an RFC 6749 5.2 error.
/// Also says who the request concerned, for the audit.
struct TokenResponse {
  unsigned status = 200;
  nlohmann::json body; ///< null: no body
  std::string www_authenticate; ///< set with 401 invalid_client
  std::string client_id;
  std::string subject;
  std::string token_id; ///< jti of the subject token, for token exchange

  bool ok() const { return status == 200; }
  std::string error() const { return body.is_object() ? body.value("error", "") : std::string{}; }
};

/// The identity provider a tenant trusts for single sign-on: who it is and its keys.
struct IdentityProviderTrust {
  std::string id;
  std::string name;
  std::string issuer; ///< `iss` of its assertions
  std::string login_url;
  JwkSet keys;
};

/// The outcome of the sign-out endpoint.
struct SignOut {
  bool ended = false; ///< false: there was no live session to end, or `refused`
  std::string user;
  bool refused = false; ///< the state database could not end it: the session stands
};

/// The claims of a valid access token that the API acts on.
struct AccessClaims {
  std::string subject;
  std::string actor;
  std::string client_id;
  std::string token_id;
  std::string scope;
  std::string entity;
};

/// Either the claims or why the token was refused.
struct BearerVerdict {
  std::optional<AccessClaims> claims;
  std::string problem;
};

/// The outcome of a signing-key rotation.
struct KeyRotation {
  std::string kid;
  std::string previous_kid;
  /// The previous key leaves the JWKS then: every token it signed has expired by that time.
  TimePoint previous_published_until;
};

bool scope_contains(std::string_view scope, std::string_view wanted);

class AuthorizationServer {
public:
  /// Takes up the signing keys `state` holds, or makes and stores the first
  /// one; throws StorageError when it can't (start-up only).
  AuthorizationServer(IssuerIdentity identity, TokenLifetimes lifetimes, const Clock& clock,
                      TenantDirectory& directory, ClientRegistry& clients, GrantStore& grants, AuthEventLog& events,
                      IssuerStateStore& state, IssuerPolicy policy = {});

  const IssuerIdentity& identity() const { return identity_; }
  const IssuerPolicy& policy() const { return policy_; }
  /// Where URL client_ids are resolved before a request reaches authorize, token or revoke.
  ClientMetadataDocuments& client_documents() { return documents_; }
  /// RFC 8414 metadata (also served as openid-configuration).
  nlohmann::json metadata() const;
  /// The current key and every previous one still verifying unexpired tokens.
  nlohmann::json jwks() const;
  /// A new signing key with a new kid; the previous one stays published
  /// until every token it signed has expired, so verifiers that refresh
  /// their JWKS on an unknown kid never see a gap. Stored before it signs;
  /// nullopt (and the old key still signing) when the store refused.
  std::optional<KeyRotation> rotate_signing_key();
  /// Adds or replaces a client registered at run time, stored first; failed
  /// (and the registry unchanged) when the store refused.
  StoreStatus add_client(OAuthClient client);

  /// GET /authorize with its query parameters. With the id of a live browser
  /// session (the cookie) the user is not asked to sign in again: consent follows.
  AuthorizationStep authorize(const FormFields& query, std::string_view session = {});
  /// Sign-in pages offer "Sign in with <provider>" from now on (set up once, before serving).
  void trust_identity_provider(IdentityProviderTrust trust);
  /// POST /authorize/sso: the identity provider's signed assertion for the
  /// sign-in `relay_state` names; checked (signature, issuer, audience,
  /// expiry, nonce, single use) before the linked user gets the consent page.
  AuthorizationStep single_sign_on(std::string_view relay_state, std::string_view assertion);
  /// Ends the browser session `session` (the cookie's value).
  SignOut sign_out(std::string_view session);
  /// The session cookie's name: one per tenant, as issuers on one host share cookies.
  std::string session_cookie_name() const { return "mcpcert_session_" + identity_.tenant; }
  AuthorizationStep login(std::string_view txn, std::string_view username, std::string_view password);
  /// The one-time code (RFC 6238) of a user whose password was right: the
  /// current step +-1 on the issuer's clock, each code at most once per user.
  AuthorizationStep second_factor(std::string_view txn, std::string_view code);
  AuthorizationStep consent(std::string_view txn, std::string_view decision);

  /// POST /token; `basic` holds the client credentials of an Authorization: Basic header.
  TokenResponse token(const FormFields& form, const std::optional<ClientCredentials>& basic);
  /// A /token request refused before its form could be read (wrong Content-Type,
  /// repeated parameter, malformed Basic credentials); logged like any /token error.
  TokenResponse refuse_token_request(unsigned status, std::string_view error, std::string_view description);
  /// POST /revoke (RFC 7009): clients authenticate as at /token. A refresh token
  /// takes its grant (family and access tokens) with it; an access token its jti
  /// and the tokens exchanged from it. Unknown, expired or already revoked
  /// tokens still give 200; a token of another client gives invalid_grant.
  TokenResponse revoke(const FormFields& form, const std::optional<ClientCredentials>& basic);
  /// POST /introspect (RFC 7662): confidential clients only. A token the caller
  /// may not see (neither its client nor the resource server of its audience)
  /// is reported exactly like an inactive one.
  TokenResponse introspect(const FormFields& form, const std::optional<ClientCredentials>& basic);
  /// POST /register (RFC 7591) with the parsed JSON body: 201 with client_id
  /// (and client_secret for a confidential client) and the registered metadata.
  TokenResponse register_client(const nlohmann::json& metadata);

  /// For the tenant API: an at+jwt from this issuer, for this API, whose grant still stands.
  BearerVerdict verify_api_token(std::string_view token) const;

  /// Revokes the grant and so every token derived from it; logs the revocation.
  StoreStatus revoke_grant(std::string_view grant_id, std::string_view reason);
  /// Credential rotation and suspension: every standing grant and browser
  /// session of `user`; how many grants were revoked, or nullopt when the
  /// store refused either (both are still ended as far as it could).
  std::optional<std::size_t> revoke_user_grants(std::string_view user, std::string_view reason);
  /// An administrator set a new password: wrong guesses of the old one no
  /// longer count, and a lockout they caused ends. False when the state
  /// store refused: they end now but would be back after a restart.
  bool forget_failed_sign_ins(std::string_view user) { return lockout_.record_success(user); }

private:
  struct PendingAuthorization {
    std::string client_id;
    std::string redirect_uri;
    std::string code_challenge;
    std::string resource;
    std::string scope;
    std::string state;
    TimePoint expires_at;
    std::string user; ///< set once the user signed in
    std::string entity;
    int failed_logins = 0;
    std::string awaiting_code_of; ///< the user whose password was right, until the second factor is
    int failed_codes = 0;
    std::string sso_nonce; ///< binds an identity provider's assertion to this sign-in
  };
  struct BrowserSession {
    std::string user;
    TimePoint expires_at;
  };

  PendingAuthorization* find_pending(std::string_view txn);
  /// The user is authenticated: the session gate, the sign_in event, then consent.
  AuthorizationStep complete_sign_in(std::string_view txn, PendingAuthorization& pending, const User& user,
                                     std::string_view method, bool begin_session);
  LoginForm login_form(std::string_view txn, const PendingAuthorization& pending, std::string error) const;
  /// The user of a live browser session; empty otherwise (an expired one is logged and dropped).
  std::string session_user(std::string_view session, std::string_view client);
  /// Ends a sign-in in progress with an error redirect and a sign_in_failure event.
  AuthorizationStep abandon_sign_in(std::string_view txn, const PendingAuthorization& pending, std::string_view user,
                                    std::string_view event_detail, std::string_view description);
  /// Records the grant and its code; the redirect carrying the code (or server_error).
  AuthorizationStep approve(PendingAuthorization pending);
  void drop_expired_pending();
  std::string redirect_with(const std::string& redirect_uri,
                            const std::vector<std::pair<std::string, std::string>>& params,
                            const std::string& state) const;
  std::string error_redirect(const PendingAuthorization& pending, std::string_view error,
                             std::string_view description) const;

  /// A registered client or, for a URL client_id, the one its metadata document describes.
  ClientDocumentLookup find_client(std::string_view id) const;
  struct ClientCheck;
  ClientCheck authenticate_client(const FormFields& form, const std::optional<ClientCredentials>& basic) const;

  TokenResponse redeem_code(const OAuthClient& client, const FormFields& form);
  TokenResponse refresh(const OAuthClient& client, const FormFields& form);
  TokenResponse exchange(const OAuthClient& client, const FormFields& form);
  /// An exchanged token as this issuer remembers it, to hand it back to the same exchange.
  struct ExchangedToken {
    std::string token;
    std::string jti;
    std::string kid;
    TimePoint issued_at;
    TimePoint expires_at;
    /// Not handed back once less than half its life is left (nor with the clock before its iat).
    bool reusable_at(TimePoint now) const;
  };
  /// The token this issuer exchanged before for `exchange_key`, if it is still
  /// reusable at `now`, signed with the current key and not revoked since.
  std::optional<ExchangedToken> reusable_exchanged_token(const std::string& exchange_key, TimePoint now) const;
  void remember_exchanged_token(std::string exchange_key, ExchangedToken token, TimePoint now);
  /// The first redemption's grant dies with a replayed code or refresh token (RFC 9700 4.14).
  TokenResponse reuse_detected(const Grant& grant, std::string_view what);
  struct SignedToken {
    std::string token;
    IssuedAccessToken record; ///< for the store
  };
  /// A client access token for `grant` (audience: its resource), not yet stored.
  SignedToken client_access_token(const Grant& grant, const std::string& scope) const;
  /// A fresh refresh token of `grant`'s family and its stored form.
  std::pair<std::string, RefreshToken> new_refresh_token(const Grant& grant, const std::string& scope) const;
  /// 200 with an access and a refresh token.
  TokenResponse token_pair(const Grant& grant, const SignedToken& access, const std::string& scope,
                           const std::string& refresh_token) const;
  /// Signs with the current key; `kid`, when given, receives that key's id.
  std::string sign(const nlohmann::json& claims, std::string* kid = nullptr) const;
  /// Why the user may not (any more) use MCP on `entity`; empty when they may.
  std::string session_refusal(std::string_view user, std::string_view entity) const;
  /// session_refusal at sign-in, consent, code redemption and refresh (what
  /// the mcp-access-unchecked mutant weakens; token exchange keeps the full check).
  std::string session_gate(std::string_view user, std::string_view entity) const;
  /// The claims of an unexpired, unrevoked access token of this issuer whose grant stands.
  std::optional<nlohmann::json> active_access_claims(std::string_view token) const;
  void log(AuthEventKind kind, std::string_view user, std::string_view client, std::string_view detail);
  /// Appended to the event of the failure that locks an account.
  std::string lockout_started_note() const;

  struct SigningKey {
    EcSigningKey key;
    std::optional<TimePoint> published_until; ///< set once a newer key replaced it
  };

  IssuerIdentity identity_;
  TokenLifetimes lifetimes_;
  IssuerPolicy policy_;
  const Clock& clock_;
  TenantDirectory& directory_;
  ClientRegistry& clients_;
  GrantStore& grants_;
  AuthEventLog& events_;
  IssuerStateStore& state_;
  ClientMetadataDocuments documents_;

  /// A token this issuer signed: signature with any of its keys, typ at+jwt,
  /// iss, exp, and `audience` when given.
  boost::system::result<nlohmann::json> verify_own_token(std::string_view token,
                                                         std::optional<std::string> audience = std::nullopt) const;

  mutable std::shared_mutex keys_mutex_; // rotation against signing and verification
  std::vector<SigningKey> keys_;         // the last one signs
  JwkSet verification_keys_;             // every key ever used: a retired key's tokens fail on exp anyway
  /// Spares the tokens this issuer signed (they are remembered when signed)
  /// and any token presented again the signature check; claims are checked
  /// each time. It keys entries by kid and public point, so rotation needs nothing.
  /// Most entries are exchanged tokens: a small bound (about 3 MB) loses
  /// only a re-verification per live subject token each time it fills.
  mutable VerifiedJwtCache verified_tokens_{1024};

  std::mutex pending_mutex_; // sign-ins in progress, touched by every authorize step
  std::map<std::string, PendingAuthorization, std::less<>> pending_;
  /// Per user, the newest TOTP step accepted: that code and older ones are
  /// spent (RFC 6238 5.2); kept in the state store too. Guarded by pending_mutex_.
  std::map<std::string, std::uint64_t, std::less<>> last_totp_step_;
  /// Wrong passwords and one-time codes in a row, per account, across sign-ins
  /// and restarts (journaled in state_).
  AccountLockout lockout_;
  std::optional<IdentityProviderTrust> identity_provider_; // set before serving, read-only after
  /// Assertion ids already used, until their expiry (guarded by pending_mutex_).
  std::map<std::string, TimePoint, std::less<>> used_assertions_;
  /// Browser sessions by the SHA-256 of their id (guarded by pending_mutex_).
  std::map<std::string, BrowserSession, std::less<>> sessions_;

  /// Exchanged tokens by subject token jti, client, scope and entity: a
  /// repeated exchange gets the token it got before while that has half its
  /// life left, sparing a signature and a store write per call. In memory
  /// only: after a restart tokens are simply minted anew.
  mutable std::mutex exchanged_mutex_;
  std::map<std::string, ExchangedToken, std::less<>> exchanged_;
};

} // namespace mcpcert::backend
