#pragma once
/// The MCP URLs the connector serves, each an OAuth protected resource
/// (RFC 9728) of its own.

#include <string>
#include <vector>

#include "mcpcert/connector/connector_config.hpp"

namespace mcpcert::connector {

/// One MCP URL and whom it answers for. The shared URL serves every tenant
/// and lists every issuer in its metadata, for clients that choose among
/// authorization servers. A tenant's own URL lists that tenant's issuer
/// alone, so a client that takes the first issuer listed (as the official
/// SDK does) reaches the tenant whose URL it was given. Tokens are bound to
/// one of them by their audience (RFC 8707), and sessions to the URL that
/// opened them.
struct McpResource {
  std::string path;         ///< e.g. /mcp, or /mcp/emea-finance
  std::string url;          ///< the canonical URL: the audience its tokens must name
  std::string metadata_path; ///< where its metadata is: the well-known prefix, then `path`
  std::string metadata_url;  ///< the same, as a URL
  const TenantRoute* tenant = nullptr; ///< the one tenant served; null for the shared URL

  bool serves(const TenantRoute& route) const { return tenant == nullptr || tenant == &route; }
};

/// The shared URL (`mcp_path`) first, then `mcp_path/<tenant id>` for each
/// tenant in the configuration's order. The routes are `config`'s own, so
/// `config` must outlive the result.
std::vector<McpResource> mcp_resources(const ConnectorConfig& config, const std::string& base_url);

} // namespace mcpcert::connector
