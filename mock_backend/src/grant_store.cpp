#include "mcpcert/mock_backend/grant_store.hpp"

namespace mcpcert::backend {

void InMemoryGrantStore::add_grant(Grant grant) { grants_.push_back(std::move(grant)); }

std::optional<Grant> InMemoryGrantStore::find_grant(std::string_view id) const {
  for (const auto& grant : grants_)
    if (grant.id == id) return grant;
  return std::nullopt;
}

std::vector<Grant> InMemoryGrantStore::grants(std::optional<std::string_view> user) const {
  std::vector<Grant> out;
  for (const auto& grant : grants_)
    if (!user || grant.user == *user) out.push_back(grant);
  return out;
}

void InMemoryGrantStore::revoke_grant(std::string_view id, std::string_view reason, TimePoint at) {
  for (auto& grant : grants_) {
    if (grant.id != id || grant.revoked()) continue;
    grant.revoked_at = at;
    grant.revoked_reason = std::string(reason);
  }
}

void InMemoryGrantStore::add_code(AuthorizationCode code) {
  auto key = code.code_hash;
  codes_.insert_or_assign(std::move(key), std::move(code));
}

std::optional<AuthorizationCode> InMemoryGrantStore::find_code(std::string_view code_hash) const {
  auto it = codes_.find(code_hash);
  if (it == codes_.end()) return std::nullopt;
  return it->second;
}

bool InMemoryGrantStore::claim_code(std::string_view code_hash) {
  auto it = codes_.find(code_hash);
  if (it == codes_.end() || it->second.redeemed) return false;
  it->second.redeemed = true;
  return true;
}

void InMemoryGrantStore::add_refresh_token(RefreshToken token) {
  auto key = token.token_hash;
  refresh_tokens_.insert_or_assign(std::move(key), std::move(token));
}

std::optional<RefreshToken> InMemoryGrantStore::find_refresh_token(std::string_view token_hash) const {
  auto it = refresh_tokens_.find(token_hash);
  if (it == refresh_tokens_.end()) return std::nullopt;
  return it->second;
}

bool InMemoryGrantStore::claim_refresh_token(std::string_view token_hash) {
  auto it = refresh_tokens_.find(token_hash);
  if (it == refresh_tokens_.end() || it->second.used) return false;
  it->second.used = true;
  return true;
}

void InMemoryGrantStore::add_access_token(IssuedAccessToken token) {
  auto key = token.jti;
  access_tokens_.insert_or_assign(std::move(key), std::move(token));
}

std::optional<IssuedAccessToken> InMemoryGrantStore::find_access_token(std::string_view jti) const {
  auto it = access_tokens_.find(jti);
  if (it == access_tokens_.end()) return std::nullopt;
  return it->second;
}

} // namespace mcpcert::backend
