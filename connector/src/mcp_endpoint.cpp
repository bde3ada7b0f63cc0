#include "mcpcert/connector/mcp_endpoint.hpp"

#include <algorithm>
#include <array>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "mcpcert/auth_header.hpp"
#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/jsonrpc.hpp"

namespace mcpcert::connector {

namespace beast = boost::beast;
using nlohmann::json;

namespace {

constexpr std::array supported_protocol_versions{"2025-11-25", "2025-06-18"};
constexpr int permission_denied_code = -32001;
constexpr const char* server_version = "0.1.0";

bool protocol_supported(std::string_view version) {
  return std::find(supported_protocol_versions.begin(), supported_protocol_versions.end(), version) !=
         supported_protocol_versions.end();
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string media_type(std::string_view header) {
  const auto semicolon = header.find(';');
  auto type = lower(header.substr(0, semicolon));
  type.erase(std::remove(type.begin(), type.end(), ' '), type.end());
  return type;
}

bool accepts(std::string_view accept_header, std::string_view wanted) {
  const auto accept = lower(accept_header);
  const auto slash = wanted.find('/');
  const std::string family_wildcard = std::string(wanted.substr(0, slash)) + "/*";
  std::size_t start = 0;
  while (start <= accept.size()) {
    const auto comma = accept.find(',', start);
    const auto item = media_type(accept.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (item == wanted || item == "*/*" || item == family_wildcard) return true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return false;
}

http::Response json_reply(const http::Request& request, unsigned status, const json& body) {
  return http::make_json_response(request, status, body.dump());
}

http::Response rpc_error(const http::Request& request, unsigned status, const jsonrpc::Id& id, int code,
                         std::string_view message) {
  return json_reply(request, status, jsonrpc::make_error(id, code, message));
}

// Storage for the operational log failed: the call is not acknowledged.
http::Response log_unavailable(const http::Request& request, const jsonrpc::Id& id) {
  return rpc_error(request, 503, id, static_cast<int>(jsonrpc::ErrorCode::internal_error),
                   "operational log unavailable; the call was not recorded and is not acknowledged");
}

} // namespace

McpEndpoint::McpEndpoint(const ConnectorConfig& config, const Clock& clock, std::string base_url, OperationalLog* log)
    : config_(config),
      clock_(clock),
      base_url_(std::move(base_url)),
      resource_(base_url_ + config.mcp_path),
      metadata_url_(base_url_ + "/.well-known/oauth-protected-resource" + config.mcp_path),
      validator_(config, clock, resource_),
      log_(log),
      gateway_(config, clock),
      tools_(gateway_, config.mutants.contains(Mutant::extra_tool)) {}

http::Response McpEndpoint::protected_resource_metadata(const http::Request& request) const {
  json servers = json::array();
  for (const auto& tenant : config_.tenants) servers.push_back(tenant.issuer);
  json metadata = {
      {"resource", resource_},
      {"authorization_servers", servers},
      {"scopes_supported", {"finance:read"}},
      {"bearer_methods_supported", {"header"}},
      {"resource_name", "mcpcert reference connector"},
  };
  auto response = json_reply(request, 200, metadata);
  response.set(beast::http::field::cache_control, "max-age=300");
  return response;
}

http::Response McpEndpoint::unauthorized(const http::Request& request, std::string_view error,
                                         std::string_view description) const {
  // RFC 6750 section 3 and RFC 9728 section 5.1: tell the client where to
  // find the authorization servers for this resource.
  std::string challenge = "Bearer resource_metadata=\"" + metadata_url_ + "\", scope=\"finance:read\"";
  if (!error.empty()) {
    challenge += ", error=\"" + std::string(error) + "\", error_description=\"" + std::string(description) + "\"";
  }
  auto response = rpc_error(request, 401, nullptr, -32001, error.empty() ? "authorization required" : description);
  response.set(beast::http::field::www_authenticate, challenge);
  return response;
}

bool McpEndpoint::session_belongs_to(const McpSession& session, const AccessIdentity& identity) const {
  if (config_.mutants.contains(Mutant::session_by_id_only)) return true;
  return session.issuer == identity.issuer && session.subject == identity.subject;
}

bool McpEndpoint::origin_allowed(const http::Request& request) const {
  const auto origin = request.find(beast::http::field::origin);
  if (origin == request.end()) return true; // not a browser: nothing to rebind
  const std::string value(origin->value());
  if (std::find(config_.allowed_origins.begin(), config_.allowed_origins.end(), value) != config_.allowed_origins.end()) {
    return true;
  }
  // DNS rebinding protection: a browser page may only reach us from a loopback origin.
  auto url = http::parse_url(value);
  if (!url) return false;
  return url->host == "127.0.0.1" || url->host == "::1" || url->host == "localhost";
}

bool McpEndpoint::log_event(const std::string& event, const AccessIdentity* identity, const CallContext& call,
                            std::string detail) {
  if (log_ == nullptr) return true;
  AuthEventEntry entry;
  entry.event = event;
  entry.source_ip = call.source_ip;
  entry.detail = std::move(detail);
  entry.at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
  if (identity != nullptr) {
    entry.tenant = identity->tenant;
    entry.region = identity->route->region;
    entry.user = identity->subject;
    entry.client_id = identity->client_id;
  }
  return log_->append(entry) == LogStatus::ok;
}

bool McpEndpoint::log_tool_call(const AccessIdentity& identity, const CallContext& call, const std::string& tool,
                                const nlohmann::json& arguments, std::int64_t started_at_ms,
                                std::chrono::steady_clock::duration took, const std::string& outcome) {
  if (log_ == nullptr) return true;
  if (outcome != "success" && config_.mutants.contains(Mutant::failures_not_logged)) return true;
  ToolCallEntry entry;
  entry.request_id = call.request_id;
  entry.tenant = identity.tenant;
  entry.region = identity.route->region;
  entry.tool = tool;
  entry.user = identity.subject;
  entry.entity = identity.entity;
  entry.source_ip = call.source_ip;
  entry.started_at_ms = started_at_ms;
  entry.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  entry.outcome = outcome;
  entry.arguments = arguments.is_null() ? std::string{} : arguments.dump();
  return log_->append(entry) == LogStatus::ok;
}

boost::asio::awaitable<http::Response> McpEndpoint::handle(http::Request& request, const http::RequestContext& context) {
  const std::string target(request.target());
  const std::string path = target.substr(0, target.find('?'));

  if (path == "/.well-known/oauth-protected-resource" + config_.mcp_path ||
      path == "/.well-known/oauth-protected-resource") {
    if (request.method() != beast::http::verb::get) co_return json_reply(request, 405, {{"error", "method not allowed"}});
    co_return protected_resource_metadata(request);
  }
  if (path != config_.mcp_path) co_return json_reply(request, 404, {{"error", "not found"}});

  if (!origin_allowed(request)) co_return rpc_error(request, 403, nullptr, -32000, "origin not allowed");

  // Tokens are taken from the Authorization header only (never the query string).
  const auto authorization = request.find(beast::http::field::authorization);
  std::string credentials = authorization == request.end() ? std::string{} : std::string(authorization->value());
  if (credentials.empty() && config_.mutants.contains(Mutant::token_from_query)) {
    if (const auto question = target.find('?'); question != std::string::npos) {
      auto query = parse_form(target.substr(question + 1));
      if (auto it = query.fields.find("access_token"); it != query.fields.end()) credentials = "Bearer " + it->second;
    }
  }
  if (credentials.empty()) co_return unauthorized(request, "", "");
  const CallContext call{random_token(12), context.remote_address};
  auto token = parse_bearer_credentials(credentials);
  if (!token) {
    log_event("token_rejected", nullptr, call, "malformed Authorization header");
    co_return unauthorized(request, "invalid_request", "expected a Bearer token");
  }
  auto identity = co_await validator_.validate(std::move(*token));
  if (!identity) {
    // The reason is a fixed status name, never token material.
    log_event("token_rejected", nullptr, call, identity.error().message());
    co_return unauthorized(request, "invalid_token", identity.error().message());
  }

  http::Response response;
  switch (request.method()) {
  case beast::http::verb::post: response = co_await handle_mcp_post(request, *identity, call); break;
  case beast::http::verb::delete_: response = handle_mcp_delete(request, *identity, call); break;
  default:
    // No server-initiated stream is offered on GET in this revision of the connector.
    response = json_reply(request, 405, {{"error", "method not allowed"}});
    response.set(beast::http::field::allow, "POST, DELETE");
    break;
  }
  // Lets a client quote the id that names this call in the operational log.
  response.set("X-Request-Id", call.request_id);
  co_return response;
}

http::Response McpEndpoint::handle_mcp_delete(http::Request& request, const AccessIdentity& identity, const CallContext& call) {
  const auto header = request.find("Mcp-Session-Id");
  if (header == request.end()) return rpc_error(request, 400, nullptr, -32600, "Mcp-Session-Id header required");
  std::lock_guard lock(sessions_mutex_);
  auto session = sessions_.find(header->value());
  if (session == sessions_.end() || !session_belongs_to(session->second, identity)) {
    return rpc_error(request, 404, nullptr, -32001, "session not found");
  }
  sessions_.erase(session);
  if (!log_event("session_closed", &identity, call, "")) return log_unavailable(request, nullptr);
  return http::make_response(request, 204, "application/json", "");
}

boost::asio::awaitable<http::Response> McpEndpoint::handle_mcp_post(http::Request& request, const AccessIdentity& identity,
                                                                    const CallContext& facts) {
  const auto content_type = request.find(beast::http::field::content_type);
  if (content_type == request.end() || media_type(content_type->value()) != "application/json") {
    co_return rpc_error(request, 415, nullptr, -32600, "Content-Type must be application/json");
  }
  const auto accept = request.find(beast::http::field::accept);
  if (accept == request.end() || !accepts(accept->value(), "application/json") ||
      !accepts(accept->value(), "text/event-stream")) {
    co_return rpc_error(request, 406, nullptr, -32600, "Accept must list application/json and text/event-stream");
  }
  const auto version_header = request.find("MCP-Protocol-Version");
  if (version_header != request.end() && !protocol_supported(version_header->value())) {
    co_return rpc_error(request, 400, nullptr, -32600,
                        "unsupported MCP-Protocol-Version '" + std::string(version_header->value()) + "'");
  }

  auto parsed = jsonrpc::parse(request.body());
  switch (parsed.status) {
  case jsonrpc::ParseStatus::ok: break;
  case jsonrpc::ParseStatus::parse_error:
    co_return rpc_error(request, 400, nullptr, static_cast<int>(jsonrpc::ErrorCode::parse_error), "parse error: " + parsed.detail);
  case jsonrpc::ParseStatus::batch:
    if (config_.mutants.contains(Mutant::batch_accepted)) {
      json replies = json::array();
      for (const auto& element : parsed.batch) {
        if (element.is_object() && element.contains("id")) replies.push_back(jsonrpc::make_result(element["id"], json::object()));
      }
      co_return json_reply(request, 200, replies);
    }
    co_return rpc_error(request, 400, nullptr, static_cast<int>(jsonrpc::ErrorCode::invalid_request),
                        "JSON-RPC batches are not supported by the negotiated protocol revisions");
  case jsonrpc::ParseStatus::invalid_request:
    co_return rpc_error(request, 400, parsed.id, static_cast<int>(jsonrpc::ErrorCode::invalid_request),
                        "invalid request: " + parsed.detail);
  }

  const auto* call = std::get_if<jsonrpc::Request>(&*parsed.message);
  if (call != nullptr && call->method == "initialize") {
    std::string version = supported_protocol_versions.front();
    if (call->params.is_object()) {
      if (auto requested = call->params.find("protocolVersion");
          requested != call->params.end() && requested->is_string() && protocol_supported(requested->get<std::string>())) {
        version = requested->get<std::string>();
      }
    }
    const auto session_id = random_token(32);
    if (!log_event("session_opened", &identity, facts, "")) co_return log_unavailable(request, call->id);
    {
      std::lock_guard lock(sessions_mutex_);
      sessions_[session_id] = McpSession{identity.issuer, identity.subject, version, false};
    }
    json result = {
        {"protocolVersion", version},
        {"capabilities", {{"tools", {{"listChanged", false}}}}},
        {"serverInfo", {{"name", "mcpcert-reference-connector"}, {"title", "mcpcert reference connector"}, {"version", server_version}}},
        {"instructions", "Finance tools of one entity, on behalf of the signed-in user."},
    };
    auto response = json_reply(request, 200, jsonrpc::make_result(call->id, result));
    response.set("Mcp-Session-Id", session_id);
    co_return response;
  }

  // Every other message belongs to a session, and a session to one user.
  const auto session_header = request.find("Mcp-Session-Id");
  if (session_header == request.end()) {
    co_return rpc_error(request, 400, call ? call->id : json(nullptr), -32600, "Mcp-Session-Id header required");
  }
  McpSession session;
  {
    std::lock_guard lock(sessions_mutex_);
    auto found = sessions_.find(session_header->value());
    if (found == sessions_.end() && config_.mutants.contains(Mutant::unknown_session_served)) {
      found = sessions_.emplace(std::string(session_header->value()),
                                McpSession{identity.issuer, identity.subject, supported_protocol_versions.front(), true}).first;
    }
    if (found == sessions_.end() || !session_belongs_to(found->second, identity)) {
      co_return rpc_error(request, 404, call ? call->id : json(nullptr), -32001, "session not found");
    }
    if (std::holds_alternative<jsonrpc::Notification>(*parsed.message) &&
        std::get<jsonrpc::Notification>(*parsed.message).method == "notifications/initialized") {
      found->second.initialized = true;
    }
    session = found->second;
  }
  if (version_header != request.end() && version_header->value() != session.protocol_version) {
    co_return rpc_error(request, 400, call ? call->id : json(nullptr), -32600,
                        "MCP-Protocol-Version does not match the version negotiated for this session");
  }
  if (call == nullptr) co_return http::make_response(request, 202, "application/json", "");

  if (call->method == "ping") co_return json_reply(request, 200, jsonrpc::make_result(call->id, json::object()));
  if (call->method == "tools/list") {
    if (call->params.is_object() && call->params.contains("cursor")) {
      co_return json_reply(request, 200, jsonrpc::make_error(call->id, jsonrpc::ErrorCode::invalid_params, "unknown cursor"));
    }
    co_return json_reply(request, 200, jsonrpc::make_result(call->id, {{"tools", tools_.definitions()}}));
  }
  if (call->method == "tools/call") {
    if (!call->params.is_object() || !call->params.contains("name") || !call->params["name"].is_string()) {
      co_return json_reply(request, 200,
                           jsonrpc::make_error(call->id, jsonrpc::ErrorCode::invalid_params, "params.name must be a string"));
    }
    const auto arguments = call->params.value("arguments", json(nullptr));
    const auto tool = call->params["name"].get<std::string>();
    const auto started_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
    const auto started = std::chrono::steady_clock::now();
    auto outcome = co_await tools_.call(identity, tool, arguments);
    http::Response response;
    std::string logged_outcome;
    switch (outcome.kind) {
    case ToolOutcome::Kind::result:
      logged_outcome = outcome.result.value("isError", false) ? "tool_error" : "success";
      response = json_reply(request, 200, jsonrpc::make_result(call->id, outcome.result));
      break;
    case ToolOutcome::Kind::unknown_tool:
    case ToolOutcome::Kind::invalid_arguments:
      logged_outcome = "invalid_params";
      response = json_reply(request, 200, jsonrpc::make_error(call->id, jsonrpc::ErrorCode::invalid_params, outcome.detail));
      break;
    case ToolOutcome::Kind::permission_denied:
      logged_outcome = "permission_denied";
      response = rpc_error(request, 403, call->id, permission_denied_code, "permission denied: " + outcome.detail);
      break;
    case ToolOutcome::Kind::upstream_failure:
      logged_outcome = "upstream_failure";
      response = json_reply(request, 200,
                            jsonrpc::make_result(call->id, {{"content", {{{"type", "text"}, {"text", "tenant unavailable: " + outcome.detail}}}},
                                                            {"isError", true}}));
      break;
    }
    // The record is committed before the response leaves: an acknowledged call is a logged call.
    if (!log_tool_call(identity, facts, tool, arguments, started_at_ms, std::chrono::steady_clock::now() - started, logged_outcome)) {
      co_return log_unavailable(request, call->id);
    }
    co_return response;
  }
  co_return json_reply(request, 200,
                       jsonrpc::make_error(call->id, jsonrpc::ErrorCode::method_not_found, "method not found: " + call->method));
}

} // namespace mcpcert::connector
