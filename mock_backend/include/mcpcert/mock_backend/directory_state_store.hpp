#pragma once
/// The users' standing as the control plane left it (suspension, roles and
/// MCP Access per entity, department, teams), in the tenant's SQLite
/// database: an administrator's change outlives a restart of the backend,
/// as it would at the vendor. Users the control plane never touched are not
/// stored: the fixture has them.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mcpcert/mock_backend/grant_store.hpp"
#include "mcpcert/mock_backend/tenant_directory.hpp"

namespace mcpcert::backend {

class SqliteDatabase;

/// Thread-safe; a save is durable when it returns ok.
class DirectoryStateStore {
public:
  explicit DirectoryStateStore(std::shared_ptr<SqliteDatabase> database);

  /// In the order first saved. Throws StorageError: read at start-up only.
  std::vector<std::pair<std::string, UserStanding>> standings() const;
  /// Adds the user's standing or replaces the one saved before.
  StoreStatus save(const std::string& user, const UserStanding& standing, TimePoint changed_at);

private:
  std::shared_ptr<SqliteDatabase> database_;
};

} // namespace mcpcert::backend
