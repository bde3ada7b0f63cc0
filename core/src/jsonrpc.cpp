#include "mcpcert/jsonrpc.hpp"

namespace mcpcert::jsonrpc {
namespace {

bool valid_id(const nlohmann::json& id) { return id.is_string() || id.is_number_integer(); }

ParseResult invalid(std::string detail, Id id) {
  ParseResult r;
  r.status = ParseStatus::invalid_request;
  r.detail = std::move(detail);
  r.id = std::move(id);
  return r;
}

ParseResult ok(Message message) {
  ParseResult r;
  r.message = std::move(message);
  return r;
}

nlohmann::json params_of(const nlohmann::json& value) {
  auto it = value.find("params");
  return it == value.end() ? nlohmann::json() : *it;
}

ParseResult parse_call(const nlohmann::json& value, const Id& id) {
  const auto& method = *value.find("method");
  if (!method.is_string()) return invalid("method is not a string", id);
  if (value.contains("result") || value.contains("error"))
    return invalid("a request must not carry result or error", id);
  auto params = value.find("params");
  if (params != value.end() && !params->is_object() && !params->is_array())
    return invalid("params is neither an object nor an array", id);

  auto raw_id = value.find("id");
  if (raw_id == value.end()) return ok(Notification{method.get<std::string>(), params_of(value)});
  if (!valid_id(*raw_id)) return invalid("id is not a string or an integer", id);
  return ok(Request{*raw_id, method.get<std::string>(), params_of(value)});
}

ParseResult parse_response(const nlohmann::json& value, const Id& id) {
  auto raw_id = value.find("id");
  if (raw_id == value.end()) return invalid("neither method nor id", id);
  auto result = value.find("result");
  auto error = value.find("error");
  bool has_result = result != value.end();
  bool has_error = error != value.end();
  if (has_result == has_error) return invalid("a response needs exactly one of result and error", id);
  // JSON-RPC 2.0 section 5: an error about an unreadable request has a null id.
  if (!valid_id(*raw_id) && !(has_error && raw_id->is_null()))
    return invalid("id is not a string or an integer", id);

  Response response{*raw_id, std::nullopt, std::nullopt};
  if (has_result) {
    response.result = *result;
  } else {
    const auto& e = *error;
    bool well_formed = e.is_object() && e.contains("code") && e.at("code").is_number_integer() &&
                       e.contains("message") && e.at("message").is_string();
    if (!well_formed) return invalid("error is not an object with an integer code and a string message", id);
    response.error = *error;
  }
  return ok(std::move(response));
}

} // namespace

ParseResult parse(std::string_view body) {
  auto value = nlohmann::json::parse(body, nullptr, false);
  if (value.is_discarded()) {
    ParseResult r;
    r.status = ParseStatus::parse_error;
    r.detail = "not valid JSON";
    return r;
  }
  if (value.is_array()) {
    ParseResult r;
    r.status = ParseStatus::batch;
    r.detail = "batch";
    r.batch = std::move(value);
    return r;
  }
  return parse_value(value);
}

ParseResult parse_value(const nlohmann::json& value) {
  if (!value.is_object()) return invalid("message is not a JSON object", nullptr);
  Id id;
  if (auto it = value.find("id"); it != value.end() && valid_id(*it)) id = *it;

  auto version = value.find("jsonrpc");
  if (version == value.end() || !version->is_string() || *version != "2.0")
    return invalid("jsonrpc is not \"2.0\"", id);
  if (value.contains("method")) return parse_call(value, id);
  return parse_response(value, id);
}

nlohmann::json make_result(const Id& id, nlohmann::json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

nlohmann::json make_error(const Id& id, int code, std::string_view message, std::optional<nlohmann::json> data) {
  nlohmann::json error = {{"code", code}, {"message", message}};
  if (data) error["data"] = std::move(*data);
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

nlohmann::json make_request(const Id& id, std::string_view method, nlohmann::json params) {
  nlohmann::json request = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) request["params"] = std::move(params);
  return request;
}

nlohmann::json make_notification(std::string_view method, nlohmann::json params) {
  nlohmann::json notification = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) notification["params"] = std::move(params);
  return notification;
}

} // namespace mcpcert::jsonrpc
