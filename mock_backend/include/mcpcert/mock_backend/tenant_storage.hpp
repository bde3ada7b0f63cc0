#pragma once
/// Where a tenant keeps what must outlive a response: its grants and tokens,
/// its auth event log, its signing keys and run-time clients, the users' standing
/// as the control plane left it, in one SQLite database.

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "mcpcert/clock.hpp"
#include "mcpcert/mock_backend/auth_event_log.hpp"
#include "mcpcert/mock_backend/directory_state_store.hpp"
#include "mcpcert/mock_backend/grant_store.hpp"
#include "mcpcert/mock_backend/issuer_state_store.hpp"
#include "mcpcert/mock_backend/stored_lockouts.hpp"

namespace mcpcert::backend {

/// The state database could not be opened or set up; thrown at start-up only.
class StorageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct TenantStorage {
  std::unique_ptr<GrantStore> grants;
  std::unique_ptr<AuthEventLog> events;
  std::unique_ptr<IssuerStateStore> issuer_state;
  std::unique_ptr<DirectoryStateStore> directory_state;
  /// For the tenant's identity provider, which lives beside the tenant, not in it.
  std::unique_ptr<StoredLockouts> identity_provider_lockouts;
};

/// Opens (creating) `file`; an empty path gives a private in-memory database,
/// still driven through SQL, gone at exit. Throws StorageError.
TenantStorage open_tenant_storage(const std::filesystem::path& file, const std::string& tenant, const Clock& clock);

} // namespace mcpcert::backend
