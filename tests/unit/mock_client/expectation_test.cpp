#include "mcpcert/mock_client/expectation.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpcert::client {
namespace {

using nlohmann::json;
using testing::HasSubstr;
using testing::IsEmpty;

HttpReply reply_with(int status, std::string body, std::multimap<std::string, std::string> headers = {}) {
  HttpReply reply;
  reply.status = status;
  reply.body = std::move(body);
  reply.headers = std::move(headers);
  return reply;
}

const Placeholders values{{"mcp_url", "http://127.0.0.1:4100/mcp"}, {"mcp_origin", "http://127.0.0.1:4100"}};

TEST(Placeholders, AreReplacedWhereKnownAndKeptOtherwise) {
  EXPECT_EQ(substitute("${mcp_origin}/.well-known/x", values), "http://127.0.0.1:4100/.well-known/x");
  EXPECT_EQ(substitute("${unknown} and ${mcp_url}", values), "${unknown} and http://127.0.0.1:4100/mcp");
  EXPECT_EQ(substitute("no closing ${mcp_url", values), "no closing ${mcp_url");
  EXPECT_EQ(substitute_json(json{{"k", {"${mcp_url}", 3}}}, values), (json{{"k", {"http://127.0.0.1:4100/mcp", 3}}}));
  EXPECT_EQ(placeholder_references("a ${x} b ${y}"), (std::vector<std::string>{"x", "y"}));
}

TEST(ReplyJson, ReadsJsonBodiesAndTheLastSseEvent) {
  EXPECT_EQ(reply_json(reply_with(200, R"({"a":1})"))["a"], 1);
  EXPECT_TRUE(reply_json(reply_with(200, "{not json")).is_discarded());
  EXPECT_TRUE(reply_json(reply_with(202, "")).is_discarded());
  const auto sse = reply_with(200, "event: message\ndata: {\"id\":1}\n\ndata: {\"id\":2,\"result\":{}}\n\n",
                              {{"content-type", "text/event-stream"}});
  EXPECT_EQ(reply_json(sse)["id"], 2);
}

TEST(CheckReply, PassesWhenEveryExpectationHolds) {
  const auto reply = reply_with(401, R"({"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"x"}})",
                                {{"www-authenticate", R"(Bearer resource_metadata="http://127.0.0.1:4100/.well-known/oauth-protected-resource/mcp", error="invalid_token")"},
                                 {"content-type", "application/json"}});
  const json expect = {{"status", {400, 401}},
                       {"header", {{"Content-Type", {{"contains", "json"}}}, {"WWW-Authenticate", {{"regex", "^Bearer "}}}, {"Mcp-Session-Id", {{"absent", true}}}}},
                       {"json", {{"/error/code", -32001}, {"/id", nullptr}}},
                       {"jsonrpc_error", -32001},
                       {"www_authenticate", {{"error", "invalid_token"}, {"resource_metadata", "${mcp_origin}/.well-known/oauth-protected-resource/mcp"}}}};
  EXPECT_THAT(check_reply(expect, reply, reply_json(reply), values), IsEmpty());
}

TEST(CheckReply, NamesEachMismatch) {
  const auto reply = reply_with(200, R"({"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"get_kpis"}]}})",
                                {{"www-authenticate", "Basic realm=\"x\""}, {"mcp-session-id", "abc"}});
  const json expect = {{"status", {404}},
                       {"header", {{"X-Missing", {{"contains", "a"}}}, {"Mcp-Session-Id", {{"absent", true}}}}},
                       {"json", {{"/result/tools/0/name", "get_pnl"}, {"/result/nextCursor", "c"}}},
                       {"jsonrpc_error", -32601},
                       {"www_authenticate", {{"error", "invalid_token"}}}};
  const auto problems = check_reply(expect, reply, reply_json(reply), values);
  ASSERT_EQ(problems.size(), 7u) << testing::PrintToString(problems);
  EXPECT_THAT(problems[0], HasSubstr("HTTP 200, expected 404"));
  EXPECT_THAT(problems[1], HasSubstr("header Mcp-Session-Id should be absent"));
  EXPECT_THAT(problems[2], HasSubstr("header X-Missing is missing"));
  EXPECT_THAT(problems[3], HasSubstr("no JSON-RPC error in the reply, expected code -32601"));
  EXPECT_THAT(problems[4], HasSubstr("/result/nextCursor is absent"));
  EXPECT_THAT(problems[5], HasSubstr("/result/tools/0/name is \"get_kpis\", expected \"get_pnl\""));
  EXPECT_THAT(problems[6], HasSubstr("has no Bearer challenge"));
}

TEST(CheckReply, NumbersCompareByValueAndNoResponseIsNamed) {
  const auto reply = reply_with(200, R"({"value":47.0,"list":[1,2]})");
  EXPECT_THAT(check_reply({{"json", {{"/value", 47}, {"/list", {1, 2}}}}}, reply, reply_json(reply), values), IsEmpty());
  HttpReply none;
  none.transport_error = "Connection refused";
  EXPECT_THAT(check_reply({{"status", {200}}}, none, json(json::value_t::discarded), values)[0], HasSubstr("no response (Connection refused)"));
}

TEST(CheckReply, ReportsAWrongJsonRpcCodeAndABrokenChallenge) {
  const auto reply = reply_with(400, R"({"error":{"code":-32700}})", {{"www-authenticate", "Bearer error=\"unterminated"}});
  const auto problems = check_reply({{"jsonrpc_error", -32600}, {"www_authenticate", {{"error", "x"}}}}, reply, reply_json(reply), values);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_THAT(problems[0], HasSubstr("JSON-RPC error code -32700, expected -32600"));
  EXPECT_THAT(problems[1], HasSubstr("does not parse"));
}

} // namespace
} // namespace mcpcert::client

namespace mcpcert::client {
namespace {

TEST(IdentityPlaceholders, SplitIntoWhatAndIdentity) {
  auto sub = parse_identity_placeholder("sub:alice");
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->what, "sub");
  EXPECT_EQ(sub->identity, "alice");
  auto token = parse_identity_placeholder("refresh_token:alice_later");
  ASSERT_TRUE(token);
  EXPECT_EQ(token->what, "refresh_token");
  EXPECT_EQ(token->identity, "alice_later");
  EXPECT_FALSE(parse_identity_placeholder("mcp_url"));
  EXPECT_FALSE(parse_identity_placeholder("password:alice"));
  EXPECT_FALSE(parse_identity_placeholder("sub:"));
  EXPECT_TRUE(placeholder_names().contains("decoy_resource"));
  EXPECT_EQ(substitute("${sub:alice}@${decoy_resource}", {{"sub:alice", "u-1"}, {"decoy_resource", "https://d/mcp"}}), "u-1@https://d/mcp");
}

} // namespace
} // namespace mcpcert::client

namespace mcpcert::client {
namespace {

TEST(CheckReply, JsonIncludesIsOrderFreeMembership) {
  HttpReply reply;
  reply.status = 200;
  reply.body = R"({"authorization_servers":["http://a","http://b"],"resource":"x"})";
  const auto message = nlohmann::json::parse(reply.body);
  EXPECT_TRUE(check_reply({{"json_includes", {{"/authorization_servers", "http://b"}}}}, reply, message, {}).empty());
  const auto missing = check_reply({{"json_includes", {{"/authorization_servers", "http://c"}}}}, reply, message, {});
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_NE(missing[0].find("expected it to include"), std::string::npos);
  EXPECT_EQ(check_reply({{"json_includes", {{"/resource", "x"}}}}, reply, message, {}).size(), 1u); // not an array
}

} // namespace
} // namespace mcpcert::client
