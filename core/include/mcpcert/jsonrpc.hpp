#pragma once
/// JSON-RPC 2.0 messages as MCP carries them, parsed from untrusted bytes.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace mcpcert::jsonrpc {

/// Standard error codes (JSON-RPC 2.0 section 5.1).
enum class ErrorCode : int {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
};

/// A request id: JSON-RPC allows a string or a number (null is refused, as MCP requires).
using Id = nlohmann::json;

struct Request {
  Id id;
  std::string method;
  nlohmann::json params; ///< object, or null when absent
};

struct Notification {
  std::string method;
  nlohmann::json params;
};

struct Response {
  Id id;
  std::optional<nlohmann::json> result;
  std::optional<nlohmann::json> error; ///< {code, message, data?}
};

using Message = std::variant<Request, Notification, Response>;

/// Why bytes are not a single valid message.
enum class ParseStatus { ok, parse_error, batch, invalid_request };

struct ParseResult {
  ParseStatus status = ParseStatus::ok;
  std::string detail;      ///< human-readable reason when status != ok
  Id id;                   ///< the id, when one could be recovered from an invalid request
  std::optional<Message> message;
  nlohmann::json batch;    ///< the array, when status == batch
};

/// Parses one message. A JSON array is reported as `batch` so the caller can
/// refuse it (or not) according to the negotiated protocol revision.
ParseResult parse(std::string_view body);
/// Validates one already-parsed JSON value (an element of a batch).
ParseResult parse_value(const nlohmann::json& value);

nlohmann::json make_result(const Id& id, nlohmann::json result);
nlohmann::json make_error(const Id& id, int code, std::string_view message,
                          std::optional<nlohmann::json> data = std::nullopt);
inline nlohmann::json make_error(const Id& id, ErrorCode code, std::string_view message,
                                 std::optional<nlohmann::json> data = std::nullopt) {
  return make_error(id, static_cast<int>(code), message, std::move(data));
}
nlohmann::json make_request(const Id& id, std::string_view method, nlohmann::json params);
nlohmann::json make_notification(std::string_view method, nlohmann::json params);

} // namespace mcpcert::jsonrpc
