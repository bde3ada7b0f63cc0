#include "mcpcert/mock_backend/tenant_directory.hpp"

#include <gtest/gtest.h>

#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

TenantDirectory directory() { return parse_tenant_fixture(test_world::test_fixture(), "test-fixture").directory; }

TEST(TenantDirectory, RolesGrantReadWriteAndAdministerInOrder) {
  auto dir = directory();
  EXPECT_TRUE(dir.allows("alice", "ent-brussels", Permission::read));
  EXPECT_TRUE(dir.allows("alice", "ent-brussels", Permission::write));
  EXPECT_FALSE(dir.allows("alice", "ent-brussels", Permission::administer));
  EXPECT_TRUE(dir.allows("bob", "ent-brussels", Permission::read));
  EXPECT_FALSE(dir.allows("bob", "ent-brussels", Permission::write));
  EXPECT_TRUE(dir.allows("carol", "ent-lyon", Permission::administer));
}

TEST(TenantDirectory, NoRoleMeansNoAccess) {
  auto dir = directory();
  EXPECT_FALSE(dir.allows("bob", "ent-lyon", Permission::read));
  EXPECT_FALSE(dir.allows("carol", "ent-brussels", Permission::read));
  EXPECT_FALSE(dir.allows("nobody", "ent-brussels", Permission::read));
  EXPECT_FALSE(dir.allows("alice", "ent-unknown", Permission::read));
}

TEST(TenantDirectory, SuspendedUserMayDoNothing) {
  auto dir = directory();
  EXPECT_FALSE(dir.allows("dave", "ent-lyon", Permission::read));
  EXPECT_FALSE(dir.has_mcp_access("dave", "ent-lyon"));
  EXPECT_FALSE(dir.is_active("dave"));
}

TEST(TenantDirectory, PasswordsAreCheckedAgainstSaltedHashes) {
  auto dir = directory();
  EXPECT_TRUE(dir.verify_password("alice", "alice-pw"));
  EXPECT_FALSE(dir.verify_password("alice", "bob-pw"));
  EXPECT_FALSE(dir.verify_password("nobody", "alice-pw"));
  const User* alice = dir.find_user("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->password_hash.find("alice-pw"), std::string::npos);
  EXPECT_NE(alice->password_salt, dir.find_user("bob")->password_salt);
}

TEST(TenantDirectory, McpAccessIsPerEntityAndSwitchable) {
  auto dir = directory();
  EXPECT_TRUE(dir.has_mcp_access("alice", "ent-brussels"));
  EXPECT_FALSE(dir.has_mcp_access("carol", "ent-lyon"));
  EXPECT_EQ(dir.set_mcp_access("alice", "ent-brussels", false), DirectoryChange::changed);
  EXPECT_FALSE(dir.has_mcp_access("alice", "ent-brussels"));
  EXPECT_TRUE(dir.has_mcp_access("alice", "ent-lyon"));
  // Removing MCP Access leaves the role alone: the UI still works.
  EXPECT_TRUE(dir.allows("alice", "ent-brussels", Permission::write));
  EXPECT_EQ(dir.set_mcp_access("alice", "ent-brussels", false), DirectoryChange::unchanged);
}

TEST(TenantDirectory, DirectoryChangeReportsWhyNothingHappened) {
  auto dir = directory();
  EXPECT_EQ(dir.set_mcp_access("nobody", "ent-lyon", true), DirectoryChange::unknown_user);
  EXPECT_EQ(dir.set_mcp_access("bob", "ent-nowhere", true), DirectoryChange::unknown_entity);
  EXPECT_EQ(dir.set_mcp_access("bob", "ent-lyon", true), DirectoryChange::no_role);
  EXPECT_FALSE(dir.has_mcp_access("bob", "ent-lyon"));
}

} // namespace
} // namespace mcpcert::backend
