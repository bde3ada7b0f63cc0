#include "mcpcert/connector/legacy_sessions.hpp"

#include "mcp_http.hpp"
#include "mcpcert/connector/protocol_revision.hpp"
#include "mcpcert/crypto.hpp"

namespace mcpcert::connector {

using nlohmann::json;
using mcp_http::json_reply;
using mcp_http::rpc_error;

namespace {

constexpr int permission_denied_code = -32001;

bool session_revision(std::string_view version) {
  const auto* revision = find_revision(version);
  return revision != nullptr && revision->era == ProtocolEra::session;
}

} // namespace

bool LegacySessions::belongs_to(const McpSession& session, const AccessIdentity& identity) const {
  if (services_.config().mutants.contains(Mutant::session_by_id_only)) return true;
  return session.issuer == identity.issuer && session.subject == identity.subject;
}

http::Response LegacySessions::handle_delete(http::Request& request, const AccessIdentity& identity, const RequestFacts& facts) {
  const auto header = request.find("Mcp-Session-Id");
  if (header == request.end()) return rpc_error(request, 400, nullptr, -32600, "Mcp-Session-Id header required");
  std::lock_guard lock(mutex_);
  auto session = sessions_.find(header->value());
  if (session == sessions_.end() || !belongs_to(session->second, identity)) {
    return rpc_error(request, 404, nullptr, -32001, "session not found");
  }
  sessions_.erase(session);
  if (!services_.log_event("session_closed", &identity, facts, "")) return mcp_http::log_unavailable(request, nullptr);
  return http::make_response(request, 204, "application/json", "");
}

http::Response LegacySessions::initialize(http::Request& request, const AccessIdentity& identity, const RequestFacts& facts,
                                          const jsonrpc::Request& call) {
  // The session revisions' own negotiation: the client's version if it is one of them, else our newest.
  std::string version(newest_session_version());
  if (call.params.is_object()) {
    if (auto requested = call.params.find("protocolVersion");
        requested != call.params.end() && requested->is_string() && session_revision(requested->get<std::string>())) {
      version = requested->get<std::string>();
    }
  }
  const auto session_id = random_token(32);
  if (!services_.log_event("session_opened", &identity, facts, "")) return mcp_http::log_unavailable(request, call.id);
  {
    std::lock_guard lock(mutex_);
    sessions_[session_id] = McpSession{identity.issuer, identity.subject, version, false};
  }
  json result = {
      {"protocolVersion", version},
      {"capabilities", {{"tools", {{"listChanged", false}}}}},
      {"serverInfo", McpServices::server_info()},
      {"instructions", McpServices::instructions()},
  };
  auto response = json_reply(request, 200, jsonrpc::make_result(call.id, result));
  response.set("Mcp-Session-Id", session_id);
  return response;
}

boost::asio::awaitable<http::Response> LegacySessions::handle_post(http::Request& request, const AccessIdentity& identity,
                                                                   const RequestFacts& facts, const jsonrpc::Message& message,
                                                                   std::optional<std::string_view> named_version) {
  const auto* call = std::get_if<jsonrpc::Request>(&message);
  if (call != nullptr && call->method == "initialize") co_return initialize(request, identity, facts, *call);
  const json reply_id = call ? call->id : json(nullptr);

  // Every other message belongs to a session, and a session to one user.
  const auto session_header = request.find("Mcp-Session-Id");
  if (session_header == request.end()) co_return rpc_error(request, 400, reply_id, -32600, "Mcp-Session-Id header required");
  McpSession session;
  {
    std::lock_guard lock(mutex_);
    auto found = sessions_.find(session_header->value());
    if (found == sessions_.end() && services_.config().mutants.contains(Mutant::unknown_session_served)) {
      found = sessions_.emplace(std::string(session_header->value()),
                                McpSession{identity.issuer, identity.subject, std::string(newest_session_version()), true}).first;
    }
    if (found == sessions_.end() || !belongs_to(found->second, identity)) {
      co_return rpc_error(request, 404, reply_id, -32001, "session not found");
    }
    if (const auto* notification = std::get_if<jsonrpc::Notification>(&message);
        notification != nullptr && notification->method == "notifications/initialized") {
      found->second.initialized = true;
    }
    session = found->second;
  }
  if (named_version && *named_version != session.protocol_version) {
    co_return rpc_error(request, 400, reply_id, -32600,
                        "MCP-Protocol-Version does not match the version negotiated for this session");
  }
  if (call == nullptr) co_return http::make_response(request, 202, "application/json", "");

  if (call->method == "ping") co_return json_reply(request, 200, jsonrpc::make_result(call->id, json::object()));
  if (call->method == "tools/list") {
    if (call->params.is_object() && call->params.contains("cursor")) {
      co_return json_reply(request, 200, jsonrpc::make_error(call->id, jsonrpc::ErrorCode::invalid_params, "unknown cursor"));
    }
    co_return json_reply(request, 200, jsonrpc::make_result(call->id, {{"tools", services_.tool_definitions(identity)}}));
  }
  if (call->method == "tools/call") {
    auto reply = co_await services_.call_tool(identity, facts, call->params);
    switch (reply.kind) {
    case ToolCallReply::Kind::result: co_return json_reply(request, 200, jsonrpc::make_result(call->id, std::move(reply.result)));
    case ToolCallReply::Kind::invalid_params:
      co_return json_reply(request, 200, jsonrpc::make_error(call->id, jsonrpc::ErrorCode::invalid_params, reply.message));
    case ToolCallReply::Kind::permission_denied:
      co_return rpc_error(request, 403, call->id, permission_denied_code, reply.message);
    case ToolCallReply::Kind::insufficient_scope: {
      auto response = rpc_error(request, 403, call->id, permission_denied_code, reply.message);
      response.set(boost::beast::http::field::www_authenticate, services_.insufficient_scope_challenge(reply));
      co_return response;
    }
    case ToolCallReply::Kind::log_unavailable: co_return mcp_http::log_unavailable(request, call->id);
    }
  }
  co_return json_reply(request, 200,
                       jsonrpc::make_error(call->id, jsonrpc::ErrorCode::method_not_found, "method not found: " + call->method));
}

} // namespace mcpcert::connector
