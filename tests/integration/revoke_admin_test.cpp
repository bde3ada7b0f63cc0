// REVOKE-ADMIN end to end: the backend and the connector run as real
// processes on loopback; the scripted client drives the scenario file.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/mock_client/cli.hpp"
#include "mcpcert/mock_client/runner.hpp"
#include "mcpcert/mock_client/scenario.hpp"

namespace mcpcert::client {
namespace {

const std::filesystem::path source_dir = MCPCERT_SOURCE_DIR;
const std::filesystem::path scenario_file = source_dir / "scenarios/revocation/revoke_admin_next_call.yaml";

const StepRecord* find_step(const ScenarioResult& result, const std::string& kind, std::size_t occurrence) {
  for (const auto& step : result.steps) {
    if (step.kind == kind && occurrence-- == 0) return &step;
  }
  return nullptr;
}

TEST(RevokeAdmin, PassesOnTheReferenceConnector) {
  const auto scenario = load_scenario(scenario_file);
  const auto result = run_scenario(scenario, WorldOptions{});
  ASSERT_EQ(result.verdict, Verdict::passed) << result.reason;
  ASSERT_EQ(result.steps.size(), scenario.steps.size());

  // The refused call really was the connector answering, with a permission error.
  const auto* refused = find_step(result, "call_tool", 1);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->observed["status"], 403) << refused->summary;
  ASSERT_FALSE(refused->exchanges.empty());
  EXPECT_THAT(refused->exchanges.back()["request"]["headers"]["Authorization"].get<std::string>(),
              testing::StartsWith("Bearer <secret:"));
}

TEST(RevokeAdmin, FailsWhenTheConnectorCachesPermissions) {
  const auto scenario = load_scenario(scenario_file);
  WorldOptions options;
  options.connector_mutants = {"permission-cache"};
  const auto result = run_scenario(scenario, options);
  ASSERT_EQ(result.verdict, Verdict::failed);
  // It is the call after the removal that gives the mutant away: data was served.
  const auto* after_removal = find_step(result, "call_tool", 1);
  ASSERT_NE(after_removal, nullptr) << result.reason;
  EXPECT_FALSE(after_removal->passed);
  EXPECT_EQ(after_removal->observed["status"], 200);
}

TEST(Certify, WritesTheJsonReportAndExitsZero) {
  const auto report = std::filesystem::temp_directory_path() / ("mcpcert-report-" + std::to_string(::getpid()) + ".json");
  std::ostringstream out, err;
  const int code = run_cli({"run", scenario_file.string(), "--json", report.string(), "--no-colour"}, out, err);
  EXPECT_EQ(code, 0) << out.str() << err.str();
  EXPECT_THAT(out.str(), testing::HasSubstr("REVOKE-ADMIN"));
  std::ifstream in(report);
  const auto json = nlohmann::json::parse(in);
  ASSERT_EQ(json["claims"].size(), 1u);
  EXPECT_EQ(json["claims"][0]["id"], "REVOKE-ADMIN");
  EXPECT_EQ(json["claims"][0]["verdict"], "PASSED");
  EXPECT_FALSE(json["claims"][0]["evidence"].empty());
  EXPECT_EQ(json["summary"]["failed"], 0);
  std::filesystem::remove(report);
}

TEST(Certify, ExitsOneWhenAClaimFails) {
  std::ostringstream out, err;
  const int code = run_cli({"run", scenario_file.string(), "--test-only-mutant", "permission-cache", "--no-colour"}, out, err);
  EXPECT_EQ(code, 1) << out.str() << err.str();
  EXPECT_THAT(out.str(), testing::HasSubstr("FAILED"));
}

TEST(Certify, RefusesAMalformedScenarioWithFileAndLine) {
  const auto bad = std::filesystem::temp_directory_path() / ("mcpcert-bad-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream file(bad);
    file << "scenario: bad\ntitle: t\nclaims: [REVOKE-ADMIN]\nnotice: {source: s, sentence: s}\ntenant: emea-finance\n"
            "steps:\n  - call_tool: {as: alice, tool: get_kpis, expect: {outcome: sucess}}\n";
  }
  std::ostringstream out, err;
  EXPECT_EQ(run_cli({"run", bad.string()}, out, err), 2);
  EXPECT_THAT(err.str(), testing::HasSubstr(bad.string() + ":7:"));
  EXPECT_THAT(err.str(), testing::HasSubstr("expect.outcome"));
  std::filesystem::remove(bad);
}

} // namespace
} // namespace mcpcert::client
