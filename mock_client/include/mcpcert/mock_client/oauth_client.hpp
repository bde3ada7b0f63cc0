#pragma once
/// The scripted client's OAuth 2.1 side, as the MCP authorization spec
/// describes a client: discovery from the 401 challenge (RFC 9728), server
/// metadata (RFC 8414), authorization code with PKCE S256 and `resource`
/// (RFC 8707), login and consent pages driven through their forms, and `iss`
/// checked on the authorization response (RFC 9207).

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/http_agent.hpp"

namespace mcpcert::client {

struct ClientRegistration {
  std::string client_id;
  std::string redirect_uri;
};

struct UserCredentials {
  std::string username;
  std::string password;
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
};

/// Either tokens, or the step that failed and why.
struct AuthorizationOutcome {
  std::optional<TokenSet> tokens;
  std::string failed_step;
  std::string failure;
  std::string oauth_error; ///< `error` of an OAuth error response or redirect, if any
};

struct DiscoveredResource {
  std::string resource;
  std::string metadata_url;
  std::vector<std::string> authorization_servers;
};

class OAuthClient {
public:
  OAuthClient(HttpAgent& agent, ClientRegistration registration) : agent_(agent), registration_(std::move(registration)) {}

  /// Runs the whole flow for `user` against the MCP server at `mcp_url`,
  /// choosing `issuer` among the servers its metadata lists. `resource`
  /// replaces the discovered one at /authorize and /token (a token meant for
  /// another server); empty asks for the MCP server's own.
  /// `approve_consent` false presses Deny on the consent page.
  AuthorizationOutcome authorize(const std::string& mcp_url, const std::string& issuer, const UserCredentials& user,
                                 const std::string& scope, const std::string& resource = {}, bool approve_consent = true);

  /// The refresh_token grant (RFC 6749 section 6) at `current.token_endpoint`
  /// with `refresh_token`, for `resource` (RFC 8707); new tokens or why not.
  AuthorizationOutcome refresh(const TokenSet& current, const std::string& refresh_token, const std::string& resource);

private:
  std::optional<DiscoveredResource> discover(const std::string& mcp_url, AuthorizationOutcome& outcome);

  HttpAgent& agent_;
  ClientRegistration registration_;
};

} // namespace mcpcert::client
