#pragma once
/// Mutation analysis of the suite: each test-only defect of the connector or
/// of the mock authorization server must make at least its own claim FAIL, or the check of that claim proves
/// nothing. `mcpcert mutants` runs it end to end.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/runner.hpp"

namespace mcpcert::client {

/// Which process a mutant is switched on in.
enum class MutantHost { connector, authorization_server };
const char* to_string(MutantHost host);

/// One defect as `mcpcert-connector --list-test-only-mutants` (or
/// `mcpcert-backend --list-test-only-mutants`) describes it.
struct ConnectorMutant {
  std::string name;
  std::string claim;  ///< the claim it breaks
  std::string defect; ///< what it does wrong, in a sentence
  MutantHost host = MutantHost::connector;
};

struct MutantCatalogue {
  std::vector<ConnectorMutant> mutants;
  std::string problem; ///< why the list could not be had; empty on success
};

/// Runs `<connector_binary> --list-test-only-mutants` and reads its JSON list.
MutantCatalogue list_connector_mutants(const std::filesystem::path& connector_binary);
/// The same for the mock backend's authorization-server mutants.
MutantCatalogue list_backend_mutants(const std::filesystem::path& backend_binary);
/// The connector's mutants, then the authorization server's: the table `mcpcert mutants` certifies.
MutantCatalogue list_all_mutants(const Installation& installation);
/// Switches the mutant on in `options`, in the process it lives in.
void switch_on(const ConnectorMutant& mutant, WorldOptions& options);

/// The scenarios a mutant is run against: those that check its claim, or all
/// of them when `every_scenario` (slower; shows every claim that notices it).
std::vector<const Scenario*> scenarios_against(const ConnectorMutant& mutant, const std::vector<Scenario>& scenarios, bool every_scenario);

struct MutantVerdict {
  ConnectorMutant mutant;
  std::vector<std::string> scenarios; ///< names of the scenarios run against it
  std::vector<std::string> caught_by; ///< claims that FAILED with it switched on, in catalogue order
  std::string evidence;               ///< the failing step that caught it for its own claim, or why nothing did
  /// Its own claim is among those that failed.
  bool caught() const;
};

struct MutationSettings {
  std::size_t jobs = 1;        ///< worlds at a time
  bool every_scenario = false; ///< see scenarios_against
};

/// Runs the chosen scenarios against each mutant, all mutants' worlds sharing one pool.
std::vector<MutantVerdict> run_mutants(const std::vector<ConnectorMutant>& mutants, const std::vector<Scenario>& scenarios,
                                       const WorldOptions& base, const MutationSettings& settings);

/// {"mutants":[{"name","claim","component","caught_by":[claim ids]}]}
nlohmann::json mutants_json(const std::vector<MutantVerdict>& verdicts);

/// mutant | claim it breaks | claims that caught it, and a summary line.
void print_mutant_table(std::ostream& out, const std::vector<MutantVerdict>& verdicts, bool colour);

} // namespace mcpcert::client
