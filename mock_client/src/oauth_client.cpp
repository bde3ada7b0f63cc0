#include "mcpcert/mock_client/oauth_client.hpp"

#include <algorithm>

#include "mcpcert/auth_header.hpp"
#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/jwt.hpp"
#include "mcpcert/mock_client/html_form.hpp"
#include "mcpcert/pkce.hpp"

namespace mcpcert::client {

namespace {

using nlohmann::json;

AuthorizationOutcome fail(AuthorizationOutcome outcome, std::string step, std::string why, std::string oauth_error = {}) {
  outcome.failed_step = std::move(step);
  outcome.failure = std::move(why);
  outcome.oauth_error = std::move(oauth_error);
  return outcome;
}

std::string describe(const HttpReply& reply) {
  if (reply.status == 0) return "no response (" + reply.transport_error + ")";
  return "HTTP " + std::to_string(reply.status);
}

// Metadata and token responses are untrusted: a member of the wrong type reads as absent.
std::string json_string(const json& object, const char* name) {
  if (!object.is_object()) return {};
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::vector<std::string> json_strings(const json& object, const char* name) {
  std::vector<std::string> out;
  if (!object.is_object()) return out;
  auto it = object.find(name);
  if (it == object.end() || !it->is_array()) return out;
  for (const auto& item : *it) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

bool contains(const std::vector<std::string>& values, std::string_view wanted) {
  return std::find(values.begin(), values.end(), wanted) != values.end();
}

std::string join(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& value : values) out += (out.empty() ? "" : " ") + value;
  return out;
}

// A URL split as written (http::Url::origin() always spells the port out,
// while metadata compares identifiers as strings): origin, and the path
// without query or fragment.
struct UrlParts {
  std::string origin;
  std::string path;
};

std::optional<UrlParts> split_url(const std::string& url) {
  if (!http::parse_url(url)) return std::nullopt;
  const auto authority = url.find("://") + 3;
  const auto path_start = url.find_first_of("/?#", authority);
  UrlParts parts{url.substr(0, path_start), {}};
  if (path_start != std::string::npos) {
    const auto rest = url.substr(path_start);
    parts.path = rest.substr(0, rest.find_first_of("?#"));
  }
  while (!parts.path.empty() && parts.path.back() == '/') parts.path.pop_back();
  return parts;
}

// Resolves a form action or Location against the page's URL.
std::string resolve(const std::string& base_url, const std::string& reference) {
  if (reference.find("://") != std::string::npos) return reference;
  auto base = http::parse_url(base_url);
  if (!base) return reference;
  if (!reference.empty() && reference.front() == '/') return base->origin() + reference;
  auto path = base->target.substr(0, base->target.find('?'));
  return base->origin() + path.substr(0, path.rfind('/') + 1) + reference;
}

HttpCall form_post(const std::string& url, const FormFields& fields) {
  return {"POST", url, {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "text/html, application/json"}},
          encode_form(fields)};
}

// Fills a page's form: hidden fields as served, `values` for the rest, and
// the submit button whose name/value is given (if any).
std::optional<FormFields> fill_form(const HtmlForm& form, const FormFields& values, std::string_view button_value) {
  FormFields fields;
  bool button_found = button_value.empty();
  for (const auto& field : form.fields) {
    if (field.type == "button" || field.type == "submit") {
      if (!button_value.empty() && field.value == button_value) {
        fields[field.name] = field.value;
        button_found = true;
      }
      continue;
    }
    auto given = values.find(field.name);
    fields[field.name] = given != values.end() ? given->second : field.value;
  }
  if (!button_found) return std::nullopt;
  return fields;
}

// A token endpoint's answer (RFC 6749 section 5): tokens on top of what the
// caller already knows (issuer, endpoints, requested scope), or the OAuth error.
AuthorizationOutcome read_token_response(AuthorizationOutcome outcome, const HttpReply& reply, TokenSet tokens) {
  auto body = reply.json();
  if (reply.status != 200 || !body.is_object()) {
    const auto error = json_string(body, "error");
    const auto detail = json_string(body, "error_description");
    return fail(std::move(outcome), "token",
                "token request: " + describe(reply) + (error.empty() ? "" : " " + error) + (detail.empty() ? "" : " (" + detail + ")"), error);
  }
  tokens.access_token = json_string(body, "access_token");
  tokens.refresh_token = json_string(body, "refresh_token");
  if (auto granted = json_string(body, "scope"); !granted.empty()) tokens.scope = granted;
  if (auto lifetime = body.find("expires_in"); lifetime != body.end() && lifetime->is_number_integer()) tokens.expires_in = lifetime->get<std::int64_t>();
  if (tokens.access_token.empty()) return fail(std::move(outcome), "token", "token response without access_token");
  if (auto decoded = decode_jwt(tokens.access_token)) tokens.access_claims = decoded->claims;
  outcome.tokens = std::move(tokens);
  return outcome;
}

// The first of `locations` that serves a JSON object, with its URL; otherwise
// nothing, and `tried` says what each answered.
struct MetadataDocument {
  std::string url;
  json document;
};

std::optional<MetadataDocument> first_document(HttpAgent& agent, const std::vector<std::string>& locations, std::string& tried) {
  for (const auto& location : locations) {
    auto reply = agent.send({"GET", location, {{"Accept", "application/json"}}, ""});
    auto document = reply.json();
    if (reply.status == 200 && document.is_object()) return MetadataDocument{location, std::move(document)};
    tried += (tried.empty() ? "" : ", ") + location + " " + describe(reply);
  }
  return std::nullopt;
}

// The method a registration authenticates with at `methods_supported`'s server.
TokenEndpointAuth auth_method(const ClientRegistration& registration, const std::vector<std::string>& methods_supported) {
  // A secret-based method without a secret would only send an empty password.
  if (registration.client_secret.empty()) return TokenEndpointAuth::none;
  if (registration.token_endpoint_auth) return *registration.token_endpoint_auth;
  // RFC 8414 section 2: client_secret_basic is the default when the server lists nothing.
  if (methods_supported.empty() || contains(methods_supported, "client_secret_basic")) return TokenEndpointAuth::client_secret_basic;
  if (contains(methods_supported, "client_secret_post")) return TokenEndpointAuth::client_secret_post;
  // A secret the server never asks for (it handed one out anyway).
  if (contains(methods_supported, "none")) return TokenEndpointAuth::none;
  return TokenEndpointAuth::client_secret_basic;
}

// A token or revocation request with the client's credentials where its
// registration says they go (RFC 6749 section 2.3.1).
HttpCall client_request(const std::string& url, FormFields form, const ClientRegistration& registration,
                        const std::vector<std::string>& methods_supported) {
  HttpCall call{"POST", url, {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}}, ""};
  switch (auth_method(registration, methods_supported)) {
  case TokenEndpointAuth::none:
    form["client_id"] = registration.client_id;
    break;
  case TokenEndpointAuth::client_secret_basic:
    // Each part form-encoded before base64 (RFC 6749 section 2.3.1).
    call.headers.emplace_back("Authorization",
                              "Basic " + base64_encode(url_encode(registration.client_id) + ":" + url_encode(registration.client_secret)));
    break;
  case TokenEndpointAuth::client_secret_post:
    form["client_id"] = registration.client_id;
    form["client_secret"] = registration.client_secret;
    break;
  }
  call.body = encode_form(form);
  return call;
}

} // namespace

std::string_view to_string(TokenEndpointAuth method) {
  switch (method) {
  case TokenEndpointAuth::none:
    return "none";
  case TokenEndpointAuth::client_secret_basic:
    return "client_secret_basic";
  case TokenEndpointAuth::client_secret_post:
    return "client_secret_post";
  }
  return "none";
}

std::optional<TokenEndpointAuth> parse_token_endpoint_auth(std::string_view name) {
  for (auto method : {TokenEndpointAuth::none, TokenEndpointAuth::client_secret_basic, TokenEndpointAuth::client_secret_post}) {
    if (to_string(method) == name) return method;
  }
  return std::nullopt;
}

std::optional<BearerChallenge> read_bearer_challenge(const HttpReply& reply) {
  auto challenges = parse_www_authenticate(reply.header("www-authenticate"));
  if (!challenges) return std::nullopt;
  for (const auto& challenge : *challenges) {
    if (challenge.scheme != "bearer") continue;
    auto param = [&](const char* name) {
      auto it = challenge.params.find(name);
      return it == challenge.params.end() ? std::string{} : it->second;
    };
    return BearerChallenge{reply.status, param("error"), param("scope"), param("resource_metadata")};
  }
  return std::nullopt;
}

std::vector<std::string> authorization_server_metadata_urls(const std::string& issuer) {
  auto url = split_url(issuer);
  if (!url) return {};
  if (url->path.empty()) {
    return {url->origin + "/.well-known/oauth-authorization-server", url->origin + "/.well-known/openid-configuration"};
  }
  return {url->origin + "/.well-known/oauth-authorization-server" + url->path,
          url->origin + "/.well-known/openid-configuration" + url->path,
          url->origin + url->path + "/.well-known/openid-configuration"};
}

std::vector<std::string> protected_resource_metadata_urls(const std::string& mcp_url) {
  auto url = split_url(mcp_url);
  if (!url) return {};
  const auto root = url->origin + "/.well-known/oauth-protected-resource";
  if (url->path.empty()) return {root};
  return {root + url->path, root};
}

std::string scope_union(std::string_view held, std::string_view wanted) {
  std::vector<std::string> scopes;
  for (auto text : {held, wanted}) {
    std::size_t start = 0;
    while (start < text.size()) {
      auto end = text.find(' ', start);
      if (end == std::string_view::npos) end = text.size();
      std::string scope(text.substr(start, end - start));
      if (!scope.empty() && !contains(scopes, scope)) scopes.push_back(std::move(scope));
      start = end + 1;
    }
  }
  return join(scopes);
}

OAuthClient::OAuthClient(HttpAgent& agent, ClientRegistration registration)
    : agent_(agent), profile_{registration.redirect_uri, {registration}, {}, false} {}

OAuthClient::OAuthClient(HttpAgent& agent, ClientProfile profile) : agent_(agent), profile_(std::move(profile)) {}

std::optional<DiscoveredResource> OAuthClient::discover_resource(const std::string& mcp_url, const std::string& metadata_url,
                                                                 AuthorizationOutcome& outcome) {
  const auto candidates = metadata_url.empty() ? protected_resource_metadata_urls(mcp_url) : std::vector<std::string>{metadata_url};
  if (candidates.empty()) {
    outcome = fail(outcome, "discovery", "malformed MCP URL '" + mcp_url + "'");
    return std::nullopt;
  }
  std::string tried;
  auto found_document = first_document(agent_, candidates, tried);
  if (!found_document) {
    outcome = fail(outcome, "discovery", "protected resource metadata: " + tried);
    return std::nullopt;
  }
  const auto& metadata = found_document->document;
  DiscoveredResource found;
  found.metadata_url = found_document->url;
  found.resource = json_string(metadata, "resource");
  // RFC 9728 section 3.3: the resource is the URL the challenge came from,
  // or the one the well-known path was inserted into; at the root that is
  // the origin, though a server that describes its MCP URL there is taken at its word.
  const auto mcp_parts = split_url(mcp_url);
  const bool at_root = metadata_url.empty() && found.metadata_url == candidates.back();
  const bool matches = found.resource == mcp_url ||
                       (at_root && mcp_parts && (found.resource == mcp_parts->origin || found.resource == mcp_parts->origin + "/"));
  if (!matches) {
    outcome = fail(outcome, "discovery", "metadata resource '" + found.resource + "' is not the MCP URL '" + mcp_url + "'");
    return std::nullopt;
  }
  found.authorization_servers = json_strings(metadata, "authorization_servers");
  found.scopes_supported = json_strings(metadata, "scopes_supported");
  return found;
}

std::optional<DiscoveredResource> OAuthClient::discover(const std::string& mcp_url, AuthorizationOutcome& outcome) {
  // An unauthenticated MCP request must be answered 401 with a challenge that
  // points at the protected resource metadata (RFC 9728 section 5.1).
  auto probe = agent_.send({"POST", mcp_url,
                            {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}},
                            R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcpcert","version":"0"}}})"});
  if (probe.status != 401) {
    outcome = fail(outcome, "discovery", "unauthenticated request got " + describe(probe) + ", expected 401");
    return std::nullopt;
  }
  auto challenge = read_bearer_challenge(probe);
  return discover_resource(mcp_url, challenge ? challenge->resource_metadata : std::string{}, outcome);
}

std::optional<AuthorizationServerMetadata> OAuthClient::discover_authorization_server(const std::string& issuer,
                                                                                      AuthorizationOutcome& outcome) {
  if (auto known = servers_.find(issuer); known != servers_.end()) return known->second;
  const auto candidates = authorization_server_metadata_urls(issuer);
  if (candidates.empty()) {
    outcome = fail(outcome, "metadata", "malformed issuer '" + issuer + "'");
    return std::nullopt;
  }
  std::string tried;
  auto found = first_document(agent_, candidates, tried);
  if (!found) {
    outcome = fail(outcome, "metadata", "authorization server metadata: " + tried);
    return std::nullopt;
  }
  const auto& document = found->document;
  // A document for another issuer is refused outright, not skipped: it
  // would send the user and the client's credentials elsewhere.
  if (json_string(document, "issuer") != issuer) {
    outcome = fail(outcome, "metadata", "metadata issuer differs from " + issuer + " (RFC 8414 section 3.3)");
    return std::nullopt;
  }
  AuthorizationServerMetadata server;
  server.issuer = issuer;
  server.metadata_url = found->url;
  server.authorization_endpoint = json_string(document, "authorization_endpoint");
  server.token_endpoint = json_string(document, "token_endpoint");
  server.registration_endpoint = json_string(document, "registration_endpoint");
  server.revocation_endpoint = json_string(document, "revocation_endpoint");
  server.token_endpoint_auth_methods_supported = json_strings(document, "token_endpoint_auth_methods_supported");
  server.client_id_metadata_document_supported = document.value("client_id_metadata_document_supported", json(false)) == json(true);
  server.iss_parameter_supported = document.value("authorization_response_iss_parameter_supported", json(false)) == json(true);
  if (server.authorization_endpoint.empty() || server.token_endpoint.empty()) {
    outcome = fail(outcome, "metadata", "metadata lacks authorization_endpoint or token_endpoint");
    return std::nullopt;
  }
  servers_.emplace(issuer, server);
  return server;
}

std::optional<ClientRegistration> OAuthClient::known_registration(const std::string& issuer) const {
  // One made with this very issuer first; then one valid anywhere, bound to it from now on.
  for (const auto& registration : profile_.pre_registered) {
    if (registration.issuer == issuer) return registration;
  }
  for (auto registration : profile_.pre_registered) {
    if (registration.issuer.empty()) {
      registration.issuer = issuer;
      return registration;
    }
  }
  if (auto it = registered_.find(issuer); it != registered_.end()) return it->second;
  return std::nullopt;
}

std::optional<ClientRegistration> OAuthClient::registration_for(const AuthorizationServerMetadata& server, AuthorizationOutcome& outcome) {
  if (auto known = known_registration(server.issuer)) return known;
  if (!profile_.metadata_document_url.empty() && server.client_id_metadata_document_supported) {
    // The document's URL is the client_id; the server fetches it, nothing is registered.
    return ClientRegistration{profile_.metadata_document_url, profile_.redirect_uri, {}, TokenEndpointAuth::none, server.issuer};
  }
  if (profile_.dynamic_registration && !server.registration_endpoint.empty()) return register_dynamically(server, outcome);
  outcome = fail(outcome, "registration",
                 "no client registration for " + server.issuer +
                     ": not pre-registered there, no usable Client ID Metadata Document, no dynamic registration");
  return std::nullopt;
}

std::optional<ClientRegistration> OAuthClient::register_dynamically(const AuthorizationServerMetadata& server, AuthorizationOutcome& outcome) {
  // A public client where the server allows one (a native app can't keep a
  // secret), otherwise the secret-based method it offers.
  const auto& offered = server.token_endpoint_auth_methods_supported;
  auto wanted = TokenEndpointAuth::none;
  if (!offered.empty() && !contains(offered, "none")) {
    wanted = contains(offered, "client_secret_basic") || !contains(offered, "client_secret_post") ? TokenEndpointAuth::client_secret_basic
                                                                                                  : TokenEndpointAuth::client_secret_post;
  }
  json request = {{"client_name", profile_.client_name},
                  {"redirect_uris", {profile_.redirect_uri}},
                  {"grant_types", {"authorization_code", "refresh_token"}},
                  {"response_types", {"code"}},
                  {"token_endpoint_auth_method", std::string(to_string(wanted))},
                  // A loopback redirect: the client runs on the user's machine.
                  {"application_type", "native"}};
  auto reply = agent_.send({"POST", server.registration_endpoint,
                            {{"Content-Type", "application/json"}, {"Accept", "application/json"}}, request.dump()});
  auto body = reply.json();
  if ((reply.status != 201 && reply.status != 200) || json_string(body, "client_id").empty()) {
    const auto error = json_string(body, "error");
    outcome = fail(outcome, "registration", "dynamic registration: " + describe(reply) + (error.empty() ? "" : " " + error), error);
    return std::nullopt;
  }
  ClientRegistration registration{json_string(body, "client_id"), profile_.redirect_uri, json_string(body, "client_secret"), std::nullopt,
                                  server.issuer};
  // The server's answer decides (RFC 7591 section 3.2.1), whatever was asked
  // for; without one, the method asked for stands, or the server's metadata decides.
  if (auto method = parse_token_endpoint_auth(json_string(body, "token_endpoint_auth_method"))) {
    registration.token_endpoint_auth = method;
  } else if (wanted != TokenEndpointAuth::none) {
    registration.token_endpoint_auth = wanted;
  }
  registered_[server.issuer] = registration;
  return registration;
}

AuthorizationOutcome OAuthClient::authorize(const std::string& mcp_url, const std::string& issuer,
                                            const UserCredentials& user, const std::string& scope,
                                            const std::string& resource_override, bool approve_consent) {
  AuthorizationOutcome outcome;
  auto resource = discover(mcp_url, outcome);
  if (!resource) return outcome;
  // Discovery still runs against the MCP server (it names the issuer); only the audience asked for changes.
  const auto target = resource_override.empty() ? resource->resource : resource_override;
  if (!contains(resource->authorization_servers, issuer)) {
    return fail(outcome, "discovery", "tenant issuer " + issuer + " is not among the resource's authorization_servers");
  }
  auto server = discover_authorization_server(issuer, outcome);
  if (!server) return outcome;
  auto registration = registration_for(*server, outcome);
  if (!registration) return outcome;
  return run_code_flow(*server, *registration, user, scope, target, approve_consent);
}

AuthorizationOutcome OAuthClient::authorize_on_challenge(const std::string& mcp_url, const HttpReply& challenge_reply,
                                                         const UserCredentials& user, const std::string& scope,
                                                         const std::string& issuer) {
  AuthorizationOutcome outcome;
  const auto challenge = read_bearer_challenge(challenge_reply);
  auto resource = discover_resource(mcp_url, challenge ? challenge->resource_metadata : std::string{}, outcome);
  if (!resource) return outcome;
  if (resource->authorization_servers.empty()) return fail(outcome, "discovery", "the resource metadata names no authorization server");
  if (!issuer.empty() && !contains(resource->authorization_servers, issuer)) {
    return fail(outcome, "discovery", "issuer " + issuer + " is not among the resource's authorization_servers");
  }
  const auto chosen = issuer.empty() ? resource->authorization_servers.front() : issuer;
  // MCP authorization, Scope Selection Strategy.
  auto wanted = scope;
  if (wanted.empty() && challenge) wanted = challenge->scope;
  if (wanted.empty()) wanted = join(resource->scopes_supported);
  auto server = discover_authorization_server(chosen, outcome);
  if (!server) return outcome;
  auto registration = registration_for(*server, outcome);
  if (!registration) return outcome;
  return run_code_flow(*server, *registration, user, wanted, resource->resource, true);
}

AuthorizationOutcome OAuthClient::run_code_flow(const AuthorizationServerMetadata& server, const ClientRegistration& registration,
                                                const UserCredentials& user, const std::string& scope, const std::string& target,
                                                bool approve_consent) {
  AuthorizationOutcome outcome;
  const auto verifier = pkce_make_verifier();
  const auto state = random_token(16);
  FormFields query_fields{{"response_type", "code"},
                          {"client_id", registration.client_id},
                          {"redirect_uri", registration.redirect_uri},
                          {"code_challenge", pkce_s256_challenge(verifier)},
                          {"code_challenge_method", "S256"},
                          {"resource", target},
                          {"state", state}};
  // No scope at all rather than an empty one: the server then applies its default.
  if (!scope.empty()) query_fields["scope"] = scope;
  const auto separator = server.authorization_endpoint.find('?') == std::string::npos ? "?" : "&";
  const auto authorize_url = server.authorization_endpoint + separator + encode_form(query_fields);
  auto page = agent_.send({"GET", authorize_url, {{"Accept", "text/html"}}, ""});
  std::string page_url = authorize_url;

  // Login (at the identity provider for a single sign-on user, whose
  // assertion page is posted back as served), a second factor when the user
  // has one, then consent: each page is a form to fill; a 302 ends the dance.
  const bool single_sign_on = !user.sso_username.empty();
  bool at_identity_provider = false;
  for (int page_count = 0; page_count < 6 && page.status == 200; ++page_count) {
    auto forms = parse_html_forms(page.body);
    if (forms.empty()) return fail(outcome, "authorize", "page without a form");
    auto offer = std::find_if(forms.begin(), forms.end(), [](const HtmlForm& candidate) {
      return candidate.method == "get" && candidate.has_field("relay_state");
    });
    if (single_sign_on && !at_identity_provider) {
      if (offer == forms.end()) return fail(outcome, "sso", "the sign-in page offers no single sign-on for " + user.username);
      at_identity_provider = true;
      const auto action = resolve(page_url, offer->action);
      auto query = fill_form(*offer, {}, "");
      page_url = action + (action.find('?') == std::string::npos ? "?" : "&") + encode_form(*query);
      page = agent_.send({"GET", page_url, {{"Accept", "text/html"}}, ""});
      continue;
    }
    const auto& form = forms.front();
    std::optional<FormFields> fields;
    std::string step;
    if (form.has_field("password")) {
      step = at_identity_provider ? "sso_login" : "login";
      fields = at_identity_provider ? fill_form(form, {{"username", user.sso_username}, {"password", user.sso_password}}, "")
                                    : fill_form(form, {{"username", user.username}, {"password", user.password}}, "");
    } else if (form.has_field("assertion")) {
      step = "sso_return";
      fields = fill_form(form, {}, "");
    } else if (form.has_field("code")) {
      step = "second_factor";
      if (!user.one_time_code) return fail(outcome, step, "the issuer asks " + user.username + " for a one-time code, and no TOTP secret is known");
      fields = fill_form(form, {{"code", user.one_time_code()}}, "");
    } else {
      step = "consent";
      fields = fill_form(form, {}, approve_consent ? "approve" : "deny");
    }
    if (!fields) return fail(outcome, step, "the " + step + " form has no " + (approve_consent ? "approve" : "deny") + " button");
    const auto action = resolve(page_url, form.action.empty() ? page_url : form.action);
    page = agent_.send(form_post(action, *fields));
    page_url = action;
  }
  if (page.status != 302 && page.status != 303) {
    return fail(outcome, "authorize", "authorization ended with " + describe(page) + " instead of a redirect");
  }

  const auto location = page.header("location");
  if (location.rfind(registration.redirect_uri, 0) != 0) {
    return fail(outcome, "authorize", "redirect to '" + location + "', not to the registered redirect_uri");
  }
  const auto query_start = location.find('?');
  auto query = parse_form(query_start == std::string::npos ? "" : location.substr(query_start + 1));
  if (query.status != FormStatus::ok) return fail(outcome, "authorize", "malformed redirect query");
  const auto& params = query.fields;
  auto param = [&](const char* name) {
    auto it = params.find(name);
    return it == params.end() ? std::string{} : it->second;
  };
  // RFC 9207: the response must name the issuer we sent the user to (mix-up
  // defence); it may only be missing where the server does not send it.
  const bool has_iss = params.find("iss") != params.end();
  if ((has_iss || server.iss_parameter_supported) && param("iss") != server.issuer) {
    return fail(outcome, "authorize", "authorization response iss '" + param("iss") + "' is not " + server.issuer);
  }
  if (!constant_time_equal(param("state"), state)) return fail(outcome, "authorize", "state mismatch");
  if (!param("error").empty()) {
    return fail(outcome, "authorize", "authorization refused: " + param("error") + " " + param("error_description"), param("error"));
  }
  const auto code = param("code");
  if (code.empty()) return fail(outcome, "authorize", "redirect without a code");

  auto token_reply = agent_.send(client_request(server.token_endpoint,
                                                {{"grant_type", "authorization_code"},
                                                 {"code", code},
                                                 {"redirect_uri", registration.redirect_uri},
                                                 {"code_verifier", verifier},
                                                 {"resource", target}},
                                                registration, server.token_endpoint_auth_methods_supported));
  TokenSet template_tokens;
  template_tokens.issuer = server.issuer;
  template_tokens.token_endpoint = server.token_endpoint;
  template_tokens.revocation_endpoint = server.revocation_endpoint;
  template_tokens.client_id = registration.client_id;
  template_tokens.scope = scope;
  template_tokens.resource = target;
  template_tokens.authorization_code = code;
  return read_token_response(std::move(outcome), token_reply, std::move(template_tokens));
}

AuthorizationOutcome OAuthClient::refresh(const TokenSet& current, const std::string& refresh_token, const std::string& resource) {
  AuthorizationOutcome outcome;
  if (current.token_endpoint.empty()) return fail(outcome, "refresh", "no token endpoint is known for these tokens");
  // The credentials presented are those registered with the tokens' own issuer.
  auto registration = known_registration(current.issuer);
  if (!registration) return fail(outcome, "refresh", "no client registration for " + current.issuer + ", the issuer of these tokens");
  if (!current.client_id.empty() && current.client_id != registration->client_id) {
    return fail(outcome, "refresh", "these tokens were issued to client " + current.client_id + ", not " + registration->client_id);
  }
  const auto server = servers_.find(current.issuer);
  FormFields form{{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}};
  if (!resource.empty()) form["resource"] = resource;
  auto reply = agent_.send(client_request(current.token_endpoint, std::move(form), *registration,
                                          server == servers_.end() ? std::vector<std::string>{} : server->second.token_endpoint_auth_methods_supported));
  TokenSet template_tokens;
  template_tokens.issuer = current.issuer;
  template_tokens.token_endpoint = current.token_endpoint;
  template_tokens.revocation_endpoint = current.revocation_endpoint;
  template_tokens.client_id = registration->client_id;
  template_tokens.scope = current.scope;
  template_tokens.resource = resource;
  return read_token_response(std::move(outcome), reply, std::move(template_tokens));
}

RevocationOutcome OAuthClient::revoke(const TokenSet& tokens, const std::string& token, const std::string& token_type_hint) {
  RevocationOutcome out;
  auto registration = known_registration(tokens.issuer);
  if (!registration) {
    out.failure = "no client registration for " + tokens.issuer + ", the issuer of these tokens";
    return out;
  }
  AuthorizationOutcome discovery;
  std::vector<std::string> methods;
  auto endpoint = tokens.revocation_endpoint;
  if (auto server = discover_authorization_server(tokens.issuer, discovery)) {
    methods = server->token_endpoint_auth_methods_supported;
    if (endpoint.empty()) endpoint = server->revocation_endpoint;
  }
  if (endpoint.empty()) {
    out.failure = tokens.issuer + " has no revocation endpoint" + (discovery.failure.empty() ? "" : " (" + discovery.failure + ")");
    return out;
  }
  FormFields form{{"token", token}};
  if (!token_type_hint.empty()) form["token_type_hint"] = token_type_hint;
  auto reply = agent_.send(client_request(endpoint, std::move(form), *registration, methods));
  out.status = reply.status;
  if (reply.status == 200) {
    out.revoked = true;
    return out;
  }
  auto body = reply.json();
  out.oauth_error = json_string(body, "error");
  out.failure = "revocation: " + describe(reply) + (out.oauth_error.empty() ? "" : " " + out.oauth_error);
  return out;
}

std::optional<std::string> ChallengeResponder::operator()(const HttpReply& reply) {
  const auto challenge = read_bearer_challenge(reply);
  std::string scope;
  if (reply.status == 403) {
    // Only insufficient_scope asks for more; any other 403 is a refusal.
    if (!challenge || challenge->error != "insufficient_scope") return std::nullopt;
    scope = scope_union(tokens_ ? tokens_->scope : std::string{}, challenge->scope);
  } else if (reply.status == 401) {
    if (tokens_ && !tokens_->refresh_token.empty()) {
      // An expired or revoked access token: the refresh token may still be good.
      auto refreshed = oauth_.refresh(*tokens_, tokens_->refresh_token, tokens_->resource);
      if (refreshed.tokens) {
        if (refreshed.tokens->refresh_token.empty()) refreshed.tokens->refresh_token = tokens_->refresh_token;
        tokens_ = refreshed.tokens;
        last_ = std::move(refreshed);
        return tokens_->access_token;
      }
    }
    if (tokens_) scope = scope_union(tokens_->scope, challenge ? challenge->scope : std::string{});
  } else {
    return std::nullopt;
  }
  ++authorizations_;
  last_ = oauth_.authorize_on_challenge(mcp_url_, reply, user_, scope, issuer_);
  if (!last_.tokens) return std::nullopt;
  tokens_ = last_.tokens;
  return tokens_->access_token;
}

} // namespace mcpcert::client
