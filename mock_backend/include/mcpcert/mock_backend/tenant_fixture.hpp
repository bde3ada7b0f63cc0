#pragma once
/// The seed data of one tenant (organisation, finance or planning data, OAuth
/// clients), read strictly: an unknown field or a dangling reference refuses start-up.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_backend/client_registry.hpp"
#include "mcpcert/mock_backend/finance_ledger.hpp"
#include "mcpcert/mock_backend/identity_provider.hpp"
#include "mcpcert/mock_backend/planning_workspace.hpp"
#include "mcpcert/mock_backend/tenant_directory.hpp"

namespace mcpcert::backend {

/// A fixture user's password as written in the fixture. Only the simulation
/// control plane keeps these, so the harness can sign in as test users; the
/// directory itself holds salted hashes only.
struct FixtureCredential {
  std::string user;
  std::string password;
  std::string totp_secret; ///< base32 as the fixture writes it; empty without a second factor
  std::string sso_subject;  ///< the linked account at the identity provider; empty without one
  std::string sso_password; ///< that account's password at the identity provider
};

/// Which product the tenant plays; it sets the scopes a client gets by default.
enum class TenantDomain { finance, planning };
const char* to_string(TenantDomain domain);

struct TenantFixture {
  TenantDomain domain = TenantDomain::finance;
  TenantDirectory directory;
  FinanceLedger ledger;
  PlanningWorkspace planning;
  ClientRegistry clients;
  std::vector<FixtureCredential> credentials;
  /// The second issuer the tenant's sign-in page offers (single sign-on); none by default.
  std::optional<IdentityProviderSpec> identity_provider{};
};

/// Throws ConfigError naming the file and field.
TenantFixture load_tenant_fixture(const std::filesystem::path& file);
/// `file` only names the source in error messages.
TenantFixture parse_tenant_fixture(const nlohmann::json& document, const std::string& file);

} // namespace mcpcert::backend
