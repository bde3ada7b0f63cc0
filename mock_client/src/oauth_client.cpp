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
// caller already knows (issuer, endpoint, requested scope), or the OAuth error.
AuthorizationOutcome read_token_response(AuthorizationOutcome outcome, const HttpReply& reply, TokenSet tokens) {
  auto body = reply.json();
  if (reply.status != 200 || !body.is_object()) {
    const auto error = body.is_object() ? body.value("error", "") : std::string{};
    const auto detail = body.is_object() ? body.value("error_description", "") : std::string{};
    return fail(std::move(outcome), "token",
                "token request: " + describe(reply) + (error.empty() ? "" : " " + error) + (detail.empty() ? "" : " (" + detail + ")"), error);
  }
  tokens.access_token = body.value("access_token", "");
  tokens.refresh_token = body.value("refresh_token", "");
  tokens.scope = body.value("scope", tokens.scope);
  tokens.expires_in = body.value("expires_in", std::int64_t{0});
  if (tokens.access_token.empty()) return fail(std::move(outcome), "token", "token response without access_token");
  if (auto decoded = decode_jwt(tokens.access_token)) tokens.access_claims = decoded->claims;
  outcome.tokens = std::move(tokens);
  return outcome;
}

} // namespace

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
  DiscoveredResource found;
  if (auto challenges = parse_www_authenticate(probe.header("www-authenticate"))) {
    for (const auto& challenge : *challenges) {
      if (challenge.scheme != "bearer") continue;
      if (auto it = challenge.params.find("resource_metadata"); it != challenge.params.end()) found.metadata_url = it->second;
    }
  }
  if (found.metadata_url.empty()) {
    // Fall back to the well-known location derived from the MCP URL.
    auto url = http::parse_url(mcp_url);
    if (!url) {
      outcome = fail(outcome, "discovery", "malformed MCP URL");
      return std::nullopt;
    }
    const auto path = url->target.substr(0, url->target.find('?'));
    found.metadata_url = url->origin() + "/.well-known/oauth-protected-resource" + (path == "/" ? "" : path);
  }
  auto metadata_reply = agent_.send({"GET", found.metadata_url, {{"Accept", "application/json"}}, ""});
  auto metadata = metadata_reply.json();
  if (metadata_reply.status != 200 || !metadata.is_object()) {
    outcome = fail(outcome, "discovery", "protected resource metadata: " + describe(metadata_reply));
    return std::nullopt;
  }
  found.resource = metadata.value("resource", "");
  if (found.resource != mcp_url) {
    outcome = fail(outcome, "discovery", "metadata resource '" + found.resource + "' is not the MCP URL '" + mcp_url + "'");
    return std::nullopt;
  }
  if (auto servers = metadata.find("authorization_servers"); servers != metadata.end() && servers->is_array()) {
    for (const auto& server : *servers) {
      if (server.is_string()) found.authorization_servers.push_back(server.get<std::string>());
    }
  }
  return found;
}

AuthorizationOutcome OAuthClient::authorize(const std::string& mcp_url, const std::string& issuer,
                                            const UserCredentials& user, const std::string& scope,
                                            const std::string& resource_override, bool approve_consent) {
  AuthorizationOutcome outcome;
  auto resource = discover(mcp_url, outcome);
  if (!resource) return outcome;
  // Discovery still runs against the MCP server (it names the issuer); only the audience asked for changes.
  const auto target = resource_override.empty() ? resource->resource : resource_override;
  if (std::find(resource->authorization_servers.begin(), resource->authorization_servers.end(), issuer) ==
      resource->authorization_servers.end()) {
    return fail(outcome, "discovery", "tenant issuer " + issuer + " is not among the resource's authorization_servers");
  }

  auto as_reply = agent_.send({"GET", issuer + "/.well-known/oauth-authorization-server", {{"Accept", "application/json"}}, ""});
  auto as_metadata = as_reply.json();
  if (as_reply.status != 200 || !as_metadata.is_object()) {
    return fail(outcome, "metadata", "authorization server metadata: " + describe(as_reply));
  }
  if (as_metadata.value("issuer", "") != issuer) {
    return fail(outcome, "metadata", "metadata issuer differs from " + issuer + " (RFC 8414 section 3.3)");
  }
  const auto authorization_endpoint = as_metadata.value("authorization_endpoint", "");
  const auto token_endpoint = as_metadata.value("token_endpoint", "");
  if (authorization_endpoint.empty() || token_endpoint.empty()) {
    return fail(outcome, "metadata", "metadata lacks authorization_endpoint or token_endpoint");
  }

  const auto verifier = pkce_make_verifier();
  const auto state = random_token(16);
  const auto authorize_url = authorization_endpoint + "?" +
                             encode_form({{"response_type", "code"},
                                          {"client_id", registration_.client_id},
                                          {"redirect_uri", registration_.redirect_uri},
                                          {"code_challenge", pkce_s256_challenge(verifier)},
                                          {"code_challenge_method", "S256"},
                                          {"resource", target},
                                          {"scope", scope},
                                          {"state", state}});
  auto page = agent_.send({"GET", authorize_url, {{"Accept", "text/html"}}, ""});
  std::string page_url = authorize_url;

  // Login, then consent: each page is a form to fill; a 302 ends the dance.
  for (int page_count = 0; page_count < 4 && page.status == 200; ++page_count) {
    auto forms = parse_html_forms(page.body);
    if (forms.empty()) return fail(outcome, "authorize", "page without a form");
    const auto& form = forms.front();
    std::optional<FormFields> fields;
    std::string step;
    if (form.has_field("password")) {
      step = "login";
      fields = fill_form(form, {{"username", user.username}, {"password", user.password}}, "");
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
  if (location.rfind(registration_.redirect_uri, 0) != 0) {
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
  // RFC 9207: the response must name the issuer we sent the user to (mix-up defence).
  if (param("iss") != issuer) return fail(outcome, "authorize", "authorization response iss '" + param("iss") + "' is not " + issuer);
  if (!constant_time_equal(param("state"), state)) return fail(outcome, "authorize", "state mismatch");
  if (!param("error").empty()) {
    return fail(outcome, "authorize", "authorization refused: " + param("error") + " " + param("error_description"), param("error"));
  }
  const auto code = param("code");
  if (code.empty()) return fail(outcome, "authorize", "redirect without a code");

  auto token_reply = agent_.send(form_post(token_endpoint, {{"grant_type", "authorization_code"},
                                                            {"code", code},
                                                            {"redirect_uri", registration_.redirect_uri},
                                                            {"client_id", registration_.client_id},
                                                            {"code_verifier", verifier},
                                                            {"resource", target}}));
  TokenSet template_tokens;
  template_tokens.issuer = issuer;
  template_tokens.token_endpoint = token_endpoint;
  template_tokens.scope = scope;
  template_tokens.resource = target;
  template_tokens.authorization_code = code;
  return read_token_response(std::move(outcome), token_reply, std::move(template_tokens));
}

AuthorizationOutcome OAuthClient::refresh(const TokenSet& current, const std::string& refresh_token, const std::string& resource) {
  AuthorizationOutcome outcome;
  if (current.token_endpoint.empty()) return fail(outcome, "refresh", "no token endpoint is known for these tokens");
  auto reply = agent_.send(form_post(current.token_endpoint, {{"grant_type", "refresh_token"},
                                                              {"refresh_token", refresh_token},
                                                              {"client_id", registration_.client_id},
                                                              {"resource", resource}}));
  TokenSet template_tokens;
  template_tokens.issuer = current.issuer;
  template_tokens.token_endpoint = current.token_endpoint;
  template_tokens.scope = current.scope;
  template_tokens.resource = resource;
  return read_token_response(std::move(outcome), reply, std::move(template_tokens));
}

} // namespace mcpcert::client
