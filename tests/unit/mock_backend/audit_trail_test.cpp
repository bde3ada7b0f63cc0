#include "mcpcert/mock_backend/audit_trail.hpp"

#include <gtest/gtest.h>

namespace mcpcert::backend {
namespace {

AuditRecord record(std::string tenant, Listener listener, std::string subject) {
  AuditRecord out;
  out.tenant = std::move(tenant);
  out.region = "eu-central-1";
  out.listener = listener;
  out.method = "GET";
  out.path = "/api/v1/entities/ent-brussels/kpis";
  out.facts.subject = std::move(subject);
  out.status = 200;
  return out;
}

TEST(AuditTrail, SequenceIsStrictlyIncreasingAcrossTenants) {
  AuditTrail trail;
  EXPECT_EQ(trail.append(record("a", Listener::api, "alice")), 1u);
  EXPECT_EQ(trail.append(record("b", Listener::api, "alice")), 2u);
  EXPECT_EQ(trail.append(record("a", Listener::issuer, "")), 3u);
  EXPECT_EQ(trail.last_seq(), 3u);
}

TEST(AuditTrail, FiltersByTenantListenerSubjectAndSeq) {
  AuditTrail trail;
  trail.append(record("a", Listener::api, "alice"));
  trail.append(record("b", Listener::api, "alice"));
  trail.append(record("a", Listener::issuer, "alice"));
  trail.append(record("a", Listener::api, "bob"));
  trail.append(record("a", Listener::api, "alice"));

  AuditFilter filter;
  filter.tenant = "a";
  EXPECT_EQ(trail.select(filter).size(), 4u);
  filter.listener = Listener::api;
  EXPECT_EQ(trail.select(filter).size(), 3u);
  filter.subject = "alice";
  auto selected = trail.select(filter);
  ASSERT_EQ(selected.size(), 2u);
  EXPECT_EQ(selected[0].seq, 1u);
  EXPECT_EQ(selected[1].seq, 5u);
  filter.since_seq = 1;
  selected = trail.select(filter);
  ASSERT_EQ(selected.size(), 1u);
  EXPECT_EQ(selected[0].seq, 5u);
}

TEST(AuditTrail, CapacityDropsTheOldest) {
  AuditTrail trail(2);
  trail.append(record("a", Listener::api, "alice"));
  trail.append(record("a", Listener::api, "alice"));
  trail.append(record("a", Listener::api, "alice"));
  auto all = trail.select({});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].seq, 2u);
  EXPECT_EQ(trail.last_seq(), 3u);
}

TEST(AuditTrail, JsonLeavesOutWhatIsUnknown) {
  auto json = to_json(record("a", Listener::issuer, ""));
  for (const char* field : {"seq", "time", "region", "tenant", "listener", "method", "path", "status", "response_bytes"})
    EXPECT_TRUE(json.contains(field)) << field;
  for (const char* field : {"subject", "actor", "token_id", "client_id"}) EXPECT_FALSE(json.contains(field)) << field;
  EXPECT_EQ(to_json(record("a", Listener::api, "alice"))["subject"], "alice");
  EXPECT_EQ(json["listener"], "issuer");
  EXPECT_EQ(json["time"], "1970-01-01T00:00:00.000Z");
}

} // namespace
} // namespace mcpcert::backend
