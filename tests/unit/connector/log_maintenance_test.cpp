// A log-key rotation as an operator runs it, on the files a deployment has:
// rotate, restart, re-encrypt, delete the old key, and every record still reads.
#include "mcpcert/connector/log_maintenance.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/clock.hpp"
#include "mcpcert/connector/operational_log.hpp"

namespace mcpcert::connector {
namespace {

using nlohmann::json;

class LogMaintenanceTest : public testing::Test {
protected:
  LogMaintenanceTest() {
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    std::ofstream(directory_ / "keys.json") << R"({"active":"k1","keys":{"k1":")" + std::string(64, 'a') + "\"}}";
    std::ofstream(config_file_) << R"({"listen": "127.0.0.1:0",
      "client": {"id": "mcpcert-connector", "secret": "0123456789abcdef"},
      "tenants": [{"id": "t1", "region": "eu-central-1", "issuer": "http://127.0.0.1:9001", "api": "http://127.0.0.1:9000"}],
      "log": {"dir": "store", "key_file": "keys.json", "fields": ["arguments"]}})";
  }
  ~LogMaintenanceTest() override { std::filesystem::remove_all(directory_); }

  // What a connector started now would log.
  void log_call(const std::string& user) {
    const auto config = ConnectorConfig::load(config_file_);
    OperationalLog log(*config.log, clock_);
    ToolCallEntry entry;
    entry.region = "eu-central-1";
    entry.tenant = "t1";
    entry.tool = "get_kpis";
    entry.user = user;
    entry.source_ip = "127.0.0.7";
    entry.arguments = R"({"period":"2026-Q2"})";
    entry.started_at_ms = 1;
    ASSERT_EQ(log.append(entry), LogStatus::ok);
  }

  json exported() {
    const auto config = ConnectorConfig::load(config_file_);
    OperationalLog log(*config.log, clock_);
    return log.export_records("", 0);
  }

  int run(LogMaintenance task, std::string& out) {
    std::ostringstream out_stream, err_stream;
    const int status = run_log_maintenance(task, ConnectorConfig::load(config_file_), out_stream, err_stream);
    out = out_stream.str() + err_stream.str();
    return status;
  }

  std::filesystem::path directory_ = std::filesystem::temp_directory_path() / ("log-maintenance-" + std::to_string(::getpid()));
  std::filesystem::path config_file_ = directory_ / "connector.json";
  SystemClock clock_;
};

TEST_F(LogMaintenanceTest, RotateRestartReencryptThenTheOldKeyCanGo) {
  log_call("alice");
  std::string out;
  ASSERT_EQ(run(LogMaintenance::rotate_key, out), 0) << out;
  EXPECT_EQ(json::parse(out)["active"], "k2");
  // After the restart, new records use k2; alice's is still read with k1.
  log_call("bob");
  const auto before = exported();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0]["user"], "alice");

  ASSERT_EQ(run(LogMaintenance::reencrypt, out), 0) << out;
  EXPECT_EQ(json::parse(out)["reencrypted"], 1);
  EXPECT_EQ(json::parse(out)["keys_in_use"], json::array({"k2"}));
  ASSERT_EQ(run(LogMaintenance::reencrypt, out), 0) << out;
  EXPECT_EQ(json::parse(out)["reencrypted"], 0);

  // The operator deletes k1 from the key file.
  auto ring = json::parse(std::ifstream(directory_ / "keys.json"));
  ring["keys"].erase("k1");
  std::ofstream(directory_ / "keys.json") << ring.dump();
  EXPECT_EQ(exported(), before);
}

TEST_F(LogMaintenanceTest, ReencryptWithoutTheOldKeyFailsAndSaysWhich) {
  log_call("alice");
  std::ofstream(directory_ / "keys.json") << R"({"active":"k2","keys":{"k2":")" + std::string(64, 'b') + "\"}}";
  std::string out;
  EXPECT_EQ(run(LogMaintenance::reencrypt, out), 1);
  EXPECT_THAT(out, testing::HasSubstr("key k1 is not in the key ring"));
}

TEST_F(LogMaintenanceTest, KeysFromTheEnvironmentAreNotRotatedHere) {
  ::setenv("MCPCERT_TEST_MAINTENANCE_KEYS", (R"({"active":"k1","keys":{"k1":")" + std::string(64, 'a') + "\"}}").c_str(), 1);
  std::ofstream(config_file_) << R"({"listen": "127.0.0.1:0",
    "client": {"id": "mcpcert-connector", "secret": "0123456789abcdef"},
    "tenants": [{"id": "t1", "region": "eu-central-1", "issuer": "http://127.0.0.1:9001", "api": "http://127.0.0.1:9000"}],
    "log": {"dir": "store", "key_env": "MCPCERT_TEST_MAINTENANCE_KEYS"}})";
  std::string out;
  EXPECT_EQ(run(LogMaintenance::rotate_key, out), 2);
  EXPECT_THAT(out, testing::HasSubstr("key_env"));
  ::unsetenv("MCPCERT_TEST_MAINTENANCE_KEYS");
}

} // namespace
} // namespace mcpcert::connector
