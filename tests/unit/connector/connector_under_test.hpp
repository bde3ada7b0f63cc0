#pragma once
// The whole connector in process, for the tests of its request handling: the
// connector serves plain HTTP on loopback, and one fake tenant server plays
// the issuer (JWKS and RFC 8693 token exchange) and the tenant API (the
// finance KPIs and one planning application), so tools/call runs end to end
// and a test can see every exchange and which token reached the API.
// Everything runs on the test's io_context.

#include <unistd.h>

#include <functional>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/connector/connector_service.hpp"
#include "mcpcert/connector/operational_log.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/http_server.hpp"
#include "mcpcert/jsonrpc.hpp"
#include "mcpcert/jwt.hpp"

namespace mcpcert::connector {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* modern = "2026-07-28";

struct Reply {
  unsigned status = 0;
  json body;
  http::Response raw;
};

class ConnectorUnderTest : public testing::Test {
protected:
  ConnectorUnderTest() {
    tenant_ = std::make_unique<http::Server>(
        io_.get_executor(), "127.0.0.1", 0,
        [this](http::Request& request, const http::RequestContext&) -> boost::asio::awaitable<http::Response> {
          // A held run poll answers only once the test releases it: a tool call that takes as long as the test needs.
          if (hold_run_polls_ && request.target().find("/runs/") != std::string_view::npos) {
            co_await run_release_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
          }
          co_return tenant_reply(request);
        });
    tenant_->start();
  }

  void SetUp() override { start(base_config()); }

  void TearDown() override {
    if (connector_) connector_->stop();
    tenant_->stop();
    io_.poll();
  }

  ConnectorConfig base_config() const {
    ConnectorConfig config;
    config.client_id = "mcpcert-connector";
    config.client_secret = "a-connector-secret-for-tests";
    const auto base = tenant_->base_url();
    config.tenants.push_back({"emea-finance", "eu-central-1", base, base + "/jwks", base + "/token", base});
    return config;
  }

  void start(ConnectorConfig config) {
    connector_ = std::make_unique<ConnectorService>(io_.get_executor(), std::move(config), clock_);
    connector_->start();
    alice_ = token_for("u-alice", 3600);
    bob_ = token_for("u-bob", 3600);
  }

  void restart(ConnectorConfig config) {
    connector_->stop();
    io_.poll();
    start(std::move(config));
  }

  static OperationalLogConfig log_config(const std::filesystem::path& directory) {
    OperationalLogConfig log;
    log.directory = directory;
    log.active_key_id = "k1";
    log.keys.emplace("k1", AeadKey::generate());
    return log;
  }

  // Fills a region's (capped) store with other records until it refuses even a small one.
  bool fill_log_store(const std::string& region) {
    ToolCallEntry filler;
    filler.tenant = "emea-finance";
    filler.region = region;
    filler.tool = "get_kpis";
    // Large records first, then smaller ones into what is left, down to records smaller than a call's.
    for (std::size_t size : {2000, 200, 1}) {
      filler.user = std::string(size, 'f');
      int appended = 0;
      while (appended < 2000 && connector_->operational_log()->append(filler) == LogStatus::ok) ++appended;
      if (appended == 2000) return false;
    }
    return true;
  }

  /// A token of the fake tenant's issuer for the shared MCP URL, or for `audience`.
  std::string token_for(const std::string& subject, std::int64_t lifetime, const std::string& audience = {}) const {
    const auto now = clock_.unix_seconds();
    const json claims = {{"iss", tenant_->base_url()}, {"sub", subject}, {"aud", audience.empty() ? connector_->mcp_url() : audience},
                         {"client_id", "assistant"}, {"scope", "finance:read"}, {"jti", "jti-" + subject},
                         {"iat", now}, {"exp", now + lifetime}, {"tenant", "emea-finance"}, {"entity", "ent-brussels"}};
    return sign_jwt(key_, claims, "at+jwt");
  }

  // The issuer and the tenant API in one loopback server.
  http::Response tenant_reply(const http::Request& request) {
    // The path alone: the connector passes tool arguments such as ?period= as a query.
    const std::string target(request.target().substr(0, request.target().find('?')));
    if (target == "/jwks") return http::make_json_response(request, 200, json{{"keys", {key_.public_jwk()}}}.dump());
    if (target == "/token" && request.method() == bhttp::verb::post) {
      auto form = parse_form(request.body());
      exchanged_subjects_.push_back(form.fields["subject_token"]);
      if (refuse_exchange_) {
        return http::make_json_response(request, 400, R"({"error":"invalid_grant","error_description":"MCP Access removed"})");
      }
      const json issued = {{"access_token", "exchanged-" + std::to_string(exchanged_subjects_.size())},
                           {"issued_token_type", "urn:ietf:params:oauth:token-type:access_token"},
                           {"token_type", "Bearer"},
                           {"expires_in", 300}};
      return http::make_json_response(request, 200, issued.dump());
    }
    if (target == "/api/v1/entities/ent-brussels/kpis") {
      const auto authorization = request.find(bhttp::field::authorization);
      api_bearers_.emplace_back(authorization == request.end() ? "" : std::string(authorization->value()));
      const json kpis = {{"entity", "ent-brussels"},
                         {"kpis", {{{"id", "rev"}, {"name", "Revenue"}, {"period", "2026-Q2"}, {"value", 1200.5}, {"currency", "EUR"}}}}};
      return http::make_json_response(request, 200, kpis.dump());
    }
    if (auto planning = planning_reply(request, target)) return *planning;
    return http::make_json_response(request, 404, R"({"error":"not found"})");
  }

  // One planning application, app-1, whose exposed tool `simulate` runs for two polls.
  std::optional<http::Response> planning_reply(const http::Request& request, const std::string& target) {
    if (target == "/api/v1/apps/app-1") {
      return http::make_json_response(request, 200, json{{"id", "app-1"}, {"tools", {{{"id", "simulate"}, {"exposed", true}}}}}.dump());
    }
    if (target == "/api/v1/apps/app-1/tools/simulate/runs" && request.method() == bhttp::verb::post) {
      run_polls_ = 0;
      return http::make_json_response(request, 201, json{{"id", "run-1"}, {"status", "running"}, {"progress", 0}, {"total", 2}}.dump());
    }
    if (target == "/api/v1/apps/app-1/runs/run-1") {
      ++run_polls_;
      const bool done = run_polls_ >= 2;
      return http::make_json_response(request, 200,
                                      json{{"id", "run-1"}, {"status", done ? "done" : "running"}, {"progress", run_polls_},
                                           {"total", 2}, {"output", done ? json{{"scenario", "SIMULATED-OUTPUT"}} : json(nullptr)}}
                                          .dump());
    }
    return std::nullopt;
  }

  static json meta(const std::string& version = modern) {
    return {{"io.modelcontextprotocol/protocolVersion", version},
            {"io.modelcontextprotocol/clientCapabilities", json::object()},
            {"io.modelcontextprotocol/clientInfo", {{"name", "stateless-test"}, {"version", "1.0.0"}}}};
  }

  static json stateless_request(json id, const std::string& method, json params = json::object()) {
    params["_meta"] = meta();
    return jsonrpc::make_request(id, method, std::move(params));
  }

  // The headers a conforming 2026-07-28 client sends alongside the body.
  static Headers stateless_headers(const std::string& method, const std::string& name = {}) {
    Headers headers{{"MCP-Protocol-Version", modern}, {"Mcp-Method", method}};
    if (!name.empty()) headers.emplace_back("Mcp-Name", name);
    return headers;
  }

  Reply send(bhttp::verb verb, const std::string& body, const Headers& headers, const std::string& token) {
    return send_to(connector_->mcp_url(), verb, body, headers, token);
  }

  Reply send_to(const std::string& address, bhttp::verb verb, const std::string& body, const Headers& headers,
                const std::string& token) {
    auto url = http::parse_url(address);
    http::Request request{verb, url->target, 11};
    request.set(bhttp::field::host, url->host + ":" + std::to_string(url->port));
    request.set(bhttp::field::accept, "application/json, text/event-stream");
    if (!body.empty()) request.set(bhttp::field::content_type, "application/json");
    if (!token.empty()) request.set(bhttp::field::authorization, "Bearer " + token);
    // insert, not set: a test may repeat a header on purpose.
    for (const auto& [name, value] : headers) request.insert(name, value);
    request.body() = body;
    request.prepare_payload();
    std::optional<boost::system::result<http::Response>> outcome;
    boost::asio::co_spawn(io_, http::fetch(*url, std::move(request)),
                          [&](std::exception_ptr, boost::system::result<http::Response> result) { outcome = std::move(result); });
    while (!outcome) io_.run_one();
    EXPECT_TRUE(outcome->has_value()) << outcome->error().message();
    Reply reply;
    reply.raw = outcome->value();
    reply.status = reply.raw.result_int();
    reply.body = json::parse(reply.raw.body(), nullptr, false);
    return reply;
  }

  Reply post(const json& message, const Headers& headers, const std::string& token) {
    return send(bhttp::verb::post, message.dump(), headers, token);
  }
  Reply post(const json& message, const Headers& headers) { return post(message, headers, alice_); }

  static int error_code(const Reply& reply) {
    if (!reply.body.is_object() || !reply.body.contains("error")) return 0;
    return reply.body["error"].value("code", 0);
  }

  boost::asio::io_context io_;
  VirtualClock clock_;
  EcSigningKey key_ = EcSigningKey::generate("k1");
  std::unique_ptr<http::Server> tenant_;
  std::unique_ptr<ConnectorService> connector_;
  std::string alice_;
  std::string bob_;
  bool refuse_exchange_ = false;
  std::vector<std::string> exchanged_subjects_;
  std::vector<std::string> api_bearers_;
  bool hold_run_polls_ = false;
  boost::asio::steady_timer run_release_{io_, boost::asio::steady_timer::time_point::max()};
  int run_polls_ = 0;
};

} // namespace
} // namespace mcpcert::connector
