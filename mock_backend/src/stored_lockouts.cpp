#include "mcpcert/mock_backend/stored_lockouts.hpp"

#include <limits>

#include "mcpcert/mock_backend/tenant_storage.hpp"
#include "sqlite_database.hpp"

namespace mcpcert::backend {
namespace {

struct LockoutSql {
  const char* whose;
  const char* select;
  const char* upsert;
  const char* remove;
};

// Whole statements per table, so no SQL text is ever assembled at run time.
const LockoutSql& sql_for(LockoutKeeper keeper) {
  static const LockoutSql issuer{
      "the issuer's",
      "SELECT account, consecutive_failures, last_failure, locked_until FROM failed_sign_ins",
      "INSERT OR REPLACE INTO failed_sign_ins (account, consecutive_failures, last_failure, locked_until) "
      "VALUES (?, ?, ?, ?)",
      "DELETE FROM failed_sign_ins WHERE account = ?"};
  static const LockoutSql identity_provider{
      "the identity provider's",
      "SELECT account, consecutive_failures, last_failure, locked_until FROM identity_provider_failed_sign_ins",
      "INSERT OR REPLACE INTO identity_provider_failed_sign_ins (account, consecutive_failures, last_failure, "
      "locked_until) VALUES (?, ?, ?, ?)",
      "DELETE FROM identity_provider_failed_sign_ins WHERE account = ?"};
  return keeper == LockoutKeeper::issuer ? issuer : identity_provider;
}

} // namespace

StoredLockouts::StoredLockouts(std::shared_ptr<SqliteDatabase> database, LockoutKeeper keeper)
    : database_(std::move(database)), keeper_(keeper) {}

AccountLockout::Standings StoredLockouts::standings() const {
  const auto& sql = sql_for(keeper_);
  SqliteSession session(*database_);
  auto query = session.statement(sql.select);
  AccountLockout::Standings out;
  for (;;) {
    switch (query.step()) {
    case SqliteStatement::Step::row: {
      const auto failures = query.integer(1);
      // A row this backend can't read back stops the start rather than
      // silently handing a guesser a fresh allowance.
      if (failures < 0 || failures > std::numeric_limits<int>::max())
        throw StorageError(std::string("state database: unreadable failed sign-in count of ") + sql.whose +
                           " account " + query.text(0));
      out[query.text(0)] = {static_cast<int>(failures), query.time(2), query.time(3)};
      continue;
    }
    case SqliteStatement::Step::done: return out;
    case SqliteStatement::Step::error:
      throw StorageError(std::string("state database: cannot read ") + sql.whose + " failed sign-ins");
    }
  }
}

bool StoredLockouts::save(std::string_view account, const AccountLockout::Standing& standing,
                          const std::vector<std::string>& dropped) {
  const auto& sql = sql_for(keeper_);
  SqliteSession session(*database_);
  if (!session.begin()) return false;
  for (const auto& gone : dropped)
    if (!session.statement(sql.remove).bind(gone).run()) return false;
  bool ok = session.statement(sql.upsert)
                .bind(account)
                .bind(static_cast<std::int64_t>(standing.consecutive_failures))
                .bind(standing.last_failure)
                .bind(standing.locked_until)
                .run();
  return ok && session.commit();
}

bool StoredLockouts::forget(std::string_view account) {
  SqliteSession session(*database_);
  if (!session.begin()) return false;
  bool ok = session.statement(sql_for(keeper_).remove).bind(account).run();
  return ok && session.commit();
}

} // namespace mcpcert::backend
