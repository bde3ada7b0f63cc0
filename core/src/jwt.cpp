#include "mcpcert/jwt.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "mcpcert/encoding.hpp"

namespace mcpcert {
namespace {

class JwtCategory final : public boost::system::error_category {
public:
  const char* name() const noexcept override { return "jwt"; }
  std::string message(int ev) const override { return to_string(static_cast<JwtStatus>(ev)); }
};

boost::system::error_code fail(JwtStatus status) { return make_error_code(status); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 7515 section 4.1.9: "application/" may be left out of a typ media type.
std::string_view strip_application(std::string_view type) {
  constexpr std::string_view prefix = "application/";
  if (type.size() > prefix.size() && iequals(type.substr(0, prefix.size()), prefix))
    return type.substr(prefix.size());
  return type;
}

std::optional<nlohmann::json> decode_object(std::string_view part) {
  auto text = base64url_decode(part);
  if (!text) return std::nullopt;
  auto value = nlohmann::json::parse(*text, nullptr, false);
  if (!value.is_object()) return std::nullopt;
  return value;
}

// long double holds every int64 and uint64 exactly, so huge or fractional
// NumericDates compare without overflow.
std::optional<long double> numeric_date(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end() || !it->is_number()) return std::nullopt;
  if (it->is_number_unsigned()) return static_cast<long double>(it->get<std::uint64_t>());
  if (it->is_number_integer()) return static_cast<long double>(it->get<std::int64_t>());
  return static_cast<long double>(it->get<double>());
}

bool audience_matches(const nlohmann::json& claims, std::string_view audience) {
  auto it = claims.find("aud");
  if (it == claims.end()) return false;
  if (it->is_string()) return it->get_ref<const std::string&>() == audience;
  if (!it->is_array()) return false;
  return std::any_of(it->begin(), it->end(), [&](const nlohmann::json& a) {
    return a.is_string() && a.get_ref<const std::string&>() == audience;
  });
}

} // namespace

const char* to_string(JwtStatus status) {
  switch (status) {
  case JwtStatus::ok: return "ok";
  case JwtStatus::malformed: return "malformed";
  case JwtStatus::alg_none: return "alg_none";
  case JwtStatus::alg_not_allowed: return "alg_not_allowed";
  case JwtStatus::missing_kid: return "missing_kid";
  case JwtStatus::unknown_kid: return "unknown_kid";
  case JwtStatus::bad_signature: return "bad_signature";
  case JwtStatus::wrong_type: return "wrong_type";
  case JwtStatus::expired: return "expired";
  case JwtStatus::not_yet_valid: return "not_yet_valid";
  case JwtStatus::wrong_issuer: return "wrong_issuer";
  case JwtStatus::wrong_audience: return "wrong_audience";
  case JwtStatus::missing_claim: return "missing_claim";
  }
  return "unknown";
}

const boost::system::error_category& jwt_category() {
  static const JwtCategory category;
  return category;
}

boost::system::error_code make_error_code(JwtStatus status) {
  return {static_cast<int>(status), jwt_category()};
}

boost::system::result<DecodedJwt> decode_jwt(std::string_view token) {
  auto first = token.find('.');
  if (first == std::string_view::npos) return fail(JwtStatus::malformed);
  auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return fail(JwtStatus::malformed);

  DecodedJwt jwt;
  auto header = decode_object(token.substr(0, first));
  auto claims = decode_object(token.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(token.substr(second + 1));
  if (!header || !claims || !signature) return fail(JwtStatus::malformed);
  jwt.header = std::move(*header);
  jwt.claims = std::move(*claims);
  jwt.signing_input = std::string(token.substr(0, second));
  jwt.signature = std::move(*signature);
  return jwt;
}

namespace {

// A signed token and the JSON texts of its parts, as a verifier decodes them.
struct SignedJwt {
  std::string token;
  std::string header_text;
  std::string claims_text;
};

SignedJwt sign_parts(const EcSigningKey& key, const nlohmann::json& claims, std::string_view typ) {
  nlohmann::json header = {{"alg", "ES256"}, {"typ", typ}, {"kid", key.kid()}};
  // Claims may echo client input; replace invalid UTF-8 rather than throw.
  auto dump = [](const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
  SignedJwt jwt{{}, dump(header), dump(claims)};
  std::string input = base64url_encode(jwt.header_text) + "." + base64url_encode(jwt.claims_text);
  auto signature = key.sign_es256(input);
  jwt.token = input + "." + base64url_encode(signature);
  return jwt;
}

} // namespace

std::string sign_jwt(const EcSigningKey& key, const nlohmann::json& claims, std::string_view typ) {
  return sign_parts(key, claims, typ).token;
}

JwkSet JwkSet::from_json(const nlohmann::json& jwks) {
  JwkSet set;
  if (!jwks.is_object()) return set;
  auto keys = jwks.find("keys");
  if (keys == jwks.end() || !keys->is_array()) return set;
  for (const auto& jwk : *keys) {
    if (!jwk.is_object()) continue;
    auto kid = jwk.find("kid");
    if (kid == jwk.end() || !kid->is_string()) continue;
    auto key = EcPublicKey::from_jwk(jwk);
    if (key) set.keys_.emplace(kid->get<std::string>(), std::move(*key));
  }
  return set;
}

void JwkSet::add(std::string kid, EcPublicKey key) { keys_.insert_or_assign(std::move(kid), std::move(key)); }

const EcPublicKey* JwkSet::find(std::string_view kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : &it->second;
}

namespace {

// Everything verify_jwt checks before the claims: algorithm, kid, signature.
// Returns the key that verified.
boost::system::result<const EcPublicKey*> check_signature(const DecodedJwt& decoded, const JwkSet& keys) {
  const auto& header = decoded.header;
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return fail(JwtStatus::alg_not_allowed);
  const auto& alg_name = alg->get_ref<const std::string&>();
  if (iequals(alg_name, "none")) return fail(JwtStatus::alg_none);
  if (alg_name != "ES256") return fail(JwtStatus::alg_not_allowed);
  // RFC 7515 section 4.1.11: extensions we don't understand make the token unusable.
  if (header.contains("crit")) return fail(JwtStatus::malformed);

  auto kid = header.find("kid");
  if (kid == header.end() || !kid->is_string()) return fail(JwtStatus::missing_kid);
  const auto* key = keys.find(kid->get_ref<const std::string&>());
  if (!key) return fail(JwtStatus::unknown_kid);

  if (!key->verify_es256(decoded.signing_input, decoded.signature)) return fail(JwtStatus::bad_signature);
  return key;
}

} // namespace

boost::system::result<void> check_jwt_claims(const nlohmann::json& header, const nlohmann::json& claims,
                                             const JwtExpectations& expect) {
  if (expect.type) {
    auto typ = header.find("typ");
    if (typ == header.end() || !typ->is_string() ||
        !iequals(strip_application(typ->get_ref<const std::string&>()), strip_application(*expect.type)))
      return fail(JwtStatus::wrong_type);
  }

  auto now = static_cast<long double>(expect.now);
  auto leeway = static_cast<long double>(expect.leeway_seconds);
  auto exp = numeric_date(claims, "exp");
  if (!exp) return fail(JwtStatus::missing_claim);
  if (*exp <= now - leeway) return fail(JwtStatus::expired);
  if (claims.contains("nbf")) {
    auto nbf = numeric_date(claims, "nbf");
    if (!nbf) return fail(JwtStatus::missing_claim);
    if (*nbf > now + leeway) return fail(JwtStatus::not_yet_valid);
  }

  if (!expect.issuers.empty()) {
    auto iss = claims.find("iss");
    if (iss == claims.end() || !iss->is_string() ||
        std::find(expect.issuers.begin(), expect.issuers.end(), iss->get_ref<const std::string&>()) ==
            expect.issuers.end())
      return fail(JwtStatus::wrong_issuer);
  }

  if (expect.audience && !audience_matches(claims, *expect.audience)) return fail(JwtStatus::wrong_audience);
  return {};
}

boost::system::result<nlohmann::json> verify_jwt(std::string_view token, const JwkSet& keys,
                                                 const JwtExpectations& expect) {
  auto decoded = decode_jwt(token);
  if (!decoded) return decoded.error();
  if (auto key = check_signature(*decoded, keys); !key) return key.error();
  if (auto checked = check_jwt_claims(decoded->header, decoded->claims, expect); !checked) return checked.error();
  return std::move(decoded->claims);
}

namespace {

// A token whose signature held; immutable once made, so a hit copies only the pointer under the lock.
struct VerifiedJwt {
  std::string kid;
  std::string key_point;
  nlohmann::json header;
  nlohmann::json claims;
  long double expires_at = 0;
};

// The key is already a SHA-256 digest: any eight of its bytes are a fine hash.
struct DigestHash {
  std::size_t operator()(const std::string& digest) const noexcept {
    std::size_t hash = 0;
    std::memcpy(&hash, digest.data(), std::min(sizeof hash, digest.size()));
    return hash;
  }
};

} // namespace

struct VerifiedJwtCache::State {
  std::size_t capacity;
  mutable std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const VerifiedJwt>, DigestHash> entries;

  void remember(std::string digest, std::shared_ptr<const VerifiedJwt> verified, std::int64_t now) {
    std::lock_guard lock(mutex);
    if (entries.size() >= capacity && !entries.contains(digest)) {
      // Expired entries first; if that frees nothing, start over rather than grow without bound.
      std::erase_if(entries, [&](const auto& entry) { return entry.second->expires_at <= static_cast<long double>(now); });
      if (entries.size() >= capacity) entries.clear();
    }
    entries.insert_or_assign(std::move(digest), std::move(verified));
  }
};

VerifiedJwtCache::VerifiedJwtCache(std::size_t capacity) : state_(std::make_unique<State>()) {
  state_->capacity = std::max<std::size_t>(capacity, 1);
}

VerifiedJwtCache::~VerifiedJwtCache() = default;

std::size_t VerifiedJwtCache::size() const {
  std::lock_guard lock(state_->mutex);
  return state_->entries.size();
}

boost::system::result<nlohmann::json> VerifiedJwtCache::verify(std::string_view token, const JwkSet& keys,
                                                               const JwtExpectations& expect) {
  auto digest = sha256(token);
  std::shared_ptr<const VerifiedJwt> seen;
  {
    std::lock_guard lock(state_->mutex);
    if (auto it = state_->entries.find(digest); it != state_->entries.end()) seen = it->second;
  }
  if (seen) {
    const auto* key = keys.find(seen->kid);
    // verify_jwt's own answer for a kid no longer in the set.
    if (!key) return fail(JwtStatus::unknown_kid);
    // A kid bound to another key since: verified afresh below, which refuses it.
    if (key->point() == seen->key_point) {
      if (auto checked = check_jwt_claims(seen->header, seen->claims, expect); !checked) return checked.error();
      return seen->claims;
    }
  }

  auto decoded = decode_jwt(token);
  if (!decoded) return decoded.error();
  auto key = check_signature(*decoded, keys);
  if (!key) return key.error();
  if (auto checked = check_jwt_claims(decoded->header, decoded->claims, expect); !checked) return checked.error();

  auto verified = std::make_shared<VerifiedJwt>();
  verified->kid = decoded->header["kid"].get<std::string>();
  verified->key_point = std::string((*key)->point());
  // check_jwt_claims refused a token without a numeric exp.
  verified->expires_at = numeric_date(decoded->claims, "exp").value_or(0);
  verified->header = std::move(decoded->header);
  verified->claims = std::move(decoded->claims);
  nlohmann::json claims = verified->claims;
  state_->remember(std::move(digest), std::move(verified), expect.now);
  return claims;
}

std::string VerifiedJwtCache::sign(const EcSigningKey& key, const nlohmann::json& claims, std::string_view typ,
                                   std::int64_t now) {
  auto signed_jwt = sign_parts(key, claims, typ);
  auto verified = std::make_shared<VerifiedJwt>();
  // Parsed from the signed text, so the claims are what decoding the token gives, byte for byte.
  verified->header = nlohmann::json::parse(signed_jwt.header_text, nullptr, false);
  verified->claims = nlohmann::json::parse(signed_jwt.claims_text, nullptr, false);
  auto expires_at = numeric_date(verified->claims, "exp");
  // verify_jwt would refuse it: not a success to remember.
  if (!expires_at) return std::move(signed_jwt.token);
  verified->kid = key.kid();
  verified->key_point = std::string(key.point());
  verified->expires_at = *expires_at;
  state_->remember(sha256(signed_jwt.token), std::move(verified), now);
  return std::move(signed_jwt.token);
}

} // namespace mcpcert
