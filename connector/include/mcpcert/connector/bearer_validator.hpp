#pragma once
/// Validates bearer tokens as an OAuth 2.1 resource server: signature through
/// the issuer's JWKS (fetched from configuration, never from the token),
/// ES256 pinned, typ at+jwt, iss among the tenants the requested MCP URL
/// serves, aud equal to that URL, exp/nbf with a bounded leeway.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/connector/connector_config.hpp"
#include "mcpcert/connector/mcp_resource.hpp"
#include "mcpcert/jwt.hpp"

namespace mcpcert::connector {

/// Who a validated token speaks for.
struct AccessIdentity {
  std::string token; ///< the raw token, used only as the subject of a token exchange
  std::string issuer;
  std::string subject;
  std::string client_id;
  std::string tenant;
  std::string entity;
  std::string scope;
  std::string token_id;
  std::int64_t expires_at = 0;
  const TenantRoute* route = nullptr;
  /// The MCP URL the token was presented at, and is bound to.
  const McpResource* resource = nullptr;
  /// Set only by the route-by-client-region mutant: the API it wrongly calls.
  const TenantRoute* api_route = nullptr;
  /// Set only by the meta-forwarded mutant: the client's request _meta, sent upstream.
  std::string forwarded_meta;
};

class BearerValidator {
public:
  BearerValidator(const ConnectorConfig& config, const Clock& clock);

  /// A token presented at `resource` (which must outlive the identity):
  /// JwtStatus values on failure. The JWKS of the token's issuer is fetched
  /// on first use and again (rate-limited) when a kid is unknown, so key
  /// rotation needs no restart.
  boost::asio::awaitable<boost::system::result<AccessIdentity>> validate(std::string token, const McpResource& resource);

private:
  struct IssuerKeys {
    JwkSet keys;
    TimePoint fetched_at{};
    bool fetched = false;
  };
  boost::asio::awaitable<void> refresh_keys(const TenantRoute& route, IssuerKeys& keys);

  const ConnectorConfig& config_;
  const Clock& clock_;
  std::map<std::string, IssuerKeys, std::less<>> keys_by_issuer_;
  /// Tokens already verified, by SHA-256 of the token, until they expire: an
  /// ES256 verification costs far more than the rest of a call. Expiry and
  /// not-before are still checked against the clock on every use, and a token
  /// counts only while its issuer's key set still binds its kid to the key that
  /// verified it: a key the issuer withdraws takes its tokens with it as soon as
  /// the connector refetches the JWKS, as an uncached token would be refused.
  /// An entry holds for the MCP URL it was verified at; the same token at
  /// another is verified afresh, against that URL.
  struct VerifiedToken {
    AccessIdentity identity;
    std::int64_t not_before = 0;
    std::string kid;
    std::string key_point;
  };
  std::map<std::string, VerifiedToken> verified_;
  static constexpr std::size_t verified_capacity = 16384;
};

} // namespace mcpcert::connector
