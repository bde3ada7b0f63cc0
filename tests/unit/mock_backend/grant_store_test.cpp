#include "mcpcert/mock_backend/grant_store.hpp"

#include <latch>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "mcpcert/mock_backend/tenant_storage.hpp"
#include "state_directory.hpp"

namespace mcpcert::backend {
namespace {

using namespace std::chrono_literals;

using test_world::edit_state_file;
using test_world::StateDirectory;

struct Fixture {
  explicit Fixture(const std::filesystem::path& file = {}) : storage(open_tenant_storage(file, "t", clock)) {}
  GrantStore& store() { return *storage.grants; }

  /// A standing grant of `user` with its code and one refresh token "rt-<grant>".
  Grant add(const std::string& id, const std::string& user = "alice") {
    auto now = clock.now();
    Grant grant{id, user, "client", "finance:read", "ent", "http://127.0.0.1:1/mcp", now, std::nullopt, {}};
    AuthorizationCode code{"code-" + id, id, "client", "http://127.0.0.1/cb", "challenge", grant.resource,
                           grant.scope, user, "ent", now + 60s, false};
    EXPECT_EQ(store().add_grant(grant, code), StoreStatus::ok);
    EXPECT_EQ(store().issue(access("at-" + id, id), refresh("rt-" + id, id)), StoreStatus::ok);
    return grant;
  }
  RefreshToken refresh(const std::string& hash, const std::string& grant) {
    return {hash, grant, "client", "finance:read", clock.now(), clock.now() + 3600s, false, std::nullopt};
  }
  IssuedAccessToken access(const std::string& jti, const std::string& grant, const std::string& parent = {}) {
    return {jti, grant, "client", parent, clock.now() + 3600s, false};
  }

  VirtualClock clock;
  TenantStorage storage;
};

void ten_threads_rotate_one_token(Fixture& world) {
  world.add("g1");
  std::latch start(10);
  std::vector<StoreStatus> outcomes(10);
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      auto n = std::to_string(i);
      start.arrive_and_wait();
      outcomes[static_cast<std::size_t>(i)] =
          world.store().rotate_refresh_token("rt-g1", world.refresh("rt-next-" + n, "g1"), world.access("at-" + n, "g1"));
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), StoreStatus::ok), 1);
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), StoreStatus::already_used), 9);
  // Only the winner's successor exists.
  int successors = 0;
  for (int i = 0; i < 10; ++i) successors += world.store().find_refresh_token("rt-next-" + std::to_string(i)) ? 1 : 0;
  EXPECT_EQ(successors, 1);
}

TEST(SqliteGrantStore, TenThreadsRotatingOneTokenInMemoryExactlyOneWins) {
  Fixture world;
  ten_threads_rotate_one_token(world);
}

TEST(SqliteGrantStore, TenThreadsRotatingOneTokenOnDiskExactlyOneWins) {
  StateDirectory dir;
  Fixture world(dir.file("t.sqlite"));
  ten_threads_rotate_one_token(world);
}

TEST(SqliteGrantStore, ACodeIsClaimedExactlyOnceAcrossThreads) {
  Fixture world;
  world.add("g1");
  std::latch start(8);
  std::vector<StoreStatus> outcomes(8);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      outcomes[i] = world.store().claim_code("code-g1");
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), StoreStatus::ok), 1);
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), StoreStatus::already_used), 7);
  EXPECT_EQ(world.store().claim_code("no-such-code"), StoreStatus::not_found);
  EXPECT_TRUE(world.store().find_code("code-g1")->redeemed);
}

TEST(SqliteGrantStore, RevokingAGrantTakesItsFamilyAndAccessTokens) {
  Fixture world;
  world.add("g1");
  world.add("g2");
  EXPECT_EQ(world.store().revoke_grant("g1", "test", world.clock.now()), StoreStatus::ok);
  EXPECT_EQ(world.store().revoke_grant("g1", "again", world.clock.now()), StoreStatus::revoked);
  EXPECT_EQ(world.store().revoke_grant("nope", "test", world.clock.now()), StoreStatus::not_found);
  auto grant = world.store().find_grant("g1");
  ASSERT_TRUE(grant);
  EXPECT_TRUE(grant->revoked());
  EXPECT_EQ(grant->revoked_reason, "test");
  EXPECT_TRUE(world.store().find_refresh_token("rt-g1")->used);
  EXPECT_TRUE(world.store().find_access_token("at-g1")->revoked);
  EXPECT_FALSE(world.store().find_access_token("at-g2")->revoked);
  // Nothing new for a revoked grant, by issue or by rotation.
  EXPECT_EQ(world.store().issue(world.access("late", "g1"), std::nullopt), StoreStatus::revoked);
  EXPECT_EQ(world.store().rotate_refresh_token("rt-g1", world.refresh("rt-x", "g1"), world.access("at-x", "g1")),
            StoreStatus::revoked);
  EXPECT_FALSE(world.store().find_access_token("late"));
}

TEST(SqliteGrantStore, RevokingAUsersGrantsSparesOthers) {
  Fixture world;
  world.add("g1", "alice");
  world.add("g2", "alice");
  world.add("g3", "bob");
  ASSERT_EQ(world.store().revoke_grant("g2", "earlier", world.clock.now()), StoreStatus::ok);
  auto revoked = world.store().revoke_user_grants("alice", "credentials rotated", world.clock.now());
  ASSERT_TRUE(revoked);
  EXPECT_EQ(*revoked, std::vector<std::string>{"g1"});
  EXPECT_EQ(world.store().find_grant("g2")->revoked_reason, "earlier");
  EXPECT_FALSE(world.store().find_grant("g3")->revoked());
  auto listed = world.store().grants(std::string_view("alice"));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, "g1"); // oldest first
  EXPECT_EQ(world.store().grants(std::nullopt).size(), 3u);
}

TEST(SqliteGrantStore, RevokingAnAccessTokenTakesTheTokensExchangedFromIt) {
  Fixture world;
  world.add("g1");
  ASSERT_EQ(world.store().issue(world.access("exchanged", "g1", "at-g1"), std::nullopt), StoreStatus::ok);
  EXPECT_EQ(world.store().revoke_access_token("at-g1", world.clock.now()), StoreStatus::ok);
  EXPECT_TRUE(world.store().find_access_token("exchanged")->revoked);
  EXPECT_EQ(world.store().revoke_access_token("at-g1", world.clock.now()), StoreStatus::revoked);
  EXPECT_EQ(world.store().revoke_access_token("unknown", world.clock.now()), StoreStatus::not_found);
  EXPECT_FALSE(world.store().find_grant("g1")->revoked());
}

TEST(SqliteGrantStore, TimesRoundTripExactly) {
  Fixture world;
  auto grant = world.add("g1");
  EXPECT_EQ(world.store().find_grant("g1")->created_at, grant.created_at);
  EXPECT_EQ(world.store().find_code("code-g1")->expires_at, grant.created_at + 60s);
}

TEST(SqliteGrantStore, StateSurvivesReopeningTheFile) {
  StateDirectory dir;
  {
    Fixture world(dir.file("t.sqlite"));
    world.add("g1");
    world.storage.events->append(AuthEventKind::sign_in, "alice", "client", "entity ent");
  }
  Fixture reopened(dir.file("t.sqlite"));
  EXPECT_TRUE(reopened.store().find_grant("g1"));
  EXPECT_TRUE(reopened.store().find_refresh_token("rt-g1"));
  auto events = reopened.storage.events->since(0, 10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, AuthEventKind::sign_in);
  EXPECT_EQ(events[0].tenant, "t");
  // Sequence numbers go on where they stopped.
  EXPECT_EQ(reopened.storage.events->append(AuthEventKind::refresh, "alice", "client", ""), 2u);
}

TEST(SqliteGrantStore, ARotationRecordsWhenTheTokenWasUsed) {
  Fixture world;
  world.add("g1");
  EXPECT_FALSE(world.store().find_refresh_token("rt-g1")->used_at);
  world.clock.advance(5s);
  auto successor = world.refresh("rt-next", "g1");
  ASSERT_EQ(world.store().rotate_refresh_token("rt-g1", successor, world.access("at-next", "g1")), StoreStatus::ok);
  auto used = world.store().find_refresh_token("rt-g1");
  ASSERT_TRUE(used && used->used_at);
  EXPECT_EQ(*used->used_at, successor.issued_at); // where a grace window starts
}

TEST(SqliteGrantStore, MigratesADatabaseOfSchemaVersionOne) {
  StateDirectory dir;
  auto file = dir.file("t.sqlite");
  // The refresh_tokens table as version 1 had it, without used_at.
  ASSERT_TRUE(edit_state_file(file,
                              "CREATE TABLE refresh_tokens (token_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, "
                              "client_id TEXT NOT NULL, scope TEXT NOT NULL, issued_at INTEGER NOT NULL, "
                              "expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0); PRAGMA user_version=1;"));
  Fixture migrated(file);
  migrated.add("g1");
  ASSERT_EQ(migrated.store().rotate_refresh_token("rt-g1", migrated.refresh("rt-next", "g1"), migrated.access("at-next", "g1")),
            StoreStatus::ok);
  EXPECT_TRUE(migrated.store().find_refresh_token("rt-g1")->used_at);
}

TEST(SqliteGrantStore, RefusesADatabaseFromANewerBackend) {
  StateDirectory dir;
  auto file = dir.file("t.sqlite");
  ASSERT_TRUE(edit_state_file(file, "PRAGMA user_version=99"));
  VirtualClock clock;
  EXPECT_THROW(open_tenant_storage(file, "t", clock), StorageError);
  EXPECT_THROW(open_tenant_storage(dir.file("missing-dir/t.sqlite"), "t", clock), StorageError);
}

TEST(AuthEventLog, PagesBySeqAndKeepsEveryField) {
  Fixture world;
  auto& log = *world.storage.events;
  EXPECT_EQ(log.append(AuthEventKind::sign_in_failure, "mallory", "client", "wrong password"), 1u);
  EXPECT_EQ(log.append(AuthEventKind::sign_in, "alice", "client", "entity ent"), 2u);
  EXPECT_EQ(log.append(AuthEventKind::token_error, "", "", "invalid_request: no grant_type"), 3u);
  auto page = log.since(1, 1);
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].seq, 2u);
  auto json = to_json(page[0]);
  EXPECT_EQ(json["event"], "sign_in");
  EXPECT_EQ(json["user"], "alice");
  EXPECT_EQ(json["client"], "client");
  EXPECT_EQ(json["tenant"], "t");
  EXPECT_EQ(json["detail"], "entity ent");
  EXPECT_TRUE(json["time"].get<std::string>().ends_with("Z"));
  EXPECT_EQ(log.since(3, 10).size(), 0u);
  EXPECT_EQ(log.since(0, 10)[2].user, "");
}

TEST(AuthEventLog, KindNamesRoundTrip) {
  for (auto kind : {AuthEventKind::sign_in, AuthEventKind::sign_in_failure, AuthEventKind::consent,
                    AuthEventKind::token_issue, AuthEventKind::refresh, AuthEventKind::reuse_detected,
                    AuthEventKind::revocation, AuthEventKind::token_exchange_refused, AuthEventKind::token_error,
                    AuthEventKind::sign_out, AuthEventKind::expiry})
    EXPECT_EQ(parse_auth_event_kind(to_string(kind)), kind);
  EXPECT_FALSE(parse_auth_event_kind("log_out"));
}

} // namespace
} // namespace mcpcert::backend
