// Every shipped scenario against the reference connector, the reports of a
// parallel run, and `mcpcert up`: real processes on loopback ports.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gmock/gmock.h>

#include "mcpcert/http_client.hpp"
#include "mcpcert/tls.hpp"
#include <gtest/gtest.h>

#include "mcpcert/mock_client/cli.hpp"
#include "mcpcert/mock_client/report.hpp"
#include "mcpcert/mock_client/runner.hpp"
#include "mcpcert/mock_client/scenario.hpp"

namespace mcpcert::client {
namespace {

using testing::HasSubstr;

const std::filesystem::path scenarios_dir = std::filesystem::path(MCPCERT_SOURCE_DIR) / "scenarios";

std::vector<Scenario> every_scenario() {
  std::vector<Scenario> scenarios;
  for (const auto& file : find_scenario_files({scenarios_dir})) scenarios.push_back(load_scenario(file));
  return scenarios;
}

std::filesystem::path scratch(const std::string& name) {
  auto path = std::filesystem::temp_directory_path() / ("mcpcert-families-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(path);
  return path;
}

// A step may be skipped only for a capability another part of the project
// has not shipped yet; the test then names it instead of hiding it.
bool skipped_for_a_missing_capability(const ScenarioResult& result) {
  return result.verdict == Verdict::skipped && result.reason.find("bearer_sha256") != std::string::npos;
}

// Retention may delete or pseudonymise (the notices say "deleted or
// anonymised"): the retention scenarios must hold for a connector that does
// either, and still catch one that keeps the user's id.
TEST(ScenarioFamilies, RetentionScenariosHoldWhenRecordsArePseudonymisedInstead) {
  std::vector<Scenario> scenarios{load_scenario(scenarios_dir / "logs" / "log_retention.yaml"),
                                  load_scenario(scenarios_dir / "faults" / "clock_rewind.yaml")};
  WorldOptions options;
  options.log_retention_mode = "pseudonymise";
  RunSettings settings;
  settings.jobs = 2;
  for (const auto& result : run_scenarios(scenarios, options, settings)) {
    EXPECT_EQ(result.verdict, Verdict::passed) << result.file << ": " << result.reason;
  }
  options.connector_mutants = {"retention-unswept"};
  const auto unswept = run_scenario(scenarios[0], options);
  EXPECT_EQ(unswept.verdict, Verdict::failed) << "a connector that neither deletes nor pseudonymises must fail";
}

// A connector that pages tools/list: the client follows nextCursor, so the
// tool-set scenarios see every tool, no more and no fewer.
TEST(ScenarioFamilies, ToolSetScenariosFollowPagesOfTwoTools) {
  std::vector<Scenario> scenarios{load_scenario(scenarios_dir / "permissions" / "toolset.yaml"),
                                  load_scenario(scenarios_dir / "permissions" / "toolset_planning.yaml")};
  WorldOptions options;
  options.tools_page_size = 2;
  RunSettings settings;
  settings.jobs = 2;
  for (const auto& result : run_scenarios(scenarios, options, settings)) {
    EXPECT_EQ(result.verdict, Verdict::passed) << result.file << ": " << result.reason;
  }
}

TEST(ScenarioFamilies, EveryScenarioPassesOnTheReferenceConnector) {
  const auto scenarios = every_scenario();
  ASSERT_GE(scenarios.size(), 15u);
  RunSettings settings;
  settings.jobs = 2;
  const auto results = run_scenarios(scenarios, WorldOptions{}, settings);
  ASSERT_EQ(results.size(), scenarios.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].name, scenarios[i].name) << "results keep the order of the scenarios";
    if (skipped_for_a_missing_capability(results[i])) {
      std::cout << "note: " << results[i].name << " skipped: " << results[i].reason << "\n";
      continue;
    }
    EXPECT_EQ(results[i].verdict, Verdict::passed) << results[i].file << ": " << results[i].reason;
    EXPECT_EQ(results[i].steps.size(), scenarios[i].steps.size()) << results[i].name;
  }
}

TEST(ScenarioFamilies, AccessTokenExpiryIsSeenOnVirtualTime) {
  const auto result = run_scenario(load_scenario(scenarios_dir / "tokens/access_ttl.yaml"), WorldOptions{});
  ASSERT_EQ(result.verdict, Verdict::passed) << result.reason;
  const auto& before = result.steps[4];
  const auto& after = result.steps[6];
  EXPECT_EQ(before.observed["status"], 200);
  EXPECT_EQ(after.observed["status"], 401);
  // The clock moved in both components: two control calls per advance.
  std::set<std::string> planes;
  for (const auto& exchange : result.steps[5].exchanges) planes.insert(exchange["request"]["url"].get<std::string>());
  EXPECT_EQ(planes.size(), 2u);
}

TEST(ScenarioFamilies, ParallelRunWritesEveryReport) {
  const auto json_file = scratch("report.json");
  const auto junit_file = scratch("report.xml");
  const auto html_file = scratch("report.html");
  const auto trace_dir = scratch("traces");
  std::ostringstream out, err;
  const int code = run_cli({"run", scenarios_dir.string(), "--jobs", "2", "--seed", "1234", "--no-colour", "--json", json_file.string(),
                            "--junit", junit_file.string(), "--html", html_file.string(), "--trace", trace_dir.string()},
                           out, err);
  EXPECT_EQ(code, 0) << out.str() << err.str();

  const auto scenarios = every_scenario();
  std::set<std::string> expected_claims;
  for (const auto& scenario : scenarios) expected_claims.insert(scenario.claims.begin(), scenario.claims.end());
  std::ifstream in(json_file);
  const auto report = nlohmann::json::parse(in);
  std::set<std::string> reported;
  for (const auto& claim : report["claims"]) {
    reported.insert(claim["id"].get<std::string>());
    EXPECT_NE(claim["verdict"], "FAILED") << claim["id"];
    EXPECT_FALSE(claim["evidence"].empty()) << claim["id"];
  }
  EXPECT_EQ(reported, expected_claims);
  EXPECT_EQ(report["harness"]["seed"], 1234);
  EXPECT_EQ(report["summary"]["failed"], 0);

  // One progress line per scenario, each complete.
  std::size_t progress_lines = 0;
  std::istringstream lines(out.str());
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("[")) {
      ++progress_lines;
      EXPECT_THAT(line, testing::MatchesRegex("\\[ ?[0-9]+/[0-9]+\\] .* \\.\\.\\. (PASSED|SKIPPED) \\([0-9]+ ms\\)"));
    }
  }
  EXPECT_EQ(progress_lines, scenarios.size());

  std::ifstream junit(junit_file);
  const std::string xml((std::istreambuf_iterator<char>(junit)), std::istreambuf_iterator<char>());
  EXPECT_THAT(xml, HasSubstr("<testsuites name=\"mcpcert\" tests=\"" + std::to_string(scenarios.size()) + "\" failures=\"0\""));
  EXPECT_THAT(xml, HasSubstr("classname=\"SESSION-BIND\""));
  EXPECT_TRUE(std::filesystem::file_size(html_file) > 1000);

  std::size_t traces = 0;
  for (const auto& entry : std::filesystem::directory_iterator(trace_dir)) {
    ++traces;
    std::ifstream trace_in(entry.path());
    const auto trace = nlohmann::json::parse(trace_in);
    EXPECT_TRUE(trace["world"].contains("mcp_url")) << entry.path();
    // Tokens sent in a query string are masked like any other.
    const auto text = trace.dump();
    EXPECT_EQ(text.find("access_token=ey"), std::string::npos) << entry.path();
    EXPECT_EQ(text.find("Bearer ey"), std::string::npos) << entry.path();
  }
  EXPECT_EQ(traces, scenarios.size());
  for (const auto& path : {json_file, junit_file, html_file, trace_dir}) std::filesystem::remove_all(path);
}

TEST(ScenarioFamilies, TagAndClaimFiltersSelectScenarios) {
  const auto json_file = scratch("tagged.json");
  std::ostringstream out, err;
  ASSERT_EQ(run_cli({"run", scenarios_dir.string(), "--tag", "sessions", "--no-colour", "--json", json_file.string()}, out, err), 0)
      << out.str() << err.str();
  std::ifstream in(json_file);
  const auto report = nlohmann::json::parse(in);
  std::set<std::string> claims;
  for (const auto& claim : report["claims"]) claims.insert(claim["id"].get<std::string>());
  EXPECT_EQ(claims, (std::set<std::string>{"MCP-TRANSPORT", "SESSION-BIND"}));
  std::filesystem::remove(json_file);

  std::ostringstream none_out, none_err;
  EXPECT_EQ(run_cli({"run", scenarios_dir.string(), "--tag", "sessions", "--claim", "TOOLSET"}, none_out, none_err), 2);
  EXPECT_THAT(none_err.str(), HasSubstr("no scenario to run"));
  std::ostringstream bad_out, bad_err;
  EXPECT_EQ(run_cli({"run", scenarios_dir.string(), "--jobs", "0"}, bad_out, bad_err), 2);
}

TEST(Up, PrintsTheWorldAndTearsItDown) {
  std::ostringstream out, err;
  std::string mcp_url;
  int metadata_status = 0;
  const int code = run_up({"up"}, out, err, [&] {
    // Everything a person needs is printed before the command starts waiting.
    const auto text = out.str();
    const auto at = text.find("MCP URL");
    ASSERT_NE(at, std::string::npos) << text;
    std::istringstream line(text.substr(at + 7));
    line >> mcp_url;
    std::string certificate;
    if (const auto cert_at = text.find("TLS certificate"); cert_at != std::string::npos) {
      std::istringstream cert_line(text.substr(cert_at + 15));
      cert_line >> certificate;
    }
    Transcript transcript;
    HttpAgent agent(transcript, certificate);
    metadata_status = agent.send({"GET", mcp_url.substr(0, mcp_url.rfind('/')) + "/.well-known/oauth-protected-resource/mcp", {}, ""}).status;
  });
  EXPECT_EQ(code, 0) << err.str();
  EXPECT_EQ(metadata_status, 200) << out.str();
  for (const char* expected : {"backend control", "connector control", "control secret", "tenant emea-finance (region eu-central-1)",
                               "issuer", "alice", "alice-finance-2025", "carol", "(no MCP Access)"}) {
    EXPECT_THAT(out.str(), HasSubstr(expected));
  }
  // Torn down: nothing completes a TLS handshake on the connector's port any more.
  const auto url = http::parse_url(mcp_url);
  ASSERT_TRUE(url);
  EXPECT_TRUE(probe_tls_handshake(url->host, url->port, TlsVersion::tls1_2).error.size() > 0);
  EXPECT_FALSE(probe_tls_handshake(url->host, url->port, TlsVersion::tls1_2).completed);
}

} // namespace
} // namespace mcpcert::client
