// The connector's limits, each refused clearly: requests per user and per
// connection (429 with Retry-After), sessions per user, idle sessions ended.
// Time is passed in (rate limits) or moved on the virtual clock (idle), never slept.
#include "mcpcert/connector/request_limits.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "connector_under_test.hpp"

namespace mcpcert::connector {
namespace {

using namespace std::chrono_literals;

TEST(RequestRateLimiter, ABurstOfTheBudgetPassesThenTheNextWaitsForItsShare) {
  RequestRateLimiter limiter(3); // one request's share every 20 s
  const auto start = std::chrono::steady_clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.admit("alice", start)) << "request " << i;
  const auto refused = limiter.admit("alice", start);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->count(), 20);
  EXPECT_FALSE(limiter.admit("bob", start)) << "each key has its own budget";
  EXPECT_EQ(limiter.admit("alice", start + 10s)->count(), 10);
  EXPECT_FALSE(limiter.admit("alice", start + 20s)) << "a share has been refilled";
  EXPECT_TRUE(limiter.admit("alice", start + 20s));
}

TEST(RequestRateLimiter, ZeroMeansNoLimit) {
  RequestRateLimiter limiter(0);
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(limiter.admit("alice", std::chrono::steady_clock::now()));
}

class ConnectorLimitsTest : public ConnectorUnderTest {
protected:
  json initialize() const {
    return jsonrpc::make_request(0, "initialize",
                                 {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()}, {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
  }
  Reply ping(const std::string& session) {
    return post(jsonrpc::make_request(1, "ping", json::object()), {{"Mcp-Session-Id", session}, {"MCP-Protocol-Version", "2025-11-25"}});
  }
};

TEST_F(ConnectorLimitsTest, RequestsBeyondTheUsersBudgetGet429WithRetryAfter) {
  auto config = base_config();
  config.limits.requests_per_user_per_minute = 2;
  restart(std::move(config));
  const auto list = stateless_request(1, "tools/list");
  const auto stateless = stateless_headers("tools/list");
  EXPECT_EQ(post(list, stateless).status, 200);
  EXPECT_EQ(post(list, stateless).status, 200);
  const auto refused = post(list, stateless);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.raw[bhttp::field::retry_after], "30");
  EXPECT_EQ(refused.body["error"]["code"], -32000);
  EXPECT_THAT(refused.body["error"]["message"].get<std::string>(), testing::HasSubstr("too many requests for this user (limit 2 per minute)"));
  EXPECT_EQ(post(list, stateless, bob_).status, 200) << "another user's budget is untouched";
}

TEST_F(ConnectorLimitsTest, RequestsBeyondAConnectionsBudgetGet429BeforeAnyTokenWork) {
  auto config = base_config();
  config.limits.requests_per_connection_per_minute = 2;
  restart(std::move(config));
  // Three requests on one keep-alive connection, the last with no token at all:
  // the connection's budget is spent before the token would be looked at.
  const auto url = http::parse_url(connector_->mcp_url());
  std::vector<unsigned> statuses;
  std::string retry_after;
  auto conversation = [&]() -> boost::asio::awaitable<void> {
    boost::asio::ip::tcp::socket socket(co_await boost::asio::this_coro::executor);
    co_await socket.async_connect({boost::asio::ip::make_address(url->host), url->port}, boost::asio::use_awaitable);
    boost::beast::flat_buffer buffer;
    const std::vector<std::string> tokens{alice_, alice_, std::string()};
    for (const auto& token : tokens) {
      http::Request request{bhttp::verb::post, url->target, 11};
      request.set(bhttp::field::host, url->host + ":" + std::to_string(url->port));
      request.set(bhttp::field::accept, "application/json, text/event-stream");
      request.set(bhttp::field::content_type, "application/json");
      if (!token.empty()) request.set(bhttp::field::authorization, "Bearer " + token);
      for (const auto& [name, value] : stateless_headers("tools/list")) request.set(name, value);
      request.body() = stateless_request(1, "tools/list").dump();
      request.prepare_payload();
      co_await bhttp::async_write(socket, request, boost::asio::use_awaitable);
      http::Response response;
      co_await bhttp::async_read(socket, buffer, response, boost::asio::use_awaitable);
      statuses.push_back(response.result_int());
      if (response.result_int() == 429) retry_after = std::string(response[bhttp::field::retry_after]);
    }
  };
  bool done = false;
  boost::asio::co_spawn(io_, conversation(), [&](std::exception_ptr failure) {
    EXPECT_FALSE(failure) << "the connection failed";
    done = true;
  });
  while (!done) io_.run_one();
  EXPECT_EQ(statuses, (std::vector<unsigned>{200, 200, 429}));
  EXPECT_EQ(retry_after, "30");
  EXPECT_EQ(post(stateless_request(1, "tools/list"), stateless_headers("tools/list")).status, 200)
      << "a new connection has its own budget";
}

TEST_F(ConnectorLimitsTest, SessionsBeyondTheCapAreRefusedUntilOneEndsOrIdlesOut) {
  auto config = base_config();
  config.limits.sessions_per_user = 2;
  config.limits.session_idle = 600s;
  restart(std::move(config));
  const auto first = post(initialize(), {});
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(post(initialize(), {}).status, 200);
  const auto refused = post(initialize(), {});
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.raw[bhttp::field::retry_after], "600") << "when the oldest session idles out";
  EXPECT_THAT(refused.body["error"]["message"].get<std::string>(), testing::HasSubstr("too many open sessions for this user (limit 2)"));
  EXPECT_EQ(post(initialize(), {}, bob_).status, 200) << "the cap is per user";

  const std::string session(first.raw["Mcp-Session-Id"]);
  EXPECT_EQ(ping(session).status, 200);
  clock_.advance(601s);
  alice_ = token_for("u-alice", 3600);
  const auto expired = ping(session);
  EXPECT_EQ(expired.status, 404);
  EXPECT_THAT(expired.body["error"]["message"].get<std::string>(), testing::HasSubstr("idle"));
  EXPECT_EQ(post(initialize(), {}).status, 200) << "idle sessions no longer count";
}

} // namespace
} // namespace mcpcert::connector
