#include "mcpcert/connector/connector_config.hpp"

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

TEST(Mutants, OnlyKnownNames) {
  EXPECT_EQ(mutant_from_name("permission-cache"), Mutant::permission_cache);
  EXPECT_FALSE(mutant_from_name("everything"));
  EXPECT_STREQ(to_string(Mutant::permission_cache), "permission-cache");
}

} // namespace
} // namespace mcpcert::connector
