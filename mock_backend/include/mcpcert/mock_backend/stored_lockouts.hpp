#pragma once
/// A lockout's journal in the tenant's SQLite database: each account's
/// consecutive failed sign-ins and running lockout, kept as they change, so
/// a restart neither ends a lockout nor gives a guesser a fresh allowance.
/// The tenant's issuer and its identity provider each keep their own (their
/// accounts are different people who may share a name).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mcpcert/mock_backend/account_lockout.hpp"

namespace mcpcert::backend {

class SqliteDatabase;

/// Whose accounts: the table each keeps them in.
enum class LockoutKeeper { issuer, identity_provider };

/// Thread-safe; a write is durable when it returns true.
class StoredLockouts final : public AccountLockout::Journal {
public:
  StoredLockouts(std::shared_ptr<SqliteDatabase> database, LockoutKeeper keeper);

  /// What was kept, for the lockout's start. Throws StorageError (an
  /// unreadable count stops the start): read at start-up only.
  AccountLockout::Standings standings() const;

  bool save(std::string_view account, const AccountLockout::Standing& standing,
            const std::vector<std::string>& dropped) override;
  bool forget(std::string_view account) override;

private:
  std::shared_ptr<SqliteDatabase> database_;
  LockoutKeeper keeper_;
};

} // namespace mcpcert::backend
