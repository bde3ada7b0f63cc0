#include "mcpcert/mock_client/token_forgery.hpp"

#include "mcpcert/encoding.hpp"

namespace mcpcert::client {

std::optional<std::string> forge_token(const std::string& token, const std::string& tamper, const nlohmann::json& claims) {
  const auto first_dot = token.find('.');
  if (first_dot == std::string::npos) return std::nullopt;
  const auto second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string::npos || token.find('.', second_dot + 1) != std::string::npos) return std::nullopt;
  std::string header = token.substr(0, first_dot);
  std::string payload = token.substr(first_dot + 1, second_dot - first_dot - 1);
  std::string signature = token.substr(second_dot + 1);
  if (claims.is_object() && !claims.empty()) {
    auto decoded = base64url_decode(payload);
    if (!decoded) return std::nullopt;
    auto body = nlohmann::json::parse(*decoded, nullptr, false);
    if (!body.is_object()) return std::nullopt;
    for (const auto& [name, value] : claims.items()) {
      if (value.is_null()) body.erase(name);
      else body[name] = value;
    }
    payload = base64url_encode(body.dump());
  }
  if (tamper == "alg_none") {
    header = base64url_encode(R"({"alg":"none","typ":"at+jwt"})");
    signature.clear();
  } else if (tamper == "signature" && !signature.empty()) {
    // The first character carries the signature's top bits; the last one may
    // only carry padding bits a lenient decoder ignores.
    signature[0] = signature[0] == 'A' ? 'B' : 'A';
  }
  return header + "." + payload + "." + signature;
}

} // namespace mcpcert::client
