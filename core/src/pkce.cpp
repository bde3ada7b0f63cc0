#include "mcpcert/pkce.hpp"

#include <algorithm>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"

namespace mcpcert {

std::string pkce_make_verifier() { return random_token(32); }

std::string pkce_s256_challenge(std::string_view verifier) { return base64url_encode(sha256(verifier)); }

bool pkce_verifier_well_formed(std::string_view verifier) {
  if (verifier.size() < 43 || verifier.size() > 128) return false;
  return std::all_of(verifier.begin(), verifier.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
  });
}

bool pkce_s256_matches(std::string_view verifier, std::string_view challenge) {
  return constant_time_equal(pkce_s256_challenge(verifier), challenge);
}

} // namespace mcpcert
