#include "mcpcert/connector/connector_config.hpp"

#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/config.hpp"

namespace mcpcert::connector {
namespace {

class ConnectorConfigFile : public testing::Test {
protected:
  std::string error_of(const std::string& text) {
    std::ofstream(path_) << text;
    try {
      ConnectorConfig::load(path_);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_ = std::filesystem::temp_directory_path() / ("connector-config-" + std::to_string(::getpid()) + ".json");
};

const std::string valid = R"({
  // comments are allowed
  "listen": "127.0.0.1:0",
  "client": {"id": "mcpcert-connector", "secret": "0123456789abcdef"},
  "tenants": [{"id": "t1", "region": "eu-central-1", "issuer": "http://127.0.0.1:9001/", "api": "http://127.0.0.1:9000"}]
})";

TEST_F(ConnectorConfigFile, LoadsAndDerivesIssuerEndpoints) {
  std::ofstream(path_) << valid;
  const auto config = ConnectorConfig::load(path_);
  ASSERT_EQ(config.tenants.size(), 1u);
  EXPECT_EQ(config.tenants[0].issuer, "http://127.0.0.1:9001");
  EXPECT_EQ(config.tenants[0].jwks_uri, "http://127.0.0.1:9001/jwks");
  EXPECT_EQ(config.tenants[0].token_endpoint, "http://127.0.0.1:9001/token");
  EXPECT_EQ(config.mcp_path, "/mcp");
  EXPECT_TRUE(config.mutants.empty());
}

TEST_F(ConnectorConfigFile, RefusesBadFieldsByName) {
  auto with = [&](const std::string& from, const std::string& to) {
    auto text = valid;
    text.replace(text.find(from), from.size(), to);
    return error_of(text);
  };
  EXPECT_THAT(with("127.0.0.1:0", "0.0.0.0:80"), testing::HasSubstr("listen: must be a loopback address"));
  EXPECT_THAT(with("0123456789abcdef", "short"), testing::HasSubstr("client.secret"));
  EXPECT_THAT(with("http://127.0.0.1:9000", "ftp://x"), testing::HasSubstr("tenants[0].api"));
  EXPECT_THAT(with("\"listen\"", "\"lisen\""), testing::HasSubstr("lisen"));
  EXPECT_THAT(error_of(valid.substr(0, valid.find("\"tenants\"")) + "\"tenants\": []}"),
              testing::HasSubstr("tenants: at least one tenant is required"));
  // The id is a segment of the tenant's own MCP URL.
  for (const char* id : {"a/b", "", "..", "-leading", "t 1", "t%2F1", "t?x"}) {
    EXPECT_THAT(with("\"id\": \"t1\"", std::string("\"id\": \"") + id + "\""), testing::HasSubstr("tenants[0].id: must start with"))
        << id;
  }
  EXPECT_EQ(with("\"id\": \"t1\"", "\"id\": \"Emea.Finance_2-x\""), "no error");
}

TEST_F(ConnectorConfigFile, ToolsPageSizeDefaultsToOnePageAndIsBounded) {
  std::ofstream(path_) << valid;
  EXPECT_EQ(ConnectorConfig::load(path_).tools_page_size, 100u);
  const auto with_page_size = [&](const std::string& value) {
    auto text = valid;
    text.insert(text.find("\"tenants\""), "\"tools_page_size\": " + value + ",\n  ");
    return text;
  };
  std::ofstream(path_) << with_page_size("2");
  EXPECT_EQ(ConnectorConfig::load(path_).tools_page_size, 2u);
  EXPECT_THAT(error_of(with_page_size("0")), testing::HasSubstr("tools_page_size"));
  EXPECT_THAT(error_of(with_page_size("\"ten\"")), testing::HasSubstr("tools_page_size"));
}

TEST_F(ConnectorConfigFile, LimitsHaveSafeDefaultsAndNameTheFieldThatIsWrong) {
  std::ofstream(path_) << valid;
  const auto defaults = ConnectorConfig::load(path_).limits;
  EXPECT_EQ(defaults.requests_per_user_per_minute, 0u) << "rate limits are off unless configured";
  EXPECT_EQ(defaults.sessions_per_user, 32u);
  EXPECT_EQ(defaults.streams_per_session, 4u);
  EXPECT_EQ(defaults.session_idle, std::chrono::seconds(1800));
  const auto with_limits = [&](const std::string& value) {
    auto text = valid;
    text.insert(text.find("\"tenants\""), "\"limits\": " + value + ",\n  ");
    return text;
  };
  std::ofstream(path_) << with_limits(R"({"requests_per_user_per_minute": 600, "requests_per_connection_per_minute": 1200,
                                         "sessions_per_user": 4, "streams_per_session": 2, "session_idle_seconds": 60})");
  const auto limits = ConnectorConfig::load(path_).limits;
  EXPECT_EQ(limits.requests_per_user_per_minute, 600u);
  EXPECT_EQ(limits.requests_per_connection_per_minute, 1200u);
  EXPECT_EQ(limits.sessions_per_user, 4u);
  EXPECT_EQ(limits.streams_per_session, 2u);
  EXPECT_EQ(limits.session_idle, std::chrono::seconds(60));
  EXPECT_THAT(error_of(with_limits(R"({"sessions_per_user": 0})")), testing::HasSubstr("sessions_per_user"));
  EXPECT_THAT(error_of(with_limits(R"({"session_idle_seconds": 1})")), testing::HasSubstr("session_idle_seconds"));
  EXPECT_THAT(error_of(with_limits(R"({"requests_per_minute": 5})")), testing::HasSubstr("requests_per_minute"));
  EXPECT_THAT(error_of(with_limits("[]")), testing::HasSubstr("limits"));
}

TEST_F(ConnectorConfigFile, SseHeartbeatIsMillisecondsOfRealTimeOrNone) {
  std::ofstream(path_) << valid;
  EXPECT_EQ(ConnectorConfig::load(path_).sse_heartbeat, std::chrono::milliseconds(15'000));
  const auto with_heartbeat = [&](const std::string& value) {
    auto text = valid;
    text.insert(text.find("\"tenants\""), "\"sse_heartbeat_ms\": " + value + ",\n  ");
    return text;
  };
  std::ofstream(path_) << with_heartbeat("0");
  EXPECT_EQ(ConnectorConfig::load(path_).sse_heartbeat.count(), 0);
  EXPECT_THAT(error_of(with_heartbeat("5")), testing::HasSubstr("sse_heartbeat_ms: must be 0 (none) or at least 10"));
  EXPECT_THAT(error_of(with_heartbeat("-1")), testing::HasSubstr("sse_heartbeat_ms"));
  EXPECT_THAT(error_of(with_heartbeat("900000")), testing::HasSubstr("sse_heartbeat_ms"));
}

TEST_F(ConnectorConfigFile, LogRetentionModeAndItsKeysAreCheckedByName) {
  const auto directory = std::filesystem::temp_directory_path() / ("connector-config-log-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  const auto keys = directory / "keys.json";
  const auto pseudonym_key = directory / "pseudonym.key";
  std::ofstream(keys) << R"({"active":"k1","keys":{"k1":")" + std::string(64, 'a') + "\"}}";
  std::ofstream(pseudonym_key) << std::string(64, 'b') << "\n";
  const auto with_log = [&](const std::string& fields) {
    auto text = valid;
    text.insert(text.find("\"tenants\""), R"("log": {"dir": ")" + (directory / "store").string() + R"(", )" + fields + "},\n  ");
    return text;
  };
  const std::string key_file = R"("key_file": ")" + keys.string() + "\"";
  const std::string pseudonym_file = R"("pseudonym_key_file": ")" + pseudonym_key.string() + "\"";

  std::ofstream(path_) << with_log(key_file);
  auto config = ConnectorConfig::load(path_);
  EXPECT_EQ(config.log->retention_mode, RetentionMode::delete_records);
  EXPECT_EQ(config.log->max_store_bytes, 0);

  std::ofstream(path_) << with_log(key_file + R"(, "retention_mode": "pseudonymise", )" + pseudonym_file +
                                   R"(, "max_store_bytes": 1048576)");
  config = ConnectorConfig::load(path_);
  EXPECT_EQ(config.log->retention_mode, RetentionMode::pseudonymise);
  EXPECT_EQ(config.log->pseudonym_key, std::string(32, '\xbb'));
  EXPECT_EQ(config.log->max_store_bytes, 1048576);

  // Both secrets may come from the environment instead.
  ::setenv("MCPCERT_TEST_LOG_KEYS", (R"({"active":"e1","keys":{"e1":")" + std::string(64, 'c') + "\"}}").c_str(), 1);
  ::setenv("MCPCERT_TEST_PSEUDONYM_KEY", std::string(64, 'd').c_str(), 1);
  std::ofstream(path_) << with_log(R"("key_env": "MCPCERT_TEST_LOG_KEYS", "retention_mode": "pseudonymise", )"
                                   R"("pseudonym_key_env": "MCPCERT_TEST_PSEUDONYM_KEY")");
  config = ConnectorConfig::load(path_);
  EXPECT_EQ(config.log->active_key_id, "e1");
  EXPECT_EQ(config.log->pseudonym_key, std::string(32, '\xdd'));

  EXPECT_THAT(error_of(with_log(key_file + R"(, "retention_mode": "anonymise")")), testing::HasSubstr("log.retention_mode"));
  EXPECT_THAT(error_of(with_log(key_file + R"(, "retention_mode": "pseudonymise")")), testing::HasSubstr("log.pseudonym_key_file"));
  EXPECT_THAT(error_of(with_log(key_file + ", " + pseudonym_file)), testing::HasSubstr("log.retention_mode"));
  EXPECT_THAT(error_of(with_log(R"("retention_mode": "delete")")), testing::HasSubstr("log.key_file"));
  EXPECT_THAT(error_of(with_log(R"("key_env": "MCPCERT_TEST_UNSET_VARIABLE")")), testing::HasSubstr("log.key_env"));
  EXPECT_THAT(error_of(with_log(key_file + R"(, "max_store_bytes": 100)")), testing::HasSubstr("log.max_store_bytes"));
  std::ofstream(pseudonym_key) << std::string(64, 'a');
  EXPECT_THAT(error_of(with_log(key_file + R"(, "retention_mode": "pseudonymise", )" + pseudonym_file)),
              testing::HasSubstr("must differ from the encryption key"));
  std::ofstream(pseudonym_key) << "short";
  EXPECT_THAT(error_of(with_log(key_file + R"(, "retention_mode": "pseudonymise", )" + pseudonym_file)),
              testing::HasSubstr("log.pseudonym_key_file: must hold 64 hex"));
  ::unsetenv("MCPCERT_TEST_LOG_KEYS");
  ::unsetenv("MCPCERT_TEST_PSEUDONYM_KEY");
  std::filesystem::remove_all(directory);
}

TEST(Mutants, OnlyKnownNames) {
  EXPECT_EQ(mutant_from_name("permission-cache"), Mutant::permission_cache);
  EXPECT_FALSE(mutant_from_name("everything"));
  EXPECT_STREQ(to_string(Mutant::permission_cache), "permission-cache");
}

} // namespace
} // namespace mcpcert::connector
