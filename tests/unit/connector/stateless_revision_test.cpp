// Protocol revision 2026-07-28 against the whole connector, in process, with
// the session revisions beside it on the same endpoint, tools/list pages on
// every revision, and the operational log every tools/call feeds.
#include "connector_under_test.hpp"

namespace mcpcert::connector {
namespace {

class StatelessRevisionTest : public ConnectorUnderTest {};

// ---- the stateless revision ----

TEST_F(StatelessRevisionTest, ServerDiscoverAnswersWithoutInitializeOrSession) {
  const auto reply = post(stateless_request("d-1", "server/discover"), stateless_headers("server/discover"));
  ASSERT_EQ(reply.status, 200) << reply.raw.body();
  EXPECT_EQ(reply.raw.count("Mcp-Session-Id"), 0u);
  EXPECT_EQ(reply.body["id"], "d-1");
  const auto& result = reply.body["result"];
  EXPECT_EQ(result["resultType"], "complete");
  EXPECT_EQ(result["supportedVersions"], json({"2026-07-28", "2025-11-25", "2025-06-18"}));
  EXPECT_TRUE(result["capabilities"].contains("tools"));
  EXPECT_EQ(result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "mcpcert-reference-connector");
  EXPECT_TRUE(result["_meta"]["io.modelcontextprotocol/serverInfo"].contains("version"));
  EXPECT_GE(result["ttlMs"].get<std::int64_t>(), 0);
  EXPECT_THAT(result["cacheScope"].get<std::string>(), testing::AnyOf("public", "private"));
}

TEST_F(StatelessRevisionTest, ToolsListNeedsNoSessionAndIgnoresOneGiven) {
  auto headers = stateless_headers("tools/list");
  const auto reply = post(stateless_request(1, "tools/list"), headers);
  ASSERT_EQ(reply.status, 200) << reply.raw.body();
  const auto& result = reply.body["result"];
  EXPECT_EQ(result["resultType"], "complete");
  ASSERT_TRUE(result["tools"].is_array());
  EXPECT_EQ(result["tools"][0]["name"], "get_kpis");
  EXPECT_GE(result["ttlMs"].get<std::int64_t>(), 0);
  EXPECT_THAT(result["cacheScope"].get<std::string>(), testing::AnyOf("public", "private"));

  // A stray session id is neither looked up nor echoed (transports, "Earlier Streamable HTTP Revisions").
  headers.emplace_back("Mcp-Session-Id", "no-such-session");
  const auto with_session = post(stateless_request(2, "tools/list"), headers);
  EXPECT_EQ(with_session.status, 200) << with_session.raw.body();
  EXPECT_EQ(with_session.raw.count("Mcp-Session-Id"), 0u);
}

TEST_F(StatelessRevisionTest, ToolsCallExchangesTheUsersTokenOnEveryCall) {
  const auto call = stateless_request(3, "tools/call", {{"name", "get_kpis"}, {"arguments", {{"period", "2026-Q2"}}}});
  const auto first = post(call, stateless_headers("tools/call", "get_kpis"));
  ASSERT_EQ(first.status, 200) << first.raw.body();
  EXPECT_EQ(first.body["result"]["resultType"], "complete");
  EXPECT_EQ(first.body["result"]["isError"], false);
  EXPECT_EQ(first.body["result"]["structuredContent"]["kpis"][0]["id"], "rev");
  EXPECT_TRUE(first.body["result"]["_meta"].contains("io.modelcontextprotocol/serverInfo"));
  EXPECT_EQ(first.raw.count("Mcp-Session-Id"), 0u);

  const auto second = post(call, stateless_headers("tools/call", "get_kpis"));
  ASSERT_EQ(second.status, 200) << second.raw.body();
  // One exchange per call, of the user's own token; the API only ever sees exchanged tokens.
  EXPECT_EQ(exchanged_subjects_, (std::vector<std::string>{alice_, alice_}));
  EXPECT_EQ(api_bearers_, (std::vector<std::string>{"Bearer exchanged-1", "Bearer exchanged-2"}));
}

TEST_F(StatelessRevisionTest, ToolsCallIsRefusedOnceTheIssuerRefusesTheExchange) {
  refuse_exchange_ = true;
  const auto reply = post(stateless_request(4, "tools/call", {{"name", "get_kpis"}}), stateless_headers("tools/call", "get_kpis"));
  EXPECT_EQ(reply.status, 403) << reply.raw.body();
  EXPECT_EQ(error_code(reply), -32001);
  EXPECT_EQ(reply.body["id"], 4);
  EXPECT_TRUE(api_bearers_.empty());
}

TEST_F(StatelessRevisionTest, ToolsCallOfAnUnknownToolIsInvalidParams) {
  const auto reply = post(stateless_request(5, "tools/call", {{"name", "no_such_tool"}}), stateless_headers("tools/call", "no_such_tool"));
  EXPECT_EQ(reply.status, 200) << reply.raw.body();
  EXPECT_EQ(error_code(reply), -32602);
}

TEST_F(StatelessRevisionTest, EveryRequestStillNeedsAValidBearer) {
  const auto message = stateless_request(6, "server/discover");
  const auto anonymous = post(message, stateless_headers("server/discover"), "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_NE(anonymous.raw[bhttp::field::www_authenticate].find("resource_metadata="), std::string::npos);
  EXPECT_EQ(post(message, stateless_headers("server/discover"), "not-a-jwt").status, 401);
  EXPECT_EQ(post(message, stateless_headers("server/discover"), token_for("u-alice", -3600)).status, 401);
}

TEST_F(StatelessRevisionTest, HeaderAndBodyThatDisagreeAreHeaderMismatch) {
  auto expect_mismatch = [&](const json& message, const Headers& headers, const char* what) {
    const auto reply = post(message, headers);
    EXPECT_EQ(reply.status, 400) << what << ": " << reply.raw.body();
    EXPECT_EQ(error_code(reply), -32020) << what << ": " << reply.raw.body();
  };
  // MCP-Protocol-Version against _meta.
  auto older_meta = stateless_request(10, "tools/list");
  older_meta["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2025-11-25";
  expect_mismatch(older_meta, stateless_headers("tools/list"), "version header differs from _meta");
  expect_mismatch(stateless_request(11, "tools/list"), {{"Mcp-Method", "tools/list"}}, "no MCP-Protocol-Version header");
  expect_mismatch(stateless_request(12, "tools/list"),
                  {{"MCP-Protocol-Version", modern}, {"MCP-Protocol-Version", modern}, {"Mcp-Method", "tools/list"}},
                  "repeated MCP-Protocol-Version");
  // Mcp-Method against method.
  expect_mismatch(stateless_request(13, "tools/list"), {{"MCP-Protocol-Version", modern}}, "no Mcp-Method");
  expect_mismatch(stateless_request(14, "tools/list"), stateless_headers("server/discover"), "Mcp-Method differs");
  expect_mismatch(stateless_request(15, "tools/list"), stateless_headers("Tools/List"), "header values are case-sensitive");
  // Mcp-Name against params.name.
  const auto call = stateless_request(16, "tools/call", {{"name", "get_kpis"}});
  expect_mismatch(call, stateless_headers("tools/call"), "no Mcp-Name");
  expect_mismatch(call, stateless_headers("tools/call", "debug_whoami"), "Mcp-Name differs");
  expect_mismatch(call, stateless_headers("tools/call", "=?base64?" + base64_encode("debug_whoami") + "?="),
                  "encoded Mcp-Name differs");
  expect_mismatch(call, stateless_headers("tools/call", "=?base64?not base64!?="), "Mcp-Name sentinel with bad Base64");
  EXPECT_TRUE(exchanged_subjects_.empty()) << "a refused request must not reach the tenant";
}

TEST_F(StatelessRevisionTest, AnEncodedMcpNameIsDecodedBeforeComparing) {
  const auto call = stateless_request(17, "tools/call", {{"name", "get_kpis"}});
  const auto reply = post(call, stateless_headers("tools/call", "=?base64?" + base64_encode("get_kpis") + "?="));
  EXPECT_EQ(reply.status, 200) << reply.raw.body();
  EXPECT_EQ(reply.body["result"]["isError"], false);
}

TEST_F(StatelessRevisionTest, RequiredMetaFieldsMissingAreInvalidParams) {
  auto expect_invalid = [&](const json& message, const char* what) {
    const auto reply = post(message, stateless_headers(message["method"].get<std::string>()));
    EXPECT_EQ(reply.status, 400) << what << ": " << reply.raw.body();
    EXPECT_EQ(error_code(reply), -32602) << what << ": " << reply.raw.body();
  };
  expect_invalid(jsonrpc::make_request(20, "tools/list", nullptr), "no params at all");
  auto no_capabilities = stateless_request(21, "tools/list");
  no_capabilities["params"]["_meta"].erase("io.modelcontextprotocol/clientCapabilities");
  expect_invalid(no_capabilities, "no clientCapabilities");
  auto bad_capabilities = stateless_request(22, "tools/list");
  bad_capabilities["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"] = "all";
  expect_invalid(bad_capabilities, "clientCapabilities not an object");
  auto bad_version_type = stateless_request(23, "tools/list");
  bad_version_type["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = 20260728;
  expect_invalid(bad_version_type, "protocolVersion not a string");
}

TEST_F(StatelessRevisionTest, AnUnsupportedVersionListsTheSupportedOnes) {
  auto message = stateless_request(30, "tools/list");
  message["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "1900-01-01";
  const auto reply = post(message, {{"MCP-Protocol-Version", "1900-01-01"}, {"Mcp-Method", "tools/list"}});
  ASSERT_EQ(reply.status, 400) << reply.raw.body();
  EXPECT_EQ(error_code(reply), -32022);
  EXPECT_EQ(reply.body["id"], 30);
  EXPECT_EQ(reply.body["error"]["data"]["requested"], "1900-01-01");
  EXPECT_EQ(reply.body["error"]["data"]["supported"], json({"2026-07-28", "2025-11-25", "2025-06-18"}));

  // The same from the header alone, and from _meta alone.
  const auto header_only = post(jsonrpc::make_request(31, "tools/list", nullptr), {{"MCP-Protocol-Version", "2099-01-01"}});
  EXPECT_EQ(header_only.status, 400);
  EXPECT_EQ(error_code(header_only), -32022);
  auto meta_only = stateless_request(32, "tools/list");
  meta_only["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2099-01-01";
  const auto from_meta = post(meta_only, {});
  EXPECT_EQ(from_meta.status, 400);
  EXPECT_EQ(error_code(from_meta), -32022);
  EXPECT_EQ(from_meta.body["error"]["data"]["requested"], "2099-01-01");
}

TEST_F(StatelessRevisionTest, MethodsTheRevisionRemovedAreNotFoundWith404) {
  for (const char* method : {"initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"}) {
    auto params = json::object();
    if (std::string(method) == "initialize") {
      params = {{"protocolVersion", modern}, {"capabilities", json::object()}, {"clientInfo", {{"name", "x"}, {"version", "1"}}}};
    }
    const auto reply = post(stateless_request(40, method, params), stateless_headers(method));
    EXPECT_EQ(reply.status, 404) << method << ": " << reply.raw.body();
    EXPECT_EQ(error_code(reply), -32601) << method;
    EXPECT_EQ(reply.body["id"], 40) << method;
    EXPECT_EQ(reply.raw.count("Mcp-Session-Id"), 0u) << method;
  }
  const auto unknown = post(stateless_request(41, "no_such/method"), stateless_headers("no_such/method"));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(error_code(unknown), -32601);
}

TEST_F(StatelessRevisionTest, NotificationsOfRemovedMethodsAreRefusedAndCancelIsAccepted) {
  for (const char* method : {"notifications/initialized", "notifications/roots/list_changed"}) {
    const auto reply = post(jsonrpc::make_notification(method, nullptr), {{"MCP-Protocol-Version", modern}});
    EXPECT_EQ(reply.status, 404) << method << ": " << reply.raw.body();
    EXPECT_EQ(error_code(reply), -32601) << method;
    EXPECT_FALSE(reply.body.contains("id")) << "an error about a notification names no id";
  }
  const auto cancelled = post(jsonrpc::make_notification("notifications/cancelled", {{"requestId", 1}}),
                              {{"MCP-Protocol-Version", modern}, {"Mcp-Method", "notifications/cancelled"}});
  EXPECT_EQ(cancelled.status, 202);
  EXPECT_TRUE(cancelled.raw.body().empty());
}

TEST_F(StatelessRevisionTest, GetAndDeleteNamingTheRevisionAre405) {
  for (auto verb : {bhttp::verb::get, bhttp::verb::delete_}) {
    const auto reply = send(verb, "", {{"MCP-Protocol-Version", modern}, {"Mcp-Session-Id", "whatever"}}, alice_);
    EXPECT_EQ(reply.status, 405);
    EXPECT_EQ(reply.raw[bhttp::field::allow], "POST");
  }
}

// ---- the session revisions, on the same endpoint ----

TEST_F(StatelessRevisionTest, TheSessionFlowStillWorksAlongside) {
  const json initialize = jsonrpc::make_request(
      0, "initialize", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()}, {"clientInfo", {{"name", "legacy"}, {"version", "1"}}}});
  const auto opened = post(initialize, {});
  ASSERT_EQ(opened.status, 200) << opened.raw.body();
  EXPECT_EQ(opened.body["result"]["protocolVersion"], "2025-11-25");
  EXPECT_FALSE(opened.body["result"].contains("resultType"));
  const std::string session(opened.raw["Mcp-Session-Id"]);
  ASSERT_FALSE(session.empty());

  const Headers in_session{{"Mcp-Session-Id", session}, {"MCP-Protocol-Version", "2025-11-25"}};
  EXPECT_EQ(post(jsonrpc::make_notification("notifications/initialized", nullptr), in_session).status, 202);
  const auto listed = post(jsonrpc::make_request(1, "tools/list", nullptr), in_session);
  ASSERT_EQ(listed.status, 200) << listed.raw.body();
  EXPECT_EQ(listed.body["result"]["tools"][0]["name"], "get_kpis");
  EXPECT_EQ(post(jsonrpc::make_request(2, "ping", nullptr), in_session).status, 200);
  const auto called = post(jsonrpc::make_request(3, "tools/call", {{"name", "get_kpis"}}), in_session);
  ASSERT_EQ(called.status, 200) << called.raw.body();
  EXPECT_EQ(api_bearers_, std::vector<std::string>{"Bearer exchanged-1"});

  // A session still belongs to its user, still needs its id, and keeps its version.
  EXPECT_EQ(post(jsonrpc::make_request(4, "tools/list", nullptr), in_session, bob_).status, 404);
  EXPECT_EQ(post(jsonrpc::make_request(5, "tools/list", nullptr), {{"MCP-Protocol-Version", "2025-11-25"}}).status, 400);
  EXPECT_EQ(post(jsonrpc::make_request(6, "tools/list", nullptr), {{"Mcp-Session-Id", session}, {"MCP-Protocol-Version", "2025-06-18"}}).status,
            400);
  const auto unsupported = post(jsonrpc::make_request(7, "tools/list", nullptr), {{"Mcp-Session-Id", session}, {"MCP-Protocol-Version", "1999-01-01"}});
  EXPECT_EQ(unsupported.status, 400);
  EXPECT_EQ(error_code(unsupported), -32022);
  EXPECT_EQ(post(jsonrpc::make_request(8, "no_such/method", nullptr), in_session).status, 200);

  EXPECT_EQ(send(bhttp::verb::delete_, "", in_session, alice_).status, 204);
  EXPECT_EQ(post(jsonrpc::make_request(9, "tools/list", nullptr), in_session).status, 404);
}

TEST_F(StatelessRevisionTest, InitializeNegotiatesOnlyAmongTheSessionRevisions) {
  const json initialize = jsonrpc::make_request(
      0, "initialize", {{"protocolVersion", modern}, {"capabilities", json::object()}, {"clientInfo", {{"name", "x"}, {"version", "1"}}}});
  const auto opened = post(initialize, {});
  ASSERT_EQ(opened.status, 200) << opened.raw.body();
  EXPECT_EQ(opened.body["result"]["protocolVersion"], "2025-11-25");

  const json older = jsonrpc::make_request(
      0, "initialize", {{"protocolVersion", "2025-06-18"}, {"capabilities", json::object()}, {"clientInfo", {{"name", "x"}, {"version", "1"}}}});
  EXPECT_EQ(post(older, {}).body["result"]["protocolVersion"], "2025-06-18");
}

// ---- tools/list pages, on every revision ----

class ToolsListPagesTest : public StatelessRevisionTest {
protected:
  void SetUp() override {
    auto config = base_config();
    config.tools_page_size = 3;
    start(std::move(config));
  }

  // Follows nextCursor to the end; `list` sends one tools/list with the given params.
  std::vector<std::string> all_pages(const std::function<Reply(json)>& list) {
    std::vector<std::string> names;
    json params = json::object();
    for (int page = 0; page < 20; ++page) {
      const auto reply = list(params);
      EXPECT_EQ(reply.status, 200) << reply.raw.body();
      const auto& result = reply.body["result"];
      EXPECT_LE(result["tools"].size(), 3u);
      for (const auto& tool : result["tools"]) names.push_back(tool["name"]);
      if (!result.contains("nextCursor")) break;
      EXPECT_TRUE(result["nextCursor"].is_string());
      params = {{"cursor", result["nextCursor"]}};
    }
    return names;
  }

  std::string open_session(const std::string& version) {
    const json initialize = jsonrpc::make_request(
        0, "initialize", {{"protocolVersion", version}, {"capabilities", json::object()}, {"clientInfo", {{"name", "pager"}, {"version", "1"}}}});
    const auto opened = post(initialize, {});
    EXPECT_EQ(opened.body["result"]["protocolVersion"], version);
    return std::string(opened.raw["Mcp-Session-Id"]);
  }

  static std::vector<std::string> connector_tools() {
    return {"get_kpis", "get_profit_and_loss", "get_balance_sheet", "get_cash_position", "get_breakdown",
            "list_situations", "get_kpi_configuration", "get_table_configuration", "update_kpi_configuration",
            "update_table_configuration"};
  }
};

TEST_F(ToolsListPagesTest, EverySessionRevisionPagesThroughTheWholeList) {
  for (const std::string version : {"2025-06-18", "2025-11-25"}) {
    const Headers in_session{{"Mcp-Session-Id", open_session(version)}, {"MCP-Protocol-Version", version}};
    int id = 100;
    const auto names = all_pages([&](json params) { return post(jsonrpc::make_request(id++, "tools/list", params), in_session); });
    EXPECT_EQ(names, connector_tools()) << version;
  }
}

TEST_F(ToolsListPagesTest, TheStatelessRevisionPagesThroughTheWholeList) {
  int id = 200;
  const auto names = all_pages([&](json params) {
    return post(stateless_request(id++, "tools/list", std::move(params)), stateless_headers("tools/list"));
  });
  EXPECT_EQ(names, connector_tools());
}

TEST_F(ToolsListPagesTest, ACursorOfAnotherRevisionStillNamesTheSamePage) {
  const auto first = post(stateless_request(1, "tools/list"), stateless_headers("tools/list"));
  const auto cursor = first.body["result"]["nextCursor"];
  const Headers in_session{{"Mcp-Session-Id", open_session("2025-11-25")}, {"MCP-Protocol-Version", "2025-11-25"}};
  const auto second = post(jsonrpc::make_request(2, "tools/list", {{"cursor", cursor}}), in_session);
  ASSERT_EQ(second.status, 200) << second.raw.body();
  EXPECT_EQ(second.body["result"]["tools"][0]["name"], "get_cash_position");
}

TEST_F(ToolsListPagesTest, AnInvalidCursorIsInvalidParamsOnEveryRevision) {
  const auto stateless = post(stateless_request(1, "tools/list", {{"cursor", "bm90LWEtY3Vyc29y"}}), stateless_headers("tools/list"));
  EXPECT_EQ(stateless.status, 200);
  EXPECT_EQ(error_code(stateless), -32602);
  EXPECT_THAT(stateless.body["error"]["message"].get<std::string>(), testing::HasSubstr("Invalid cursor"));
  for (const std::string version : {"2025-06-18", "2025-11-25"}) {
    const Headers in_session{{"Mcp-Session-Id", open_session(version)}, {"MCP-Protocol-Version", version}};
    const auto reply = post(jsonrpc::make_request(2, "tools/list", {{"cursor", 42}}), in_session);
    EXPECT_EQ(error_code(reply), -32602) << version;
    EXPECT_THAT(reply.body["error"]["message"].get<std::string>(), testing::HasSubstr("cursor must be a string"));
  }
}

TEST_F(StatelessRevisionTest, TheDefaultPageHoldsTheWholeToolSet) {
  const auto reply = post(stateless_request(1, "tools/list"), stateless_headers("tools/list"));
  ASSERT_EQ(reply.status, 200) << reply.raw.body();
  EXPECT_EQ(reply.body["result"]["tools"].size(), 10u);
  EXPECT_FALSE(reply.body["result"].contains("nextCursor"));
}

// ---- the operational log, which every tools/call feeds ----

class StatelessRevisionLogTest : public StatelessRevisionTest {
protected:
  void SetUp() override {
    std::filesystem::remove_all(directory_);
    auto config = base_config();
    config.log = log_config(directory_);
    start(std::move(config));
  }
  void TearDown() override {
    StatelessRevisionTest::TearDown();
    connector_.reset();
    std::filesystem::remove_all(directory_);
  }

  std::filesystem::path directory_ = std::filesystem::temp_directory_path() / ("stateless-log-test-" + std::to_string(::getpid()));
};

TEST_F(StatelessRevisionLogTest, AStatelessToolsCallIsRecordedBeforeItIsAnswered) {
  const auto reply = post(stateless_request(50, "tools/call", {{"name", "get_kpis"}}), stateless_headers("tools/call", "get_kpis"));
  ASSERT_EQ(reply.status, 200) << reply.raw.body();
  const auto records = connector_->operational_log()->export_records("eu-central-1", 0);
  ASSERT_EQ(records.size(), 1u) << records.dump();
  EXPECT_EQ(records[0]["kind"], "tool_call");
  EXPECT_EQ(records[0]["tool"], "get_kpis");
  EXPECT_EQ(records[0]["outcome"], "success");
  EXPECT_EQ(records[0]["user"], "u-alice");
  EXPECT_EQ(records[0]["request_id"], std::string(reply.raw["X-Request-Id"]));
}

// A store that can't take another record (here a quota, SQLite's max_page_count,
// so it fills as a disk would): no call is acknowledged without its record.
TEST_F(StatelessRevisionLogTest, AFullLogStoreAnswers503AndKeepsWhatItAcknowledged) {
  auto config = base_config();
  config.log = log_config(directory_ / "full");
  config.log->max_store_bytes = 64 * 1024;
  restart(std::move(config));

  const auto first = post(stateless_request(60, "tools/call", {{"name", "get_kpis"}}), stateless_headers("tools/call", "get_kpis"));
  ASSERT_EQ(first.status, 200) << first.raw.body();
  ASSERT_TRUE(fill_log_store("eu-central-1"));
  const auto acknowledged = connector_->operational_log()->export_records("eu-central-1", 0);

  const auto stateless = post(stateless_request(61, "tools/call", {{"name", "get_kpis"}}), stateless_headers("tools/call", "get_kpis"));
  EXPECT_EQ(stateless.status, 503) << stateless.raw.body();
  EXPECT_EQ(error_code(stateless), -32603);
  EXPECT_THAT(stateless.body["error"]["message"].get<std::string>(), testing::HasSubstr("not recorded"));
  EXPECT_FALSE(stateless.body.contains("result"));
  EXPECT_EQ(stateless.raw.body().find("Revenue"), std::string::npos); // the tenant's data never leaves

  // A session's call is refused the same way; so is opening a session, whose event can't be recorded either.
  const json initialize = jsonrpc::make_request(
      0, "initialize", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()}, {"clientInfo", {{"name", "x"}, {"version", "1"}}}});
  EXPECT_EQ(post(initialize, {}).status, 503);

  // Every record acknowledged before is still there, unchanged.
  EXPECT_EQ(connector_->operational_log()->export_records("eu-central-1", 0), acknowledged);
  EXPECT_EQ(acknowledged[0]["request_id"], std::string(first.raw["X-Request-Id"]));
}

} // namespace
} // namespace mcpcert::connector
