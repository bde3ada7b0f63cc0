// The new checks bite: each scenario of the log, storage, TLS and audience
// families passes on the reference connector and fails, at the step that
// checks it, with the connector mutant that breaks its claim; and `mcpcert
// mutants` proves the same for every mutant the connector and the mock
// authorization server list.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/mock_client/cli.hpp"
#include "mcpcert/mock_client/mutation.hpp"
#include "mcpcert/mock_client/runner.hpp"
#include "mcpcert/mock_client/scenario.hpp"

namespace mcpcert::client {
namespace {

using testing::HasSubstr;

const std::filesystem::path source_dir = MCPCERT_SOURCE_DIR;

struct Catch {
  const char* file;    ///< under scenarios/
  const char* mutant;  ///< the connector defect
  const char* failing; ///< the kind of step that must catch it
};

std::ostream& operator<<(std::ostream& out, const Catch& c) { return out << c.file << " with " << c.mutant; }

class MutantCatches : public testing::TestWithParam<Catch> {};

TEST_P(MutantCatches, PassesCleanAndFailsWithTheMutant) {
  const auto& c = GetParam();
  const auto scenario = load_scenario(source_dir / "scenarios" / c.file);
  const auto clean = run_scenario(scenario, WorldOptions{});
  ASSERT_EQ(clean.verdict, Verdict::passed) << clean.reason;
  EXPECT_EQ(clean.steps.size(), scenario.steps.size());

  WorldOptions broken;
  broken.connector_mutants = {c.mutant};
  const auto result = run_scenario(scenario, broken);
  ASSERT_EQ(result.verdict, Verdict::failed) << c;
  ASSERT_FALSE(result.steps.empty());
  EXPECT_EQ(result.steps.back().kind, c.failing) << result.reason;
}

INSTANTIATE_TEST_SUITE_P(
    NewFamilies, MutantCatches,
    testing::Values(Catch{"transport/tls_min.yaml", "tls-legacy-versions", "tls_probe"},
                    Catch{"transport/auth_rs_audience.yaml", "audience-unchecked", "raw_request"},
                    Catch{"logs/log_complete.yaml", "failures-not-logged", "assert_log"},
                    Catch{"logs/log_fields.yaml", "arguments-logged", "assert_log"},
                    Catch{"logs/log_retention.yaml", "retention-unswept", "assert_log"},
                    Catch{"logs/at_rest.yaml", "plaintext-log", "scan_storage"},
                    Catch{"regions/region_pin.yaml", "shared-log-store", "assert_log"},
                    Catch{"permissions/authz_equiv.yaml", "shared-upstream-token", "call_tool"},
                    Catch{"permissions/authz_write.yaml", "write-token-per-app", "call_tool"},
                    Catch{"permissions/authz_list.yaml", "list-cache-shared", "call_tool"},
                    Catch{"permissions/authz_nocache.yaml", "node-result-cache-shared", "call_tool"},
                    Catch{"permissions/authz_exposed.yaml", "exposure-ignored", "call_tool"},
                    Catch{"permissions/no_copy.yaml", "result-disk-cache", "scan_storage"}));

std::filesystem::path scratch(const std::string& name) {
  auto path = std::filesystem::temp_directory_path() / ("mcpcert-mutants-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(path);
  return path;
}

TEST(LogSteps, RecordWhatTheyWereDecidedOn) {
  const auto result = run_scenario(load_scenario(source_dir / "scenarios/logs/log_complete.yaml"), WorldOptions{});
  ASSERT_EQ(result.verdict, Verdict::passed) << result.reason;
  const StepRecord* complete = nullptr;
  for (const auto& step : result.steps) {
    if (step.kind == "assert_log" && step.args.contains("request_ids_of")) complete = &step;
  }
  ASSERT_NE(complete, nullptr);
  ASSERT_EQ(complete->observed["matching_records"].size(), 5u);
  std::set<std::string> outcomes;
  for (const auto& row : complete->observed["matching_records"]) {
    outcomes.insert(row["outcome"].get<std::string>());
    EXPECT_EQ(row["source_ip"], "127.0.0.1");
    EXPECT_EQ(row["user"], "alice");
  }
  EXPECT_EQ(outcomes, (std::set<std::string>{"success", "invalid_params", "tool_error", "permission_denied"}));
  EXPECT_EQ(complete->observed["request_ids"]["after_revocation"]["records"], 1);
}

TEST(StorageScan, IsSkippedWhenItCannotSeeTheData) {
  // A value that is never stored stands for "the scan reads the wrong files": no verdict either way.
  std::ifstream in(source_dir / "scenarios/logs/at_rest.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find("present: [get_kpis]");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, std::string("present: [get_kpis]").size(), "present: [get_pnl]");
  const auto changed = scratch("at_rest.yaml");
  std::ofstream(changed) << text;
  const auto result = run_scenario(load_scenario(changed), WorldOptions{});
  std::filesystem::remove(changed);
  ASSERT_EQ(result.verdict, Verdict::skipped) << result.reason;
  EXPECT_EQ(result.steps.back().kind, "scan_storage");
  EXPECT_THAT(result.reason, HasSubstr("cannot tell whether it sees the data"));
}

TEST(MutantsCommand, CatchesEveryMutantByItsOwnClaim) {
  const auto json_file = scratch("mutants.json");
  std::ostringstream out, err;
  const int code = run_cli({"mutants", "--jobs", "2", "--json", json_file.string(), "--no-colour"}, out, err);
  EXPECT_EQ(code, 0) << out.str() << err.str();
  EXPECT_THAT(out.str(), HasSubstr("claim it breaks"));

  const auto listed = list_all_mutants(Installation::detect());
  ASSERT_TRUE(listed.problem.empty()) << listed.problem;
  ASSERT_GE(listed.mutants.size(), 25u);
  // The authorization server's mutants are in the table too, one per claim it alone can break.
  std::set<std::string> backend_claims;
  for (const auto& mutant : listed.mutants)
    if (mutant.host == MutantHost::authorization_server) backend_claims.insert(mutant.claim);
  EXPECT_EQ(backend_claims, (std::set<std::string>{"AUTH-CODE-PKCE", "CONSENT", "MCP-ACCESS", "REFRESH-ROTATE", "REFRESH-TTL",
                                                   "REVOKE-CLIENT", "REVOKE-ROTATE-CREDS"}));
  std::ifstream in(json_file);
  const auto report = nlohmann::json::parse(in);
  ASSERT_EQ(report["mutants"].size(), listed.mutants.size());
  for (std::size_t i = 0; i < listed.mutants.size(); ++i) {
    const auto& entry = report["mutants"][i];
    EXPECT_EQ(entry["name"], listed.mutants[i].name);
    EXPECT_EQ(entry["claim"], listed.mutants[i].claim);
    EXPECT_EQ(entry["component"], listed.mutants[i].host == MutantHost::connector ? "connector" : "authorization_server");
    const auto caught_by = entry["caught_by"].get<std::vector<std::string>>();
    EXPECT_THAT(caught_by, testing::Contains(listed.mutants[i].claim)) << entry.dump();
  }
  EXPECT_THAT(out.str(), HasSubstr(std::to_string(listed.mutants.size()) + " mutant(s): " + std::to_string(listed.mutants.size()) +
                                   " caught by their own claim, 0 not caught"));
  std::filesystem::remove(json_file);
}

TEST(MutantsCommand, ExitsOneWhenAMutantGetsAway) {
  // A source tree whose only scenario checks TLS: every other mutant goes unnoticed.
  const auto tree = scratch("tree");
  std::filesystem::create_directories(tree / "scenarios/transport");
  std::filesystem::create_directory_symlink(source_dir / "mock_backend", tree / "mock_backend");
  std::filesystem::copy_file(source_dir / "scenarios/transport/tls_min.yaml", tree / "scenarios/transport/tls_min.yaml");
  const char* previous = ::getenv("MCPCERT_SOURCE_DIR");
  const std::string saved = previous != nullptr ? previous : "";
  ::setenv("MCPCERT_SOURCE_DIR", tree.c_str(), 1);
  std::ostringstream out, err;
  const int code = run_cli({"mutants", "--jobs", "2", "--no-colour"}, out, err);
  if (previous != nullptr) ::setenv("MCPCERT_SOURCE_DIR", saved.c_str(), 1);
  else ::unsetenv("MCPCERT_SOURCE_DIR");
  std::filesystem::remove_all(tree);

  EXPECT_EQ(code, 1) << out.str() << err.str();
  EXPECT_THAT(out.str(), testing::ContainsRegex("tls-legacy-versions +TLS-MIN +TLS-MIN"));
  EXPECT_THAT(out.str(), testing::ContainsRegex("permission-cache +REVOKE-ADMIN +NOT CAUGHT"));
  EXPECT_THAT(out.str(), HasSubstr("no scenario checks REVOKE-ADMIN"));
}

TEST(MutantsCommand, RefusesUnknownOptions) {
  std::ostringstream out, err;
  EXPECT_EQ(run_cli({"mutants", "--claim", "TLS-MIN"}, out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("unknown option '--claim' for mutants"));
  std::ostringstream out2, err2;
  EXPECT_EQ(run_cli({"mutants", "--jobs", "0"}, out2, err2), 2);
}

} // namespace
} // namespace mcpcert::client
