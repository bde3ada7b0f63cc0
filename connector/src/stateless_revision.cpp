#include "mcpcert/connector/stateless_revision.hpp"

#include "mcp_http.hpp"
#include "mcpcert/connector/protocol_revision.hpp"

namespace mcpcert::connector {

using nlohmann::json;
using mcp_http::json_reply;

namespace {

constexpr int permission_denied_code = -32001;
// Caching hints (server/utilities/caching). server/discover says nothing about
// a user. The tool list is the same for everyone today, but it sits behind
// authorization: "private" keeps a shared cache from handing it to callers we
// never checked, and stays right if the list is ever filtered by scope.
constexpr std::int64_t discover_ttl_ms = 3'600'000;
constexpr std::int64_t tools_list_ttl_ms = 300'000;

http::Response error_reply(const http::Request& request, unsigned status, const jsonrpc::Id& id, int code,
                           std::string_view message, std::optional<json> data = std::nullopt) {
  return mcp_http::stateless_error(request, status, id, code, message, std::move(data));
}

http::Response error_reply(const http::Request& request, unsigned status, const jsonrpc::Id& id, jsonrpc::ErrorCode code,
                           std::string_view message, std::optional<json> data = std::nullopt) {
  return mcp_http::stateless_error(request, status, id, static_cast<int>(code), message, std::move(data));
}

http::Response header_mismatch(const http::Request& request, const jsonrpc::Id& id, std::string_view detail) {
  return error_reply(request, 400, id, static_cast<int>(McpErrorCode::header_mismatch), detail);
}

// transports/streamable-http, "Protocol Version Header": a method the server does
// not implement is 404 with -32601, so a client can tell us from a legacy HTTP+SSE 404.
http::Response method_not_found(const http::Request& request, const jsonrpc::Id& id, const std::string& method) {
  if (removed_in_stateless_revision(method)) {
    return error_reply(request, 404, id, jsonrpc::ErrorCode::method_not_found, "Method not found: " + method,
                       json{{"reason", method + " was removed in protocol revision 2026-07-28"},
                            {"supported", supported_versions()}});
  }
  return error_reply(request, 404, id, jsonrpc::ErrorCode::method_not_found, "Method not found: " + method);
}

// Every result of this revision says it is final and who answered (basic/index, "ResultType", "_meta").
json complete(json result) {
  result["resultType"] = "complete";
  if (!result.contains("_meta") || !result["_meta"].is_object()) result["_meta"] = json::object();
  result["_meta"][std::string(meta_key::server_info)] = McpServices::server_info();
  return result;
}

json discover_result() {
  return complete({
      {"supportedVersions", supported_versions()},
      {"capabilities", {{"tools", {{"listChanged", false}}}}},
      {"instructions", McpServices::instructions()},
      {"ttlMs", discover_ttl_ms},
      {"cacheScope", "public"},
  });
}

} // namespace

http::Response StatelessRevision::handle_notification(http::Request& request, const jsonrpc::Notification& notification) {
  // This revision sets no header rules for notifications, but a mirrored method that
  // disagrees with the body is still a request someone may have routed wrongly.
  const auto method_headers = mcp_http::header_values(request, "Mcp-Method");
  if (method_headers.size() > 1) return header_mismatch(request, nullptr, "Header mismatch: Mcp-Method is repeated");
  if (!method_headers.empty() && method_headers.front() != notification.method) {
    return header_mismatch(request, nullptr, "Header mismatch: Mcp-Method header value does not match body value '" +
                                                 notification.method + "'");
  }
  // Nothing runs long enough to cancel; the revision lets a server ignore such a notice.
  if (notification.method == "notifications/cancelled") return http::make_response(request, 202, "application/json", "");
  return method_not_found(request, nullptr, notification.method);
}

boost::asio::awaitable<http::Response> StatelessRevision::call_tool(http::Request& request, const AccessIdentity& identity,
                                                                    const RequestFacts& facts, const jsonrpc::Request& call) {
  // The same token exchange, tenant call and log record as a session's tools/call:
  // statelessness changes how a request is framed, not what it may do.
  auto reply = co_await services_.call_tool(identity, facts, call.params);
  switch (reply.kind) {
  case ToolCallReply::Kind::result: co_return json_reply(request, 200, jsonrpc::make_result(call.id, complete(std::move(reply.result))));
  case ToolCallReply::Kind::invalid_params:
    co_return error_reply(request, 200, call.id, jsonrpc::ErrorCode::invalid_params, reply.message);
  case ToolCallReply::Kind::permission_denied: co_return error_reply(request, 403, call.id, permission_denied_code, reply.message);
  case ToolCallReply::Kind::insufficient_scope: {
    auto response = error_reply(request, 403, call.id, permission_denied_code, reply.message);
    response.set(boost::beast::http::field::www_authenticate, McpServices::insufficient_scope_challenge(reply, identity));
    co_return response;
  }
  case ToolCallReply::Kind::log_unavailable: co_return mcp_http::log_unavailable(request, call.id);
  }
  co_return mcp_http::log_unavailable(request, call.id);
}

boost::asio::awaitable<http::Response> StatelessRevision::handle_post(http::Request& request, const AccessIdentity& identity,
                                                                      const RequestFacts& facts, const jsonrpc::Message& message) {
  if (const auto* notification = std::get_if<jsonrpc::Notification>(&message)) {
    co_return handle_notification(request, *notification);
  }
  const auto* call = std::get_if<jsonrpc::Request>(&message);
  if (call == nullptr) {
    co_return error_reply(request, 400, nullptr, jsonrpc::ErrorCode::invalid_request,
                          "Invalid request: a client does not send JSON-RPC responses in protocol revision 2026-07-28");
  }

  if (auto meta = check_request_meta(call->params); meta.status != MetaStatus::ok) {
    co_return error_reply(request, 400, call->id, jsonrpc::ErrorCode::invalid_params, meta.detail);
  }
  const auto version_headers = mcp_http::header_values(request, "MCP-Protocol-Version");
  const auto method_headers = mcp_http::header_values(request, "Mcp-Method");
  const auto name_headers = mcp_http::header_values(request, "Mcp-Name");
  if (auto headers = check_mirrored_headers({version_headers, method_headers, name_headers}, call->method, call->params);
      headers.status != HeaderStatus::ok) {
    co_return header_mismatch(request, call->id, headers.detail);
  }

  if (call->method == "server/discover") co_return json_reply(request, 200, jsonrpc::make_result(call->id, discover_result()));
  if (call->method == "tools/list") {
    auto page = services_.tool_page(identity, call->params);
    if (page.status != CursorStatus::ok) {
      co_return error_reply(request, 200, call->id, jsonrpc::ErrorCode::invalid_params,
                            std::string("Invalid cursor: ") + to_string(page.status));
    }
    json result = {{"tools", std::move(page.tools)}, {"ttlMs", tools_list_ttl_ms}, {"cacheScope", "private"}};
    if (!page.next_cursor.empty()) result["nextCursor"] = page.next_cursor;
    co_return json_reply(request, 200, jsonrpc::make_result(call->id, complete(std::move(result))));
  }
  if (call->method == "tools/call") co_return co_await call_tool(request, identity, facts, *call);
  co_return method_not_found(request, call->id, call->method);
}

} // namespace mcpcert::connector
