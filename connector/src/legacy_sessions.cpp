#include "mcpcert/connector/legacy_sessions.hpp"

#include <cctype>

#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/field.hpp>

#include "mcp_http.hpp"
#include "mcpcert/connector/protocol_revision.hpp"
#include "mcpcert/crypto.hpp"

namespace mcpcert::connector {

using nlohmann::json;
using mcp_http::json_reply;
using mcp_http::rpc_error;

namespace {

constexpr int permission_denied_code = -32001;
constexpr std::size_t kept_streams = 256;
/// How long a client should wait before reconnecting a broken stream (SSE `retry`).
constexpr int reconnect_delay_ms = 1000;

/// The progress token of a request (params._meta.progressToken), when it is a string or integer.
std::optional<json> progress_token(const json& params) {
  if (!params.is_object()) return std::nullopt;
  auto meta = params.find("_meta");
  if (meta == params.end() || !meta->is_object()) return std::nullopt;
  auto token = meta->find("progressToken");
  if (token == meta->end() || !(token->is_string() || token->is_number_integer())) return std::nullopt;
  return *token;
}

bool session_revision(std::string_view version) {
  const auto* revision = find_revision(version);
  return revision != nullptr && revision->era == ProtocolEra::session;
}

} // namespace

bool LegacySessions::belongs_to(const McpSession& session, const AccessIdentity& identity) const {
  if (services_.config().mutants.contains(Mutant::session_by_id_only)) return true;
  return session.issuer == identity.issuer && session.subject == identity.subject && session.resource == identity.resource;
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

boost::asio::awaitable<void> LegacySessions::send_event(SseWriter& writer, const std::string& stream_id, std::string fields) {
  std::string text;
  {
    std::lock_guard lock(mutex_);
    auto& stream = streams_[stream_id];
    const auto index = stream.events.size();
    text = "id: " + stream_id + "-" + std::to_string(index) + "\n" + fields + "\n";
    stream.events.push_back({index, text});
  }
  // A client that went away misses the event now and can fetch it with Last-Event-ID.
  co_await writer.send(std::move(text));
}

boost::asio::awaitable<http::Response> LegacySessions::call_tool_streaming(http::Request& request, const AccessIdentity& identity,
                                                                           const RequestFacts& facts, const jsonrpc::Request& call,
                                                                           const std::string& session_id,
                                                                           const json& token) {
  const std::string stream_id = random_token(16);
  {
    std::lock_guard lock(mutex_);
    auto session = sessions_.find(session_id);
    const auto cap = services_.config().limits.streams_per_session;
    if (session != sessions_.end() && session->second.open_streams >= cap) {
      co_return mcp_http::too_many(request, call.id, std::chrono::seconds(1),
                                   "too many open streams on this session (limit " + std::to_string(cap) +
                                       "): wait for one to end, or open another session");
    }
    if (session != sessions_.end()) ++session->second.open_streams;
  }
  // Released however the stream ends, a client that went away included.
  struct OpenStream {
    LegacySessions& sessions;
    std::string session_id;
    ~OpenStream() {
      std::lock_guard lock(sessions.mutex_);
      if (auto session = sessions.sessions_.find(session_id); session != sessions.sessions_.end() && session->second.open_streams > 0)
        --session->second.open_streams;
    }
  } open_stream{*this, session_id};
  {
    std::lock_guard lock(mutex_);
    streams_[stream_id].session_id = session_id;
    stream_order_.push_back(stream_id);
    while (stream_order_.size() > kept_streams) {
      streams_.erase(stream_order_.front());
      stream_order_.erase(stream_order_.begin());
    }
  }
  auto head = http::make_response(request, 200, "text/event-stream", "");
  head.set(boost::beast::http::field::cache_control, "no-store");
  head.set("X-Request-Id", facts.request_id);
  co_await facts.stream->begin(std::move(head));
  // Every byte from here on, heartbeats included, goes through this stream's one writer.
  const auto executor = co_await boost::asio::this_coro::executor;
  SseWriter writer(executor, *facts.stream, services_.config().sse_heartbeat);
  writer.start();
  // The priming event: an id (and the reconnect delay) before anything else,
  // so a client that loses the stream at once can still resume it.
  co_await send_event(writer, stream_id, "retry: " + std::to_string(reconnect_delay_ms) + "\ndata: \n");
  PlanningTools::ProgressSink progress = [&](double done, double total, std::string message) -> boost::asio::awaitable<void> {
    json notification = {{"jsonrpc", "2.0"},
                         {"method", "notifications/progress"},
                         {"params", {{"progressToken", token}, {"progress", done}, {"total", total}, {"message", message}}}};
    co_await send_event(writer, stream_id, "data: " + notification.dump() + "\n");
  };
  auto reply = co_await services_.call_tool(identity, facts, call.params, progress);
  json message;
  switch (reply.kind) {
  case ToolCallReply::Kind::result: message = jsonrpc::make_result(call.id, std::move(reply.result)); break;
  case ToolCallReply::Kind::invalid_params:
    message = jsonrpc::make_error(call.id, jsonrpc::ErrorCode::invalid_params, reply.message);
    break;
  case ToolCallReply::Kind::permission_denied:
  case ToolCallReply::Kind::insufficient_scope:
    message = jsonrpc::make_error(call.id, permission_denied_code, reply.message);
    break;
  case ToolCallReply::Kind::log_unavailable:
    // Not recorded, so not acknowledged: an error, as the 503 of a plain reply says, and none of the result.
    message = jsonrpc::make_error(call.id, jsonrpc::ErrorCode::internal_error, mcp_http::log_unavailable_message);
    break;
  }
  co_await send_event(writer, stream_id, "data: " + message.dump() + "\n");
  co_await writer.finish();
  co_return http::Response{};
}

http::Response LegacySessions::handle_resume(http::Request& request, const AccessIdentity& identity) {
  const auto session_header = request.find("Mcp-Session-Id");
  if (session_header == request.end()) return rpc_error(request, 400, nullptr, -32600, "Mcp-Session-Id header required");
  const std::string last_event_id(request.find("Last-Event-ID")->value());
  const auto dash = last_event_id.rfind('-');
  std::size_t after = 0;
  bool numeric = dash != std::string::npos && dash + 1 < last_event_id.size();
  for (std::size_t i = dash + 1; numeric && i < last_event_id.size(); ++i) numeric = std::isdigit(static_cast<unsigned char>(last_event_id[i])) != 0;
  if (numeric) after = std::stoul(last_event_id.substr(dash + 1));
  std::string body;
  {
    std::lock_guard lock(mutex_);
    auto session = sessions_.find(session_header->value());
    if (session == sessions_.end() || !belongs_to(session->second, identity)) {
      return rpc_error(request, 404, nullptr, -32001, "session not found");
    }
    auto stream = numeric ? streams_.find(last_event_id.substr(0, dash)) : streams_.end();
    if (stream == streams_.end() || stream->second.session_id != session->first) {
      return rpc_error(request, 404, nullptr, -32001, "no stream of this session has event " + last_event_id);
    }
    for (const auto& event : stream->second.events)
      if (event.index > after) body += event.text;
  }
  auto response = http::make_response(request, 200, "text/event-stream", std::move(body));
  response.set(boost::beast::http::field::cache_control, "no-store");
  return response;
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
  const auto now = services_.clock().now();
  const auto& limits = services_.config().limits;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(sessions_, [&](const auto& entry) { return now - entry.second.last_used > limits.session_idle; });
    std::size_t open = 0;
    auto oldest = now;
    for (const auto& [id, session] : sessions_) {
      if (session.issuer != identity.issuer || session.subject != identity.subject) continue;
      ++open;
      oldest = std::min(oldest, session.last_used);
    }
    if (open >= limits.sessions_per_user) {
      const auto until_idle = std::chrono::ceil<std::chrono::seconds>(oldest + limits.session_idle - now);
      return mcp_http::too_many(request, call.id, std::max(until_idle, std::chrono::seconds(1)),
                                "too many open sessions for this user (limit " + std::to_string(limits.sessions_per_user) +
                                    "): end one with DELETE, or retry when the oldest has been idle for " +
                                    std::to_string(limits.session_idle.count()) + " s");
    }
  }
  const auto session_id = random_token(32);
  if (!services_.log_event("session_opened", &identity, facts, "")) return mcp_http::log_unavailable(request, call.id);
  {
    std::lock_guard lock(mutex_);
    sessions_[session_id] = McpSession{identity.issuer, identity.subject, identity.resource, version, false, now};
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
                                McpSession{identity.issuer, identity.subject, identity.resource, std::string(newest_session_version()), true,
                                           services_.clock().now()}).first;
    }
    if (found == sessions_.end() || !belongs_to(found->second, identity)) {
      co_return rpc_error(request, 404, reply_id, -32001, "session not found");
    }
    const auto now = services_.clock().now();
    if (now - found->second.last_used > services_.config().limits.session_idle) {
      // Idle too long: ended, and the client starts a new one as on any 404.
      sessions_.erase(found);
      co_return rpc_error(request, 404, reply_id, -32001, "session expired after being idle");
    }
    found->second.last_used = now;
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
    auto page = services_.tool_page(identity, call->params);
    if (page.status != CursorStatus::ok) {
      co_return json_reply(request, 200, jsonrpc::make_error(call->id, jsonrpc::ErrorCode::invalid_params,
                                                             std::string("Invalid cursor: ") + to_string(page.status)));
    }
    json result = {{"tools", std::move(page.tools)}};
    if (!page.next_cursor.empty()) result["nextCursor"] = page.next_cursor;
    co_return json_reply(request, 200, jsonrpc::make_result(call->id, std::move(result)));
  }
  if (call->method == "tools/call") {
    const auto token = progress_token(call->params);
    const bool named = call->params.is_object() && call->params.contains("name") && call->params["name"].is_string();
    if (token && facts.stream != nullptr && named && services_.streams_progress(identity, call->params["name"].get<std::string>())) {
      co_return co_await call_tool_streaming(request, identity, facts, *call, std::string(session_header->value()), *token);
    }
    auto reply = co_await services_.call_tool(identity, facts, call->params);
    switch (reply.kind) {
    case ToolCallReply::Kind::result: co_return json_reply(request, 200, jsonrpc::make_result(call->id, std::move(reply.result)));
    case ToolCallReply::Kind::invalid_params:
      co_return json_reply(request, 200, jsonrpc::make_error(call->id, jsonrpc::ErrorCode::invalid_params, reply.message));
    case ToolCallReply::Kind::permission_denied:
      co_return rpc_error(request, 403, call->id, permission_denied_code, reply.message);
    case ToolCallReply::Kind::insufficient_scope: {
      auto response = rpc_error(request, 403, call->id, permission_denied_code, reply.message);
      response.set(boost::beast::http::field::www_authenticate, McpServices::insufficient_scope_challenge(reply, identity));
      co_return response;
    }
    case ToolCallReply::Kind::log_unavailable: co_return mcp_http::log_unavailable(request, call->id);
    }
  }
  co_return json_reply(request, 200,
                       jsonrpc::make_error(call->id, jsonrpc::ErrorCode::method_not_found, "method not found: " + call->method));
}

} // namespace mcpcert::connector
