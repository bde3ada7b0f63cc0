#include "mcpcert/mock_client/mutation.hpp"

#include <algorithm>
#include <iomanip>
#include <map>

#include "mcpcert/mock_client/child_process.hpp"

namespace mcpcert::client {

namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

bool names(const std::vector<std::string>& claims, const std::string& claim) {
  return std::find(claims.begin(), claims.end(), claim) != claims.end();
}

} // namespace

namespace {

MutantCatalogue list_mutants(const std::filesystem::path& connector_binary, MutantHost host) {
  MutantCatalogue out;
  if (connector_binary.empty() || !std::filesystem::exists(connector_binary)) {
    const bool backend = host == MutantHost::authorization_server;
    out.problem = std::string("the ") + (backend ? "backend" : "connector") + " binary was not found at '" + connector_binary.string() +
                  "' (build it, or set MCPCERT_" + (backend ? "BACKEND" : "CONNECTOR") + "_BIN)";
    return out;
  }
  auto child = ChildProcess::spawn(connector_binary, {"--list-test-only-mutants"}, "/dev/null");
  if (!child) {
    out.problem = "cannot start " + connector_binary.string() + ": " + child.error().message();
    return out;
  }
  const auto text = child->read_all(std::chrono::seconds(10));
  const auto status = text ? child->wait_exit(std::chrono::seconds(5)) : std::nullopt;
  if (!text || !status) {
    out.problem = connector_binary.string() + " --list-test-only-mutants did not finish within 15 s";
    return out; // the ChildProcess destructor ends it
  }
  auto list = nlohmann::json::parse(*text, nullptr, false);
  if (*status != 0 || !list.is_array()) {
    out.problem = connector_binary.string() + " --list-test-only-mutants gave no JSON list (exit status " + std::to_string(*status) + ")";
    return out;
  }
  for (const auto& item : list) {
    if (!item.is_object() || !item.contains("name") || !item["name"].is_string() || !item.contains("claim") || !item["claim"].is_string()) {
      out.problem = "a mutant of the list lacks its name or claim: " + item.dump();
      out.mutants.clear();
      return out;
    }
    out.mutants.push_back({item["name"], item["claim"], item.value("defect", std::string{}), host});
  }
  return out;
}

} // namespace

const char* to_string(MutantHost host) { return host == MutantHost::connector ? "connector" : "authorization server"; }

MutantCatalogue list_connector_mutants(const std::filesystem::path& connector_binary) {
  return list_mutants(connector_binary, MutantHost::connector);
}

MutantCatalogue list_backend_mutants(const std::filesystem::path& backend_binary) {
  return list_mutants(backend_binary, MutantHost::authorization_server);
}

MutantCatalogue list_all_mutants(const Installation& installation) {
  auto out = list_connector_mutants(installation.connector_binary);
  if (!out.problem.empty()) return out;
  auto backend = list_backend_mutants(installation.backend_binary);
  if (!backend.problem.empty()) return backend;
  out.mutants.insert(out.mutants.end(), backend.mutants.begin(), backend.mutants.end());
  return out;
}

void switch_on(const ConnectorMutant& mutant, WorldOptions& options) {
  auto& list = mutant.host == MutantHost::connector ? options.connector_mutants : options.backend_mutants;
  list.push_back(mutant.name);
}

std::vector<const Scenario*> scenarios_against(const ConnectorMutant& mutant, const std::vector<Scenario>& scenarios, bool every_scenario) {
  std::vector<const Scenario*> chosen;
  for (const auto& scenario : scenarios) {
    if (every_scenario || names(scenario.claims, mutant.claim)) chosen.push_back(&scenario);
  }
  return chosen;
}

bool MutantVerdict::caught() const { return names(caught_by, mutant.claim); }

std::vector<MutantVerdict> run_mutants(const std::vector<ConnectorMutant>& mutants, const std::vector<Scenario>& scenarios,
                                       const WorldOptions& base, const MutationSettings& settings) {
  // One pool for every (mutant, scenario) pair: the slowest mutant's worlds
  // overlap with the others' instead of each mutant waiting for the last.
  std::vector<ScenarioJob> jobs;
  std::vector<std::size_t> owner; // job -> mutant index
  std::vector<MutantVerdict> verdicts;
  for (std::size_t m = 0; m < mutants.size(); ++m) {
    MutantVerdict verdict;
    verdict.mutant = mutants[m];
    for (const auto* scenario : scenarios_against(mutants[m], scenarios, settings.every_scenario)) {
      ScenarioJob job{scenario, base};
      job.options.connector_mutants.clear();
      job.options.backend_mutants.clear();
      switch_on(mutants[m], job.options);
      jobs.push_back(std::move(job));
      owner.push_back(m);
      verdict.scenarios.push_back(scenario->name);
    }
    verdicts.push_back(std::move(verdict));
  }
  RunSettings run_settings;
  run_settings.jobs = settings.jobs;
  const auto results = run_scenario_jobs(jobs, run_settings);

  std::vector<std::vector<ScenarioResult>> per_mutant(mutants.size());
  for (std::size_t j = 0; j < results.size(); ++j) per_mutant[owner[j]].push_back(results[j]);
  for (std::size_t m = 0; m < mutants.size(); ++m) {
    auto& verdict = verdicts[m];
    for (const auto& claim : verdicts_by_claim(per_mutant[m])) {
      if (claim.verdict == Verdict::failed) verdict.caught_by.push_back(claim.id);
    }
    for (const auto& result : per_mutant[m]) {
      if (result.verdict == Verdict::failed && names(result.claims, verdict.mutant.claim)) {
        verdict.evidence = result.name + ": " + result.reason;
        break;
      }
    }
    if (verdict.evidence.empty()) {
      verdict.evidence = verdict.scenarios.empty() ? "no scenario checks " + verdict.mutant.claim
                                                   : "every scenario checking " + verdict.mutant.claim + " passed or was skipped with it";
    }
  }
  return verdicts;
}

nlohmann::json mutants_json(const std::vector<MutantVerdict>& verdicts) {
  auto list = nlohmann::json::array();
  for (const auto& verdict : verdicts) {
    list.push_back({{"name", verdict.mutant.name},
                    {"claim", verdict.mutant.claim},
                    {"component", verdict.mutant.host == MutantHost::connector ? "connector" : "authorization_server"},
                    {"caught_by", verdict.caught_by}});
  }
  return {{"mutants", list}};
}

void print_mutant_table(std::ostream& out, const std::vector<MutantVerdict>& verdicts, bool colour) {
  std::size_t name_width = 6, claim_width = 15;
  for (const auto& verdict : verdicts) {
    name_width = std::max(name_width, verdict.mutant.name.size());
    claim_width = std::max(claim_width, verdict.mutant.claim.size());
  }
  const char* red = colour ? "\033[31m" : "";
  const char* reset = colour ? "\033[0m" : "";
  out << std::left << std::setw(static_cast<int>(name_width + 2)) << "mutant" << std::setw(static_cast<int>(claim_width + 2)) << "claim it breaks"
      << "caught by\n";
  std::size_t caught = 0;
  bool first_of_backend = true;
  for (const auto& verdict : verdicts) {
    if (verdict.mutant.host == MutantHost::authorization_server && first_of_backend) {
      out << "-- of the mock authorization server (mcpcert-backend):\n";
      first_of_backend = false;
    }
    out << std::left << std::setw(static_cast<int>(name_width + 2)) << verdict.mutant.name << std::setw(static_cast<int>(claim_width + 2))
        << verdict.mutant.claim;
    if (verdict.caught()) {
      ++caught;
      out << join(verdict.caught_by, ", ") << "\n";
    } else {
      out << red << "NOT CAUGHT" << reset << (verdict.caught_by.empty() ? "" : " (only by " + join(verdict.caught_by, ", ") + ")") << "\n";
      out << "    " << verdict.evidence << "\n";
    }
  }
  out << "\n" << verdicts.size() << " mutant(s): " << caught << " caught by their own claim, " << verdicts.size() - caught << " not caught\n";
}

} // namespace mcpcert::client
