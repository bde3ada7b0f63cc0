#pragma once
/// The connector under certification. By default the reference connector,
/// which the harness starts in every world; otherwise an external connector
/// described by a target file: where it listens, how it is registered at the
/// mock issuers, where it expects the mock backend, and which of the
/// harness's levers (virtual clock, log export, storage, restart) it offers.
/// A server without authorization (`authorization: none`) has no client and
/// no backend: the world starts nothing for it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcpcert::client {

/// Where the world starts the mock backend for an external connector, which
/// is configured once with these addresses (host:port, loopback).
struct BackendPlacement {
  std::string control_listen;
  struct TenantListen {
    std::string api;
    std::string issuer;
  };
  std::map<std::string, TenantListen> tenants; ///< tenant id -> listen addresses
  /// How long the connector may wait before refetching an issuer's JWKS for
  /// an unknown key id: every world's issuers sign with new keys, so worlds
  /// are started at least this far apart.
  std::int64_t key_refetch_seconds = 10;
};

/// How call_tool reaches a tool the scenarios name (ours, e.g. get_kpis) on
/// a target whose tools are others.
struct ToolMapping {
  std::string name;                 ///< the target's tool
  std::optional<nlohmann::json> arguments; ///< replace the step's (written for our tool); nullopt: the step's
};

/// Whether the connector is an OAuth 2.1 resource server of the mock issuers.
enum class Authorization { oauth, none };

struct Target {
  std::filesystem::path file;
  std::string name;
  std::string mcp_url;
  /// Tenant id -> that tenant's own MCP URL, for a connector that has one per
  /// tenant besides mcp_url; offers `tenant_urls` when not empty.
  std::map<std::string, std::string> tenant_mcp_urls;
  Authorization authorization = Authorization::oauth;
  std::map<std::string, ToolMapping> tools; ///< scenario tool name -> the target's call; unlisted: called by its own name
  std::string ca_file;       ///< PEM the MCP URL's certificate chains to; empty: the system store
  std::string client_id;     ///< the connector's confidential client at every mock issuer (token exchange)
  std::string client_secret;
  BackendPlacement backend;
  std::string control_url;   ///< the connector's control plane (clock, log export); empty when none
  std::string control_secret;
  bool virtual_clock = false;
  bool log_export = false;
  std::string storage_dir;     ///< where the connector keeps its log, for at-rest scans; empty: withheld
  std::string restart_command; ///< run with /bin/sh -c; empty: withheld
  std::string sha256;          ///< hex digest of the file's bytes

  /// Whether the target offers a capability named in capability_names();
  /// `oauth` is offered unless `authorization: none`.
  bool offers(std::string_view capability) const;
};

/// "oauth" or "none", as target files and reports spell it.
std::string_view authorization_name(Authorization authorization);

/// Reads and validates a target file; throws ScenarioError naming file, line and field.
Target load_target(const std::filesystem::path& file);

} // namespace mcpcert::client
