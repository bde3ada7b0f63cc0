#pragma once
/// OAuth clients the tenant's authorization server knows (from the fixture,
/// the control API or RFC 7591 dynamic registration), and the protected
/// resources (MCP server URLs) tokens may be issued for.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpcert::backend {

inline constexpr std::string_view grant_authorization_code = "authorization_code";
inline constexpr std::string_view grant_refresh_token = "refresh_token";
inline constexpr std::string_view grant_token_exchange = "urn:ietf:params:oauth:grant-type:token-exchange";

enum class ClientType { public_client, confidential };
/// OpenID Connect Dynamic Registration's application_type: which redirect URIs a client may register.
enum class ApplicationType { web, native };

struct OAuthClient {
  std::string id;
  std::string name;
  ClientType type = ClientType::public_client;
  ApplicationType application_type = ApplicationType::web;
  std::vector<std::string> redirect_uris;
  std::string secret_hash; ///< sha256 of the secret; empty for public clients
  std::set<std::string, std::less<>> grant_types;

  bool may_use(std::string_view grant_type) const { return grant_types.contains(grant_type); }
  /// Some registered redirect URI matches `requested` (see redirect_uri_matches).
  bool accepts_redirect(std::string_view requested) const;
};

/// Exact match, except that for a loopback http redirect URI (127.0.0.1, [::1],
/// localhost) any port is accepted, as native apps bind an ephemeral one (RFC 8252 7.3).
bool redirect_uri_matches(std::string_view registered, std::string_view requested);

/// A client as the fixture or the control API describes it; the secret is hashed here.
struct ClientParse {
  std::optional<OAuthClient> client;
  std::string field; ///< the offending field when `client` is empty
  std::string problem;
};
/// Unknown fields, a public client with a secret, a confidential one without
/// (or with one under 16 characters) are refused. Public clients default to
/// authorization_code + refresh_token, confidential ones to token exchange.
ClientParse parse_client(const nlohmann::json& description);

/// Why an RFC 7591 registration request is refused, as its error codes name it.
enum class RegistrationError { none, invalid_redirect_uri, invalid_client_metadata };
const char* to_string(RegistrationError error);

/// What a dynamically registered client asked for, checked; id and secret come later.
struct ClientMetadata {
  std::vector<std::string> redirect_uris;
  std::string token_endpoint_auth_method; ///< none, client_secret_basic or client_secret_post
  std::vector<std::string> grant_types;
  std::vector<std::string> response_types;
  ApplicationType application_type = ApplicationType::web;
  std::string client_name;
  std::string scope; ///< empty when not asked for
};

struct ClientMetadataParse {
  std::optional<ClientMetadata> metadata;
  RegistrationError error = RegistrationError::none;
  std::string description;
};

/// RFC 7591 section 2 metadata with its defaults (client_secret_basic,
/// authorization_code, code, web). Redirect URIs: https for any client, http
/// only on a loopback host (any port at use), a private-use scheme
/// ("com.example.app:/cb", RFC 8252 7.1) only for native clients; never a
/// fragment. Token exchange is not for dynamically registered clients.
/// Unknown metadata is ignored, as section 2 asks.
ClientMetadataParse parse_client_metadata(const nlohmann::json& body, const std::set<std::string, std::less<>>& scopes);

/// A Client ID Metadata Document fetched from `url`: `client_id` equal to
/// `url` exactly, a public client (token_endpoint_auth_method `none`: a
/// document can't hold a shared secret), otherwise RFC 7591 metadata as
/// parse_client_metadata reads it. The client's id is the URL.
ClientParse parse_client_metadata_document(std::string_view url, const nlohmann::json& document,
                                           const std::set<std::string, std::less<>>& scopes);

/// Thread-safe: dynamic registration adds clients while other requests read them.
class ClientRegistry {
public:
  ClientRegistry() = default;
  /// Moves the registrations; only while nothing else uses either registry (start-up).
  ClientRegistry(ClientRegistry&& other) noexcept;
  ClientRegistry& operator=(ClientRegistry&&) = delete;

  /// Replaces a client of the same id.
  void add_client(OAuthClient client);
  /// A copy, so a concurrent replacement can't pull it from under the caller.
  std::optional<OAuthClient> find(std::string_view id) const;
  std::size_t size() const;
  /// Compares hashes in constant time, so the comparison leaks neither content nor length.
  bool secret_matches(const OAuthClient& client, std::string_view secret) const;

  /// A resource that authorization requests may name and whose tokens `client_id` may exchange.
  void register_resource(std::string resource, std::string client_id);
  bool is_registered(std::string_view resource) const;
  bool may_exchange(std::string_view resource, std::string_view client_id) const;

private:
  mutable std::shared_mutex mutex_;
  std::map<std::string, OAuthClient, std::less<>> clients_;
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> resources_;
};

} // namespace mcpcert::backend
