#pragma once
/// Runs scenarios, each in a world of its own, and turns their outcomes into
/// per-claim verdicts with evidence.

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/claims.hpp"
#include "mcpcert/mock_client/scenario.hpp"
#include "mcpcert/mock_client/world.hpp"

namespace mcpcert::client {

/// What one step did and whether its expectation held.
struct StepRecord {
  std::size_t index = 0;
  std::string kind;
  int line = 0;
  bool passed = false;
  std::string summary;              ///< one line a person reads first
  nlohmann::json exchanges = nlohmann::json::array(); ///< the HTTP exchanges of this step, secrets masked
  nlohmann::json observed;          ///< e.g. the audit rows an assertion was decided on
};

struct ScenarioResult {
  std::string name;
  std::string title;
  std::string file;
  std::vector<std::string> claims;
  NoticeReference notice;
  Verdict verdict = Verdict::failed;
  std::string reason; ///< why it failed (first failing step), empty when passed
  std::vector<StepRecord> steps;
  std::chrono::milliseconds duration{0};
};

ScenarioResult run_scenario(const Scenario& scenario, const WorldOptions& options);

struct ClaimResult {
  std::string id;
  Verdict verdict = Verdict::passed;
  std::vector<const ScenarioResult*> scenarios;
};

/// One entry per claim named by the scenarios, in catalogue order; a claim
/// fails when any scenario checking it failed.
std::vector<ClaimResult> verdicts_by_claim(const std::vector<ScenarioResult>& results);

} // namespace mcpcert::client
