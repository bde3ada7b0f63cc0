#include <chrono>

#include <gtest/gtest.h>

#include "mcpcert/mock_backend/permission_oracle.hpp"
#include "mcpcert/mock_backend/tenant_fixture.hpp"
#include "mcpcert/mock_backend/tenant_generator.hpp"

namespace mcpcert::backend {
namespace {

TEST(TenantGenerator, SameSeedSameTenantOtherSeedAnother) {
  GeneratedTenantSpec spec{"t", 50, 10, 7};
  EXPECT_EQ(generate_tenant_fixture(spec), generate_tenant_fixture(spec));
  auto other = spec;
  other.seed = 8;
  EXPECT_NE(generate_tenant_fixture(spec), generate_tenant_fixture(other));
}

TEST(TenantGenerator, TenThousandUsersAndAThousandApplicationsLoadAsAFixture) {
  auto document = generate_tenant_fixture({"generated-planning", 10'000, 1'000, 42});
  auto fixture = parse_tenant_fixture(document, "generated");
  EXPECT_EQ(fixture.directory.users().size(), 10'000u);
  EXPECT_EQ(fixture.planning.applications().size(), 1'000u);
  // Every branch of the model is present: each role, and some of each share scope.
  std::set<std::string> roles;
  for (const auto* user : fixture.directory.users()) roles.insert(user->roles.front().role);
  EXPECT_EQ(roles, (std::set<std::string>{"admin", "analyst", "editor", "viewer"}));
  std::set<ShareScope> scopes;
  for (const auto* app : fixture.planning.applications())
    for (const auto& share : app->shares) scopes.insert(share.scope);
  EXPECT_EQ(scopes.size(), 4u);
  PermissionOracle oracle(fixture.directory, fixture.planning);
  EXPECT_FALSE(oracle.visible_applications("user-000001", "ws-main").empty() &&
               oracle.visible_applications("user-000002", "ws-main").empty());
}

TEST(TenantGenerator, RefusesImpossibleCounts) {
  EXPECT_THROW(generate_tenant_fixture({"t", 0, 1, 1}), std::invalid_argument);
  EXPECT_THROW(generate_tenant_fixture({"t", 1, 0, 1}), std::invalid_argument);
}

} // namespace
} // namespace mcpcert::backend
