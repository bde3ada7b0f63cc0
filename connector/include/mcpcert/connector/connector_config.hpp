#pragma once
/// The reference connector's configuration, read strictly from a JSON file.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mcpcert/connector/operational_log.hpp"
#include "mcpcert/connector/request_limits.hpp"
#include "mcpcert/tls.hpp"

namespace mcpcert::connector {

/// A tenant the connector serves: tokens from `issuer` are routed to `api` only.
struct TenantRoute {
  std::string id;
  std::string region;
  std::string issuer;
  std::string jwks_uri;
  std::string token_endpoint;
  std::string api;
  std::string tool_set = "finance"; ///< finance or planning: what this tenant's users can call
};

/// Deliberate defects that each break exactly one promise, so the suite can
/// prove its checks bite. Only a start with the test-only switch accepts them.
enum class Mutant {
  permission_cache,       ///< reuses the exchanged upstream token for its lifetime
  session_by_id_only,     ///< looks a session up by id alone, whoever asks
  audience_unchecked,     ///< accepts tokens minted for another resource
  token_from_query,       ///< accepts access_token from the query string
  forward_bearer,         ///< sends the client's token upstream instead of exchanging it
  batch_accepted,         ///< answers JSON-RPC batches the negotiated revision removed
  unknown_session_served, ///< serves requests naming an unknown session id
  extra_tool,             ///< exposes a debug tool beyond the promised set
  expiry_unchecked,       ///< accepts expired access tokens
  tls_legacy_versions,    ///< lets TLS 1.0 and 1.1 handshakes through
  failures_not_logged,    ///< logs only successful tool calls
  arguments_logged,       ///< logs tool arguments whatever the profile says
  plaintext_log,          ///< stores user ids and IPs unencrypted
  retention_unswept,      ///< never deletes old log records
  shared_log_store,       ///< one log store for every region
  region_fallback,        ///< tries other regions' tenants before (and after) the token's own
  entity_from_arguments,  ///< takes the entity from the tool arguments instead of the session
  shared_upstream_token,  ///< one exchanged upstream token per tenant, used for every user
  write_token_per_app,    ///< writes reuse the last writer's exchanged token for that application
  list_cache_shared,      ///< caches the application list per tenant, not per user
  node_result_cache_shared, ///< caches node results keyed by application and node, not by user
  exposure_ignored,       ///< runs application tools their author did not expose
  result_disk_cache,      ///< writes node results to a cache file beside the log
  log_buffered,           ///< acknowledges calls whose log records are still uncommitted
  service_account,        ///< calls the API of a tenant with the first upstream token it obtained there, for good
  route_by_client_region, ///< sends API calls to the region a client header names
  route_by_token_region,  ///< sends API calls to the first tenant of the token's region, not the token's tenant
  meta_forwarded,         ///< sends the client's tools/call _meta (conversation-side context) upstream
};

/// A mutant's switch name, the claim it breaks and what it does.
struct MutantInfo {
  Mutant mutant;
  const char* name;
  const char* claim;
  const char* defect;
};

const std::vector<MutantInfo>& mutant_catalogue();
std::optional<Mutant> mutant_from_name(std::string_view name);
const char* to_string(Mutant mutant);

/// The simulation control plane (virtual clock); absent in a normal deployment.
struct ControlPlaneConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;
  std::string secret;
};

struct ConnectorConfig {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;
  std::string mcp_path = "/mcp";
  std::string client_id;
  std::string client_secret;
  std::string tool_set = "finance";
  std::vector<TenantRoute> tenants;
  std::vector<std::string> allowed_origins;
  std::chrono::seconds leeway{30};
  std::chrono::milliseconds upstream_timeout{5'000};
  std::size_t body_limit = 256 * 1024;
  /// Tools per tools/list page; large enough that one page is the usual case.
  std::size_t tools_page_size = 100;
  /// Real time without an event after which an open SSE stream gets a comment line; zero sends none.
  std::chrono::milliseconds sse_heartbeat{15'000};
  ConnectorLimits limits;
  std::set<Mutant> mutants;
  std::optional<ControlPlaneConfig> control;
  /// HTTPS identity; nullopt serves plain HTTP (only behind a TLS-terminating proxy).
  std::optional<TlsIdentity> tls;
  /// The operational log; without it no record is kept (and LOG-* claims fail).
  std::optional<OperationalLogConfig> log;

  /// Throws ConfigError naming the field on any problem.
  static ConnectorConfig load(const std::filesystem::path& file);
};

} // namespace mcpcert::connector
