#include "mcpcert/mock_backend/backend_config.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "mcpcert/config.hpp"
#include "mcpcert/mock_backend/tenant_fixture.hpp"
#include "mcpcert/tls.hpp"
#include "state_directory.hpp"

namespace mcpcert::backend {
namespace {

const std::filesystem::path shipped_fixture =
    std::filesystem::path(MCPCERT_TEST_SOURCE_ROOT) / "mock_backend/fixtures/emea-finance.json";

nlohmann::json valid_config() {
  return nlohmann::json::parse(R"({
    "simulation": true,
    "control": {"listen": "127.0.0.1:0", "secret": "0123456789abcdef"},
    "tenants": [{"id": "emea-finance", "region": "eu-central-1", "fixture": "fixtures/emea-finance.json",
                 "api_listen": "127.0.0.1:0", "issuer_listen": "[::1]:0"}]
  })");
}

std::string refusal(const nlohmann::json& config) {
  try {
    parse_backend_config(config, "/etc/mcpcert/backend.json");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(BackendConfig, ReadsTenantsAndResolvesTheFixtureAgainstTheConfigFile) {
  auto config = parse_backend_config(valid_config(), "/etc/mcpcert/backend.json");
  EXPECT_TRUE(config.simulation);
  ASSERT_TRUE(config.control);
  ASSERT_EQ(config.tenants.size(), 1u);
  EXPECT_EQ(config.tenants[0].fixture, "/etc/mcpcert/fixtures/emea-finance.json");
  EXPECT_EQ(config.tenants[0].issuer_listen.host, "::1");
  EXPECT_EQ(config.tenants[0].lifetimes.access, Seconds(3600));
  EXPECT_EQ(config.tenants[0].lifetimes.refresh, Seconds(2'592'000));
  EXPECT_EQ(config.tenants[0].lifetimes.code, Seconds(60));
}

TEST(BackendConfig, RefusesNonLoopbackListenersNamingTheField) {
  auto config = valid_config();
  config["tenants"][0]["api_listen"] = "0.0.0.0:8080";
  EXPECT_NE(refusal(config).find("tenants[0].api_listen"), std::string::npos) << refusal(config);
  config = valid_config();
  config["control"]["listen"] = "192.168.1.5:0";
  EXPECT_NE(refusal(config).find("control.listen"), std::string::npos);
  config = valid_config();
  config["tenants"][0]["issuer_listen"] = "localhost:0";
  EXPECT_NE(refusal(config).find("tenants[0].issuer_listen"), std::string::npos);
}

TEST(BackendConfig, ClientMetadataDocumentHostsAreHostsWithOptionalPorts) {
  auto config = valid_config();
  EXPECT_TRUE(parse_backend_config(config, "/etc/mcpcert/backend.json").tenants[0].policy.client_document_hosts.empty());
  config["tenants"][0]["client_metadata_document_hosts"] = {"127.0.0.1:47100", "client.example.com", "[::1]:8443"};
  EXPECT_EQ(parse_backend_config(config, "/etc/mcpcert/backend.json").tenants[0].policy.client_document_hosts,
            (std::vector<std::string>{"127.0.0.1:47100", "client.example.com", "[::1]:8443"}));
  for (nlohmann::json bad : {nlohmann::json("https://client.example.com"), nlohmann::json("client.example.com/x"),
                             nlohmann::json("user@client.example.com"), nlohmann::json(""), nlohmann::json(42),
                             nlohmann::json("host:99999")}) {
    config["tenants"][0]["client_metadata_document_hosts"] = {bad};
    EXPECT_NE(refusal(config).find("tenants[0].client_metadata_document_hosts[0]"), std::string::npos)
        << bad.dump() << ": " << refusal(config);
  }
}

TEST(BackendConfig, ADocumentCaFileIsReadAtStartAndRefusedNamingTheFieldWhenItHoldsNoCertificate) {
  test_world::StateDirectory dir;
  const auto identity = generate_loopback_identity();
  std::ofstream(dir.file("document-host.pem")) << identity.certificate_pem;
  // PEM, but a key (made now) rather than a certificate: the mix-up the check is for.
  std::ofstream(dir.file("not-a-certificate.pem")) << identity.private_key_pem;
  const auto config_file = dir.file("backend.json");
  auto config = valid_config();
  config["tenants"][0]["client_metadata_document_hosts"] = {"127.0.0.1:47100"};
  EXPECT_EQ(parse_backend_config(config, config_file).tenants[0].policy.client_document_trust, nullptr);
  // Relative to the config file, as the fixture is.
  config["tenants"][0]["client_metadata_document_ca_file"] = "document-host.pem";
  EXPECT_NE(parse_backend_config(config, config_file).tenants[0].policy.client_document_trust, nullptr);

  auto refused = [&](const nlohmann::json& value) {
    config["tenants"][0]["client_metadata_document_ca_file"] = value;
    try {
      parse_backend_config(config, config_file);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  for (const auto& [value, says] : std::vector<std::pair<nlohmann::json, std::string>>{
           {"not-a-certificate.pem", "holds no readable PEM certificate"},
           {"missing.pem", "cannot read"},
           {dir.file("").string(), "cannot read"},
           {"", "must not be empty"},
           {42, "tenants[0].client_metadata_document_ca_file"}}) {
    const auto message = refused(value);
    EXPECT_NE(message.find("tenants[0].client_metadata_document_ca_file"), std::string::npos) << value << ": " << message;
    EXPECT_NE(message.find(says), std::string::npos) << value << ": " << message;
  }
  config["tenants"][0].erase("client_metadata_document_hosts");
  EXPECT_NE(refused("document-host.pem").find("only used with client_metadata_document_hosts"), std::string::npos)
      << refused("document-host.pem");
}

TEST(BackendConfig, RefusesUnknownFields) {
  auto config = valid_config();
  config["tenants"][0]["acess_token_ttl_seconds"] = 10;
  EXPECT_NE(refusal(config).find("acess_token_ttl_seconds"), std::string::npos);
}

TEST(BackendConfig, ControlSecretMustBeLongEnough) {
  auto config = valid_config();
  config["control"]["secret"] = "short";
  EXPECT_NE(refusal(config).find("control.secret"), std::string::npos);
}

TEST(BackendConfig, ControlGoesWithSimulation) {
  auto config = valid_config();
  config["simulation"] = false;
  EXPECT_NE(refusal(config).find("control"), std::string::npos);
  config = valid_config();
  config.erase("control");
  EXPECT_NE(refusal(config).find("control"), std::string::npos);
}

TEST(TenantFixture, ShippedFixtureLoads) {
  auto fixture = load_tenant_fixture(shipped_fixture);
  EXPECT_EQ(fixture.directory.tenant(), "emea-finance");
  EXPECT_TRUE(fixture.directory.has_mcp_access("alice", "ent-brussels"));
  EXPECT_TRUE(fixture.directory.allows("bob", "ent-brussels", Permission::read));
  EXPECT_FALSE(fixture.directory.allows("bob", "ent-brussels", Permission::write));
  EXPECT_FALSE(fixture.ledger.kpis("ent-brussels").empty());
  ASSERT_TRUE(fixture.clients.find("mcpcert-connector"));
  EXPECT_EQ(fixture.clients.find("mcpcert-connector")->type, ClientType::confidential);
  ASSERT_TRUE(fixture.clients.find("mcpcert-scripted-client"));
}

TEST(TenantFixture, DanglingReferencesAreRefused) {
  auto document = nlohmann::json::parse(R"({
    "tenant": "t", "company": {"id": "c", "name": "C"},
    "entities": [{"id": "e1", "name": "E1"}],
    "users": [{"id": "u", "password": "p", "default_entity": "e1",
               "roles": [{"entity": "e2", "role": "viewer"}]}],
    "clients": []
  })");
  try {
    parse_tenant_fixture(document, "f.json");
    FAIL() << "accepted a role on an unknown entity";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("users[0].roles[0].entity"), std::string::npos) << e.what();
  }
}

TEST(BackendConfig, StateDirIsOptionalAndResolvedAgainstTheConfigFile) {
  auto config = valid_config();
  EXPECT_FALSE(parse_backend_config(config, "/etc/mcpcert/backend.json").state_dir);
  config["state_dir"] = "state";
  EXPECT_EQ(parse_backend_config(config, "/etc/mcpcert/backend.json").state_dir, "/etc/mcpcert/state");
  config["state_dir"] = "/var/lib/mcpcert";
  EXPECT_EQ(parse_backend_config(config, "/etc/mcpcert/backend.json").state_dir, "/var/lib/mcpcert");
  config["state_dir"] = "";
  EXPECT_NE(refusal(config).find("state_dir"), std::string::npos);
  config["state_dir"] = 5;
  EXPECT_NE(refusal(config).find("state_dir"), std::string::npos);
}

TEST(BackendConfig, RefreshFamilyLifetimeIsOptional) {
  auto config = valid_config();
  EXPECT_FALSE(parse_backend_config(config, "/etc/mcpcert/backend.json").tenants[0].lifetimes.refresh_family);
  config["tenants"][0]["refresh_family_lifetime_seconds"] = 7776000;
  EXPECT_EQ(parse_backend_config(config, "/etc/mcpcert/backend.json").tenants[0].lifetimes.refresh_family,
            Seconds(7776000));
  config["tenants"][0]["refresh_family_lifetime_seconds"] = 0;
  EXPECT_NE(refusal(config).find("refresh_family_lifetime_seconds"), std::string::npos);
}

} // namespace
} // namespace mcpcert::backend
