#pragma once
/// The scripted client's OAuth 2.1 side, as the MCP authorization spec
/// describes a client: protected resource metadata from the 401 challenge or
/// the two well-known locations (RFC 9728), authorization server metadata
/// (RFC 8414 with path insertion, then OpenID Connect discovery), a
/// registration (pre-registered, Client ID Metadata Document, or dynamic,
/// RFC 7591), authorization code with PKCE S256 and `resource` (RFC 8707),
/// login and consent pages driven through their forms, `iss` checked on the
/// authorization response (RFC 9207), refresh, revocation (RFC 7009), and
/// step-up on 403 insufficient_scope. A registration and the tokens it got
/// are only ever presented to the issuer they belong to.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/http_agent.hpp"

namespace mcpcert::client {

/// How a client authenticates at the token and revocation endpoints
/// (RFC 6749 section 2.3.1, RFC 7591 section 2).
enum class TokenEndpointAuth { none, client_secret_basic, client_secret_post };

std::string_view to_string(TokenEndpointAuth method);
std::optional<TokenEndpointAuth> parse_token_endpoint_auth(std::string_view name);

struct ClientRegistration {
  std::string client_id;
  std::string redirect_uri;
  std::string client_secret{}; ///< empty for a public client
  /// How the secret is presented; unset: none without a secret, otherwise what
  /// the server supports, client_secret_basic first (the RFC 8414 default).
  std::optional<TokenEndpointAuth> token_endpoint_auth{};
  /// The issuer this registration was made with; empty: valid at any issuer
  /// (the world's scripted client is registered at every tenant's).
  std::string issuer{};
};

/// What the client brings to an authorization server, in the MCP spec's order
/// of preference (Client Registration Approaches): a registration made
/// beforehand, a Client ID Metadata Document, dynamic registration.
struct ClientProfile {
  std::string redirect_uri;
  std::vector<ClientRegistration> pre_registered{};
  /// The HTTPS URL of this client's metadata document, used as its client_id
  /// where the server advertises client_id_metadata_document_supported.
  std::string metadata_document_url{};
  bool dynamic_registration = true;
  std::string client_name = "mcpcert scripted client";
};

struct UserCredentials {
  std::string username;
  std::string password;
  /// Answers the issuer's second-factor page with the current one-time code,
  /// as the user's authenticator app would; unset for users without one.
  std::function<std::string()> one_time_code{};
  /// Set for a user who signs in through the tenant's identity provider
  /// (single sign-on): the account there, used instead of username/password.
  std::string sso_username{};
  std::string sso_password{};
};

struct TokenSet {
  std::string issuer;
  std::string token_endpoint; ///< where these tokens came from, and where they are refreshed
  std::string access_token;
  std::string refresh_token;
  std::string scope;
  std::string resource;           ///< the RFC 8707 resource the tokens were asked for (their audience)
  std::string authorization_code; ///< the code these tokens were redeemed from (empty after a refresh)
  std::int64_t expires_in = 0;
  nlohmann::json access_claims; ///< payload of the access token as sent (not verified: the client is not its audience)
  std::string revocation_endpoint{}; ///< the issuer's RFC 7009 endpoint, if it has one
  std::string client_id{};           ///< the client the tokens were issued to
};

/// Either tokens, or the step that failed and why.
struct AuthorizationOutcome {
  std::optional<TokenSet> tokens;
  std::string failed_step;
  std::string failure;
  std::string oauth_error; ///< `error` of an OAuth error response or redirect, if any
};

/// Protected resource metadata (RFC 9728) as the client read it.
struct DiscoveredResource {
  std::string resource;
  std::string metadata_url;
  std::vector<std::string> authorization_servers;
  std::vector<std::string> scopes_supported{};
};

/// Authorization server metadata (RFC 8414, or an OpenID provider's) as the client read it.
struct AuthorizationServerMetadata {
  std::string issuer;
  std::string metadata_url; ///< where it was found
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string registration_endpoint;
  std::string revocation_endpoint;
  std::vector<std::string> token_endpoint_auth_methods_supported;
  bool client_id_metadata_document_supported = false;
  bool iss_parameter_supported = false; ///< authorization_response_iss_parameter_supported (RFC 9207)
};

/// The Bearer challenge of a 401 or 403 (RFC 6750 section 3, RFC 9728 section 5.1).
struct BearerChallenge {
  int status = 0;
  std::string error; ///< e.g. invalid_token, insufficient_scope
  std::string scope;
  std::string resource_metadata;
};

/// The Bearer challenge of a reply, if it carries one.
std::optional<BearerChallenge> read_bearer_challenge(const HttpReply& reply);

/// Where an issuer's metadata may be, in the MCP spec's order (Authorization
/// Server Metadata Discovery): RFC 8414 and OpenID Connect with the well-known
/// path inserted before the issuer's path, then OpenID Connect appended to it.
std::vector<std::string> authorization_server_metadata_urls(const std::string& issuer);

/// Where a resource's metadata may be without a challenge naming it (RFC 9728
/// section 3.1): the well-known path inserted before the MCP URL's path, then at the root.
std::vector<std::string> protected_resource_metadata_urls(const std::string& mcp_url);

/// The union of two space-delimited scope values, in order of first appearance.
std::string scope_union(std::string_view held, std::string_view wanted);

struct RevocationOutcome {
  bool revoked = false; ///< the server answered 200 (RFC 7009 section 2.2: also for unknown tokens)
  int status = 0;
  std::string failure;
  std::string oauth_error;
};

class OAuthClient {
public:
  /// A client that only ever uses `registration` (its issuer, or any issuer if it names none).
  OAuthClient(HttpAgent& agent, ClientRegistration registration);
  /// A client that finds or makes a registration per issuer, as `profile` allows.
  OAuthClient(HttpAgent& agent, ClientProfile profile);

  /// Runs the whole flow for `user` against the MCP server at `mcp_url`,
  /// choosing `issuer` among the servers its metadata lists. `resource`
  /// replaces the discovered one at /authorize and /token (a token meant for
  /// another server); empty asks for the MCP server's own.
  /// `approve_consent` false presses Deny on the consent page.
  AuthorizationOutcome authorize(const std::string& mcp_url, const std::string& issuer, const UserCredentials& user,
                                 const std::string& scope, const std::string& resource = {}, bool approve_consent = true);

  /// Authorization as an MCP client does it on the server's `challenge` (a 401
  /// or a 403 insufficient_scope of `mcp_url`): metadata from the challenge or
  /// the well-known locations, the resource's first authorization server
  /// unless `issuer` is given, and the scope asked for: `scope` if given, else
  /// the challenge's, else the resource's scopes_supported, else none.
  AuthorizationOutcome authorize_on_challenge(const std::string& mcp_url, const HttpReply& challenge, const UserCredentials& user,
                                              const std::string& scope = {}, const std::string& issuer = {});

  /// The refresh_token grant (RFC 6749 section 6) at `current.token_endpoint`
  /// with `refresh_token`, for `resource` (RFC 8707); new tokens or why not.
  AuthorizationOutcome refresh(const TokenSet& current, const std::string& refresh_token, const std::string& resource);

  /// Revokes `token` (RFC 7009) at the issuer of `tokens`; `token_type_hint`
  /// is access_token, refresh_token or empty.
  RevocationOutcome revoke(const TokenSet& tokens, const std::string& token, const std::string& token_type_hint = {});

  /// The resource's metadata: from `metadata_url` (a challenge's
  /// resource_metadata) when given, else from the well-known locations.
  std::optional<DiscoveredResource> discover_resource(const std::string& mcp_url, const std::string& metadata_url,
                                                      AuthorizationOutcome& outcome);
  /// The issuer's metadata from the first location that has it; a document
  /// naming another issuer is refused (RFC 8414 section 3.3).
  std::optional<AuthorizationServerMetadata> discover_authorization_server(const std::string& issuer, AuthorizationOutcome& outcome);
  /// This client's registration at the server: pre-registered, else its
  /// metadata document URL, else registered dynamically (once per issuer).
  std::optional<ClientRegistration> registration_for(const AuthorizationServerMetadata& server, AuthorizationOutcome& outcome);

private:
  std::optional<DiscoveredResource> discover(const std::string& mcp_url, AuthorizationOutcome& outcome);
  std::optional<ClientRegistration> register_dynamically(const AuthorizationServerMetadata& server, AuthorizationOutcome& outcome);
  /// The registration made with `issuer`, if this client has one.
  std::optional<ClientRegistration> known_registration(const std::string& issuer) const;
  AuthorizationOutcome run_code_flow(const AuthorizationServerMetadata& server, const ClientRegistration& registration,
                                     const UserCredentials& user, const std::string& scope, const std::string& resource,
                                     bool approve_consent);

  HttpAgent& agent_;
  ClientProfile profile_;
  std::map<std::string, ClientRegistration> registered_; ///< dynamic registrations, by issuer
  std::map<std::string, AuthorizationServerMetadata> servers_; ///< metadata read, by issuer
};

/// One user's tokens for one MCP server, kept up to date by the server's
/// challenges (MCP authorization, Scope Challenge Handling): a 401 authorizes,
/// a 403 insufficient_scope re-authorizes with the union of the scopes held and
/// the challenged ones. Pass it to McpClient::set_reauthorizer.
class ChallengeResponder {
public:
  ChallengeResponder(OAuthClient& oauth, std::string mcp_url, UserCredentials user, std::string issuer = {})
      : oauth_(oauth), mcp_url_(std::move(mcp_url)), user_(std::move(user)), issuer_(std::move(issuer)) {}

  /// A new access token to retry with, or nothing when the reply is no
  /// challenge this client can answer (or authorization failed: see last_outcome).
  std::optional<std::string> operator()(const HttpReply& reply);

  const std::optional<TokenSet>& tokens() const { return tokens_; }
  const AuthorizationOutcome& last_outcome() const { return last_; }
  int authorizations() const { return authorizations_; }

private:
  OAuthClient& oauth_;
  std::string mcp_url_;
  UserCredentials user_;
  std::string issuer_;
  std::optional<TokenSet> tokens_;
  AuthorizationOutcome last_;
  int authorizations_ = 0;
};

} // namespace mcpcert::client
