#include "mcpcert/connector/mcp_endpoint.hpp"

#include <algorithm>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "mcp_http.hpp"
#include "mcpcert/auth_header.hpp"
#include "mcpcert/connector/protocol_revision.hpp"
#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/jsonrpc.hpp"

namespace mcpcert::connector {

namespace beast = boost::beast;
using nlohmann::json;

namespace {

using mcp_http::json_reply;
using mcp_http::rpc_error;

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

const json& params_of(const jsonrpc::Message& message) {
  static const json none;
  if (const auto* call = std::get_if<jsonrpc::Request>(&message)) return call->params;
  if (const auto* notification = std::get_if<jsonrpc::Notification>(&message)) return notification->params;
  return none;
}

json id_of(const jsonrpc::Message& message) {
  if (const auto* call = std::get_if<jsonrpc::Request>(&message)) return call->id;
  return nullptr;
}

// DELETE and GET belong to the session revisions; one naming 2026-07-28 is
// answered as that revision's server must (transports/streamable-http,
// "Earlier Streamable HTTP Revisions": 405).
bool names_stateless_revision(const http::Request& request) {
  const auto versions = mcp_http::header_values(request, "MCP-Protocol-Version");
  if (versions.size() != 1) return false;
  const auto* revision = find_revision(versions.front());
  return revision != nullptr && revision->era == ProtocolEra::stateless;
}

} // namespace

McpEndpoint::McpEndpoint(const ConnectorConfig& config, const Clock& clock, std::string base_url, OperationalLog* log)
    : config_(config),
      base_url_(std::move(base_url)),
      resources_(mcp_resources(config, base_url_)),
      validator_(config, clock),
      services_(config, clock, log),
      sessions_(services_),
      stateless_(services_),
      per_user_(config.limits.requests_per_user_per_minute),
      per_connection_(config.limits.requests_per_connection_per_minute) {}

std::string McpEndpoint::read_scopes(const McpResource& resource) const {
  // What a client needs to start: the read scope of each tool set served;
  // writes are asked for by step-up on a 403 insufficient_scope.
  std::string scopes;
  for (const auto& scope : supported_scopes(resource)) {
    const auto& text = scope.get_ref<const std::string&>();
    if (text.ends_with(":read")) scopes += (scopes.empty() ? "" : " ") + text;
  }
  return scopes;
}

json McpEndpoint::supported_scopes(const McpResource& resource) const {
  json scopes = json::array();
  for (const char* set : {"finance", "planning"}) {
    bool served = std::any_of(config_.tenants.begin(), config_.tenants.end(), [&](const TenantRoute& route) {
      return resource.serves(route) && route.tool_set == set;
    });
    if (!served) continue;
    scopes.push_back(std::string(set) + ":read");
    if (std::string_view(set) == "planning") scopes.push_back("planning:write");
  }
  return scopes;
}

http::Response McpEndpoint::protected_resource_metadata(const http::Request& request, const McpResource& resource) const {
  json servers = json::array();
  for (const auto& tenant : config_.tenants)
    if (resource.serves(tenant)) servers.push_back(tenant.issuer);
  json metadata = {
      {"resource", resource.url},
      {"authorization_servers", servers},
      {"scopes_supported", supported_scopes(resource)},
      {"bearer_methods_supported", {"header"}},
      {"resource_name", resource.tenant == nullptr ? std::string("mcpcert reference connector")
                                                   : "mcpcert reference connector, tenant " + resource.tenant->id},
  };
  auto response = json_reply(request, 200, metadata);
  response.set(beast::http::field::cache_control, "max-age=300");
  return response;
}

http::Response McpEndpoint::unauthorized(const http::Request& request, const McpResource& resource, std::string_view error,
                                         std::string_view description) const {
  // RFC 6750 section 3 and RFC 9728 section 5.1: tell the client where to
  // find the authorization servers for this resource.
  std::string challenge = "Bearer resource_metadata=\"" + resource.metadata_url + "\", scope=\"" + read_scopes(resource) + "\"";
  if (!error.empty()) {
    challenge += ", error=\"" + std::string(error) + "\", error_description=\"" + std::string(description) + "\"";
  }
  auto response = rpc_error(request, 401, nullptr, -32001, error.empty() ? "authorization required" : description);
  response.set(beast::http::field::www_authenticate, challenge);
  return response;
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

boost::asio::awaitable<http::Response> McpEndpoint::handle(http::Request& request, const http::RequestContext& context) {
  const std::string target(request.target());
  const std::string path = target.substr(0, target.find('?'));

  // Clients also try the root well-known location, without the resource's
  // path; it describes the shared URL.
  const McpResource* described = path == "/.well-known/oauth-protected-resource" ? &resources_.front() : nullptr;
  const McpResource* addressed = nullptr;
  for (const auto& resource : resources_) {
    if (path == resource.metadata_path) described = &resource;
    if (path == resource.path) addressed = &resource;
  }
  if (described != nullptr) {
    if (request.method() != beast::http::verb::get) co_return json_reply(request, 405, {{"error", "method not allowed"}});
    co_return protected_resource_metadata(request, *described);
  }
  if (addressed == nullptr) co_return json_reply(request, 404, {{"error", "not found"}});
  const McpResource& resource = *addressed;

  if (!origin_allowed(request)) co_return rpc_error(request, 403, nullptr, -32000, "origin not allowed");
  // Before any token work: a connection that floods pays nothing but this lookup.
  if (per_connection_.enabled()) {
    const auto key = context.remote_address + " " + std::to_string(context.remote_port);
    if (auto wait = per_connection_.admit(key, std::chrono::steady_clock::now())) {
      co_return mcp_http::too_many(request, nullptr, *wait,
                                   "too many requests on this connection (limit " +
                                       std::to_string(config_.limits.requests_per_connection_per_minute) + " per minute)");
    }
  }

  // Tokens are taken from the Authorization header only (never the query string),
  // and validated on every request, whichever protocol revision it speaks.
  const auto authorization = request.find(beast::http::field::authorization);
  std::string credentials = authorization == request.end() ? std::string{} : std::string(authorization->value());
  if (credentials.empty() && config_.mutants.contains(Mutant::token_from_query)) {
    if (const auto question = target.find('?'); question != std::string::npos) {
      auto query = parse_form(target.substr(question + 1));
      if (auto it = query.fields.find("access_token"); it != query.fields.end()) credentials = "Bearer " + it->second;
    }
  }
  if (credentials.empty()) co_return unauthorized(request, resource, "", "");
  const RequestFacts facts{random_token(12), context.remote_address, context.stream};
  auto token = parse_bearer_credentials(credentials);
  if (!token) {
    services_.log_event("token_rejected", nullptr, facts, "malformed Authorization header");
    auto refusal = unauthorized(request, resource, "invalid_request", "expected a Bearer token");
    refusal.set("X-Request-Id", facts.request_id);
    co_return refusal;
  }
  auto identity = co_await validator_.validate(std::move(*token), resource);
  if (!identity) {
    // The reason is a fixed status name, never token material.
    services_.log_event("token_rejected", nullptr, facts, identity.error().message());
    auto refusal = unauthorized(request, resource, "invalid_token", identity.error().message());
    refusal.set("X-Request-Id", facts.request_id);
    co_return refusal;
  }

  if (per_user_.enabled()) {
    if (auto wait = per_user_.admit(identity->issuer + " " + identity->subject, std::chrono::steady_clock::now())) {
      services_.log_event("rate_limited", &*identity, facts, "requests_per_user_per_minute");
      auto refusal = mcp_http::too_many(request, nullptr, *wait,
                                        "too many requests for this user (limit " +
                                            std::to_string(config_.limits.requests_per_user_per_minute) + " per minute)");
      refusal.set("X-Request-Id", facts.request_id);
      co_return refusal;
    }
  }

  if (config_.mutants.contains(Mutant::route_by_client_region)) {
    // The defect: "serve users from the region nearest to them".
    if (auto hint = request.find("X-Client-Region"); hint != request.end()) {
      for (const auto& route : config_.tenants)
        if (route.region == hint->value() && &route != identity->route) identity->api_route = &route;
    }
  }
  if (config_.mutants.contains(Mutant::route_by_token_region)) {
    // The defect: "tenants of one region share a deployment", so any of them will do.
    for (const auto& route : config_.tenants) {
      if (route.region == identity->route->region) {
        identity->api_route = &route;
        break;
      }
    }
  }
  http::Response response;
  const bool stateless = names_stateless_revision(request);
  if (request.method() == beast::http::verb::post) {
    response = co_await handle_mcp_post(request, *identity, facts);
  } else if (request.method() == beast::http::verb::delete_ && !stateless) {
    response = sessions_.handle_delete(request, *identity, facts);
  } else if (request.method() == beast::http::verb::get && !stateless && request.find("Last-Event-ID") != request.end()) {
    // Resuming a stream that broke: only events of that stream, on its own session.
    response = sessions_.handle_resume(request, *identity);
  } else {
    // No server-initiated stream is offered on GET; 2026-07-28 has neither GET nor DELETE.
    response = json_reply(request, 405, {{"error", "method not allowed"}});
    response.set(beast::http::field::allow, stateless ? "POST" : "POST, DELETE");
  }
  // Lets a client quote the id that names this call in the operational log.
  response.set("X-Request-Id", facts.request_id);
  co_return response;
}

boost::asio::awaitable<http::Response> McpEndpoint::handle_mcp_post(http::Request& request, const AccessIdentity& identity,
                                                                    const RequestFacts& facts) {
  const auto content_type = request.find(beast::http::field::content_type);
  if (content_type == request.end() || media_type(content_type->value()) != "application/json") {
    co_return rpc_error(request, 415, nullptr, -32600, "Content-Type must be application/json");
  }
  const auto accept = request.find(beast::http::field::accept);
  if (accept == request.end() || !accepts(accept->value(), "application/json") ||
      !accepts(accept->value(), "text/event-stream")) {
    co_return rpc_error(request, 406, nullptr, -32600, "Accept must list application/json and text/event-stream");
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
    // No revision we serve has batches (2025-06-18 removed them).
    co_return rpc_error(request, 400, nullptr, static_cast<int>(jsonrpc::ErrorCode::invalid_request),
                        "JSON-RPC batches are not supported by the negotiated protocol revisions");
  case jsonrpc::ParseStatus::invalid_request:
    co_return rpc_error(request, 400, parsed.id, static_cast<int>(jsonrpc::ErrorCode::invalid_request),
                        "invalid request: " + parsed.detail);
  }

  const auto& message = *parsed.message;
  const auto versions = mcp_http::header_values(request, "MCP-Protocol-Version");
  const auto selection = select_revision(versions, params_of(message));
  switch (selection.choice) {
  case RevisionChoice::stateless: co_return co_await stateless_.handle_post(request, identity, facts, message);
  case RevisionChoice::session:
    co_return co_await sessions_.handle_post(
        request, identity, facts, message,
        selection.requested.empty() ? std::nullopt : std::optional<std::string_view>(selection.requested));
  // The errors below are those of 2026-07-28 (versioning, "Protocol Version Negotiation";
  // transports/streamable-http, "Server Validation"). A session client that names a version
  // we don't serve gets 400 as its own revision requires, with a body a dual-era client can read.
  case RevisionChoice::header_mismatch:
    co_return mcp_http::stateless_error(request, 400, id_of(message), static_cast<int>(McpErrorCode::header_mismatch),
                                        selection.detail);
  case RevisionChoice::unsupported_version:
    co_return mcp_http::stateless_error(request, 400, id_of(message),
                                        static_cast<int>(McpErrorCode::unsupported_protocol_version), selection.detail,
                                        json{{"supported", supported_versions()}, {"requested", selection.requested}});
  case RevisionChoice::invalid_meta:
    co_return mcp_http::stateless_error(request, 400, id_of(message), static_cast<int>(jsonrpc::ErrorCode::invalid_params),
                                        "Invalid params: " + selection.detail);
  }
  co_return rpc_error(request, 500, nullptr, static_cast<int>(jsonrpc::ErrorCode::internal_error), "unreachable");
}

} // namespace mcpcert::connector
