#pragma once
// HTTP helpers shared by the endpoint and the handlers of each protocol
// revision: header look-up and replies carrying JSON-RPC messages. Private to
// the connector library.

#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/http_server.hpp"
#include "mcpcert/jsonrpc.hpp"

namespace mcpcert::connector::mcp_http {

/// Every value of a header, in order: a repeated header is visible to callers that must refuse it.
inline std::vector<std::string_view> header_values(const http::Request& request, std::string_view name) {
  std::vector<std::string_view> values;
  auto [first, last] = request.equal_range(name);
  for (auto it = first; it != last; ++it) values.emplace_back(it->value().data(), it->value().size());
  return values;
}

inline http::Response json_reply(const http::Request& request, unsigned status, const nlohmann::json& body) {
  // Messages may quote header bytes a client sent; invalid UTF-8 must not turn a refusal into a 500.
  return http::make_json_response(request, status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

inline http::Response rpc_error(const http::Request& request, unsigned status, const jsonrpc::Id& id, int code,
                                std::string_view message, std::optional<nlohmann::json> data = std::nullopt) {
  return json_reply(request, status, jsonrpc::make_error(id, code, message, std::move(data)));
}

/// An error as the stateless revision words it: without an id it cannot name
/// (2026-07-28 schema, JSONRPCErrorResponse), where JSON-RPC 2.0 says null.
inline http::Response stateless_error(const http::Request& request, unsigned status, const jsonrpc::Id& id, int code,
                                      std::string_view message, std::optional<nlohmann::json> data = std::nullopt) {
  auto body = jsonrpc::make_error(id, code, message, std::move(data));
  if (id.is_null()) body.erase("id");
  return json_reply(request, status, body);
}

/// A limit of the connector refused the request: 429 with when to retry, and
/// a JSON-RPC error (-32000, server error range) saying which limit.
inline http::Response too_many(const http::Request& request, const jsonrpc::Id& id, std::chrono::seconds retry_after,
                               std::string_view message) {
  auto response = rpc_error(request, 429, id, -32000, message, nlohmann::json{{"retryAfterSeconds", retry_after.count()}});
  response.set(boost::beast::http::field::retry_after, std::to_string(retry_after.count()));
  return response;
}

inline constexpr const char* log_unavailable_message =
    "operational log unavailable; the call was not recorded and is not acknowledged";

/// Storage for the operational log failed: the call is not acknowledged.
inline http::Response log_unavailable(const http::Request& request, const jsonrpc::Id& id) {
  return rpc_error(request, 503, id, static_cast<int>(jsonrpc::ErrorCode::internal_error), log_unavailable_message);
}

} // namespace mcpcert::connector::mcp_http
