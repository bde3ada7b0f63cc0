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

namespace {

// The stateless revision: no initialize and no session; every request says
// which revision it speaks and who the client is in its _meta, and mirrors
// its method (and the tool's name) in headers a gateway can route on.
constexpr const char* stateless_revision = "2026-07-28";

nlohmann::json with_request_meta(nlohmann::json message) {
  if (!message.contains("method") || !message.contains("id")) return message;
  auto& params = message["params"];
  if (!params.is_object()) params = nlohmann::json::object();
  auto& meta = params["_meta"];
  if (!meta.is_object()) meta = nlohmann::json::object();
  meta["io.modelcontextprotocol/protocolVersion"] = stateless_revision;
  meta["io.modelcontextprotocol/clientCapabilities"] = nlohmann::json::object();
  meta["io.modelcontextprotocol/clientInfo"] = {{"name", "mcpcert-scripted-client"}, {"version", "0.1.0"}};
  return message;
}

} // namespace

McpReply McpClient::post_once(const nlohmann::json& written) {
  const bool stateless = protocol_version_ == stateless_revision;
  const auto message = stateless ? with_request_meta(written) : written;
  HttpCall call{"POST", mcp_url_, {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}}, message.dump()};
  if (stateless && message.contains("method") && message["method"].is_string()) {
    call.headers.emplace_back("Mcp-Method", message["method"].get<std::string>());
    const auto& params = message.value("params", nlohmann::json::object());
    if (params.is_object() && params.contains("name") && params["name"].is_string()) call.headers.emplace_back("Mcp-Name", params["name"].get<std::string>());
  }
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
  if (protocol_version == stateless_revision) {
    // Nothing to open: server/discover says what the server offers, and every later request stands alone.
    protocol_version_ = protocol_version;
    return request("server/discover", nlohmann::json::object());
  }
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
