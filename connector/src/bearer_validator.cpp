#include "mcpcert/connector/bearer_validator.hpp"

#include <boost/beast/http/verb.hpp>

#include "mcpcert/crypto.hpp"
#include "mcpcert/http_client.hpp"

namespace mcpcert::connector {

namespace {
// An unknown kid triggers a JWKS fetch; this bounds how often a stream of
// forged tokens can make us call the issuer.
constexpr auto jwks_refetch_interval = std::chrono::seconds(10);
} // namespace

BearerValidator::BearerValidator(const ConnectorConfig& config, const Clock& clock) : config_(config), clock_(clock) {}

boost::asio::awaitable<void> BearerValidator::refresh_keys(const TenantRoute& route, IssuerKeys& keys) {
  auto url = http::parse_url(route.jwks_uri);
  if (!url) co_return;
  http::Request request{boost::beast::http::verb::get, url->target, 11};
  request.set(boost::beast::http::field::accept, "application/json");
  keys.fetched_at = clock_.now();
  auto response = co_await http::fetch(*url, std::move(request), {.timeout = config_.upstream_timeout});
  if (!response || response->result_int() != 200) co_return;
  auto document = nlohmann::json::parse(response->body(), nullptr, false);
  if (document.is_discarded() || !document.is_object()) co_return;
  keys.keys = JwkSet::from_json(document);
  keys.fetched = true;
}

boost::asio::awaitable<boost::system::result<AccessIdentity>> BearerValidator::validate(std::string token, const McpResource& resource) {
  const auto digest = sha256(token);
  // The expiry-unchecked mutant validates as if time stood still at the epoch's end.
  const auto leeway = config_.mutants.contains(Mutant::expiry_unchecked) ? std::int64_t{100} * 365 * 24 * 3600 : config_.leeway.count();
  const auto now = clock_.unix_seconds();
  if (auto cached = verified_.find(digest); cached != verified_.end() && cached->second.identity.resource != &resource) {
    verified_.erase(cached);
  } else if (cached != verified_.end()) {
    const auto& entry = cached->second;
    const auto* key = keys_by_issuer_[entry.identity.route->issuer].keys.find(entry.kid);
    if (key == nullptr) {
      // What verify_jwt answers for a kid the issuer no longer publishes.
      verified_.erase(cached);
      co_return make_error_code(JwtStatus::unknown_kid);
    }
    if (key->point() != entry.key_point) {
      // The kid now names another key: verified afresh below, which refuses it.
      verified_.erase(cached);
    } else {
      if (entry.identity.expires_at <= now - leeway) {
        verified_.erase(cached);
        co_return make_error_code(JwtStatus::expired);
      }
      if (entry.not_before > now + config_.leeway.count()) co_return make_error_code(JwtStatus::not_yet_valid);
      co_return entry.identity;
    }
  }

  auto decoded = decode_jwt(token);
  if (!decoded) co_return decoded.error();
  const auto& claims = decoded->claims;

  // The issuer is read before the signature is checked only to pick which
  // configured JWKS to use; an issuer we don't serve is refused outright.
  const auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string()) co_return make_error_code(JwtStatus::wrong_issuer);
  const TenantRoute* route = nullptr;
  for (const auto& tenant : config_.tenants) {
    if (tenant.issuer == iss->get<std::string>()) route = &tenant;
  }
  // A tenant's own URL knows no issuer but that tenant's.
  if (route == nullptr || !resource.serves(*route)) co_return make_error_code(JwtStatus::wrong_issuer);

  auto& keys = keys_by_issuer_[route->issuer];
  const auto kid = decoded->header.find("kid");
  const bool kid_known = kid != decoded->header.end() && kid->is_string() && keys.keys.find(kid->get<std::string>());
  if (!kid_known && (!keys.fetched || clock_.now() - keys.fetched_at >= jwks_refetch_interval)) {
    co_await refresh_keys(*route, keys);
  }

  JwtExpectations expect;
  expect.type = "at+jwt";
  expect.issuers = {route->issuer};
  if (!config_.mutants.contains(Mutant::audience_unchecked)) expect.audience = resource.url;
  expect.now = now;
  expect.leeway_seconds = leeway;
  auto verified = verify_jwt(token, keys.keys, expect);
  if (!verified) co_return verified.error();

  AccessIdentity identity;
  const auto text = [&](const char* name) {
    auto it = verified->find(name);
    return it != verified->end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  identity.issuer = route->issuer;
  identity.subject = text("sub");
  identity.client_id = text("client_id");
  identity.tenant = text("tenant");
  identity.entity = text("entity");
  identity.scope = text("scope");
  identity.token_id = text("jti");
  identity.expires_at = verified->value("exp", std::int64_t{0});
  identity.route = route;
  identity.resource = &resource;
  if (identity.subject.empty() || identity.entity.empty() || identity.tenant != route->id) {
    co_return make_error_code(JwtStatus::missing_claim);
  }
  identity.token = std::move(token);
  if (verified_.size() >= verified_capacity) {
    // Drop what has expired; if that frees nothing, start over rather than grow without bound.
    std::erase_if(verified_, [&](const auto& entry) { return entry.second.identity.expires_at <= now; });
    if (verified_.size() >= verified_capacity) verified_.clear();
  }
  // verify_jwt succeeded, so the header's kid names the key that verified it.
  const auto& kid_text = kid->get_ref<const std::string&>();
  verified_.emplace(digest, VerifiedToken{identity, verified->value("nbf", std::int64_t{0}), kid_text,
                                          std::string(keys.keys.find(kid_text)->point())});
  co_return identity;
}

} // namespace mcpcert::connector
