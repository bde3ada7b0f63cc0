// LOG-DURABLE under load: four clients call tools as fast as they can while
// the connector is killed with SIGKILL and restarted. Every call that was
// acknowledged (HTTP 200 with a result) must have its record, found by the
// X-Request-Id of its reply, in the log exported after the restart. The run
// is bounded by a count of acknowledged calls, not by time.

#include <atomic>
#include <csignal>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "mcpcert/mock_client/http_agent.hpp"
#include "mcpcert/mock_client/mcp_client.hpp"
#include "mcpcert/mock_client/oauth_client.hpp"
#include "mcpcert/mock_client/world.hpp"

namespace mcpcert::client {
namespace {

constexpr int callers = 4;
constexpr std::size_t acknowledged_before_kill = 40;
constexpr int calls_per_caller_at_most = 400;

TEST(LogDurability, NoAcknowledgedCallIsLostToAKillUnderLoad) {
  // Callers write to a connection the kill has just closed; that must be an error, not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  std::string error;
  auto world = World::start(WorldOptions{}, error);
  ASSERT_TRUE(world) << error;
  const auto tenant = world->tenant("emea-finance");
  ASSERT_TRUE(tenant);

  // One token for alice, used by every caller (each with its own session).
  Transcript setup_transcript;
  HttpAgent setup_agent(setup_transcript, world->trusted_certificate_file());
  std::optional<TestUser> alice;
  for (const auto& user : world->users("emea-finance"))
    if (user.username == "alice") alice = user;
  ASSERT_TRUE(alice);
  ClientRegistration registration;
  registration.client_id = "mcpcert-scripted-client";
  registration.redirect_uri = "http://127.0.0.1:47011/callback";
  OAuthClient oauth(setup_agent, registration);
  auto authorized = oauth.authorize(world->mcp_url(), tenant->issuer, {alice->username, alice->password}, "finance:read", "", true);
  ASSERT_TRUE(authorized.tokens) << authorized.failure;
  const auto token = authorized.tokens->access_token;

  std::mutex mutex;
  std::set<std::string> acknowledged;
  std::atomic<bool> killed{false};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < callers; ++c) {
    threads.emplace_back([&] {
      Transcript transcript;
      HttpAgent agent(transcript, world->trusted_certificate_file());
      McpClient mcp(agent, world->mcp_url(), token);
      if (mcp.connect().http.status != 200) return;
      for (int i = 0; i < calls_per_caller_at_most && !stop; ++i) {
        auto reply = mcp.call_tool("get_kpis", nlohmann::json::object());
        if (reply.http.status == 200 && reply.has_result() && !reply.is_tool_error()) {
          std::lock_guard lock(mutex);
          acknowledged.insert(reply.http.header("x-request-id"));
        } else if (killed) {
          return; // the session died with the connector
        }
      }
    });
  }
  for (;;) {
    {
      std::lock_guard lock(mutex);
      if (acknowledged.size() >= acknowledged_before_kill) break;
    }
    std::this_thread::yield();
  }
  killed = true;
  const auto restart_problem = world->restart_connector(setup_agent, /*crash=*/true);
  stop = true;
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(restart_problem, "");

  auto log = world->connector_log(setup_agent);
  ASSERT_EQ(log.problem, "");
  std::set<std::string> logged;
  for (const auto& record : log.records)
    if (record.value("kind", "") == "tool_call") logged.insert(record.value("request_id", ""));
  std::vector<std::string> lost;
  for (const auto& id : acknowledged)
    if (!logged.contains(id)) lost.push_back(id);
  EXPECT_GE(acknowledged.size(), acknowledged_before_kill);
  EXPECT_TRUE(lost.empty()) << lost.size() << " acknowledged call(s) of " << acknowledged.size()
                            << " have no record after the kill, e.g. " << (lost.empty() ? "" : lost.front());
}

} // namespace
} // namespace mcpcert::client
