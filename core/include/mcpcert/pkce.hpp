#pragma once
/// Proof Key for Code Exchange (RFC 7636), S256 only on our side.

#include <string>
#include <string_view>

namespace mcpcert {

/// A fresh 43-character verifier from 32 random bytes (RFC 7636 section 4.1).
std::string pkce_make_verifier();
/// BASE64URL(SHA256(verifier)).
std::string pkce_s256_challenge(std::string_view verifier);
/// 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
bool pkce_verifier_well_formed(std::string_view verifier);
/// Compares the challenge computed from `verifier` with `challenge` in constant time.
bool pkce_s256_matches(std::string_view verifier, std::string_view challenge);

} // namespace mcpcert
