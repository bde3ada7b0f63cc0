#pragma once
/// The backend process's configuration file: which tenants to host, where
/// they listen, and whether the simulation control plane is on.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_backend/authorization_server.hpp"

namespace mcpcert::backend {

/// A loopback host and port, already validated.
struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

struct ResourceRegistration {
  std::string resource;
  std::string client_id;
};

struct TenantConfig {
  std::string id;
  std::string region;
  std::filesystem::path fixture; ///< absolute
  ListenAddress api_listen;
  ListenAddress issuer_listen;
  TokenLifetimes lifetimes; ///< already scaled by the backend's lifetime_scale
  /// Grace window, PKCE plain, offline_access; the backend adds the test-only mutants.
  IssuerPolicy policy;
  /// API requests per user and minute before 429; 0: unlimited.
  int api_rate_limit_per_minute = 0;
  /// Resources known from the start, for runs without the control plane.
  std::vector<ResourceRegistration> resources;
};

struct ControlConfig {
  ListenAddress listen;
  std::string secret;
};

struct BackendConfig {
  bool simulation = false;
  /// Where each tenant keeps its SQLite state (`<state_dir>/<tenant>.sqlite`,
  /// absolute); without it every tenant uses an in-memory database.
  std::optional<std::filesystem::path> state_dir;
  std::optional<ControlConfig> control; ///< present exactly when simulation is on
  /// Every lifetime (and grace window) multiplied by this, for targets without a virtual clock.
  double lifetime_scale = 1.0;
  std::vector<TenantConfig> tenants;
  /// Test-only defects of every tenant's authorization server; from the command line, never the file.
  std::set<IssuerMutant> mutants;
};

/// Throws ConfigError naming the file and the field.
BackendConfig load_backend_config(const std::filesystem::path& file);
/// Relative fixture paths resolve against `file`'s directory.
BackendConfig parse_backend_config(const nlohmann::json& document, const std::filesystem::path& file);

} // namespace mcpcert::backend
