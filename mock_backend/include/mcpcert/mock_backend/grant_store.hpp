#pragma once
/// Consent grants and the credentials derived from them. Storage sits behind
/// GrantStore so a durable (SQLite) store can replace the in-memory one; only
/// hashes of codes and refresh tokens are ever stored.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpcert/clock.hpp"

namespace mcpcert::backend {

/// A user's recorded consent for one client, scope, entity and resource.
struct Grant {
  std::string id;
  std::string user;
  std::string client_id;
  std::string scope;
  std::string entity;
  std::string resource;
  TimePoint created_at;
  std::optional<TimePoint> revoked_at;
  std::string revoked_reason;

  bool revoked() const { return revoked_at.has_value(); }
};

struct AuthorizationCode {
  std::string code_hash;
  std::string grant_id;
  std::string client_id;
  std::string redirect_uri;
  std::string code_challenge;
  std::string resource;
  std::string scope;
  std::string user;
  std::string entity;
  TimePoint expires_at;
  bool redeemed = false;
};

/// Every refresh token of a grant belongs to the grant's family: reuse of one revokes all.
struct RefreshToken {
  std::string token_hash;
  std::string grant_id;
  std::string client_id;
  std::string scope;
  TimePoint expires_at;
  bool used = false;
};

/// An access token this issuer signed, so a revoked grant also kills its unexpired JWTs.
struct IssuedAccessToken {
  std::string jti;
  std::string grant_id;
  TimePoint expires_at;
  bool revoked = false;
};

class GrantStore {
public:
  virtual ~GrantStore() = default;

  virtual void add_grant(Grant grant) = 0;
  virtual std::optional<Grant> find_grant(std::string_view id) const = 0;
  /// All grants, or only `user`'s, oldest first.
  virtual std::vector<Grant> grants(std::optional<std::string_view> user) const = 0;
  /// Idempotent: the first revocation's time and reason are kept.
  virtual void revoke_grant(std::string_view id, std::string_view reason, TimePoint at) = 0;

  virtual void add_code(AuthorizationCode code) = 0;
  virtual std::optional<AuthorizationCode> find_code(std::string_view code_hash) const = 0;
  /// Marks the code redeemed; false when it already was (or is unknown), so
  /// exactly one of two concurrent redemptions wins.
  virtual bool claim_code(std::string_view code_hash) = 0;

  virtual void add_refresh_token(RefreshToken token) = 0;
  virtual std::optional<RefreshToken> find_refresh_token(std::string_view token_hash) const = 0;
  /// Marks the token used; false when it already was (or is unknown).
  virtual bool claim_refresh_token(std::string_view token_hash) = 0;

  virtual void add_access_token(IssuedAccessToken token) = 0;
  virtual std::optional<IssuedAccessToken> find_access_token(std::string_view jti) const = 0;
};

/// Holds everything in maps; expired records are kept (they are small and a
/// simulation run is short), which also lets reuse be told apart from forgery.
class InMemoryGrantStore final : public GrantStore {
public:
  void add_grant(Grant grant) override;
  std::optional<Grant> find_grant(std::string_view id) const override;
  std::vector<Grant> grants(std::optional<std::string_view> user) const override;
  void revoke_grant(std::string_view id, std::string_view reason, TimePoint at) override;

  void add_code(AuthorizationCode code) override;
  std::optional<AuthorizationCode> find_code(std::string_view code_hash) const override;
  bool claim_code(std::string_view code_hash) override;

  void add_refresh_token(RefreshToken token) override;
  std::optional<RefreshToken> find_refresh_token(std::string_view token_hash) const override;
  bool claim_refresh_token(std::string_view token_hash) override;

  void add_access_token(IssuedAccessToken token) override;
  std::optional<IssuedAccessToken> find_access_token(std::string_view jti) const override;

private:
  std::vector<Grant> grants_; // creation order is the listing order
  std::map<std::string, AuthorizationCode, std::less<>> codes_;
  std::map<std::string, RefreshToken, std::less<>> refresh_tokens_;
  std::map<std::string, IssuedAccessToken, std::less<>> access_tokens_;
};

} // namespace mcpcert::backend
