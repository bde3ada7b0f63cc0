// The shipped scenarios must be able to fail: each case below changes one
// expectation of a scenario file (or plays the violation the claim's mutant
// would commit) and the scenario must then FAIL at the step that checks it.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/mock_client/runner.hpp"
#include "mcpcert/mock_client/scenario.hpp"

namespace mcpcert::client {
namespace {

struct Bite {
  const char* file;    ///< under scenarios/
  const char* from;    ///< text of the shipped file
  const char* to;      ///< what it becomes
  const char* failing; ///< the kind of step that must fail
};

std::ostream& operator<<(std::ostream& out, const Bite& bite) { return out << bite.file << ": " << bite.from << " -> " << bite.to; }

class ScenarioBites : public testing::TestWithParam<Bite> {};

TEST_P(ScenarioBites, FailsWhenTheExpectationIsWrong) {
  const auto& bite = GetParam();
  const auto source = std::filesystem::path(MCPCERT_SOURCE_DIR) / "scenarios" / bite.file;
  std::ifstream in(source);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto at = text.find(bite.from);
  ASSERT_NE(at, std::string::npos) << "the scenario changed; update this case: " << bite;
  text.replace(at, std::string(bite.from).size(), bite.to);
  const auto changed = std::filesystem::temp_directory_path() / ("mcpcert-bite-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(changed) << text;

  const auto result = run_scenario(load_scenario(changed), WorldOptions{});
  std::filesystem::remove(changed);
  ASSERT_EQ(result.verdict, Verdict::failed) << bite;
  ASSERT_FALSE(result.steps.empty());
  EXPECT_EQ(result.steps.back().kind, bite.failing) << result.reason;
  EXPECT_FALSE(result.steps.back().passed);
}

INSTANTIATE_TEST_SUITE_P(
    Shipped, ScenarioBites,
    testing::Values(
        Bite{"permissions/toolset.yaml", "names: ${tools_finance}", "names: [get_kpis, get_pnl]", "list_tools"},
        Bite{"permissions/mcp_access_required.yaml", "error: access_denied}", "error: invalid_scope}", "authorize"},
        Bite{"permissions/no_service_account.yaml", "every: {subject: alice, actor: mcpcert-connector}",
             "every: {subject: bob, actor: mcpcert-connector}", "assert_audit"},
        // What the passthrough mutant does: alice's own token reaches the tenant API.
        Bite{"permissions/no_passthrough.yaml", "  - assert_audit: {listener: api, token_of: alice, count: 0}",
             "  - raw_request:\n      url: \"${api}/api/v1/entities/ent-brussels/kpis\"\n      token: alice\n      expect: {status: [200, 401, 403]}\n"
             "  - assert_audit: {listener: api, token_of: alice, count: 0}",
             "assert_audit"},
        Bite{"tokens/session_bind.yaml", "        status: 404\n        json: {/id: 41}", "        status: 200", "raw_request"},
        Bite{"tokens/token_scope.yaml", "token: {of: alice, claims: {sub: bob}}", "token: alice", "raw_request"},
        // A token for this very URL, where one for the shared URL is refused; the token's own URL, where another tenant's is.
        Bite{"tokens/tenant_url.yaml", "{as: alice_shared, user: alice, resource: \"${shared_mcp_url}\"}", "{as: alice_shared, user: alice}",
             "raw_request"},
        Bite{"tokens/tenant_url.yaml", "url: ${tenant_mcp_url:us-finance}", "url: ${mcp_url}", "raw_request"},
        Bite{"tokens/access_ttl.yaml", "token_age: ${access_ttl-1}", "token_age: ${access_ttl+1}", "call_tool"},
        Bite{"tokens/refresh_rotate.yaml", "use: previous\n      expect: {outcome: refused, error: invalid_grant}",
             "use: previous\n      expect: {outcome: granted}", "refresh"},
        Bite{"tokens/refresh_ttl.yaml", "token_age: ${refresh_ttl-1}", "token_age: ${refresh_ttl+1}", "refresh"},
        Bite{"transport/auth_rs.yaml", "token: {of: alice, tamper: alg_none}", "token: alice", "raw_request"},
        Bite{"transport/origin.yaml", "Origin: \"http://evil.example\"", "Origin: \"http://127.0.0.1:1\"", "raw_request"},
        Bite{"transport/malformed_jsonrpc.yaml", "jsonrpc_error: -32700", "jsonrpc_error: -32600", "raw_request"},
        Bite{"transport/session_lifecycle.yaml", "headers: {Mcp-Session-Id: no-such-session-0000}", "headers: {}", "raw_request"}));

} // namespace
} // namespace mcpcert::client
