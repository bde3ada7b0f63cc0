#pragma once
/// Scenario files: one check of one or more claims, as declarative steps in
/// YAML. Everything is validated at load time, so a bad file fails with its
/// file, line and field before anything runs.

#include <filesystem>
#include <map>
#include <stdexcept>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpcert::client {

class ScenarioError : public std::runtime_error {
public:
  ScenarioError(const std::filesystem::path& file, int line, const std::string& field, const std::string& problem);
};

/// Profile parameters a scenario file may name as ${name}, or ${name+N} /
/// ${name-N} for a number (e.g. ${access_ttl-1}); lists are written as YAML
/// flow sequences. Substituted before the file is parsed.
using ScenarioParameters = std::map<std::string, nlohmann::json, std::less<>>;

struct ScenarioStep {
  std::string kind;     ///< authorize, connect, call_tool, list_tools, raw_request, refresh, admin, mark_audit, assert_audit,
                        ///< advance_clock, tls_probe, mark_log, assert_log, scan_storage, restart_connector
  int line = 0;         ///< 1-based line of the step in its file
  nlohmann::json args;  ///< validated fields of the step, defaults filled in
};

struct NoticeReference {
  std::string source;   ///< which notice and section
  std::string sentence; ///< the promise, quoted
};

struct Scenario {
  std::filesystem::path file;
  std::string name;
  std::string title;
  std::vector<std::string> claims;
  std::vector<std::string> tags;
  NoticeReference notice;
  std::string tenant;
  /// `mcp_url: tenant`: the scenario speaks to its tenant's own MCP URL
  /// (whose metadata lists that tenant's issuer alone), not the shared one.
  bool at_tenant_url = false;
  std::vector<std::string> requires_capabilities; ///< declared by `requires:`; more are inferred from the steps
  /// `time_scaling: issuer_lifetimes`: every clock move of the scenario is
  /// measured in the issuer's token lifetimes (${access_ttl...},
  /// ${refresh_ttl...}), so on a target without a virtual clock it can run in
  /// real time against issuers whose lifetimes are scaled down.
  bool issuer_lifetimes_scalable = false;
  std::vector<ScenarioStep> steps;
};

/// Throws ScenarioError naming file, line and field. Without parameters, the
/// defaults of ProfileParameters (the reference deployment) fill ${name}.
Scenario load_scenario(const std::filesystem::path& file);
Scenario load_scenario(const std::filesystem::path& file, const ScenarioParameters& parameters);

/// A capability of the target a scenario cannot run without, and the step (or
/// declaration) that needs it.
struct CapabilityNeed {
  std::string capability; ///< oauth, virtual_clock, log_export, storage_dir, restart_command or tenant_urls
  std::string why;        ///< e.g. "advance_clock at line 21"
};
/// The capabilities a target offers or withholds.
const std::vector<std::string>& capability_names();
/// What the scenario declares in `requires:` and what its steps need: advance_clock
/// needs virtual_clock, mark_log/assert_log log_export, scan_storage of the
/// connector's log storage_dir, restart_connector restart_command; oauth is
/// needed by every step only an OAuth resource server backed by the mock
/// issuers and backend can answer (refresh, admin, audit and grants, forged
/// or literal tokens, a 401 challenge, OAuth metadata, ${issuer}/${api} and
/// token placeholders, permission errors, authorize beyond a plain sign-in,
/// a second user); tenant_urls by `mcp_url: tenant` and ${tenant_mcp_url:ID}.
std::vector<CapabilityNeed> capabilities_needed(const Scenario& scenario);
/// The tenants whose own MCP URL the scenario speaks to or names.
std::set<std::string> tenant_urls_named(const Scenario& scenario);

/// Expands directories (recursively, *.yaml / *.yml, sorted) and keeps files as given.
std::vector<std::filesystem::path> find_scenario_files(const std::vector<std::filesystem::path>& paths);

} // namespace mcpcert::client
