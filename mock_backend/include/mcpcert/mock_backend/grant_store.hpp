#pragma once
/// Consent grants and the credentials derived from them. Storage sits behind
/// GrantStore; SqliteGrantStore keeps it in the tenant's SQLite database.
/// Only hashes of codes and refresh tokens are ever stored.
///
/// Every operation that can race another request (redeeming a code, rotating
/// a refresh token, issuing tokens for a grant being revoked) is one call, so
/// the store can make it one transaction: of two concurrent refreshes with
/// one token exactly one wins, whichever threads they run on.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpcert/clock.hpp"

namespace mcpcert::backend {

/// A user's recorded consent for one client, scope, entity and resource. Its
/// refresh tokens form one family: reuse of any of them revokes the grant.
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

struct RefreshToken {
  std::string token_hash;
  std::string grant_id; ///< also the family
  std::string client_id;
  std::string scope;
  TimePoint issued_at;
  TimePoint expires_at;
  bool used = false;
  /// When it was rotated; unset for a token never used, or made used by its family's revocation.
  std::optional<TimePoint> used_at;
};

/// An access token this issuer signed, so a revoked grant also kills its unexpired JWTs.
struct IssuedAccessToken {
  std::string jti;
  std::string grant_id;
  std::string client_id;
  std::string parent_jti; ///< the subject token of an exchanged token; empty otherwise
  TimePoint expires_at;
  bool revoked = false;
};

/// What a store operation came to.
enum class StoreStatus {
  ok,
  not_found,
  already_used, ///< the code was redeemed or the refresh token rotated before: a replay
  revoked,      ///< the grant was (or already had been) revoked
  failed,       ///< the database refused; nothing changed
};

const char* to_string(StoreStatus status);

class GrantStore {
public:
  virtual ~GrantStore() = default;

  /// Records consent together with the code that redeems it.
  virtual StoreStatus add_grant(const Grant& grant, const AuthorizationCode& code) = 0;
  virtual std::optional<Grant> find_grant(std::string_view id) const = 0;
  /// All grants, or only `user`'s, oldest first.
  virtual std::vector<Grant> grants(std::optional<std::string_view> user) const = 0;
  /// Revokes the grant with its refresh family and its access tokens. ok when
  /// this call revoked it; revoked when it already was (the first revocation's
  /// time and reason are kept).
  virtual StoreStatus revoke_grant(std::string_view id, std::string_view reason, TimePoint at) = 0;
  /// Revokes every standing grant of `user` at once; the ids revoked, or
  /// nullopt when the database refused.
  virtual std::optional<std::vector<std::string>> revoke_user_grants(std::string_view user, std::string_view reason,
                                                                     TimePoint at) = 0;

  virtual std::optional<AuthorizationCode> find_code(std::string_view code_hash) const = 0;
  /// Marks the code redeemed: ok for exactly one caller, already_used for any later one.
  virtual StoreStatus claim_code(std::string_view code_hash) = 0;

  virtual std::optional<RefreshToken> find_refresh_token(std::string_view token_hash) const = 0;
  /// Stores the tokens of a grant, unless it was revoked meanwhile (revoked).
  virtual StoreStatus issue(const IssuedAccessToken& access, const std::optional<RefreshToken>& refresh) = 0;
  /// One rotation as one transaction: claims `used_hash` (ok for exactly one of
  /// concurrent callers, already_used for the others) and stores its
  /// successor and the new access token. revoked, claiming nothing, when the
  /// grant was revoked meanwhile.
  virtual StoreStatus rotate_refresh_token(std::string_view used_hash, const RefreshToken& successor,
                                           const IssuedAccessToken& access) = 0;

  virtual std::optional<IssuedAccessToken> find_access_token(std::string_view jti) const = 0;
  /// Revokes the token and the tokens exchanged from it. ok when this call
  /// revoked it; revoked when it already was.
  virtual StoreStatus revoke_access_token(std::string_view jti, TimePoint at) = 0;
};

class SqliteDatabase;

/// The grant store of one tenant in its SQLite database. Thread-safe: each
/// call is one transaction on a connection used by one thread at a time, and
/// each write is durable when the call returns.
class SqliteGrantStore final : public GrantStore {
public:
  explicit SqliteGrantStore(std::shared_ptr<SqliteDatabase> database);

  StoreStatus add_grant(const Grant& grant, const AuthorizationCode& code) override;
  std::optional<Grant> find_grant(std::string_view id) const override;
  std::vector<Grant> grants(std::optional<std::string_view> user) const override;
  StoreStatus revoke_grant(std::string_view id, std::string_view reason, TimePoint at) override;
  std::optional<std::vector<std::string>> revoke_user_grants(std::string_view user, std::string_view reason,
                                                             TimePoint at) override;

  std::optional<AuthorizationCode> find_code(std::string_view code_hash) const override;
  StoreStatus claim_code(std::string_view code_hash) override;

  std::optional<RefreshToken> find_refresh_token(std::string_view token_hash) const override;
  StoreStatus issue(const IssuedAccessToken& access, const std::optional<RefreshToken>& refresh) override;
  StoreStatus rotate_refresh_token(std::string_view used_hash, const RefreshToken& successor,
                                   const IssuedAccessToken& access) override;

  std::optional<IssuedAccessToken> find_access_token(std::string_view jti) const override;
  StoreStatus revoke_access_token(std::string_view jti, TimePoint at) override;

private:
  std::shared_ptr<SqliteDatabase> database_;
};

} // namespace mcpcert::backend
