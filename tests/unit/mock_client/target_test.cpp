#include "mcpcert/mock_client/target.hpp"

#include <unistd.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/mock_client/scenario.hpp"
#include "mcpcert/mock_client/world.hpp"

namespace mcpcert::client {
namespace {

using testing::HasSubstr;

class TargetFile : public testing::Test {
protected:
  std::filesystem::path write(const std::string& text) {
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "target.yaml") << text;
    return dir_ / "target.yaml";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string error_of(const std::string& text) {
    try {
      load_target(write(text));
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "no error";
  }

  // Every tenant a world hosts, on ports of its own.
  const std::string backend = [] {
    std::string text = "backend:\n  control: 127.0.0.1:47100\n  key_refetch_seconds: 2\n  tenants:\n";
    int port = 47101;
    for (const auto& hosted : hosted_tenants()) {
      text += "    " + hosted.id + ": {api: 127.0.0.1:" + std::to_string(port) + ", issuer: 127.0.0.1:" + std::to_string(port + 1) + "}\n";
      port += 2;
    }
    return text;
  }();
  const std::string head = "target: vendor\nmcp_url: https://127.0.0.1:47200/mcp\n"
                           "registration: {client_id: vendor-connector, client_secret: 0123456789abcdef0123}\n";
  std::filesystem::path dir_ = std::filesystem::temp_directory_path() / ("target-test-" + std::to_string(::getpid()));
};

TEST_F(TargetFile, ReadsWhatTheConnectorOffersAndWithholds) {
  const auto target = load_target(write(head + "control: {url: 'http://127.0.0.1:47300', secret: control-secret-0123456}\n"
                                               "capabilities: {virtual_clock: true, log_export: false, storage_dir: state}\n" + backend));
  EXPECT_EQ(target.name, "vendor");
  EXPECT_EQ(target.client_id, "vendor-connector");
  EXPECT_EQ(target.backend.control_listen, "127.0.0.1:47100");
  EXPECT_EQ(target.backend.tenants.at("us-finance").issuer, "127.0.0.1:47104");
  EXPECT_EQ(target.backend.tenants.size(), hosted_tenants().size());
  EXPECT_EQ(target.backend.key_refetch_seconds, 2);
  EXPECT_TRUE(target.offers("virtual_clock"));
  EXPECT_FALSE(target.offers("log_export"));
  EXPECT_TRUE(target.offers("storage_dir"));
  EXPECT_EQ(target.storage_dir, (dir_ / "state").string()) << "relative to the target file";
  EXPECT_FALSE(target.offers("restart_command"));
  EXPECT_EQ(target.sha256.size(), 64u);
}

TEST_F(TargetFile, RefusesWhatTheWorldCannotUseNamingLineAndField) {
  EXPECT_THAT(error_of(head + "capabilities: {virtual_clock: true}\n" + backend),
              HasSubstr(":4: target.capabilities.virtual_clock: is offered through the connector's control plane"));
  EXPECT_THAT(error_of("target: v\nmcp_url: nowhere\nregistration: {client_id: c, client_secret: 0123456789abcdef0123}\n" + backend +
                       "capabilities: {}\n"),
              HasSubstr(":2: target.mcp_url: must be an absolute http(s) URL"));
  auto missing_tenant = backend;
  missing_tenant.erase(missing_tenant.find("    us-finance"), missing_tenant.find("    customer") - missing_tenant.find("    us-finance"));
  EXPECT_THAT(error_of(head + missing_tenant + "capabilities: {}\n"), HasSubstr("target.backend.tenants.us-finance: missing"));
  auto port_zero = backend;
  port_zero.replace(port_zero.find("47100"), 5, "0");
  EXPECT_THAT(error_of(head + "capabilities: {}\n" + port_zero), HasSubstr(":6: target.backend.control: needs a fixed port"));
  EXPECT_THAT(error_of(head + backend + "capabilities: {time_travel: true}\n"), HasSubstr("target.capabilities.time_travel: unknown field"));
}

Scenario scenario_with(std::vector<ScenarioStep> steps, std::vector<std::string> declared = {}) {
  Scenario scenario;
  scenario.steps = std::move(steps);
  scenario.requires_capabilities = std::move(declared);
  return scenario;
}

TEST(CapabilitiesNeeded, AreInferredFromStepsAndDeclarations) {
  const auto needs = capabilities_needed(scenario_with({{"authorize", 3, {}},
                                                        {"advance_clock", 4, {}},
                                                        {"assert_log", 5, {}},
                                                        {"scan_storage", 6, {{"target", "backend_state"}}},
                                                        {"scan_storage", 7, {{"target", "connector_log"}}},
                                                        {"advance_clock", 8, {}}},
                                                       {"restart_command"}));
  ASSERT_EQ(needs.size(), 4u);
  EXPECT_EQ(needs[0].capability, "restart_command");
  EXPECT_EQ(needs[1].capability, "virtual_clock");
  EXPECT_EQ(needs[1].why, "advance_clock at line 4");
  EXPECT_EQ(needs[2].capability, "log_export");
  EXPECT_EQ(needs[3].capability, "storage_dir");
  EXPECT_EQ(needs[3].why, "scan_storage at line 7");
  EXPECT_TRUE(capabilities_needed(scenario_with({{"scan_storage", 3, {{"target", "backend_state"}}}})).empty());
}

} // namespace
} // namespace mcpcert::client
