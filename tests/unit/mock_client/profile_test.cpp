#include "mcpcert/mock_client/profile.hpp"

#include <unistd.h>

#include <fstream>
#include <regex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/mock_client/runner.hpp"
#include "mcpcert/mock_client/world.hpp"

namespace mcpcert::client {
namespace {

using testing::HasSubstr;

const std::filesystem::path profiles_dir = Installation::detect().scenarios_dir() / "profiles";

class ProfileFile : public testing::Test {
protected:
  std::filesystem::path write(const std::string& text) {
    std::ofstream(path_) << text;
    return path_;
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // The valid profile with one line replaced (matched from its start).
  std::string error_with(const std::string& line_start, const std::string& replacement) {
    auto text = valid;
    const auto at = text.find(line_start);
    EXPECT_NE(at, std::string::npos) << line_start;
    text.replace(at, text.find('\n', at) - at, replacement);
    try {
      load_profile(write(text));
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "no error";
  }

  const std::string valid = "profile: vendor-2026-01-01\n"
                            "notice: {title: Vendor notice, date: 2026-01-01}\n"
                            "parameters:\n"
                            "  access_ttl: 1h\n"
                            "  refresh_ttl: 14d\n"
                            "  refresh_rotation: {policy: every_use, reuse_grace: 0s}\n"
                            "  log_retention: 30d\n"
                            "  regions: [eu-central-1]\n"
                            "  tool_set: finance\n"
                            "  tools: [get_kpis]\n"
                            "  log_fields: [tool, user]\n"
                            "  pkce_methods: [S256]\n"
                            "claims:\n"
                            "  - {id: ACCESS-TTL, section: '5', sentence: access tokens expire after one hour}\n"
                            "  - {id: NO-TRAINING, section: '6', sentence: we do not train on your data}\n";
  std::filesystem::path path_ = std::filesystem::temp_directory_path() / ("profile-test-" + std::to_string(::getpid()) + ".yaml");
};

TEST_F(ProfileFile, ReadsParametersClaimsAndDigest) {
  const auto profile = load_profile(write(valid));
  EXPECT_EQ(profile.name, "vendor-2026-01-01");
  EXPECT_EQ(profile.parameters.access_ttl, 3600);
  EXPECT_EQ(profile.parameters.refresh_ttl, 14 * 86400);
  EXPECT_EQ(profile.parameters.log_retention, 30 * 86400);
  EXPECT_EQ(profile.parameters.regions, std::vector<std::string>{"eu-central-1"});
  ASSERT_EQ(profile.claims.size(), 2u);
  EXPECT_EQ(profile.claims[0].id, "ACCESS-TTL");
  EXPECT_EQ(profile.claims[0].line, 14);
  EXPECT_EQ(profile.claims[1].sentence, "we do not train on your data");
  EXPECT_EQ(profile.sha256.size(), 64u);
  EXPECT_TRUE(profile.parameters.hosts_region("eu-central-1"));
  EXPECT_FALSE(profile.parameters.hosts_region("us-east-1"));
}

TEST_F(ProfileFile, RefusesWhatCannotBeCertifiedNamingFileLineAndField) {
  EXPECT_THAT(error_with("  - {id: ACCESS-TTL", "  - {id: ACCESS-TTLL, section: '5', sentence: s}"),
              HasSubstr(":14: profile.claims[0].id: unknown claim id 'ACCESS-TTLL'"));
  EXPECT_THAT(error_with("  log_retention:", ""), HasSubstr("profile.parameters.log_retention: required parameter is missing"));
  EXPECT_THAT(error_with("  access_ttl:", "  access_ttl: -5"), HasSubstr(":4: profile.parameters.access_ttl: must be at least 1 s"));
  EXPECT_THAT(error_with("  access_ttl:", "  access_ttl: soon"), HasSubstr("is not a duration"));
  EXPECT_THAT(error_with("  refresh_ttl:", "  refresh_ttl: 30m"),
              HasSubstr(":5: profile.parameters.refresh_ttl: a refresh token (1800 s) cannot live shorter than the access token"));
  EXPECT_THAT(error_with("  regions:", "  regions: [mars-north-1]"),
              HasSubstr(":8: profile.parameters.regions[0]: unknown value 'mars-north-1' (known: eu-central-1, us-east-1, azure-westeurope)"));
  EXPECT_THAT(error_with("  log_retention:", "  log_retention: 36h"), HasSubstr("must be a whole number of days"));
  EXPECT_THAT(error_with("  pkce_methods:", "  pkce_methods: [plain]"), HasSubstr("must include S256"));
  EXPECT_THAT(error_with("  tools:", "  tools: []"), HasSubstr("profile.parameters.tools: must be a non-empty list"));
  EXPECT_THAT(error_with("  tools:", "  tools: [get_kpis, get_kpis]"), HasSubstr("'get_kpis' is listed twice"));
  EXPECT_THAT(error_with("  refresh_rotation:", "  refresh_rotation: {policy: sometimes, reuse_grace: 0s}"),
              HasSubstr("profile.parameters.refresh_rotation.policy: 'sometimes' is not one of: every_use, none"));
  EXPECT_THAT(error_with("  tools:", "  toolz: [get_kpis]"), HasSubstr("profile.parameters.toolz: unknown parameter"));
  EXPECT_THAT(error_with("  - {id: NO-TRAINING", "  - {id: ACCESS-TTL, section: '6', sentence: again}"), HasSubstr("listed twice"));
}

TEST_F(ProfileFile, RefusesParametersThatContradictItsClaims) {
  auto text = valid + "  - {id: REFRESH-ROTATE, section: '5', sentence: rotated on each use}\n";
  text.replace(text.find("policy: every_use"), 17, "policy: none");
  try {
    load_profile(write(text));
    FAIL() << "a profile promising rotation with policy none was accepted";
  } catch (const ScenarioError& e) {
    EXPECT_THAT(e.what(), HasSubstr("claim REFRESH-ROTATE (line 16) promises rotation on every use"));
  }
}

TEST(Durations, TakeUnitsAndRefuseTheRest) {
  EXPECT_EQ(parse_duration("45"), 45);
  EXPECT_EQ(parse_duration("45s"), 45);
  EXPECT_EQ(parse_duration("30m"), 1800);
  EXPECT_EQ(parse_duration("1h"), 3600);
  EXPECT_EQ(parse_duration("90d"), 90 * 86400);
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("d"));
  EXPECT_FALSE(parse_duration("1w"));
  EXPECT_FALSE(parse_duration("1.5h"));
}

// Every shipped profile loads, and each of its claims quotes its notice.
TEST(ShippedProfiles, LoadAndQuoteTheirNotice) {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(profiles_dir)) {
    const auto profile = load_profile(entry.path());
    ++count;
    EXPECT_EQ(entry.path().stem().string(), profile.name) << "a profile file is named after its notice and date";
    EXPECT_TRUE(std::regex_search(profile.name, std::regex("-[0-9]{4}-[0-9]{2}-[0-9]{2}$"))) << profile.name;
    EXPECT_FALSE(profile.claims.empty());
    for (const auto& claim : profile.claims) EXPECT_FALSE(claim.section.empty()) << profile.name << " " << claim.id;
  }
  EXPECT_EQ(count, 2u);
}

TEST(ScenarioParameters, FillScenarioFilesBeforeTheyAreRead) {
  const auto path = std::filesystem::temp_directory_path() / ("scenario-parameters-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "scenario: s\ntitle: at ${access_ttl-1} s\nclaims: [ACCESS-TTL]\nnotice: {source: a, sentence: b}\n"
                         "tenant: emea-finance\nsteps:\n  - authorize: {as: alice}\n"
                         "  - advance_clock: {token_age: ${access_ttl+1}, of: alice}\n"
                         "  - list_tools: {as: alice, expect: {names: ${tools_finance}}}\n"
                         "  - raw_request: {path: /mcp, expect: {header: {x: '${mcp_url}'}}}\n";
  ProfileParameters parameters;
  parameters.access_ttl = 600;
  parameters.tool_set = "finance";
  parameters.tools = {"a", "b"};
  const auto scenario = load_scenario(path, parameters.for_scenarios());
  EXPECT_EQ(scenario.title, "at 599 s");
  EXPECT_EQ(scenario.steps[1].args["token_age"], 601);
  EXPECT_EQ(scenario.steps[2].args["expect"]["names"], nlohmann::json({"a", "b"}));
  EXPECT_EQ(scenario.steps[3].args["expect"]["header"]["x"]["contains"], "${mcp_url}") << "runtime placeholders are left alone";
  std::filesystem::remove(path);
}

ScenarioResult scenario_result(std::string name, std::vector<std::string> claims, Verdict verdict, std::string reason = {}) {
  ScenarioResult result;
  result.name = std::move(name);
  result.claims = std::move(claims);
  result.verdict = verdict;
  result.reason = std::move(reason);
  return result;
}

TEST(ProfileVerdicts, OnlyTheProfilesClaimsNeverPassedWithoutAScenario) {
  Profile profile;
  profile.claims = {{"ACCESS-TTL", "5", "expire after one hour", 1}, {"NO-TRAINING", "5", "no training", 2},
                    {"AUTHZ-EQUIV", "2", "no more than the UI", 3},  {"LOG-RETENTION", "9", "90 days", 4}};
  const std::vector<ScenarioResult> results{scenario_result("ttl", {"ACCESS-TTL"}, Verdict::passed),
                                            scenario_result("toolset", {"TOOLSET"}, Verdict::failed, "not in the profile"),
                                            scenario_result("retention", {"LOG-RETENTION"}, Verdict::skipped, "needs virtual_clock")};
  const auto claims = verdicts_for_profile(results, profile);
  ASSERT_EQ(claims.size(), 4u);
  std::map<std::string, const ClaimResult*> by_id;
  for (const auto& claim : claims) by_id[claim.id] = &claim;
  EXPECT_EQ(by_id.count("TOOLSET"), 0u);
  EXPECT_EQ(by_id["ACCESS-TTL"]->verdict, Verdict::passed);
  EXPECT_EQ(by_id["ACCESS-TTL"]->notice->sentence, "expire after one hour");
  EXPECT_EQ(by_id["NO-TRAINING"]->verdict, Verdict::review);
  EXPECT_EQ(by_id["AUTHZ-EQUIV"]->verdict, Verdict::skipped);
  EXPECT_THAT(by_id["AUTHZ-EQUIV"]->reason, HasSubstr("no scenario"));
  EXPECT_EQ(by_id["LOG-RETENTION"]->verdict, Verdict::skipped);
  EXPECT_THAT(by_id["LOG-RETENTION"]->reason, HasSubstr("needs virtual_clock"));
  EXPECT_EQ(verdicts_for_profile(results, profile, {"ACCESS-TTL"}).size(), 1u);
}

} // namespace
} // namespace mcpcert::client
