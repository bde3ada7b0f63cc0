#pragma once
/// The tenant's OAuth 2.1 authorization server, without HTTP: authorization
/// code with PKCE (S256 only), refresh with rotation and reuse detection, and
/// token exchange (RFC 8693) for the connector. Every outcome is a value the
/// issuer endpoint turns into a response.

#include <cstdint>
#include <map>
#include <optional>
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
#include "mcpcert/mock_backend/client_registry.hpp"
#include "mcpcert/mock_backend/grant_store.hpp"
#include "mcpcert/mock_backend/tenant_directory.hpp"

namespace mcpcert::backend {

inline constexpr std::string_view token_type_access_token = "urn:ietf:params:oauth:token-type:access_token";
inline constexpr std::string_view scope_finance_read = "finance:read";
inline constexpr std::string_view scope_finance_write = "finance:write";

/// Where the tenant lives and how it is addressed; the URLs are known once listeners are bound.
struct IssuerIdentity {
  std::string tenant;
  std::string region;
  std::string issuer;   ///< the issuer listener's base URL, no trailing slash
  std::string api_base; ///< the API listener's base URL: the audience of exchanged tokens
};

struct TokenLifetimes {
  Seconds access{3600};
  Seconds refresh{2'592'000};
  Seconds code{60};
  Seconds pending_authorization{600};
  /// Upper bound of an exchanged (backend-audience) token.
  Seconds exchanged{300};
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
struct LoginForm {
  std::string txn;
  std::string client_name;
  std::string error; ///< set after a failed attempt
};
struct ConsentForm {
  std::string txn;
  std::string client_name;
  std::string user; ///< user id
  std::string user_name;
  std::string scope;
  std::string entity;
  std::string entity_name;
};
using AuthorizationStep = std::variant<ErrorPage, Redirect, LoginForm, ConsentForm>;

struct ClientCredentials {
  std::string client_id;
  std::string client_secret;
};

/// A token endpoint answer: 200 with tokens, or an RFC 6749 5.2 error. Also
/// says who the request concerned, for the audit.
struct TokenResponse {
  unsigned status = 200;
  nlohmann::json body;
  std::string www_authenticate; ///< set with 401 invalid_client
  std::string client_id;
  std::string subject;
  std::string token_id; ///< jti of the subject token, for token exchange

  bool ok() const { return status == 200; }
  std::string error() const { return body.is_object() ? body.value("error", "") : std::string{}; }
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

bool scope_contains(std::string_view scope, std::string_view wanted);

class AuthorizationServer {
public:
  AuthorizationServer(IssuerIdentity identity, TokenLifetimes lifetimes, const Clock& clock,
                      TenantDirectory& directory, ClientRegistry& clients, GrantStore& grants);

  const IssuerIdentity& identity() const { return identity_; }
  /// RFC 8414 metadata (also served as openid-configuration).
  nlohmann::json metadata() const;
  nlohmann::json jwks() const;

  /// GET /authorize with its query parameters.
  AuthorizationStep authorize(const FormFields& query);
  AuthorizationStep login(std::string_view txn, std::string_view username, std::string_view password);
  AuthorizationStep consent(std::string_view txn, std::string_view decision);

  /// POST /token; `basic` holds the client credentials of an Authorization: Basic header.
  TokenResponse token(const FormFields& form, const std::optional<ClientCredentials>& basic);

  /// For the tenant API: an at+jwt from this issuer, for this API, whose grant still stands.
  BearerVerdict verify_api_token(std::string_view token) const;

  /// Revokes the grant and so every token derived from it.
  void revoke_grant(std::string_view grant_id, std::string_view reason);

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
  };

  PendingAuthorization* find_pending(std::string_view txn);
  void drop_expired_pending();
  std::string redirect_with(const std::string& redirect_uri,
                            const std::vector<std::pair<std::string, std::string>>& params,
                            const std::string& state) const;
  std::string error_redirect(const PendingAuthorization& pending, std::string_view error,
                             std::string_view description) const;

  struct ClientCheck;
  ClientCheck authenticate_client(const FormFields& form, const std::optional<ClientCredentials>& basic) const;

  TokenResponse redeem_code(const OAuthClient& client, const FormFields& form);
  TokenResponse refresh(const OAuthClient& client, const FormFields& form);
  TokenResponse exchange(const OAuthClient& client, const FormFields& form);
  /// An access + refresh token pair for a standing grant.
  TokenResponse issue_tokens(const Grant& grant, const std::string& access_scope, const std::string& refresh_scope);
  /// Why the user may not (any more) use MCP on `entity`; empty when they may.
  std::string session_refusal(std::string_view user, std::string_view entity) const;

  IssuerIdentity identity_;
  TokenLifetimes lifetimes_;
  const Clock& clock_;
  TenantDirectory& directory_;
  ClientRegistry& clients_;
  GrantStore& grants_;
  EcSigningKey key_;
  JwkSet verification_keys_;
  std::map<std::string, PendingAuthorization, std::less<>> pending_;
};

} // namespace mcpcert::backend
