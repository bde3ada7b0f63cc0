#include "mcpcert/jsonrpc.hpp"

#include <gtest/gtest.h>

namespace mcpcert::jsonrpc {
namespace {

TEST(JsonRpcParse, InvalidJsonIsParseError) {
  for (std::string_view body : {"", "{", "{\"jsonrpc\":\"2.0\",}", "nul", "\xff"}) {
    auto r = parse(body);
    EXPECT_EQ(r.status, ParseStatus::parse_error) << body;
    EXPECT_FALSE(r.detail.empty());
    EXPECT_FALSE(r.message);
  }
}

TEST(JsonRpcParse, ArrayIsBatch) {
  auto r = parse(R"([{"jsonrpc":"2.0","method":"ping","id":1}])");
  EXPECT_EQ(r.status, ParseStatus::batch);
  ASSERT_TRUE(r.batch.is_array());
  EXPECT_EQ(r.batch.size(), 1u);
  EXPECT_EQ(parse_value(r.batch[0]).status, ParseStatus::ok);
}

TEST(JsonRpcParse, Request) {
  auto r = parse(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"x"}})");
  ASSERT_EQ(r.status, ParseStatus::ok) << r.detail;
  const auto* request = std::get_if<Request>(&*r.message);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(request->id, 7);
  EXPECT_EQ(request->method, "tools/list");
  EXPECT_EQ(request->params, (nlohmann::json{{"cursor", "x"}}));
}

TEST(JsonRpcParse, RequestWithoutParamsHasNullParams) {
  auto r = parse(R"({"jsonrpc":"2.0","id":"abc","method":"ping"})");
  ASSERT_EQ(r.status, ParseStatus::ok);
  const auto& request = std::get<Request>(*r.message);
  EXPECT_EQ(request.id, "abc");
  EXPECT_TRUE(request.params.is_null());
}

TEST(JsonRpcParse, Notification) {
  auto r = parse(R"({"jsonrpc":"2.0","method":"notifications/initialized","params":[1]})");
  ASSERT_EQ(r.status, ParseStatus::ok);
  const auto* notification = std::get_if<Notification>(&*r.message);
  ASSERT_NE(notification, nullptr);
  EXPECT_EQ(notification->method, "notifications/initialized");
  EXPECT_EQ(notification->params, nlohmann::json::array({1}));
}

TEST(JsonRpcParse, Responses) {
  auto ok = parse(R"({"jsonrpc":"2.0","id":3,"result":{}})");
  ASSERT_EQ(ok.status, ParseStatus::ok);
  const auto& result = std::get<Response>(*ok.message);
  EXPECT_EQ(result.id, 3);
  EXPECT_EQ(result.result, nlohmann::json::object());
  EXPECT_FALSE(result.error);

  auto err = parse(R"({"jsonrpc":"2.0","id":"q","error":{"code":-32601,"message":"no such method"}})");
  ASSERT_EQ(err.status, ParseStatus::ok);
  const auto& error = std::get<Response>(*err.message);
  EXPECT_FALSE(error.result);
  ASSERT_TRUE(error.error);
  EXPECT_EQ(error.error->at("code"), -32601);
}

TEST(JsonRpcParse, ErrorResponseMayHaveNullId) {
  auto r = parse(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})");
  ASSERT_EQ(r.status, ParseStatus::ok) << r.detail;
  EXPECT_TRUE(std::get<Response>(*r.message).id.is_null());
  EXPECT_EQ(parse(R"({"jsonrpc":"2.0","id":null,"result":1})").status, ParseStatus::invalid_request);
}

TEST(JsonRpcParse, ResponseNeedsExactlyOneOfResultAndError) {
  auto both = parse(R"({"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"m"}})");
  EXPECT_EQ(both.status, ParseStatus::invalid_request);
  EXPECT_EQ(both.id, 1);
  auto neither = parse(R"({"jsonrpc":"2.0","id":1})");
  EXPECT_EQ(neither.status, ParseStatus::invalid_request);
  EXPECT_EQ(parse(R"({"jsonrpc":"2.0","id":1,"error":"oops"})").status, ParseStatus::invalid_request);
  EXPECT_EQ(parse(R"({"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}})").status,
            ParseStatus::invalid_request);
}

TEST(JsonRpcParse, VersionRequired) {
  for (std::string_view body : {R"({"id":1,"method":"ping"})", R"({"jsonrpc":"1.0","id":1,"method":"ping"})",
                                R"({"jsonrpc":2.0,"id":1,"method":"ping"})"}) {
    auto r = parse(body);
    EXPECT_EQ(r.status, ParseStatus::invalid_request) << body;
    EXPECT_EQ(r.id, 1) << body;
    EXPECT_NE(r.detail.find("jsonrpc"), std::string::npos);
  }
}

TEST(JsonRpcParse, IdRules) {
  EXPECT_EQ(parse(R"({"jsonrpc":"2.0","id":-5,"method":"m"})").status, ParseStatus::ok);
  EXPECT_EQ(parse(R"({"jsonrpc":"2.0","id":"","method":"m"})").status, ParseStatus::ok);
  for (std::string_view body : {R"({"jsonrpc":"2.0","id":null,"method":"m"})",
                                R"({"jsonrpc":"2.0","id":1.5,"method":"m"})",
                                R"({"jsonrpc":"2.0","id":{"a":1},"method":"m"})",
                                R"({"jsonrpc":"2.0","id":[1],"method":"m"})",
                                R"({"jsonrpc":"2.0","id":true,"method":"m"})"}) {
    auto r = parse(body);
    EXPECT_EQ(r.status, ParseStatus::invalid_request) << body;
    EXPECT_TRUE(r.id.is_null()) << body;
    EXPECT_NE(r.detail.find("id"), std::string::npos) << r.detail;
  }
}

TEST(JsonRpcParse, IdRecoveredFromInvalidRequest) {
  auto r = parse(R"({"jsonrpc":"2.0","id":"req-1","method":5})");
  EXPECT_EQ(r.status, ParseStatus::invalid_request);
  EXPECT_EQ(r.id, "req-1");
  EXPECT_NE(r.detail.find("method"), std::string::npos);
}

TEST(JsonRpcParse, ParamsMustBeStructured) {
  for (std::string_view params : {"1", "\"x\"", "null", "true"}) {
    auto body = std::string(R"({"jsonrpc":"2.0","id":1,"method":"m","params":)") + std::string(params) + "}";
    auto r = parse(body);
    EXPECT_EQ(r.status, ParseStatus::invalid_request) << body;
    EXPECT_NE(r.detail.find("params"), std::string::npos);
  }
}

TEST(JsonRpcParse, NonObjectsAreInvalidRequests) {
  for (std::string_view body : {"1", "\"x\"", "null", "true"})
    EXPECT_EQ(parse(body).status, ParseStatus::invalid_request) << body;
  EXPECT_EQ(parse_value(nlohmann::json::array()).status, ParseStatus::invalid_request);
  EXPECT_EQ(parse(R"({"jsonrpc":"2.0"})").status, ParseStatus::invalid_request);
  EXPECT_EQ(parse(R"({"jsonrpc":"2.0","id":1,"method":"m","result":1})").status, ParseStatus::invalid_request);
}

TEST(JsonRpcBuild, Builders) {
  auto json = [](std::string_view text) { return nlohmann::json::parse(text); };
  EXPECT_EQ(make_result(1, {{"ok", true}}), json(R"({"jsonrpc":"2.0","id":1,"result":{"ok":true}})"));
  EXPECT_EQ(make_error("a", ErrorCode::method_not_found, "nope"),
            json(R"({"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"nope"}})"));
  EXPECT_EQ(make_error(nullptr, -32000, "x", nlohmann::json{{"why", 1}}),
            json(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"x","data":{"why":1}}})"));
  EXPECT_EQ(make_request(2, "tools/call", {{"name", "t"}}),
            json(R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"t"}})"));
  EXPECT_EQ(make_request(3, "ping", nullptr), json(R"({"jsonrpc":"2.0","id":3,"method":"ping"})"));
  EXPECT_EQ(make_notification("notifications/initialized", nullptr),
            json(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
}

TEST(JsonRpcBuild, BuiltMessagesParseBack) {
  auto request = parse(make_request("r", "m", nlohmann::json::object()).dump());
  EXPECT_TRUE(std::holds_alternative<Request>(*request.message));
  auto notification = parse(make_notification("n", nlohmann::json::array()).dump());
  EXPECT_TRUE(std::holds_alternative<Notification>(*notification.message));
  auto error = parse(make_error(1, ErrorCode::internal_error, "boom").dump());
  EXPECT_TRUE(std::holds_alternative<Response>(*error.message));
}

} // namespace
} // namespace mcpcert::jsonrpc
