#include "mcpcert/mock_backend/client_registry.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
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
constexpr std::size_t max_redirect_uris = 10;
constexpr std::size_t max_redirect_uri_length = 2000;
constexpr std::size_t max_client_name_length = 200;

bool valid_scheme(std::string_view scheme) {
  if (scheme.empty() || !std::isalpha(static_cast<unsigned char>(scheme[0]))) return false;
  return std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

// Why a redirect URI may not be registered by a client of this type; empty when it may.
std::string redirect_uri_problem(std::string_view uri, ApplicationType type) {
  if (uri.empty() || uri.size() > max_redirect_uri_length) return "must be 1 to 2000 characters";
  for (unsigned char c : uri)
    if (c <= 0x20 || c >= 0x7f) return "is not a URI (space, control or non-ASCII character)";
  if (uri.find('#') != std::string_view::npos) return "must not have a fragment";
  auto colon = uri.find(':');
  if (colon == std::string_view::npos || !valid_scheme(uri.substr(0, colon))) return "is not an absolute URI";
  std::string scheme(uri.substr(0, colon));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });

  if (scheme == "https") {
    if (!uri.substr(colon).starts_with("://")) return "is not an absolute https URI";
    auto authority = uri.substr(colon + 3);
    authority = authority.substr(0, authority.find_first_of("/?"));
    auto host = authority.starts_with('[') ? authority.substr(0, authority.find(']') + 1)
                                           : authority.substr(0, authority.find(':'));
    if (host.empty() || authority.find('@') != std::string_view::npos) return "needs a host and no user information";
    return {};
  }
  if (scheme == "http") {
    // Exact lower-case "http://" so the any-port rule (redirect_uri_matches) recognises it.
    auto split = split_http_uri(uri);
    if (!split || !loopback_host(split->host))
      return type == ApplicationType::native
                 ? "http is only for loopback redirect URIs (127.0.0.1, [::1] or localhost)"
                 : "web clients must use https (http only on a loopback host)";
    if (split->port && !valid_port(*split->port)) return "has an invalid port";
    return {};
  }
  if (type != ApplicationType::native) return "web clients must use https";
  if (scheme.find('.') == std::string::npos)
    return "a private-use scheme must be a reverse domain name, e.g. com.example.app (RFC 8252 7.1)";
  return {};
}

ClientMetadataParse metadata_refusal(RegistrationError error, std::string description) {
  return {std::nullopt, error, std::move(description)};
}

/// Reads an optional array of non-empty strings; false when it is something else.
bool optional_string_array(const nlohmann::json& body, const char* name, std::vector<std::string>& into) {
  auto it = body.find(name);
  if (it == body.end()) return true;
  if (!it->is_array()) return false;
  for (const auto& item : *it) {
    if (!item.is_string() || item.get<std::string>().empty()) return false;
    into.push_back(item.get<std::string>());
  }
  return true;
}

bool optional_string(const nlohmann::json& body, const char* name, std::string& into) {
  auto it = body.find(name);
  if (it == body.end()) return true;
  if (!it->is_string()) return false;
  into = it->get<std::string>();
  return true;
}

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

const char* to_string(RegistrationError error) {
  switch (error) {
  case RegistrationError::none: return "none";
  case RegistrationError::invalid_redirect_uri: return "invalid_redirect_uri";
  case RegistrationError::invalid_client_metadata: return "invalid_client_metadata";
  }
  return "invalid_client_metadata";
}

ClientMetadataParse parse_client_metadata(const nlohmann::json& body, const std::set<std::string, std::less<>>& scopes) {
  using enum RegistrationError;
  if (!body.is_object()) return metadata_refusal(invalid_client_metadata, "the body must be a JSON object");
  ClientMetadata metadata;

  std::string application_type = "web";
  if (!optional_string(body, "application_type", application_type) ||
      (application_type != "web" && application_type != "native"))
    return metadata_refusal(invalid_client_metadata, "application_type must be web or native");
  metadata.application_type = application_type == "native" ? ApplicationType::native : ApplicationType::web;

  metadata.token_endpoint_auth_method = "client_secret_basic";
  if (!optional_string(body, "token_endpoint_auth_method", metadata.token_endpoint_auth_method) ||
      (metadata.token_endpoint_auth_method != "none" && metadata.token_endpoint_auth_method != "client_secret_basic" &&
       metadata.token_endpoint_auth_method != "client_secret_post"))
    return metadata_refusal(invalid_client_metadata,
                            "token_endpoint_auth_method must be none, client_secret_basic or client_secret_post");

  if (!optional_string_array(body, "grant_types", metadata.grant_types))
    return metadata_refusal(invalid_client_metadata, "grant_types must be an array of strings");
  if (!body.contains("grant_types")) metadata.grant_types = {std::string(grant_authorization_code)};
  for (const auto& grant_type : metadata.grant_types)
    if (grant_type != grant_authorization_code && grant_type != grant_refresh_token)
      return metadata_refusal(invalid_client_metadata,
                              "unsupported grant type " + grant_type + " (authorization_code and refresh_token only)");
  if (std::find(metadata.grant_types.begin(), metadata.grant_types.end(), grant_authorization_code) ==
      metadata.grant_types.end())
    return metadata_refusal(invalid_client_metadata, "grant_types must include authorization_code");

  if (!optional_string_array(body, "response_types", metadata.response_types))
    return metadata_refusal(invalid_client_metadata, "response_types must be an array of strings");
  if (!body.contains("response_types")) metadata.response_types = {"code"};
  if (metadata.response_types != std::vector<std::string>{"code"})
    return metadata_refusal(invalid_client_metadata, "response_types must be [\"code\"]");

  if (!optional_string(body, "client_name", metadata.client_name) || metadata.client_name.size() > max_client_name_length)
    return metadata_refusal(invalid_client_metadata, "client_name must be a string of at most 200 characters");

  if (!optional_string(body, "scope", metadata.scope))
    return metadata_refusal(invalid_client_metadata, "scope must be a string");
  for (std::string_view rest = metadata.scope; !rest.empty();) {
    auto space = rest.find(' ');
    auto item = rest.substr(0, space);
    if (!item.empty() && !scopes.contains(item))
      return metadata_refusal(invalid_client_metadata, "unsupported scope " + std::string(item));
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  }

  if (!optional_string_array(body, "redirect_uris", metadata.redirect_uris))
    return metadata_refusal(invalid_redirect_uri, "redirect_uris must be an array of non-empty strings");
  if (metadata.redirect_uris.empty())
    return metadata_refusal(invalid_redirect_uri, "redirect_uris is required for the authorization code grant");
  if (metadata.redirect_uris.size() > max_redirect_uris)
    return metadata_refusal(invalid_redirect_uri, "at most 10 redirect_uris");
  for (const auto& uri : metadata.redirect_uris) {
    auto problem = redirect_uri_problem(uri, metadata.application_type);
    if (!problem.empty()) return metadata_refusal(invalid_redirect_uri, "redirect URI " + uri + " " + problem);
  }
  return {std::move(metadata), none, {}};
}

ClientParse parse_client_metadata_document(std::string_view url, const nlohmann::json& document,
                                           const std::set<std::string, std::less<>>& scopes) {
  if (!document.is_object()) return refuse("", "the document must be a JSON object");
  auto id = document.find("client_id");
  if (id == document.end() || !id->is_string() || id->get<std::string>() != url)
    return refuse("client_id", "must equal the document's URL exactly");
  auto method = document.find("token_endpoint_auth_method");
  if (method == document.end() || *method != "none")
    return refuse("token_endpoint_auth_method", "must be none: a metadata document can't hold a shared secret");
  if (document.contains("client_secret") || document.contains("client_secret_expires_at"))
    return refuse("client_secret", "must not be in a metadata document");
  auto parsed = parse_client_metadata(document, scopes);
  if (!parsed.metadata) return refuse(to_string(parsed.error), parsed.description);
  OAuthClient client;
  client.id = std::string(url);
  client.name = parsed.metadata->client_name.empty() ? client.id : parsed.metadata->client_name;
  client.type = ClientType::public_client;
  client.application_type = parsed.metadata->application_type;
  client.redirect_uris = std::move(parsed.metadata->redirect_uris);
  client.grant_types.insert(parsed.metadata->grant_types.begin(), parsed.metadata->grant_types.end());
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

ClientRegistry::ClientRegistry(ClientRegistry&& other) noexcept
    : clients_(std::move(other.clients_)), resources_(std::move(other.resources_)) {}

void ClientRegistry::add_client(OAuthClient client) {
  std::unique_lock lock(mutex_);
  auto id = client.id;
  clients_.insert_or_assign(std::move(id), std::move(client));
}

std::optional<OAuthClient> ClientRegistry::find(std::string_view id) const {
  std::shared_lock lock(mutex_);
  auto it = clients_.find(id);
  if (it == clients_.end()) return std::nullopt;
  return it->second;
}

std::size_t ClientRegistry::size() const {
  std::shared_lock lock(mutex_);
  return clients_.size();
}

bool ClientRegistry::secret_matches(const OAuthClient& client, std::string_view secret) const {
  if (client.type != ClientType::confidential || client.secret_hash.empty()) return false;
  return constant_time_equal(sha256(secret), client.secret_hash);
}

void ClientRegistry::register_resource(std::string resource, std::string client_id) {
  std::unique_lock lock(mutex_);
  resources_[std::move(resource)].insert(std::move(client_id));
}

bool ClientRegistry::is_registered(std::string_view resource) const {
  std::shared_lock lock(mutex_);
  return resources_.contains(resource);
}

bool ClientRegistry::may_exchange(std::string_view resource, std::string_view client_id) const {
  std::shared_lock lock(mutex_);
  auto it = resources_.find(resource);
  return it != resources_.end() && it->second.contains(client_id);
}

} // namespace mcpcert::backend
