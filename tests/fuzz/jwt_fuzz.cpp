// JWTs as the connector and the backend receive them in Authorization
// headers, and JWK sets as a verifier fetches them from an issuer.
// Input starting with '{' is a JWKS document; anything else is a token,
// verified against a fixed key (kid "fuzz-key") so the corpus can hold
// tokens whose signature is good and that fail only later checks.

#include <cstdlib>

#include "fuzz_input.hpp"
#include "mcpcert/jwt.hpp"

namespace {

using namespace mcpcert;

// A published test key (RFC 7515 appendix A.3), so checked-in tokens signed
// with it stay valid.
const JwkSet& fixed_keys() {
  static const JwkSet keys = [] {
    const auto jwk = nlohmann::json{{"kty", "EC"},
                                    {"crv", "P-256"},
                                    {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                                    {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}};
    JwkSet set;
    set.add("fuzz-key", *EcPublicKey::from_jwk(jwk));
    return set;
  }();
  return keys;
}

void fuzz_jwks(std::string_view text) {
  const auto document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded()) return;
  const auto set = JwkSet::from_json(document);
  if (document.is_object() && document.contains("keys") && document["keys"].is_array()) {
    for (const auto& jwk : document["keys"]) (void)EcPublicKey::from_jwk(jwk);
  }
  // A signature never verifies under a key from nowhere, whatever the set holds.
  JwtExpectations expect;
  (void)verify_jwt("eyJhbGciOiJFUzI1NiJ9.e30.AAAA", set, expect);
}

void fuzz_token(std::string_view token) {
  if (auto decoded = decode_jwt(token)) {
    if (!decoded->header.is_object() || !decoded->claims.is_object()) std::abort();
  }
  JwtExpectations expect;
  expect.type = "at+jwt";
  expect.issuers = {"https://issuer.test"};
  expect.audience = "https://connector.test/mcp";
  expect.now = 1'700'000'000;
  expect.leeway_seconds = 30;
  auto verified = verify_jwt(token, fixed_keys(), expect);
  if (verified && !verified->is_object()) std::abort();
  // The same token with nothing but the signature demanded.
  (void)verify_jwt(token, fixed_keys(), JwtExpectations{});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_text(data, size);
  if (!text.empty() && text.front() == '{') {
    fuzz_jwks(text);
  } else {
    fuzz_token(text);
  }
  return 0;
}
