#pragma once
/// What the authorization server must keep across restarts besides grants:
/// its signing keys (so tokens it issued still verify), the clients
/// registered at run time (RFC 7591 and the control API), each user's
/// newest one-time-code step accepted (so a code used just before a restart
/// can't be used again after it), the accounts' failed sign-ins (so a
/// restart neither ends a lockout nor grants fresh guesses) and the browser
/// sessions (so a restart signs nobody out, and a session ended stays
/// ended), in the tenant's SQLite database. Fixture clients are not stored: the fixture has them.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/mock_backend/client_registry.hpp"
#include "mcpcert/mock_backend/grant_store.hpp"
#include "mcpcert/mock_backend/stored_lockouts.hpp"

namespace mcpcert::backend {

struct StoredSigningKey {
  std::string kid;
  nlohmann::json private_jwk;
  TimePoint created_at;
  std::optional<TimePoint> published_until; ///< set once a newer key replaced it
};

/// A browser's signed-in session at the issuer, known by the SHA-256 digest
/// (hex) of its cookie: the cookie itself is never stored.
struct StoredBrowserSession {
  std::string user;
  TimePoint expires_at;
};

/// A key leaving signing duty: published until `until`, then gone from the JWKS.
struct RetiredKey {
  std::string kid;
  TimePoint until;
};

class SqliteDatabase;

/// Thread-safe; every write is durable when it returns ok (or true).
class IssuerStateStore {
public:
  explicit IssuerStateStore(std::shared_ptr<SqliteDatabase> database);

  /// Oldest first. Throws StorageError: read at start-up only.
  std::vector<StoredSigningKey> signing_keys() const;
  /// Adds `key` and, in the same transaction, retires the key it replaces.
  StoreStatus add_signing_key(const StoredSigningKey& key, const std::optional<RetiredKey>& retired);

  /// Throws StorageError: read at start-up only.
  std::vector<OAuthClient> clients() const;
  /// Adds the client or replaces the one of the same id. Only the secret's digest is kept.
  StoreStatus save_client(const OAuthClient& client, TimePoint registered_at);

  /// Per user, the newest TOTP step accepted. Throws StorageError: read at start-up only.
  std::map<std::string, std::uint64_t, std::less<>> spent_totp_steps() const;
  /// Records that `user`'s codes of `step` and older are spent.
  StoreStatus spend_totp_step(std::string_view user, std::uint64_t step);

  /// By cookie digest. Throws StorageError: read at start-up only.
  std::map<std::string, StoredBrowserSession, std::less<>> browser_sessions() const;
  StoreStatus save_browser_session(std::string_view digest, const StoredBrowserSession& session);
  StoreStatus end_browser_session(std::string_view digest);
  /// Every session of `user` (rotated credentials, suspension).
  StoreStatus end_browser_sessions_of(std::string_view user);
  /// Sessions that expired before `moment`; nobody can use them any more.
  StoreStatus drop_browser_sessions_expired_before(TimePoint moment);

  /// The journal of the issuer's lockout (`failed_sign_ins`).
  StoredLockouts& lockouts() { return lockouts_; }

private:
  std::shared_ptr<SqliteDatabase> database_;
  StoredLockouts lockouts_;
};

} // namespace mcpcert::backend
