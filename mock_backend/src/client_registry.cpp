#include "mcpcert/mock_backend/client_registry.hpp"

#include <optional>

#include "mcpcert/crypto.hpp"

namespace mcpcert::backend {
namespace {

struct HttpUri {
  std::string_view host;
  std::optional<std::string_view> port;
  std::string_view rest; ///< path, query
};

// Just enough of RFC 3986 to compare redirect URIs: anything this can't split
// is compared exactly by the caller.
std::optional<HttpUri> split_http_uri(std::string_view uri) {
  constexpr std::string_view scheme = "http://";
  if (!uri.starts_with(scheme)) return std::nullopt;
  std::string_view rest = uri.substr(scheme.size());
  HttpUri out;
  std::size_t host_end = 0;
  if (rest.starts_with('[')) {
    host_end = rest.find(']');
    if (host_end == std::string_view::npos) return std::nullopt;
    ++host_end;
  } else {
    host_end = rest.find_first_of(":/?#");
    if (host_end == std::string_view::npos) host_end = rest.size();
  }
  out.host = rest.substr(0, host_end);
  rest.remove_prefix(host_end);
  if (rest.starts_with(':')) {
    std::size_t port_end = rest.find_first_of("/?#");
    if (port_end == std::string_view::npos) port_end = rest.size();
    out.port = rest.substr(1, port_end - 1);
    rest.remove_prefix(port_end);
  }
  out.rest = rest;
  return out;
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

bool loopback_host(std::string_view host) {
  return host == "127.0.0.1" || host == "[::1]" || host == "localhost";
}

constexpr std::size_t min_client_secret_length = 16;

ClientParse refuse(std::string field, std::string problem) {
  return {std::nullopt, std::move(field), std::move(problem)};
}

} // namespace

ClientParse parse_client(const nlohmann::json& description) {
  if (!description.is_object()) return refuse("", "must be an object");
  for (const auto& [name, value] : description.items()) {
    if (name != "client_id" && name != "name" && name != "type" && name != "redirect_uris" &&
        name != "client_secret" && name != "grant_types")
      return refuse(name, "unknown field");
  }
  auto string_field = [&](const char* name) -> std::optional<std::string> {
    auto it = description.find(name);
    if (it == description.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto string_list = [&](const char* name, std::vector<std::string>& into) {
    auto it = description.find(name);
    if (it == description.end()) return true;
    if (!it->is_array()) return false;
    for (const auto& item : *it) {
      if (!item.is_string() || item.get<std::string>().empty()) return false;
      into.push_back(item.get<std::string>());
    }
    return true;
  };

  OAuthClient client;
  auto id = string_field("client_id");
  if (!id || id->empty()) return refuse("client_id", "is required: a non-empty string");
  client.id = *id;
  if (description.contains("name") && !string_field("name")) return refuse("name", "must be a string");
  client.name = string_field("name").value_or(client.id);
  if (!string_list("redirect_uris", client.redirect_uris))
    return refuse("redirect_uris", "must be an array of non-empty strings");
  for (const auto& uri : client.redirect_uris)
    if (uri.find('#') != std::string::npos) return refuse("redirect_uris", "a redirect URI has no fragment: " + uri);

  auto type = string_field("type");
  auto secret = string_field("client_secret");
  if (description.contains("client_secret") && !secret) return refuse("client_secret", "must be a string");
  if (type == "public") {
    client.type = ClientType::public_client;
    if (secret) return refuse("client_secret", "a public client has no secret");
    if (client.redirect_uris.empty()) return refuse("redirect_uris", "a public client needs at least one");
    client.grant_types = {std::string(grant_authorization_code), std::string(grant_refresh_token)};
  } else if (type == "confidential") {
    client.type = ClientType::confidential;
    if (!secret || secret->size() < min_client_secret_length)
      return refuse("client_secret", "is required, at least " + std::to_string(min_client_secret_length) + " characters");
    client.secret_hash = sha256(*secret);
    client.grant_types = {std::string(grant_token_exchange)};
  } else {
    return refuse("type", "must be public or confidential");
  }

  if (description.contains("grant_types")) {
    std::vector<std::string> grant_types;
    if (!string_list("grant_types", grant_types)) return refuse("grant_types", "must be an array of strings");
    client.grant_types.clear();
    for (auto& grant_type : grant_types) {
      if (grant_type != grant_authorization_code && grant_type != grant_refresh_token &&
          grant_type != grant_token_exchange)
        return refuse("grant_types", "unsupported grant type " + grant_type);
      client.grant_types.insert(std::move(grant_type));
    }
  }
  return {std::move(client), {}, {}};
}

bool redirect_uri_matches(std::string_view registered, std::string_view requested) {
  if (requested.find('#') != std::string_view::npos) return false;
  if (registered == requested) return true;
  auto reg = split_http_uri(registered);
  auto req = split_http_uri(requested);
  if (!reg || !req || !loopback_host(reg->host)) return false;
  if (req->port && !valid_port(*req->port)) return false;
  return reg->host == req->host && reg->rest == req->rest;
}

bool OAuthClient::accepts_redirect(std::string_view requested) const {
  for (const auto& registered : redirect_uris)
    if (redirect_uri_matches(registered, requested)) return true;
  return false;
}

void ClientRegistry::add_client(OAuthClient client) {
  auto id = client.id;
  clients_.insert_or_assign(std::move(id), std::move(client));
}

const OAuthClient* ClientRegistry::find(std::string_view id) const {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : &it->second;
}

bool ClientRegistry::secret_matches(const OAuthClient& client, std::string_view secret) const {
  if (client.type != ClientType::confidential || client.secret_hash.empty()) return false;
  return constant_time_equal(sha256(secret), client.secret_hash);
}

void ClientRegistry::register_resource(std::string resource, std::string client_id) {
  resources_[std::move(resource)].insert(std::move(client_id));
}

bool ClientRegistry::is_registered(std::string_view resource) const { return resources_.contains(resource); }

bool ClientRegistry::may_exchange(std::string_view resource, std::string_view client_id) const {
  auto it = resources_.find(resource);
  return it != resources_.end() && it->second.contains(client_id);
}

} // namespace mcpcert::backend
