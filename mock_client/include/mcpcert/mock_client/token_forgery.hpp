#pragma once
/// Forged access tokens for resource-server checks: the issuer will never
/// mint a token for another audience or user, nor an unsigned one, so the
/// harness derives them from a real token and expects them refused.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace mcpcert::client {

/// `token` (a compact JWS) with `claims` merged into its payload (a null
/// value removes a claim) and then: "alg_none" re-encodes the header as
/// {"alg":"none","typ":"at+jwt"} with an empty signature; "signature" changes
/// the signature's first character; "none" keeps the original signature, so
/// any claim change is a forgery too. nullopt when `token` is not a JWS.
std::optional<std::string> forge_token(const std::string& token, const std::string& tamper, const nlohmann::json& claims);

} // namespace mcpcert::client
