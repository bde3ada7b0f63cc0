#include "mcpcert/mock_client/expectation.hpp"

#include <algorithm>
#include <regex>

#include "mcpcert/auth_header.hpp"
#include "mcpcert/sse.hpp"

namespace mcpcert::client {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string quoted(const std::string& text) { return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string render(const nlohmann::json& value) {
  return value.is_discarded() ? std::string("(not JSON)") : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Numbers compare by value whatever their JSON type (3 == 3.0), the rest exactly.
bool same_value(const nlohmann::json& expected, const nlohmann::json& actual) {
  if (expected.is_number() && actual.is_number()) return expected.get<double>() == actual.get<double>();
  if (expected.is_object() && actual.is_object()) {
    if (expected.size() != actual.size()) return false;
    for (const auto& [key, value] : expected.items()) {
      if (!actual.contains(key) || !same_value(value, actual[key])) return false;
    }
    return true;
  }
  if (expected.is_array() && actual.is_array()) {
    if (expected.size() != actual.size()) return false;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (!same_value(expected[i], actual[i])) return false;
    }
    return true;
  }
  return expected == actual;
}

void check_headers(const nlohmann::json& matchers, const HttpReply& reply, std::vector<std::string>& out) {
  for (const auto& [name, matcher] : matchers.items()) {
    const auto present = reply.headers.find(lower(name)) != reply.headers.end();
    const auto value = reply.header(name);
    if (matcher.contains("absent")) {
      if (present) out.push_back("header " + name + " should be absent but is " + quoted(value));
      continue;
    }
    if (!present) {
      out.push_back("header " + name + " is missing");
      continue;
    }
    if (matcher.contains("contains")) {
      const auto wanted = matcher["contains"].get<std::string>();
      if (value.find(wanted) == std::string::npos) out.push_back("header " + name + " is " + quoted(value) + ", expected it to contain " + quoted(wanted));
    } else if (matcher.contains("regex")) {
      const auto pattern = matcher["regex"].get<std::string>();
      if (!std::regex_search(value, std::regex(pattern))) out.push_back("header " + name + " is " + quoted(value) + ", expected to match /" + pattern + "/");
    }
  }
}

void check_www_authenticate(const nlohmann::json& wanted, const HttpReply& reply, std::vector<std::string>& out) {
  const auto header = reply.header("www-authenticate");
  if (header.empty()) {
    out.push_back("no WWW-Authenticate header");
    return;
  }
  auto challenges = parse_www_authenticate(header);
  if (!challenges) {
    out.push_back("WWW-Authenticate " + quoted(header) + " does not parse (RFC 9110 section 11.6.1)");
    return;
  }
  const AuthChallenge* bearer = nullptr;
  for (const auto& challenge : *challenges) {
    if (challenge.scheme == "bearer") bearer = &challenge;
  }
  if (bearer == nullptr) {
    out.push_back("WWW-Authenticate " + quoted(header) + " has no Bearer challenge");
    return;
  }
  for (const auto& [param, expected] : wanted.items()) {
    auto it = bearer->params.find(lower(param));
    if (it == bearer->params.end()) {
      out.push_back("WWW-Authenticate has no " + param + " parameter (" + quoted(header) + ")");
    } else if (it->second != expected.get<std::string>()) {
      out.push_back("WWW-Authenticate " + param + " is " + quoted(it->second) + ", expected " + quoted(expected.get<std::string>()));
    }
  }
}

} // namespace

const std::set<std::string, std::less<>>& placeholder_names() {
  static const std::set<std::string, std::less<>> names{"mcp_url",        "shared_mcp_url", "mcp_metadata_url", "mcp_origin", "issuer",
                                                            "api",            "tenant",         "decoy_resource",   "client_metadata_document"};
  return names;
}

std::optional<std::string> tenant_url_placeholder(std::string_view name) {
  constexpr std::string_view prefix = "tenant_mcp_url:";
  if (!name.starts_with(prefix) || name.size() == prefix.size()) return std::nullopt;
  return std::string(name.substr(prefix.size()));
}

const std::set<std::string, std::less<>>& identity_placeholder_kinds() {
  static const std::set<std::string, std::less<>> kinds{"sub", "access_token", "refresh_token", "code"};
  return kinds;
}

std::optional<IdentityPlaceholder> parse_identity_placeholder(std::string_view name) {
  const auto colon = name.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto what = name.substr(0, colon);
  const auto identity = name.substr(colon + 1);
  if (!identity_placeholder_kinds().contains(what) || identity.empty()) return std::nullopt;
  return IdentityPlaceholder{std::string(what), std::string(identity)};
}

std::string substitute(std::string_view text, const Placeholders& values) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto open = text.find("${", at);
    if (open == std::string_view::npos) break;
    const auto close = text.find('}', open + 2);
    if (close == std::string_view::npos) break;
    out.append(text.substr(at, open - at));
    const auto name = text.substr(open + 2, close - open - 2);
    if (auto it = values.find(name); it != values.end()) {
      out += it->second;
    } else {
      out.append(text.substr(open, close - open + 1));
    }
    at = close + 1;
  }
  out.append(text.substr(std::min(at, text.size())));
  return out;
}

nlohmann::json substitute_json(const nlohmann::json& value, const Placeholders& values) {
  if (value.is_string()) return substitute(value.get<std::string>(), values);
  if (value.is_array() || value.is_object()) {
    auto out = value;
    for (auto& item : out) item = substitute_json(item, values);
    return out;
  }
  return value;
}

std::vector<std::string> placeholder_references(std::string_view text) {
  std::vector<std::string> names;
  std::size_t at = 0;
  while ((at = text.find("${", at)) != std::string_view::npos) {
    const auto close = text.find('}', at + 2);
    if (close == std::string_view::npos) break;
    names.emplace_back(text.substr(at + 2, close - at - 2));
    at = close + 1;
  }
  return names;
}

nlohmann::json reply_json(const HttpReply& reply) {
  if (reply.header("content-type").rfind("text/event-stream", 0) == 0) {
    SseParser parser;
    nlohmann::json last = nlohmann::json::value_t::discarded;
    for (const auto& event : parser.feed(reply.body)) {
      auto data = nlohmann::json::parse(event.data, nullptr, false);
      if (!data.is_discarded()) last = std::move(data);
    }
    return last;
  }
  if (reply.body.empty()) return nlohmann::json::value_t::discarded;
  return reply.json();
}

std::vector<std::string> check_reply(const nlohmann::json& expect, const HttpReply& reply, const nlohmann::json& message,
                                     const Placeholders& values) {
  std::vector<std::string> out;
  if (expect.contains("status")) {
    const auto& statuses = expect["status"];
    const bool listed = std::any_of(statuses.begin(), statuses.end(), [&](const nlohmann::json& s) { return s.get<int>() == reply.status; });
    if (!listed) {
      out.push_back(reply.status == 0 ? "no response (" + reply.transport_error + "), expected HTTP " + render(statuses)
                                      : "HTTP " + std::to_string(reply.status) + ", expected " + (statuses.size() == 1 ? render(statuses[0]) : "one of " + render(statuses)));
    }
  }
  if (expect.contains("header")) check_headers(expect["header"], reply, out);
  if (expect.contains("jsonrpc_error")) {
    const auto wanted = expect["jsonrpc_error"].get<long long>();
    const bool is_error = message.is_object() && message.contains("error") && message["error"].is_object();
    const auto* code = is_error ? &message["error"] : nullptr;
    if (code == nullptr || !code->contains("code") || !(*code)["code"].is_number_integer()) {
      out.push_back("no JSON-RPC error in the reply, expected code " + std::to_string(wanted) + " (body " + render(message) + ")");
    } else if ((*code)["code"].get<long long>() != wanted) {
      out.push_back("JSON-RPC error code " + (*code)["code"].dump() + ", expected " + std::to_string(wanted));
    }
  }
  if (expect.contains("json")) {
    for (const auto& [pointer, expected_raw] : expect["json"].items()) {
      const auto expected = substitute_json(expected_raw, values);
      const nlohmann::json::json_pointer where(pointer);
      if (message.is_discarded() || !message.contains(where)) {
        out.push_back(pointer + " is absent, expected " + render(expected));
      } else if (!same_value(expected, message.at(where))) {
        out.push_back(pointer + " is " + render(message.at(where)) + ", expected " + render(expected));
      }
    }
  }
  if (expect.contains("json_includes")) {
    // Order-free membership: e.g. the tenant's issuer among authorization_servers.
    for (const auto& [pointer, expected_raw] : expect["json_includes"].items()) {
      const auto expected = substitute_json(expected_raw, values);
      const nlohmann::json::json_pointer where(pointer);
      if (message.is_discarded() || !message.contains(where) || !message.at(where).is_array()) {
        out.push_back(pointer + " is not an array, expected one that includes " + render(expected));
        continue;
      }
      const auto& array = message.at(where);
      if (std::none_of(array.begin(), array.end(), [&](const nlohmann::json& element) { return same_value(expected, element); })) {
        out.push_back(pointer + " is " + render(array) + ", expected it to include " + render(expected));
      }
    }
  }
  if (expect.contains("www_authenticate")) check_www_authenticate(substitute_json(expect["www_authenticate"], values), reply, out);
  return out;
}

} // namespace mcpcert::client
