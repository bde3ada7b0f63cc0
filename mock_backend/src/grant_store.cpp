#include "mcpcert/mock_backend/grant_store.hpp"

#include "mcpcert/mock_backend/tenant_storage.hpp"
#include "sqlite_database.hpp"

namespace mcpcert::backend {
namespace {

constexpr std::string_view grant_columns =
    "SELECT id, user_id, client_id, scope, entity, resource, created_at, revoked_at, revoked_reason FROM grants ";

Grant read_grant(const SqliteStatement& row) {
  return {row.text(0), row.text(1), row.text(2), row.text(3), row.text(4),
          row.text(5), row.time(6), row.optional_time(7), row.text(8)};
}

StoreStatus insert_access_token(SqliteSession& session, const IssuedAccessToken& access) {
  bool ok = session
                .statement("INSERT INTO access_tokens (jti, grant_id, client_id, parent_jti, expires_at, revoked_at) "
                           "VALUES (?, ?, ?, ?, ?, NULL)")
                .bind(access.jti)
                .bind(access.grant_id)
                .bind(access.client_id)
                .bind(access.parent_jti)
                .bind(access.expires_at)
                .run();
  return ok ? StoreStatus::ok : StoreStatus::failed;
}

StoreStatus insert_refresh_token(SqliteSession& session, const RefreshToken& token) {
  bool ok = session
                .statement("INSERT INTO refresh_tokens (token_hash, grant_id, client_id, scope, issued_at, expires_at, "
                           "used) VALUES (?, ?, ?, ?, ?, ?, 0)")
                .bind(token.token_hash)
                .bind(token.grant_id)
                .bind(token.client_id)
                .bind(token.scope)
                .bind(token.issued_at)
                .bind(token.expires_at)
                .run();
  return ok ? StoreStatus::ok : StoreStatus::failed;
}

/// ok while the grant stands; revoked or not_found otherwise.
StoreStatus grant_standing(SqliteSession& session, std::string_view grant_id) {
  auto query = session.statement("SELECT revoked_at IS NOT NULL FROM grants WHERE id = ?");
  query.bind(grant_id);
  switch (query.step()) {
  case SqliteStatement::Step::row: return query.integer(0) != 0 ? StoreStatus::revoked : StoreStatus::ok;
  case SqliteStatement::Step::done: return StoreStatus::not_found;
  case SqliteStatement::Step::error: break;
  }
  return StoreStatus::failed;
}

/// Within an open transaction: the grant, its refresh family and its access tokens.
StoreStatus revoke_in_transaction(SqliteSession& session, std::string_view id, std::string_view reason, TimePoint at) {
  auto standing = grant_standing(session, id);
  if (standing != StoreStatus::ok) return standing;
  bool ok = session.statement("UPDATE grants SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL")
                .bind(at)
                .bind(reason)
                .bind(id)
                .run() &&
            // Marking the family used makes every one of its tokens a replay from now on.
            session.statement("UPDATE refresh_tokens SET used = 1 WHERE grant_id = ?").bind(id).run() &&
            session.statement("UPDATE access_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL")
                .bind(at)
                .bind(id)
                .run();
  return ok ? StoreStatus::ok : StoreStatus::failed;
}

} // namespace

const char* to_string(StoreStatus status) {
  switch (status) {
  case StoreStatus::ok: return "ok";
  case StoreStatus::not_found: return "not found";
  case StoreStatus::already_used: return "already used";
  case StoreStatus::revoked: return "revoked";
  case StoreStatus::failed: return "storage failure";
  }
  return "storage failure";
}

TenantStorage open_tenant_storage(const std::filesystem::path& file, const std::string& tenant, const Clock& clock) {
  auto database = SqliteDatabase::open(file);
  return {std::make_unique<SqliteGrantStore>(database), std::make_unique<AuthEventLog>(database, tenant, clock),
          std::make_unique<IssuerStateStore>(database), std::make_unique<DirectoryStateStore>(database),
          std::make_unique<StoredLockouts>(database, LockoutKeeper::identity_provider)};
}

SqliteGrantStore::SqliteGrantStore(std::shared_ptr<SqliteDatabase> database) : database_(std::move(database)) {}

StoreStatus SqliteGrantStore::add_grant(const Grant& grant, const AuthorizationCode& code) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  bool ok = session
                .statement("INSERT INTO grants (id, user_id, client_id, scope, entity, resource, created_at, "
                           "revoked_at, revoked_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(grant.id)
                .bind(grant.user)
                .bind(grant.client_id)
                .bind(grant.scope)
                .bind(grant.entity)
                .bind(grant.resource)
                .bind(grant.created_at)
                .bind(grant.revoked_at)
                .bind(grant.revoked_reason)
                .run() &&
            session
                .statement("INSERT INTO authorization_codes (code_hash, grant_id, client_id, redirect_uri, "
                           "code_challenge, resource, scope, user_id, entity, expires_at, redeemed) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .bind(code.code_hash)
                .bind(code.grant_id)
                .bind(code.client_id)
                .bind(code.redirect_uri)
                .bind(code.code_challenge)
                .bind(code.resource)
                .bind(code.scope)
                .bind(code.user)
                .bind(code.entity)
                .bind(code.expires_at)
                .bind(std::int64_t{code.redeemed ? 1 : 0})
                .run();
  return ok && session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

std::optional<Grant> SqliteGrantStore::find_grant(std::string_view id) const {
  SqliteSession session(*database_);
  auto query = session.statement(std::string(grant_columns) + "WHERE id = ?");
  query.bind(id);
  if (query.step() != SqliteStatement::Step::row) return std::nullopt;
  return read_grant(query);
}

std::vector<Grant> SqliteGrantStore::grants(std::optional<std::string_view> user) const {
  SqliteSession session(*database_);
  auto query = user ? session.statement(std::string(grant_columns) + "WHERE user_id = ? ORDER BY rowid")
                    : session.statement(std::string(grant_columns) + "ORDER BY rowid");
  if (user) query.bind(*user);
  std::vector<Grant> out;
  while (query.step() == SqliteStatement::Step::row) out.push_back(read_grant(query));
  return out;
}

StoreStatus SqliteGrantStore::revoke_grant(std::string_view id, std::string_view reason, TimePoint at) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  auto status = revoke_in_transaction(session, id, reason, at);
  if (status != StoreStatus::ok) return status;
  return session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

std::optional<std::vector<std::string>> SqliteGrantStore::revoke_user_grants(std::string_view user,
                                                                             std::string_view reason, TimePoint at) {
  SqliteSession session(*database_);
  if (!session.begin()) return std::nullopt;
  std::vector<std::string> ids;
  {
    auto query = session.statement("SELECT id FROM grants WHERE user_id = ? AND revoked_at IS NULL ORDER BY rowid");
    query.bind(user);
    for (;;) {
      auto step = query.step();
      if (step == SqliteStatement::Step::error) return std::nullopt;
      if (step == SqliteStatement::Step::done) break;
      ids.push_back(query.text(0));
    }
  }
  for (const auto& id : ids)
    if (revoke_in_transaction(session, id, reason, at) != StoreStatus::ok) return std::nullopt;
  if (!session.commit()) return std::nullopt;
  return ids;
}

std::optional<AuthorizationCode> SqliteGrantStore::find_code(std::string_view code_hash) const {
  SqliteSession session(*database_);
  auto query = session.statement("SELECT code_hash, grant_id, client_id, redirect_uri, code_challenge, resource, "
                                 "scope, user_id, entity, expires_at, redeemed FROM authorization_codes "
                                 "WHERE code_hash = ?");
  query.bind(code_hash);
  if (query.step() != SqliteStatement::Step::row) return std::nullopt;
  return AuthorizationCode{query.text(0), query.text(1), query.text(2), query.text(3),
                           query.text(4), query.text(5), query.text(6), query.text(7),
                           query.text(8), query.time(9), query.integer(10) != 0};
}

StoreStatus SqliteGrantStore::claim_code(std::string_view code_hash) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  // The conditional UPDATE is the arbiter: only the first claim changes a row.
  if (!session.statement("UPDATE authorization_codes SET redeemed = 1 WHERE code_hash = ? AND redeemed = 0")
           .bind(code_hash)
           .run())
    return StoreStatus::failed;
  if (session.changes() == 0) {
    auto exists = session.statement("SELECT 1 FROM authorization_codes WHERE code_hash = ?");
    exists.bind(code_hash);
    auto step = exists.step();
    if (step == SqliteStatement::Step::error) return StoreStatus::failed;
    return step == SqliteStatement::Step::row ? StoreStatus::already_used : StoreStatus::not_found;
  }
  return session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

std::optional<RefreshToken> SqliteGrantStore::find_refresh_token(std::string_view token_hash) const {
  SqliteSession session(*database_);
  auto query = session.statement("SELECT token_hash, grant_id, client_id, scope, issued_at, expires_at, used, used_at "
                                 "FROM refresh_tokens WHERE token_hash = ?");
  query.bind(token_hash);
  if (query.step() != SqliteStatement::Step::row) return std::nullopt;
  return RefreshToken{query.text(0), query.text(1), query.text(2),          query.text(3),
                      query.time(4), query.time(5), query.integer(6) != 0, query.optional_time(7)};
}

StoreStatus SqliteGrantStore::issue(const IssuedAccessToken& access, const std::optional<RefreshToken>& refresh) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  auto standing = grant_standing(session, access.grant_id);
  if (standing != StoreStatus::ok) return standing;
  if (insert_access_token(session, access) != StoreStatus::ok) return StoreStatus::failed;
  if (refresh && insert_refresh_token(session, *refresh) != StoreStatus::ok) return StoreStatus::failed;
  return session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

StoreStatus SqliteGrantStore::rotate_refresh_token(std::string_view used_hash, const RefreshToken& successor,
                                                   const IssuedAccessToken& access) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  auto standing = grant_standing(session, successor.grant_id);
  if (standing != StoreStatus::ok) return standing;
  // Exactly one of concurrent rotations changes the row; the others see 0 changes.
  // The successor's issue time is when its predecessor was used: the start of any grace window.
  if (!session.statement("UPDATE refresh_tokens SET used = 1, used_at = ? WHERE token_hash = ? AND grant_id = ? AND used = 0")
           .bind(successor.issued_at)
           .bind(used_hash)
           .bind(successor.grant_id)
           .run())
    return StoreStatus::failed;
  if (session.changes() == 0) return StoreStatus::already_used;
  if (insert_refresh_token(session, successor) != StoreStatus::ok) return StoreStatus::failed;
  if (insert_access_token(session, access) != StoreStatus::ok) return StoreStatus::failed;
  return session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

std::optional<IssuedAccessToken> SqliteGrantStore::find_access_token(std::string_view jti) const {
  SqliteSession session(*database_);
  auto query = session.statement("SELECT jti, grant_id, client_id, parent_jti, expires_at, revoked_at IS NOT NULL "
                                 "FROM access_tokens WHERE jti = ?");
  query.bind(jti);
  if (query.step() != SqliteStatement::Step::row) return std::nullopt;
  return IssuedAccessToken{query.text(0), query.text(1), query.text(2),
                           query.text(3), query.time(4), query.integer(5) != 0};
}

StoreStatus SqliteGrantStore::revoke_access_token(std::string_view jti, TimePoint at) {
  SqliteSession session(*database_);
  if (!session.begin()) return StoreStatus::failed;
  if (!session.statement("UPDATE access_tokens SET revoked_at = ? WHERE jti = ? AND revoked_at IS NULL")
           .bind(at)
           .bind(jti)
           .run())
    return StoreStatus::failed;
  if (session.changes() == 0) {
    auto exists = session.statement("SELECT 1 FROM access_tokens WHERE jti = ?");
    exists.bind(jti);
    auto step = exists.step();
    if (step == SqliteStatement::Step::error) return StoreStatus::failed;
    // Its exchanged tokens went with it the first time.
    return step == SqliteStatement::Step::row ? StoreStatus::revoked : StoreStatus::not_found;
  }
  if (!session.statement("UPDATE access_tokens SET revoked_at = ? WHERE parent_jti = ? AND revoked_at IS NULL")
           .bind(at)
           .bind(jti)
           .run())
    return StoreStatus::failed;
  return session.commit() ? StoreStatus::ok : StoreStatus::failed;
}

} // namespace mcpcert::backend
