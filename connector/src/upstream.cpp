#include "mcpcert/connector/upstream.hpp"

#include <limits>

#include <boost/beast/http/verb.hpp>

#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"

namespace mcpcert::connector {

namespace beast = boost::beast;

namespace {

UpstreamReply failure(UpstreamStatus status, std::string detail) {
  UpstreamReply reply;
  reply.status = status;
  reply.detail = std::move(detail);
  return reply;
}

std::string oauth_error_text(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return "unreadable error reply";
  std::string text = json.value("error", "unknown_error");
  if (auto description = json.find("error_description"); description != json.end() && description->is_string()) {
    text += ": " + description->get<std::string>();
  }
  return text;
}

} // namespace

TenantGateway::TenantGateway(const ConnectorConfig& config, const Clock& clock)
    : config_(config),
      clock_(clock),
      client_authorization_("Basic " + base64_encode(url_encode(config.client_id) + ":" + url_encode(config.client_secret))) {
  for (const auto& route : config_.tenants) {
    if (auto url = http::parse_url(route.token_endpoint)) token_endpoints_.emplace(&route, std::move(*url));
  }
}

boost::asio::awaitable<UpstreamReply> TenantGateway::exchange(const AccessIdentity& identity, std::string& token_out) {
  if (config_.mutants.contains(Mutant::permission_cache)) {
    if (auto cached = mutant_cache_.find(identity.token_id);
        cached != mutant_cache_.end() && cached->second.expires_at > clock_.unix_seconds()) {
      token_out = cached->second.token;
      co_return UpstreamReply{UpstreamStatus::ok, {}, {}};
    }
  }

  // Routes come from this connector's configuration; one whose URL did not parse has no entry.
  const auto endpoint = token_endpoints_.find(identity.route);
  if (endpoint == token_endpoints_.end()) co_return failure(UpstreamStatus::unavailable, "token endpoint misconfigured");
  http::Url url = endpoint->second;
  http::Request request{beast::http::verb::post, url.target, 11};
  request.set(beast::http::field::content_type, "application/x-www-form-urlencoded");
  request.set(beast::http::field::accept, "application/json");
  request.set(beast::http::field::authorization, client_authorization_);
  request.body() = encode_form({
      {"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
      {"subject_token", identity.token},
      {"subject_token_type", "urn:ietf:params:oauth:token-type:access_token"},
      {"requested_token_type", "urn:ietf:params:oauth:token-type:access_token"},
      {"audience", identity.route->api},
  });
  auto response = co_await upstream_.fetch(std::move(url), std::move(request), {.timeout = config_.upstream_timeout});
  if (!response) co_return failure(UpstreamStatus::unavailable, "issuer unreachable: " + response.error().message());
  const auto status = response->result_int();
  if (status == 400 || status == 403) {
    // The issuer refuses the exchange when the user may no longer use the
    // connector (MCP Access removed, grant revoked, user suspended).
    co_return failure(UpstreamStatus::permission_denied, oauth_error_text(response->body()));
  }
  if (status != 200) co_return failure(UpstreamStatus::unavailable, "issuer answered " + std::to_string(status));
  auto json = nlohmann::json::parse(response->body(), nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("access_token") || !json["access_token"].is_string()) {
    co_return failure(UpstreamStatus::unavailable, "issuer sent a malformed token response");
  }
  token_out = json["access_token"].get<std::string>();
  if (config_.mutants.contains(Mutant::permission_cache)) {
    const auto lifetime = json.value("expires_in", std::int64_t{0});
    mutant_cache_[identity.token_id] = {token_out, clock_.unix_seconds() + lifetime};
  }
  co_return UpstreamReply{UpstreamStatus::ok, {}, {}};
}

boost::asio::awaitable<UpstreamReply> TenantGateway::get(const AccessIdentity& identity, std::string path) {
  co_return co_await send(identity, beast::http::verb::get, std::move(path));
}

boost::asio::awaitable<UpstreamReply> TenantGateway::send_as_app_writer(const AccessIdentity& identity,
                                                                        const std::string& app,
                                                                        beast::http::verb method, std::string path,
                                                                        const nlohmann::json& body) {
  auto key = identity.tenant + "/" + app;
  if (auto held = mutant_app_writer_.find(key);
      held != mutant_app_writer_.end() && held->second.expires_at > clock_.unix_seconds()) {
    co_return co_await call_api(identity, held->second.token, method, std::move(path), body);
  }
  std::string token;
  auto exchanged = co_await exchange(identity, token);
  if (exchanged.status != UpstreamStatus::ok) co_return exchanged;
  auto reply = co_await call_api(identity, token, method, std::move(path), body);
  if (reply.status == UpstreamStatus::ok) mutant_app_writer_[key] = {token, clock_.unix_seconds() + 240};
  co_return reply;
}

boost::asio::awaitable<UpstreamReply> TenantGateway::send(const AccessIdentity& identity, beast::http::verb method,
                                                          std::string path, const nlohmann::json& body) {
  std::string upstream_token;
  if (config_.mutants.contains(Mutant::forward_bearer)) {
    upstream_token = identity.token;
  } else if (auto shared = mutant_tenant_token_.find(identity.tenant);
             (config_.mutants.contains(Mutant::shared_upstream_token) ||
              config_.mutants.contains(Mutant::service_account)) &&
             shared != mutant_tenant_token_.end() && shared->second.expires_at > clock_.unix_seconds()) {
    // The defect: one upstream credential for everybody, whoever got it first.
    upstream_token = shared->second.token;
  } else {
    auto exchanged = co_await exchange(identity, upstream_token);
    if (exchanged.status != UpstreamStatus::ok) co_return exchanged;
    if (config_.mutants.contains(Mutant::shared_upstream_token))
      mutant_tenant_token_[identity.tenant] = {upstream_token, clock_.unix_seconds() + 240};
    if (config_.mutants.contains(Mutant::service_account))
      mutant_tenant_token_[identity.tenant] = {upstream_token, std::numeric_limits<std::int64_t>::max()};
  }

  if (config_.mutants.contains(Mutant::region_fallback)) {
    // The defect: "be resilient" by asking the other regions' tenants first.
    for (const auto& other : config_.tenants) {
      if (&other == identity.route) continue;
      auto other_url = http::parse_url(other.api + path);
      if (!other_url) continue;
      http::Request probe{beast::http::verb::get, other_url->target, 11};
      probe.set(beast::http::field::authorization, "Bearer " + upstream_token);
      co_await http::fetch(*other_url, std::move(probe), {.timeout = config_.upstream_timeout});
    }
  }

  co_return co_await call_api(identity, upstream_token, method, std::move(path), body);
}

boost::asio::awaitable<UpstreamReply> TenantGateway::call_api(const AccessIdentity& identity,
                                                              const std::string& upstream_token,
                                                              beast::http::verb method, std::string path,
                                                              const nlohmann::json& body) {
  // Only the route of the token's issuer: there is no fallback to another region.
  const TenantRoute* route = identity.api_route != nullptr ? identity.api_route : identity.route;
  auto url = http::parse_url(route->api + path);
  if (!url) co_return failure(UpstreamStatus::unavailable, "tenant API misconfigured");
  http::Request request{method, url->target, 11};
  request.set(beast::http::field::accept, "application/json");
  request.set(beast::http::field::authorization, "Bearer " + upstream_token);
  if (!identity.forwarded_meta.empty()) request.set("X-Request-Context", identity.forwarded_meta);
  if (!body.is_null()) {
    request.set(beast::http::field::content_type, "application/json");
    request.body() = body.dump();
  }
  auto response = co_await upstream_.fetch(*url, std::move(request), {.timeout = config_.upstream_timeout});
  if (!response) co_return failure(UpstreamStatus::unavailable, "tenant API unreachable: " + response.error().message());
  const auto status = response->result_int();
  auto json = nlohmann::json::parse(response->body(), nullptr, false);
  // RFC 9457: the problem's detail says what was refused, in the tenant's words.
  std::string detail = json.is_object() && json.contains("detail") && json["detail"].is_string()
                           ? json["detail"].get<std::string>()
                           : std::string{};
  if (status == 401 || status == 403)
    co_return failure(UpstreamStatus::permission_denied, detail.empty() ? "tenant API refused the request" : detail);
  if (status == 404) co_return failure(UpstreamStatus::not_found, detail.empty() ? "not found in the tenant" : detail);
  if (status == 400 || status == 409 || status == 422)
    co_return failure(UpstreamStatus::rejected, detail.empty() ? "tenant API refused the request" : detail);
  if (status < 200 || status > 299)
    co_return failure(UpstreamStatus::unavailable, "tenant API answered " + std::to_string(status));
  if (json.is_discarded()) co_return failure(UpstreamStatus::unavailable, "tenant API sent malformed JSON");
  UpstreamReply reply{UpstreamStatus::ok, std::move(json), {}};
  reply.http_status = status;
  reply.body_text = std::move(response->body());
  co_return reply;
}

} // namespace mcpcert::connector
