// A world's servers listen on restartable ports and come back on them.

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "mcpcert/http_client.hpp"
#include "mcpcert/mock_client/http_agent.hpp"
#include "mcpcert/mock_client/world.hpp"

namespace mcpcert::client {
namespace {

std::vector<std::string> listener_urls(const nlohmann::json& world) {
  std::vector<std::string> urls{world["mcp_url"], world["connector_control"], world["backend_control"]};
  for (const auto& [id, tenant] : world["tenants"].items()) {
    urls.push_back(tenant["issuer"]);
    urls.push_back(tenant["api"]);
  }
  return urls;
}

TEST(WorldRestart, ServersListenBelowTheEphemeralRangeAndComeBackOnTheSamePorts) {
  int ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  std::string error;
  auto world = World::start(WorldOptions{}, error);
  ASSERT_TRUE(world) << error;
  const auto before = world->describe();
  // A port from the ephemeral range may be some connection's local port
  // while its server is down for a restart, and the restart then fails.
  for (const auto& url : listener_urls(before)) {
    auto parsed = http::parse_url(url);
    ASSERT_TRUE(parsed) << url;
    EXPECT_LT(parsed->port, ephemeral_low) << url;
  }
  Transcript transcript;
  HttpAgent agent(transcript, world->trusted_certificate_file());
  EXPECT_EQ(world->restart_backend(agent, true), "");
  EXPECT_EQ(world->restart_connector(agent, true), "");
  EXPECT_EQ(world->describe(), before);
}

} // namespace
} // namespace mcpcert::client
