#include "mcpcert/connector/operational_log.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/config.hpp"
#include "mcpcert/encoding.hpp"

namespace mcpcert::connector {
namespace {

class OperationalLogTest : public testing::Test {
protected:
  OperationalLogTest() {
    std::filesystem::remove_all(directory_);
    config_.directory = directory_;
    config_.active_key_id = "k1";
    config_.keys.emplace("k1", AeadKey::generate());
  }
  ~OperationalLogTest() override { std::filesystem::remove_all(directory_); }

  ToolCallEntry call(std::string region, std::string user, std::int64_t at_ms) {
    ToolCallEntry entry;
    entry.request_id = "req-" + std::to_string(at_ms);
    entry.tenant = "emea-finance";
    entry.region = std::move(region);
    entry.tool = "get_kpis";
    entry.user = std::move(user);
    entry.entity = "ent-brussels";
    entry.source_ip = "127.0.0.42";
    entry.started_at_ms = at_ms;
    entry.duration_ms = 3;
    entry.outcome = "success";
    entry.arguments = R"({"period":"CANARY-ARGUMENT"})";
    return entry;
  }

  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count();
  }

  // Every byte the log keeps on disk, to look for plaintext.
  std::string stored_bytes() const {
    std::string all;
    for (const auto& file : std::filesystem::directory_iterator(directory_)) {
      std::ifstream in(file.path(), std::ios::binary);
      all += std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
    return all;
  }

  std::filesystem::path directory_ = std::filesystem::temp_directory_path() / ("oplog-test-" + std::to_string(::getpid()));
  VirtualClock clock_;
  OperationalLogConfig config_;
};

TEST_F(OperationalLogTest, KeepsEachRegionInItsOwnStoreAndReadsBack) {
  OperationalLog log(config_, clock_);
  ASSERT_EQ(log.append(call("eu-central-1", "alice", now_ms())), LogStatus::ok);
  ASSERT_EQ(log.append(call("us-east-1", "bob", now_ms())), LogStatus::ok);
  EXPECT_TRUE(std::filesystem::exists(directory_ / "eu-central-1.sqlite"));
  EXPECT_TRUE(std::filesystem::exists(directory_ / "us-east-1.sqlite"));
  const auto eu = log.export_records("eu-central-1", 0);
  ASSERT_EQ(eu.size(), 1u);
  EXPECT_EQ(eu[0]["user"], "alice");
  EXPECT_EQ(eu[0]["source_ip"], "127.0.0.42");
  EXPECT_EQ(eu[0]["tool"], "get_kpis");
  EXPECT_EQ(eu[0]["outcome"], "success");
  EXPECT_FALSE(eu[0].contains("arguments")); // not in the profile's log_fields
  EXPECT_EQ(log.export_records("", 0).size(), 2u);
}

TEST_F(OperationalLogTest, NoUserIpOrArgumentInPlaintextOnDisk) {
  config_.optional_fields.insert(OptionalLogField::arguments);
  {
    OperationalLog log(config_, clock_);
    ASSERT_EQ(log.append(call("eu-central-1", "alice-PLAINTEXT-USER", now_ms())), LogStatus::ok);
    EXPECT_EQ(log.export_records("", 0)[0]["arguments"], R"({"period":"CANARY-ARGUMENT"})");
  }
  const auto bytes = stored_bytes();
  EXPECT_EQ(bytes.find("alice-PLAINTEXT-USER"), std::string::npos);
  EXPECT_EQ(bytes.find("127.0.0.42"), std::string::npos);
  EXPECT_EQ(bytes.find("CANARY-ARGUMENT"), std::string::npos);
  EXPECT_NE(bytes.find("get_kpis"), std::string::npos); // the store is real: what is not secret is there
}

TEST_F(OperationalLogTest, SweepRemovesOnlyRecordsPastRetention) {
  OperationalLog log(config_, clock_);
  const auto retention_ms = std::chrono::duration_cast<std::chrono::milliseconds>(config_.retention).count();
  ASSERT_EQ(log.append(call("eu-central-1", "old", now_ms() - retention_ms - 1000)), LogStatus::ok);
  ASSERT_EQ(log.append(call("eu-central-1", "young", now_ms() - retention_ms + 60'000)), LogStatus::ok);
  const auto before = log.export_records("", 0);
  EXPECT_EQ(log.sweep(), 1u);
  const auto after = log.export_records("", 0);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0], before[1]); // the young record, byte for byte
  clock_.advance(std::chrono::minutes(2));
  EXPECT_EQ(log.sweep(), 1u);
  EXPECT_TRUE(log.export_records("", 0).empty());
}

TEST_F(OperationalLogTest, SurvivesARestartAndOldKeysStillOpen) {
  {
    OperationalLog log(config_, clock_);
    ASSERT_EQ(log.append(call("eu-central-1", "alice", now_ms())), LogStatus::ok);
  }
  config_.keys.emplace("k2", AeadKey::generate());
  config_.active_key_id = "k2";
  OperationalLog reopened(config_, clock_);
  ASSERT_EQ(reopened.append(call("eu-central-1", "bob", now_ms())), LogStatus::ok);
  const auto records = reopened.export_records("", 0);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["user"], "alice");
  EXPECT_EQ(records[1]["user"], "bob");
}

// ---- retention by pseudonymisation ----

class PseudonymisingLogTest : public OperationalLogTest {
protected:
  PseudonymisingLogTest() {
    config_.retention_mode = RetentionMode::pseudonymise;
    config_.pseudonym_key = std::string(32, '\x5a');
    config_.optional_fields.insert(OptionalLogField::arguments);
  }
  std::int64_t retention_ms() const { return std::chrono::duration_cast<std::chrono::milliseconds>(config_.retention).count(); }
};

TEST_F(PseudonymisingLogTest, OldRecordsKeepWhatWasDoneButNotWhoDidIt) {
  OperationalLog log(config_, clock_);
  ASSERT_EQ(log.append(call("eu-central-1", "alice", now_ms() - retention_ms() - 2000)), LogStatus::ok);
  ASSERT_EQ(log.append(call("eu-central-1", "alice", now_ms() - retention_ms() - 1000)), LogStatus::ok);
  ASSERT_EQ(log.append(call("eu-central-1", "bob", now_ms() - retention_ms() - 500)), LogStatus::ok);
  ASSERT_EQ(log.append(call("eu-central-1", "young-carol", now_ms() - retention_ms() + 60'000)), LogStatus::ok);
  const auto before = log.export_records("", 0);

  EXPECT_EQ(log.sweep(), 3u);
  const auto after = log.export_records("", 0);
  ASSERT_EQ(after.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    const auto& record = after[i];
    EXPECT_EQ(record["pseudonymised"], true);
    // What was done, to which entity, when and how it ended: kept.
    for (const char* kept : {"tool", "entity", "at_ms", "duration_ms", "outcome", "tenant", "seq"}) {
      EXPECT_EQ(record[kept], before[i][kept]) << kept;
    }
    // Who, from where, with what, and the id the client could match: gone.
    EXPECT_THAT(record["user"].get<std::string>(), testing::StartsWith("pseudonym:"));
    EXPECT_THAT(record["source_ip"].get<std::string>(), testing::StartsWith("pseudonym:"));
    EXPECT_THAT(record["arguments"].get<std::string>(), testing::StartsWith("pseudonym:"));
    EXPECT_FALSE(record.contains("request_id"));
    EXPECT_EQ(record.dump().find("alice"), std::string::npos);
    EXPECT_EQ(record.dump().find("127.0.0.42"), std::string::npos);
  }
  // The same user keeps one pseudonym, so counts per user survive; another user gets another.
  EXPECT_EQ(after[0]["user"], after[1]["user"]);
  EXPECT_NE(after[0]["user"], after[2]["user"]);
  EXPECT_NE(after[0]["user"], after[0]["source_ip"]);
  // The young record, byte for byte.
  EXPECT_EQ(after[3], before[3]);
  // On disk, nothing of the old users is left in any file.
  const auto bytes = stored_bytes();
  EXPECT_EQ(bytes.find("alice"), std::string::npos);
  EXPECT_EQ(bytes.find("CANARY-ARGUMENT"), std::string::npos);
}

TEST_F(PseudonymisingLogTest, ASecondSweepChangesNothingAndAnotherKeyGivesOtherPseudonyms) {
  {
    OperationalLog log(config_, clock_);
    ASSERT_EQ(log.append(call("eu-central-1", "alice", now_ms() - retention_ms() - 1000)), LogStatus::ok);
    EXPECT_EQ(log.sweep(), 1u);
  }
  OperationalLog reopened(config_, clock_);
  const auto once = reopened.export_records("", 0);
  EXPECT_EQ(reopened.sweep(), 0u);
  EXPECT_EQ(reopened.export_records("", 0), once);

  // Without the key the pseudonym can't be recomputed from a guessed user id.
  auto other = config_;
  other.directory = directory_ / "other";
  other.pseudonym_key = std::string(32, '\x33');
  OperationalLog elsewhere(other, clock_);
  ASSERT_EQ(elsewhere.append(call("eu-central-1", "alice", now_ms() - retention_ms() - 1000)), LogStatus::ok);
  elsewhere.sweep();
  EXPECT_NE(elsewhere.export_records("", 0)[0]["user"], once[0]["user"]);
}

TEST_F(PseudonymisingLogTest, AStoreFromBeforePseudonymisationIsMigratedAndSwept) {
  if (std::system("command -v sqlite3 >/dev/null 2>&1") != 0) GTEST_SKIP() << "needs the sqlite3 command to write an old store";
  std::filesystem::create_directories(directory_);
  // The schema as it was, without the pseudonymised column, holding one old and one young record.
  const std::string old_store =
      "CREATE TABLE records (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, at_ms INTEGER NOT NULL, "
      "tenant TEXT NOT NULL, request_id TEXT, tool TEXT, entity TEXT, duration_ms INTEGER, outcome TEXT, event TEXT, "
      "client_id TEXT, detail TEXT, key_id TEXT NOT NULL, user_sealed BLOB, ip_sealed BLOB, arguments_sealed BLOB);"
      "INSERT INTO records (kind, at_ms, tenant, tool, key_id, user_sealed) VALUES "
      "('tool_call', " + std::to_string(now_ms() - retention_ms() - 1000) + ", 't', 'get_kpis', 'plaintext', 'old-user'),"
      "('tool_call', " + std::to_string(now_ms()) + ", 't', 'get_kpis', 'plaintext', 'young-user');";
  ASSERT_EQ(std::system(("sqlite3 " + (directory_ / "eu-central-1.sqlite").string() + " \"" + old_store + "\"").c_str()), 0);

  OperationalLog log(config_, clock_);
  const auto before = log.export_records("", 0);
  ASSERT_EQ(before.size(), 2u);
  EXPECT_FALSE(before[0].contains("pseudonymised"));
  EXPECT_EQ(log.sweep(), 1u);
  const auto after = log.export_records("", 0);
  EXPECT_EQ(after[0]["pseudonymised"], true);
  EXPECT_THAT(after[0]["user"].get<std::string>(), testing::StartsWith("pseudonym:"));
  EXPECT_EQ(after[1], before[1]);
}

// ---- key rotation ----

TEST_F(OperationalLogTest, ReencryptMovesOldRecordsToTheActiveKeySoTheOldKeyCanGo) {
  config_.optional_fields.insert(OptionalLogField::arguments);
  {
    OperationalLog log(config_, clock_);
    ASSERT_EQ(log.append(call("eu-central-1", "alice", now_ms())), LogStatus::ok);
    ASSERT_EQ(log.append(call("us-east-1", "bob", now_ms())), LogStatus::ok);
  }
  config_.keys.emplace("k2", AeadKey::generate());
  config_.active_key_id = "k2";
  std::string before_dump;
  {
    OperationalLog rotated(config_, clock_);
    ASSERT_EQ(rotated.append(call("eu-central-1", "carol", now_ms())), LogStatus::ok);
    const auto before = rotated.export_records("", 0);
    before_dump = before.dump();
    const auto report = rotated.reencrypt();
    EXPECT_TRUE(report.failure.empty()) << report.failure;
    EXPECT_EQ(report.records, 2u);
    EXPECT_EQ(report.keys_in_use, std::set<std::string>{"k2"});
    EXPECT_EQ(rotated.export_records("", 0).dump(), before_dump);
    // Idempotent.
    const auto again = rotated.reencrypt();
    EXPECT_EQ(again.records, 0u);
    EXPECT_TRUE(again.failure.empty());
  }
  // With k1 removed from the ring, every record still opens.
  config_.keys.erase("k1");
  OperationalLog without_old_key(config_, clock_);
  const auto records = without_old_key.export_records("", 0);
  EXPECT_EQ(records.dump(), before_dump);
  EXPECT_EQ(records.dump().find("unreadable"), std::string::npos);
}

TEST_F(OperationalLogTest, ReencryptWithAMissingKeyChangesNothingInThatStore) {
  {
    OperationalLog log(config_, clock_);
    ASSERT_EQ(log.append(call("eu-central-1", "alice", now_ms())), LogStatus::ok);
  }
  auto lost = config_;
  lost.keys.clear();
  lost.keys.emplace("k2", AeadKey::generate());
  lost.active_key_id = "k2";
  {
    OperationalLog log(lost, clock_);
    const auto report = log.reencrypt();
    EXPECT_THAT(report.failure, testing::HasSubstr("key k1 is not in the key ring"));
    EXPECT_EQ(report.records, 0u);
  }
  // The record still names k1: put the key back and it opens.
  OperationalLog restored(config_, clock_);
  EXPECT_EQ(restored.export_records("", 0)[0]["user"], "alice");
}

TEST_F(OperationalLogTest, ReencryptRefusesAStoreARunningConnectorHolds) {
  OperationalLog running(config_, clock_);
  ASSERT_EQ(running.append(call("eu-central-1", "alice", now_ms())), LogStatus::ok);
  auto rotated = config_;
  rotated.keys.emplace("k2", AeadKey::generate());
  rotated.active_key_id = "k2";
  {
    OperationalLog maintenance(rotated, clock_);
    const auto report = maintenance.reencrypt();
    // Not "0 re-encrypted, all clean": the old key still seals that record.
    EXPECT_THAT(report.failure, testing::HasSubstr("store eu-central-1: held by another process"));
    EXPECT_EQ(report.records, 0u);
  }
  // The running connector went on undisturbed.
  EXPECT_EQ(running.append(call("eu-central-1", "bob", now_ms())), LogStatus::ok);
  EXPECT_EQ(running.export_records("", 0).size(), 2u);
}

TEST(OperationalLogKeys, RotateAddsAnActiveKeyAndKeepsTheOldOnes) {
  const auto file = std::filesystem::temp_directory_path() / ("oplog-rotate-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << R"({"active":"k1","keys":{"k1":")" + std::string(64, 'a') + "\"}}";
  const auto id = OperationalLogConfig::rotate_key_file(file);
  EXPECT_EQ(id, "k2");
  OperationalLogConfig config;
  OperationalLogConfig::load_keys(file, config);
  EXPECT_EQ(config.active_key_id, "k2");
  ASSERT_EQ(config.keys.size(), 2u);
  EXPECT_EQ(config.keys.at("k1").bytes(), std::string(32, '\xaa'));
  EXPECT_NE(config.keys.at("k2").bytes(), config.keys.at("k1").bytes());
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::others_read, std::filesystem::perms::none);
  EXPECT_EQ(OperationalLogConfig::rotate_key_file(file), "k3");
  std::filesystem::remove(file);
}

// ---- a full store ----

TEST_F(OperationalLogTest, AFullStoreRefusesTheAppendAndKeepsEveryAcknowledgedRecord) {
  config_.max_store_bytes = 64 * 1024;
  config_.optional_fields.insert(OptionalLogField::arguments);
  OperationalLog log(config_, clock_);
  auto entry = call("eu-central-1", "alice", now_ms());
  entry.arguments = std::string(2000, 'x');
  std::size_t acknowledged = 0;
  LogStatus status = LogStatus::ok;
  while (acknowledged < 1000 && (status = log.append(entry)) == LogStatus::ok) ++acknowledged;
  ASSERT_EQ(status, LogStatus::storage_failure) << "the store never filled";
  EXPECT_GT(acknowledged, 5u);
  EXPECT_EQ(log.append(entry), LogStatus::storage_failure);
  const auto records = log.export_records("", 0);
  EXPECT_EQ(records.size(), acknowledged);
  EXPECT_EQ(records.back()["user"], "alice");
  // Other regions have stores of their own.
  EXPECT_EQ(log.append(call("us-east-1", "bob", now_ms())), LogStatus::ok);
}

TEST_F(OperationalLogTest, ABatchIsOneCommitPerRegionAndKeepsItsOrder) {
  OperationalLog log(config_, clock_);
  std::vector<ToolCallEntry> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(call("eu-central-1", "alice-" + std::to_string(i), now_ms() + i));
  batch.push_back(call("us-east-1", "bob", now_ms()));
  const auto statuses = log.append(std::span<const ToolCallEntry>(batch));
  EXPECT_THAT(statuses, testing::Each(LogStatus::ok));
  ASSERT_EQ(statuses.size(), batch.size());
  EXPECT_EQ(log.tool_call_commits(), 2u);
  const auto eu = log.export_records("eu-central-1", 0);
  ASSERT_EQ(eu.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(eu[i]["user"], "alice-" + std::to_string(i));
  EXPECT_EQ(log.export_records("us-east-1", 0).size(), 1u);
}

TEST_F(OperationalLogTest, ARecordThatDoesNotFitFailsAloneAndTheRestOfItsBatchIsKept) {
  config_.max_store_bytes = 64 * 1024;
  config_.optional_fields.insert(OptionalLogField::arguments);
  OperationalLog log(config_, clock_);
  auto too_big = call("eu-central-1", "mallory", now_ms());
  too_big.arguments = std::string(256 * 1024, 'x');
  const std::vector<ToolCallEntry> batch{call("eu-central-1", "alice", now_ms()), too_big, call("eu-central-1", "carol", now_ms())};
  const auto statuses = log.append(std::span<const ToolCallEntry>(batch));
  EXPECT_THAT(statuses, testing::ElementsAre(LogStatus::ok, LogStatus::storage_failure, LogStatus::ok));
  const auto records = log.export_records("", 0);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["user"], "alice");
  EXPECT_EQ(records[1]["user"], "carol");
}

TEST(OperationalLogKeys, KeyFileErrorsNameTheField) {
  const auto file = std::filesystem::temp_directory_path() / ("oplog-keys-" + std::to_string(::getpid()) + ".json");
  auto error_of = [&](const std::string& text) {
    std::ofstream(file) << text;
    OperationalLogConfig config;
    try {
      OperationalLogConfig::load_keys(file, config);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string good_key(64, 'a');
  EXPECT_EQ(error_of(R"({"active":"k1","keys":{"k1":")" + good_key + "\"}}"), "no error");
  EXPECT_THAT(error_of(R"({"active":"k1","keys":{"k1":"abcd"}})"), testing::HasSubstr("keys.k1"));
  EXPECT_THAT(error_of(R"({"active":"k9","keys":{"k1":")" + good_key + "\"}}"), testing::HasSubstr("active"));
  std::filesystem::remove(file);
}

} // namespace
} // namespace mcpcert::connector

namespace mcpcert::connector {
namespace {

TEST(OperationalLogAuthEvents, KeepTheirRequestIdAndSealTheIp) {
  const auto directory = std::filesystem::temp_directory_path() / ("oplog-events-" + std::to_string(::getpid()));
  std::filesystem::remove_all(directory);
  VirtualClock clock;
  OperationalLogConfig config;
  config.directory = directory;
  config.active_key_id = "k1";
  config.keys.emplace("k1", AeadKey::generate());
  OperationalLog log(config, clock);
  AuthEventEntry entry;
  entry.event = "token_rejected";
  entry.request_id = "req-401";
  entry.source_ip = "127.0.0.9";
  entry.detail = "expired";
  entry.at_ms = 1;
  ASSERT_EQ(log.append(entry), LogStatus::ok);
  const auto records = log.export_records("", 0);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["store"], "unattributed");
  EXPECT_EQ(records[0]["request_id"], "req-401");
  EXPECT_EQ(records[0]["source_ip"], "127.0.0.9");
  std::filesystem::remove_all(directory);
}

} // namespace
} // namespace mcpcert::connector
