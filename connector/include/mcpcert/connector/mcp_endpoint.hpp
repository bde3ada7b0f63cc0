#pragma once
/// The MCP Streamable HTTP endpoint and the OAuth protected-resource
/// metadata, on one listener, for the shared MCP URL and each tenant's own
/// (mcp_resource.hpp). The endpoint does what every request needs
/// whatever its protocol revision (Origin, bearer validation, Content-Type,
/// Accept, JSON-RPC parsing), picks the revision the request names, and hands
/// it to that revision's handler: sessions for 2025-06-18 and 2025-11-25,
/// stateless for 2026-07-28.

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/connector/bearer_validator.hpp"
#include "mcpcert/connector/connector_config.hpp"
#include "mcpcert/connector/legacy_sessions.hpp"
#include "mcpcert/connector/mcp_resource.hpp"
#include "mcpcert/connector/mcp_services.hpp"
#include "mcpcert/connector/operational_log.hpp"
#include "mcpcert/connector/stateless_revision.hpp"
#include "mcpcert/http_server.hpp"

namespace mcpcert::connector {

class McpEndpoint {
public:
  /// `log` may be null (no operational log configured).
  McpEndpoint(const ConnectorConfig& config, const Clock& clock, std::string base_url, OperationalLog* log);

  boost::asio::awaitable<http::Response> handle(http::Request& request, const http::RequestContext& context);

  /// The shared MCP URL.
  const std::string& resource() const { return resources_.front().url; }
  /// The shared URL first, then each tenant's own.
  const std::vector<McpResource>& resources() const { return resources_; }

private:
  boost::asio::awaitable<http::Response> handle_mcp_post(http::Request& request, const AccessIdentity& identity,
                                                         const RequestFacts& facts);
  http::Response protected_resource_metadata(const http::Request& request, const McpResource& resource) const;
  http::Response unauthorized(const http::Request& request, const McpResource& resource, std::string_view error,
                              std::string_view description) const;
  bool origin_allowed(const http::Request& request) const;

  const ConnectorConfig& config_;
  std::string base_url_;
  std::vector<McpResource> resources_;
  /// The scopes of the tool sets `resource` serves (RFC 9728 scopes_supported).
  nlohmann::json supported_scopes(const McpResource& resource) const;
  /// The read scopes, space-separated, for the 401 challenge.
  std::string read_scopes(const McpResource& resource) const;
  BearerValidator validator_;
  McpServices services_;
  LegacySessions sessions_;
  StatelessRevision stateless_;
  RequestRateLimiter per_user_;
  RequestRateLimiter per_connection_;
};

} // namespace mcpcert::connector
