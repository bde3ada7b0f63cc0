// Certification as a vendor runs it: each shipped profile certifies the
// reference connector, a signed report verifies until someone edits it, and
// an external connector (ours, started by hand) with the clock and the log
// export withheld gets exactly those claims SKIPPED, naming the capability.

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/mock_client/child_process.hpp"
#include "mcpcert/mock_client/cli.hpp"
#include "mcpcert/mock_client/profile.hpp"
#include "mcpcert/mock_client/restartable_ports.hpp"
#include "mcpcert/mock_client/runner.hpp"
#include "mcpcert/mock_client/world.hpp"

namespace mcpcert::client {
namespace {

using testing::HasSubstr;

const std::filesystem::path source_dir = MCPCERT_SOURCE_DIR;
const std::filesystem::path profiles_dir = source_dir / "scenarios" / "profiles";

std::filesystem::path scratch(const std::string& name) {
  auto path = std::filesystem::temp_directory_path() / ("mcpcert-certification-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

std::map<std::string, nlohmann::json> claims_by_id(const nlohmann::json& report) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& claim : report["claims"]) out[claim["id"]] = claim;
  return out;
}

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

class ShippedProfile : public testing::TestWithParam<const char*> {};

TEST_P(ShippedProfile, CertifiesTheReferenceConnectorAndSignsAReportThatCannotBeEdited) {
  const auto dir = scratch(GetParam());
  const auto profile_file = profiles_dir / (std::string(GetParam()) + ".yaml");
  const auto profile = load_profile(profile_file);
  const auto report_file = dir / "report.json";
  const auto run = cli({"certify", "--profile", profile_file.string(), "--jobs", "2", "--no-colour", "--json", report_file.string(),
                        "--signing-key", (dir / "key.pem").string()});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_THAT(run.out, HasSubstr("CERTIFIED"));

  const auto report = read_json(report_file);
  EXPECT_EQ(report["summary"]["result"], "CERTIFIED");
  EXPECT_EQ(report["profile"]["name"], profile.name);
  EXPECT_EQ(report["profile"]["sha256"], profile.sha256);
  EXPECT_TRUE(report["target"]["sha256"].is_null()) << "the reference connector has no target file";
  const auto claims = claims_by_id(report);
  EXPECT_EQ(claims.size(), profile.claims.size()) << "exactly the profile's claims are reported";
  for (const auto& promised : profile.claims) {
    ASSERT_TRUE(claims.contains(promised.id)) << promised.id;
    const auto& claim = claims.at(promised.id);
    EXPECT_EQ(claim["notice"]["sentence"], promised.sentence);
    if (claim["scenarios"].empty()) {
      EXPECT_NE(claim["verdict"], "PASSED") << promised.id << " passed without a scenario";
    }
  }
  for (const auto& item : report["summary"]["review_items"]) EXPECT_EQ(claims.at(item["id"])["verdict"], "REVIEW");
  for (const auto& item : report["summary"]["skipped_items"]) EXPECT_FALSE(item["reason"].get<std::string>().empty()) << item;

  const auto verified = cli({"verify", report_file.string()});
  EXPECT_EQ(verified.code, 0) << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("VERIFIED"));

  // A vendor "fixes" a verdict by hand.
  std::ifstream in(report_file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string before = "\"verdict\": \"REVIEW\"";
  const auto at = text.find(before);
  ASSERT_NE(at, std::string::npos) << "both notices make contractual promises (REVIEW)";
  text.replace(at, before.size(), "\"verdict\": \"PASSED\"");
  const auto edited = dir / "edited.json";
  std::ofstream(edited) << text;
  ASSERT_EQ(claims_by_id(read_json(edited)).size(), claims.size()) << "the edit keeps valid JSON";
  const auto refused = cli({"verify", edited.string()});
  EXPECT_EQ(refused.code, 1);
  EXPECT_THAT(refused.err, HasSubstr("NOT VERIFIED"));
  EXPECT_THAT(refused.err, HasSubstr("changed after signing"));
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Notices, ShippedProfile, testing::Values("emasphere-2026-05-28", "pyplan-2026-06-15"));

/// A fixed port for the external target's backend (restartable_ports.hpp:
/// below the kernel's ephemeral range, so no connection beside this test can
/// hold it between the pick and the bind, as happened with a kernel-picked one).
std::uint16_t free_port() {
  auto port = pick_restartable_port();
  EXPECT_TRUE(port) << "no free loopback port below the ephemeral range";
  return port.value_or(0);
}

TEST(ExternalTarget, WithheldCapabilitiesSkipTheirClaimsByName) {
  const auto dir = scratch("external");
  const std::string secret = random_token(24);
  // The vendor's side: a connector configured once with the backend's fixed addresses.
  std::map<std::string, std::pair<std::string, std::string>> listen; // tenant -> api, issuer
  nlohmann::json connector_config = {{"listen", "127.0.0.1:0"},
                                     {"client", {{"id", "vendor-connector"}, {"secret", secret}}},
                                     {"tenants", nlohmann::json::array()},
                                     {"leeway_seconds", 0},
                                     {"tls", nlohmann::json::object()}};
  for (const auto& hosted : hosted_tenants()) {
    listen[hosted.id] = {"127.0.0.1:" + std::to_string(free_port()), "127.0.0.1:" + std::to_string(free_port())};
    connector_config["tenants"].push_back({{"id", hosted.id},
                                           {"region", hosted.region},
                                           {"issuer", "http://" + listen[hosted.id].second},
                                           {"api", "http://" + listen[hosted.id].first}});
  }
  std::ofstream(dir / "connector.json") << connector_config.dump(2);
  auto connector = ChildProcess::spawn(Installation::detect().connector_binary, {"--config", (dir / "connector.json").string()},
                                       dir / "connector.log");
  ASSERT_TRUE(connector);
  const auto ready = connector->wait_ready(std::chrono::seconds(20));
  ASSERT_TRUE(ready);
  const auto endpoints = nlohmann::json::parse(*ready);
  std::ofstream(dir / "connector-ca.pem") << endpoints["certificate_pem"].get<std::string>();

  std::ostringstream target;
  target << "target: reference-started-by-hand\n"
         << "mcp_url: " << endpoints["mcp"].get<std::string>() << "\n"
         << "tls_ca_file: connector-ca.pem\n"
         << "registration: {client_id: vendor-connector, client_secret: " << secret << "}\n"
         << "backend:\n  control: 127.0.0.1:" << free_port() << "\n  key_refetch_seconds: 10\n  tenants:\n";
  for (const auto& [id, addresses] : listen) target << "    " << id << ": {api: " << addresses.first << ", issuer: " << addresses.second << "}\n";
  // The connector names each tenant's own MCP URL in its READY line; a vendor lists them once.
  target << "tenant_mcp_urls:\n";
  for (const auto& [id, url] : endpoints["tenant_mcp"].items()) target << "  " << id << ": " << url.get<std::string>() << "\n";
  target << "capabilities: {virtual_clock: false, log_export: false}\n";
  std::ofstream(dir / "target.yaml") << target.str();

  // One claim per kind of outcome keeps this to a single world.
  const auto report_file = dir / "report.json";
  const auto run = cli({"certify", "--profile", (profiles_dir / "emasphere-2026-05-28.yaml").string(), "--target", (dir / "target.yaml").string(),
                        "--claim", "NO-PASSTHROUGH", "--claim", "ACCESS-TTL", "--claim", "LOG-COMPLETE", "--claim", "SUBPROCESSORS",
                        "--no-colour", "--json", report_file.string(), "--signing-key", (dir / "key.pem").string()});
  // The tenant URLs the target file lists are the ones a scenario at a tenant's own URL speaks to.
  const auto tenant_url_report = dir / "tenant-url.json";
  const auto tenant_url_run = cli({"run", (source_dir / "scenarios" / "tokens" / "tenant_url.yaml").string(), "--target",
                                   (dir / "target.yaml").string(), "--no-colour", "--json", tenant_url_report.string()});
  connector->terminate();
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_EQ(tenant_url_run.code, 0) << tenant_url_run.out << tenant_url_run.err;
  const auto tenant_url_claims = claims_by_id(read_json(tenant_url_report));
  ASSERT_TRUE(tenant_url_claims.contains("TOKEN-SCOPE"));
  EXPECT_EQ(tenant_url_claims.at("TOKEN-SCOPE")["verdict"], "PASSED") << tenant_url_claims.at("TOKEN-SCOPE")["evidence"];

  const auto report = read_json(report_file);
  EXPECT_EQ(report["summary"]["result"], "CERTIFIED");
  EXPECT_EQ(report["target"]["name"], "reference-started-by-hand");
  std::ifstream target_in(dir / "target.yaml", std::ios::binary);
  const std::string target_bytes((std::istreambuf_iterator<char>(target_in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(report["target"]["sha256"], hex_encode(sha256(target_bytes)));
  EXPECT_EQ(report["target"]["withheld"], nlohmann::json({"virtual_clock", "log_export", "storage_dir", "restart_command"}));

  const auto claims = claims_by_id(report);
  ASSERT_EQ(claims.size(), 4u);
  EXPECT_EQ(claims.at("NO-PASSTHROUGH")["verdict"], "PASSED") << claims.at("NO-PASSTHROUGH")["evidence"];
  // No virtual clock: the lifetime check runs in real time against short-lived tokens of the world's issuers.
  EXPECT_EQ(claims.at("ACCESS-TTL")["verdict"], "PASSED") << claims.at("ACCESS-TTL")["evidence"];
  EXPECT_THAT(claims.at("ACCESS-TTL")["scenarios"][0]["conditions"].get<std::string>(),
              HasSubstr("played in real time (target reference-started-by-hand has no virtual clock): access_ttl 3600 s as 5 s"));
  EXPECT_EQ(claims.at("LOG-COMPLETE")["verdict"], "SKIPPED");
  EXPECT_THAT(claims.at("LOG-COMPLETE")["reason"].get<std::string>(), HasSubstr("log_export"));
  EXPECT_EQ(claims.at("SUBPROCESSORS")["verdict"], "REVIEW");
  std::set<std::string> skipped;
  for (const auto& item : report["summary"]["skipped_items"]) skipped.insert(item["id"]);
  EXPECT_EQ(skipped, (std::set<std::string>{"LOG-COMPLETE"}));
  EXPECT_THAT(run.out, HasSubstr("skipped:"));
  EXPECT_EQ(cli({"verify", report_file.string()}).code, 0);
  std::filesystem::remove_all(dir);
}

TEST(ExternalTarget, AScenarioAtATenantsOwnUrlIsSkippedWhereTheTargetListsNone) {
  const auto scenario = load_scenario(source_dir / "scenarios" / "tokens" / "tenant_url.yaml");
  WorldOptions options;
  options.target.emplace();
  options.target->name = "one-url-for-all";
  auto result = run_scenario(scenario, options);
  EXPECT_EQ(result.verdict, Verdict::skipped);
  EXPECT_THAT(result.reason, HasSubstr("needs the target's tenant_urls capability (mcp_url: tenant)"));
  // A list without the tenant the scenario speaks to, or one it names.
  options.target->tenant_mcp_urls = {{"emea-finance", "https://127.0.0.1:9/mcp/emea"}};
  result = run_scenario(scenario, options);
  EXPECT_EQ(result.verdict, Verdict::skipped);
  EXPECT_THAT(result.reason, HasSubstr("needs tenant us-finance's own MCP URL, which target one-url-for-all does not list in tenant_mcp_urls"));
  EXPECT_TRUE(result.steps.empty()) << "decided before a world starts";
}

TEST(Certify, RefusesABadProfileBeforeAnythingRuns) {
  const auto dir = scratch("bad-profile");
  std::ifstream in(profiles_dir / "emasphere-2026-05-28.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find("refresh_ttl: 30d"), 16, "refresh_ttl: 30m");
  std::ofstream(dir / "bad.yaml") << text;
  const auto run = cli({"certify", "--profile", (dir / "bad.yaml").string()});
  EXPECT_EQ(run.code, 2);
  EXPECT_THAT(run.err, HasSubstr("bad.yaml:"));
  EXPECT_THAT(run.err, HasSubstr("profile.parameters.refresh_ttl: a refresh token (1800 s) cannot live shorter"));
  std::filesystem::remove_all(dir);
}

} // namespace
} // namespace mcpcert::client
