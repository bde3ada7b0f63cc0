#pragma once
/// Signed JWTs (RFC 7519) with ES256 only: signing for the authorization
/// server, verification for the connector and the backend. The algorithm is
/// pinned per key; `none` and anything but ES256 is refused.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>
#include <nlohmann/json.hpp>

#include "mcpcert/crypto.hpp"

namespace mcpcert {

/// Why a token was refused: one value per failure, so verdicts and logs can name it.
enum class JwtStatus {
  ok = 0,
  malformed,         ///< not three base64url parts of JSON objects
  alg_none,          ///< `alg: none` (unsigned)
  alg_not_allowed,   ///< any algorithm other than the key's pinned ES256
  missing_kid,
  unknown_kid,
  bad_signature,
  wrong_type,        ///< `typ` is not the expected one (e.g. at+jwt, RFC 9068)
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  missing_claim,     ///< exp, iat, sub or another required claim absent or ill-typed
};

const char* to_string(JwtStatus status);
const boost::system::error_category& jwt_category();
boost::system::error_code make_error_code(JwtStatus status);

/// A JWS compact token split into its parts; nothing verified yet.
struct DecodedJwt {
  nlohmann::json header;
  nlohmann::json claims;
  std::string signing_input; ///< "<b64 header>.<b64 payload>"
  std::string signature;     ///< raw bytes
};

boost::system::result<DecodedJwt> decode_jwt(std::string_view token);

/// Signs `claims` with `key`; the header gets alg ES256, the key's kid and `typ`.
std::string sign_jwt(const EcSigningKey& key, const nlohmann::json& claims, std::string_view typ = "JWT");

/// Verification keys by kid.
class JwkSet {
public:
  /// Loads every EC P-256 key of a JWKS document (`{"keys":[...]}`); others are ignored.
  static JwkSet from_json(const nlohmann::json& jwks);
  void add(std::string kid, EcPublicKey key);
  const EcPublicKey* find(std::string_view kid) const;
  std::size_t size() const { return keys_.size(); }

private:
  std::map<std::string, EcPublicKey, std::less<>> keys_;
};

/// What the verifier demands beyond a good signature.
struct JwtExpectations {
  std::optional<std::string> type;      ///< required `typ` header, e.g. "at+jwt"
  std::vector<std::string> issuers;     ///< `iss` must be one of these (empty: not checked)
  std::optional<std::string> audience;  ///< must equal `aud` or be one of its elements
  std::int64_t now = 0;                 ///< unix seconds
  std::int64_t leeway_seconds = 0;      ///< tolerance on exp / nbf
};

/// Checks signature, algorithm, typ, exp, nbf, iss and aud in that order.
/// Returns the claims on success.
boost::system::result<nlohmann::json> verify_jwt(std::string_view token, const JwkSet& keys,
                                                 const JwtExpectations& expect);

/// What verify_jwt checks once the signature holds: typ (in `header`), exp,
/// nbf, iss and aud, in that order, against `expect`.
boost::system::result<void> check_jwt_claims(const nlohmann::json& header, const nlohmann::json& claims,
                                             const JwtExpectations& expect);

/// verify_jwt that remembers tokens it verified, so a token presented again
/// skips decoding and the signature check (the costly part), never the claim
/// checks: each call re-runs check_jwt_claims with the caller's `expect`.
/// A remembered token counts only while `keys` still holds its kid with the
/// very key (same public point) that verified it, so a kid dropped or bound
/// to another key after a rotation needs no clearing by the owner. Only
/// successes (and tokens signed through `sign`) are remembered, by the
/// SHA-256 of the token's text; when `capacity` is reached, expired entries
/// go, and if none had, all. Thread-safe.
class VerifiedJwtCache {
public:
  explicit VerifiedJwtCache(std::size_t capacity = 4096);
  ~VerifiedJwtCache();
  VerifiedJwtCache(const VerifiedJwtCache&) = delete;
  VerifiedJwtCache& operator=(const VerifiedJwtCache&) = delete;

  /// Exactly what verify_jwt(token, keys, expect) returns.
  boost::system::result<nlohmann::json> verify(std::string_view token, const JwkSet& keys,
                                               const JwtExpectations& expect);
  /// sign_jwt, and the token remembered as verified under `key`'s kid and
  /// point: an issuer's token skips the signature check from its first use.
  /// `now` (unix seconds) only decides which entries are expired when full.
  std::string sign(const EcSigningKey& key, const nlohmann::json& claims, std::string_view typ, std::int64_t now);
  std::size_t size() const;

private:
  struct State;
  std::unique_ptr<State> state_;
};

} // namespace mcpcert

template <> struct boost::system::is_error_code_enum<mcpcert::JwtStatus> : std::true_type {};
