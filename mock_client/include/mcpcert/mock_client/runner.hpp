#pragma once
/// Runs scenarios, each in a world of its own, and turns their outcomes into
/// per-claim verdicts with evidence.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/claims.hpp"
#include "mcpcert/mock_client/profile.hpp"
#include "mcpcert/mock_client/scenario.hpp"
#include "mcpcert/mock_client/world.hpp"

namespace mcpcert::client {

/// What one step did and whether its expectation held.
struct StepRecord {
  std::size_t index = 0;
  std::string kind;
  int line = 0;
  bool passed = false;
  bool skipped = false;             ///< the target cannot be driven this way; `summary` says why
  std::string summary;              ///< one line a person reads first
  nlohmann::json args;              ///< the step as the scenario gave it (defaults filled in)
  nlohmann::json exchanges = nlohmann::json::array(); ///< the HTTP exchanges of this step, secrets masked
  nlohmann::json observed;          ///< e.g. the audit rows an assertion was decided on
};

struct ScenarioResult {
  std::string name;
  std::string title;
  std::string file;
  std::string family; ///< the folder the file sits in (permissions, tokens, ...)
  std::vector<std::string> claims;
  std::vector<std::string> tags;
  NoticeReference notice;
  Verdict verdict = Verdict::failed;
  std::string reason; ///< why it failed or was skipped (first such step), empty when passed
  std::string conditions; ///< how it ran when not as written (e.g. in real time with scaled lifetimes); empty otherwise
  std::vector<StepRecord> steps;
  std::string started_at; ///< RFC 3339, UTC
  std::chrono::milliseconds duration{0};
  nlohmann::json world; ///< the world's URLs (World::describe), null when it did not start
};

/// Now, as RFC 3339 UTC to the second: when a run or a scenario started.
std::string utc_now_rfc3339();

ScenarioResult run_scenario(const Scenario& scenario, const WorldOptions& options);

/// How a batch of scenarios runs.
struct RunSettings {
  std::size_t jobs = 1; ///< scenarios at a time, each in its own world
  /// When set, each world's configs and logs are kept under keep_worlds/<scenario name>.
  std::optional<std::filesystem::path> keep_worlds;
  /// Called once per scenario as it completes (never concurrently), with how many are done.
  std::function<void(const ScenarioResult&, std::size_t done, std::size_t total)> on_done;
};

/// Runs every scenario; results come back in the order of `scenarios`.
std::vector<ScenarioResult> run_scenarios(const std::vector<Scenario>& scenarios, const WorldOptions& options,
                                          const RunSettings& settings);

/// One scenario in a world of its own options (e.g. another connector mutant).
struct ScenarioJob {
  const Scenario* scenario = nullptr;
  WorldOptions options;
};

/// Runs the jobs `settings.jobs` at a time (keep_worlds is not applied here);
/// results come back in the order of `jobs`.
std::vector<ScenarioResult> run_scenario_jobs(const std::vector<ScenarioJob>& jobs, const RunSettings& settings);

struct ClaimResult {
  std::string id;
  Verdict verdict = Verdict::passed;
  std::vector<const ScenarioResult*> scenarios;
  std::string reason = {};     ///< why it is SKIPPED or REVIEW; empty otherwise
  const ProfileClaim* notice = nullptr; ///< the profile's sentence for it, when certifying against a profile
};

/// One entry per claim named by the scenarios, in catalogue order; a claim
/// fails when any scenario checking it failed, passes when none failed and at
/// least one passed, and is skipped when every scenario was.
std::vector<ClaimResult> verdicts_by_claim(const std::vector<ScenarioResult>& results);

/// Exactly the profile's claims, in catalogue order: as verdicts_by_claim for
/// those scenarios checked; REVIEW, for a person, for a claim no machine can
/// check; SKIPPED, saying so, for one no scenario checks. Never PASSED
/// without a scenario that passed. `only` (when not empty) narrows the list.
std::vector<ClaimResult> verdicts_for_profile(const std::vector<ScenarioResult>& results, const Profile& profile,
                                              const std::vector<std::string>& only = {});

} // namespace mcpcert::client
