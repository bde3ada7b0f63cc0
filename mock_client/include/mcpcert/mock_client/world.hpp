#pragma once
/// A simulated world started for one scenario: the mock backend (tenants,
/// issuers, control plane) and the connector under test, each a real process
/// on loopback ephemeral ports, with fresh state in a private directory.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/child_process.hpp"
#include "mcpcert/mock_client/http_agent.hpp"
#include "mcpcert/mock_client/oauth_client.hpp"
#include "mcpcert/mock_client/profile.hpp"
#include "mcpcert/mock_client/target.hpp"

namespace mcpcert::client {

/// Where the harness finds its binaries and data; defaults come from the
/// build tree, environment variables override them (MCPCERT_BACKEND_BIN,
/// MCPCERT_CONNECTOR_BIN, MCPCERT_SOURCE_DIR).
struct Installation {
  std::filesystem::path backend_binary;
  std::filesystem::path connector_binary;
  std::filesystem::path source_dir;
  static Installation detect();
  std::filesystem::path fixtures_dir() const { return source_dir / "mock_backend" / "fixtures"; }
  std::filesystem::path scenarios_dir() const { return source_dir / "scenarios"; }
};

struct WorldOptions {
  Installation installation = Installation::detect();
  /// Connector defects to switch on (test-only; see `mcpcert-connector --test-only-mutant`).
  std::vector<std::string> connector_mutants;
  /// Authorization-server defects to switch on in every tenant (test-only; see `mcpcert-backend --test-only-mutant`).
  std::vector<std::string> backend_mutants;
  std::chrono::milliseconds start_timeout{20'000};
  /// Kept after the world ends when set (logs, configs); otherwise a temporary directory is removed.
  std::optional<std::filesystem::path> keep_dir;
  /// Lifetimes go to the issuers; log retention and logged fields to the reference connector.
  ProfileParameters parameters;
  /// An external connector, not started by the world; nullopt: the reference connector.
  std::optional<Target> target;
  /// Clock moves are waited out on the machine's clock instead of moving
  /// virtual time (for a target without a virtual clock, with the issuers'
  /// lifetimes scaled down in `parameters`); at most max_real_time_wait each.
  bool real_time = false;
  /// The reference connector's log retention: "delete" (its default) or
  /// "pseudonymise" (records past retention keep no user id, address or
  /// argument, only keyed pseudonyms); LOG-RETENTION must hold either way.
  std::string log_retention_mode = "delete";
  /// The reference connector's tools/list page size; unset: its default.
  std::optional<int> tools_page_size;
};

/// A tenant every world hosts, in its region.
struct HostedTenant {
  std::string id;
  std::string region;
  std::string tool_set = "finance"; ///< what the connector serves its users
};
const std::vector<HostedTenant>& hosted_tenants();

struct TenantInfo {
  std::string id;
  std::string region;
  std::string api;
  std::string issuer;
};

struct TestUser {
  std::string username;
  std::string password;
  std::string user_id;
  nlohmann::json roles = nlohmann::json::array(); ///< [{"entity","role","mcp_access"}] as the control plane lists them
  std::string totp_secret; ///< base32; empty when the user signs in without a second factor
  std::string sso_subject;  ///< the linked account at the tenant's identity provider
  std::string sso_password; ///< its password there
};

/// The connector's operational log as its control plane exports it.
struct ConnectorLogExport {
  nlohmann::json records = nlohmann::json::array(); ///< every record of every store, in the connector's order
  std::string directory;                           ///< where the connector says it keeps the log
  std::string problem;                             ///< why it could not be read; empty on success
  bool unsupported = false;                        ///< the connector offers no log export at all (a check must skip)
};

/// The longest clock move a real-time world waits out.
constexpr std::int64_t max_real_time_wait_seconds = 60;

/// A resource (MCP URL) no connector of the world serves, registered at every
/// issuer, so a genuinely signed token for another audience can be had.
constexpr const char* decoy_resource_url = "https://decoy.mcpcert.invalid/mcp";

class World {
public:
  /// Starts everything; on failure returns nullptr and explains in `error`.
  static std::unique_ptr<World> start(const WorldOptions& options, std::string& error);
  ~World();

  /// The connector's shared MCP URL.
  const std::string& mcp_url() const { return mcp_url_; }
  /// A tenant's own MCP URL, whose metadata lists that tenant's issuer alone;
  /// empty when the connector offers none for it.
  std::string tenant_mcp_url(const std::string& tenant_id) const;
  /// The backend's control plane.
  const std::string& control_url() const { return control_url_; }
  /// The connector's control plane, or empty when its READY line names none.
  const std::string& connector_control_url() const { return connector_control_url_; }
  /// One secret for both control planes.
  const std::string& control_secret() const { return control_secret_; }
  const std::filesystem::path& directory() const { return directory_; }
  /// The connector's HTTPS certificate (PEM file) that clients of this world trust.
  const std::string& trusted_certificate_file() const { return trusted_certificate_file_; }
  /// Where the connector keeps its operational log (one SQLite store per region).
  const std::filesystem::path& connector_log_directory() const { return connector_log_directory_; }
  /// Where the backend keeps its per-tenant databases.
  const std::filesystem::path& backend_state_directory() const { return backend_state_directory_; }
  /// The scripted client's Client ID Metadata Document, served by the world
  /// on loopback; every issuer lists its host, so the URL works as a client_id.
  const std::string& client_metadata_document_url() const { return client_metadata_document_url_; }
  std::optional<TenantInfo> tenant(const std::string& id) const;
  const std::map<std::string, TenantInfo>& tenants() const { return tenants_; }
  /// Test users of a tenant, with passwords, as the control plane lists them.
  std::vector<TestUser> users(const std::string& tenant_id);
  /// The user's one-time code (RFC 6238) at the world's virtual time. A code
  /// is only accepted once, so a second sign-in within the same 30 s gets the
  /// next step's code (the issuer accepts one step ahead).
  std::string one_time_code(const TestUser& user);
  /// What the scripted client signs in as `user` with: password, the second
  /// factor from its TOTP secret, or the identity provider's account for a
  /// user who signs in only through single sign-on.
  UserCredentials credentials_for(const TestUser& user);

  /// A control-plane call (secret attached), recorded in `agent`'s transcript.
  HttpReply control(HttpAgent& agent, const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);
  /// The same on the connector's control plane (empty reply with a transport error when it has none).
  HttpReply connector_control(HttpAgent& agent, const std::string& method, const std::string& path,
                              const nlohmann::json& body = nullptr);

  /// Every record of the connector's operational log (GET /control/log), recorded in `agent`'s transcript.
  ConnectorLogExport connector_log(HttpAgent& agent);

  /// Moves virtual time in every component that offers it (the backend, then
  /// the connector): forward, or back when `seconds` is negative (a wall
  /// clock stepped back); returns why not, or empty on success.
  std::string advance_clock(HttpAgent& agent, std::int64_t seconds);

  /// Stops the connector (SIGKILL when `crash`, as a crash would; else
  /// SIGTERM) and starts it again on the same ports, with the same
  /// configuration, state and log; its virtual clock is moved to the world's
  /// time. Its MCP sessions are gone. Returns why not, or empty on success.
  std::string restart_connector(HttpAgent& agent, bool crash);

  /// The same for the mock backend (every tenant's API and issuer): started
  /// again on the same ports with the same configuration and state directory,
  /// its virtual clock moved to the world's time, and the world's connector
  /// client and resources provisioned again, as a deployment's provisioning
  /// would. What a tenant keeps on disk (grants, codes, refresh tokens,
  /// revocations, auth events, signing keys, registered clients) survives; its
  /// audit trail, injected faults and directory changes made through the
  /// control plane belong to the process and start anew.
  std::string restart_backend(HttpAgent& agent, bool crash);
  /// How many times restart_backend has run.
  int backend_restarts() const { return backend_restarts_; }

  /// Process ids of the processes the world started (-1: not running, or external).
  int connector_pid() const { return connector_ ? connector_->pid() : -1; }
  int backend_pid() const { return backend_ ? backend_->pid() : -1; }

  /// The external connector; nullopt for the reference connector.
  const std::optional<Target>& target() const { return target_; }

  /// Whether clock moves are waited out in real time (WorldOptions::real_time).
  bool real_time() const { return real_time_; }

  /// The world as a report may show it: URLs, tenants; no secret.
  nlohmann::json describe() const;

private:
  World() = default;
  bool launch(const WorldOptions& options, std::string& error);
  /// Starts the connector from connector_config_ and reads its READY line.
  bool start_connector(std::string& error);
  /// Registers the target's client at every issuer and takes its URLs.
  bool attach_external_connector(HttpAgent& agent, std::string& error);
  /// The external connector's MCP URL, certificate, control plane and storage, from its target file.
  void take_target_addresses();
  /// Starts the backend from backend_config_ and reads its READY line.
  bool start_backend(std::string& error);
  /// A restart's `start` (start_backend or start_connector) on the ports the
  /// process had, tried again for a few seconds while one is still in use.
  bool start_again(bool (World::*start)(std::string&), std::string& error);
  /// A first start: `pick_ports` gives the process's listeners restartable
  /// ports, then `start`; fresh ports again if another process took one.
  bool start_first_time(bool (World::*pick_ports)(std::string&), bool (World::*start)(std::string&), std::string& error);
  /// Restartable ports (restartable_ports.hpp) for our backend's control
  /// plane and every tenant's API and issuer; an external connector's backend
  /// keeps the fixed ports its target file gives.
  bool pick_backend_ports(std::string& error);
  /// The same for our connector's MCP listener and control plane.
  bool pick_connector_ports(std::string& error);
  /// Replaces `listen` ("host:port") with a fresh restartable port, kept in picked_ports_.
  bool pick_listen_port(nlohmann::json& listen, std::string& error);
  /// Registers the connector's (or the target's) confidential client at every issuer.
  bool register_connector_client(HttpAgent& agent, std::string& error);
  /// Registers the MCP URL (and the decoy resource) at every issuer.
  bool register_resources(HttpAgent& agent, const std::string& connector_client, std::string& error);
  /// restart_connector for an external connector: its restart_command, then
  /// waits until the MCP URL answers.
  std::string run_restart_command(bool crash);
  /// Moves one component's virtual clock by `seconds` (negative: back).
  std::string shift_clock(HttpAgent& agent, bool connector, std::int64_t seconds);
  /// Serves the scripted client's metadata document; false (and `error`) when it can't listen.
  bool serve_client_metadata_document(std::string& error);

  std::filesystem::path directory_;
  bool remove_directory_ = true;
  std::optional<ChildProcess> backend_;
  std::optional<ChildProcess> connector_;
  std::string control_url_;
  std::string connector_control_url_;
  std::string control_secret_;
  std::string mcp_url_;
  std::map<std::string, std::string> tenant_mcp_urls_; ///< by tenant id, from the connector's READY line
  std::string trusted_certificate_file_;
  std::filesystem::path connector_log_directory_;
  std::filesystem::path backend_state_directory_;
  struct DocumentHost;
  std::unique_ptr<DocumentHost> document_host_;
  std::string client_metadata_document_url_;
  std::filesystem::path client_metadata_document_ca_file_; ///< the document host's certificate, for the issuers
  std::map<std::string, TenantInfo> tenants_;
  nlohmann::json backend_config_;
  std::filesystem::path backend_binary_;
  std::vector<std::string> backend_mutants_; ///< as command-line arguments
  std::string connector_client_id_;
  std::string connector_client_secret_;
  int backend_restarts_ = 0;
  nlohmann::json connector_config_;
  std::filesystem::path connector_binary_;
  std::vector<std::string> connector_mutants_; ///< as command-line arguments
  std::optional<Target> target_;               ///< set when the connector is external
  std::chrono::milliseconds start_timeout_{20'000};
  std::int64_t advanced_seconds_ = 0; ///< how far advance_clock has moved the world's time
  bool real_time_ = false;
  std::vector<std::uint16_t> picked_ports_; ///< released when the world ends
  std::mutex totp_mutex_; ///< sign-ins of several users may run at once (the soak)
  std::map<std::string, std::uint64_t> last_totp_step_; ///< per user id: the newest step whose code was used
};

} // namespace mcpcert::client
