#pragma once
/// Scenario files: one check of one or more claims, as declarative steps in
/// YAML. Everything is validated at load time, so a bad file fails with its
/// file, line and field before anything runs.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpcert::client {

class ScenarioError : public std::runtime_error {
public:
  ScenarioError(const std::filesystem::path& file, int line, const std::string& field, const std::string& problem);
};

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
  std::vector<ScenarioStep> steps;
};

/// Throws ScenarioError naming file, line and field.
Scenario load_scenario(const std::filesystem::path& file);

/// Expands directories (recursively, *.yaml / *.yml, sorted) and keeps files as given.
std::vector<std::filesystem::path> find_scenario_files(const std::vector<std::filesystem::path>& paths);

} // namespace mcpcert::client
