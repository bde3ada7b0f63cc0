#include "mcpcert/mock_client/mcp_client.hpp"

#include "mcpcert/jsonrpc.hpp"
#include "mcpcert/sse.hpp"

namespace mcpcert::client {

bool McpReply::is_tool_error() const {
  if (!has_result()) return false;
  const auto& result = message["result"];
  return result.is_object() && result.value("isError", false);
}

McpReply McpClient::post(const nlohmann::json& message) {
  auto reply = post_once(message);
  for (int retries = 0; reauthorize_ && retries < retry_limit_ && (reply.http.status == 401 || reply.http.status == 403); ++retries) {
    auto token = reauthorize_(reply.http);
    if (!token) break;
    access_token_ = std::move(*token);
    reply = post_once(message);
  }
  // Streamable HTTP: a 404 naming our session means the server ended it (a
  // DELETE, idleness, a restart); the client starts a new session and sends
  // the request again in it, once.
  if (reply.http.status == 404 && !session_id_.empty() && message.value("method", "") != "initialize") {
    const auto restarted = connect(requested_version_);
    if (restarted.http.status == 200 && restarted.has_result()) reply = post_once(message);
  }
  return reply;
}

McpReply McpClient::post_once(const nlohmann::json& message) {
  HttpCall call{"POST", mcp_url_, {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}}, message.dump()};
  if (!access_token_.empty()) call.headers.emplace_back("Authorization", "Bearer " + access_token_);
  if (!session_id_.empty()) call.headers.emplace_back("Mcp-Session-Id", session_id_);
  if (!protocol_version_.empty()) call.headers.emplace_back("MCP-Protocol-Version", protocol_version_);

  McpReply reply;
  reply.http = agent_.send(call, &reply.exchange_index);
  reply.message = nlohmann::json::value_t::discarded;
  const auto content_type = reply.http.header("content-type");
  if (content_type.rfind("text/event-stream", 0) == 0) {
    // The response may stream: the JSON-RPC response is the event whose id matches ours.
    SseParser parser;
    for (const auto& event : parser.feed(reply.http.body)) {
      auto data = nlohmann::json::parse(event.data, nullptr, false);
      if (data.is_object() && message.contains("id") && data.value("id", nlohmann::json()) == message["id"]) {
        reply.message = std::move(data);
      }
    }
  } else if (!reply.http.body.empty()) {
    reply.message = reply.http.json();
  }
  return reply;
}

McpReply McpClient::request(const std::string& method, nlohmann::json params) {
  return post(jsonrpc::make_request(next_id_++, method, std::move(params)));
}

McpReply McpClient::call_tool(const std::string& name, nlohmann::json arguments) {
  return request("tools/call", {{"name", name}, {"arguments", std::move(arguments)}});
}

McpReply McpClient::connect(const std::string& protocol_version) {
  requested_version_ = protocol_version;
  session_id_.clear();
  protocol_version_.clear();
  auto reply = request("initialize", {{"protocolVersion", protocol_version},
                                      {"capabilities", nlohmann::json::object()},
                                      {"clientInfo", {{"name", "mcpcert-scripted-client"}, {"version", "0.1.0"}}}});
  if (reply.http.status != 200 || !reply.has_result()) return reply;
  session_id_ = reply.http.header("mcp-session-id");
  protocol_version_ = reply.message["result"].value("protocolVersion", protocol_version);
  post(jsonrpc::make_notification("notifications/initialized", nlohmann::json::object()));
  return reply;
}

} // namespace mcpcert::client
