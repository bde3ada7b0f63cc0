#include "mcpcert/mock_backend/issuer_state_store.hpp"

#include <fstream>
#include <memory>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "loopback_http.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/mock_backend/backend.hpp"
#include "state_directory.hpp"
#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

using namespace test_world;

std::vector<std::string> kids(AuthorizationServer& server) {
  std::vector<std::string> out;
  auto jwks = server.jwks();
  for (const auto& key : jwks["keys"]) out.push_back(key["kid"].get<std::string>());
  return out;
}

TokenResponse introspect_as(AuthorizationServer& server, const std::string& token, const std::string& client,
                            const std::string& secret) {
  return server.introspect({{"token", token}}, ClientCredentials{client, secret});
}

int user_version(const std::filesystem::path& file) {
  sqlite3* connection = nullptr;
  int version = -1;
  if (sqlite3_open(file.c_str(), &connection) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(connection, "PRAGMA user_version", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW)
      version = sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
  }
  sqlite3_close(connection);
  return version;
}

/// What a tenant handed out before it stopped, to present after its restart.
struct BeforeRestart {
  std::vector<std::string> kids;
  std::string access_token;
  std::string refresh_token;
  std::string exchanged_token;
  std::string registered_client;
  std::string registered_secret;
};

BeforeRestart issue_and_register(const std::filesystem::path& file) {
  TenantWorld world({}, file);
  auto& server = world.server();
  BeforeRestart out;
  // Tokens signed by a retired key and by the current one must both survive.
  auto first = sign_in(server);
  EXPECT_TRUE(server.rotate_signing_key());
  auto second = sign_in(server);
  EXPECT_TRUE(first.ok() && second.ok());
  out.kids = kids(server);
  out.access_token = first.body.value("access_token", "");
  out.refresh_token = second.body.value("refresh_token", "");
  out.exchanged_token = exchange_token(server, second.body.value("access_token", "")).body.value("access_token", "");

  auto registered = server.register_client({{"redirect_uris", {"https://app.example.com/cb"}},
                                            {"client_name", "Restart test"},
                                            {"grant_types", {"authorization_code", "refresh_token"}}});
  EXPECT_EQ(registered.status, 201u);
  out.registered_client = registered.body.value("client_id", "");
  out.registered_secret = registered.body.value("client_secret", "");

  // As the control API adds a connector made for one run.
  OAuthClient connector;
  connector.id = "run-connector";
  connector.type = ClientType::confidential;
  connector.secret_hash = sha256("run-connector-secret-0123");
  connector.grant_types = {std::string(grant_token_exchange)};
  EXPECT_EQ(server.add_client(connector), StoreStatus::ok);
  return out;
}

TEST(IssuerState, ARestartedTenantKeepsItsKeysTokensAndClients) {
  StateDirectory dir;
  auto file = dir.file("emea-finance.sqlite");
  auto before = issue_and_register(file);
  ASSERT_EQ(before.kids.size(), 2u);

  TenantWorld restarted({}, file);
  auto& server = restarted.server();
  EXPECT_EQ(kids(server), before.kids);

  auto introspected = introspect_as(server, before.access_token, std::string(connector_client), std::string(connector_secret));
  EXPECT_EQ(introspected.body.value("active", false), true) << introspected.body.dump();
  EXPECT_TRUE(server.verify_api_token(before.exchanged_token).claims);

  auto refreshed = refresh(server, before.refresh_token);
  EXPECT_EQ(refreshed.status, 200u) << refreshed.body.dump();

  auto client = restarted.tenant.clients().find(before.registered_client);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->name, "Restart test");
  EXPECT_EQ(client->redirect_uris, std::vector<std::string>{"https://app.example.com/cb"});
  EXPECT_TRUE(client->may_use(grant_refresh_token));
  EXPECT_EQ(introspect_as(server, before.access_token, before.registered_client, before.registered_secret).status, 200u);
  auto wrong = introspect_as(server, before.access_token, before.registered_client, before.registered_secret + "x");
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_EQ(wrong.error(), "invalid_client");
  EXPECT_EQ(introspect_as(server, before.access_token, "run-connector", "run-connector-secret-0123").status, 200u);
}

TEST(IssuerState, ARotationAfterTheRestartRetiresTheReloadedKey) {
  StateDirectory dir;
  auto file = dir.file("emea-finance.sqlite");
  std::string old_token;
  {
    TenantWorld world({}, file);
    old_token = sign_in(world.server()).body.value("access_token", "");
  }
  TenantWorld restarted({}, file);
  auto rotation = restarted.server().rotate_signing_key();
  ASSERT_TRUE(rotation);
  EXPECT_EQ(kids(restarted.server()), (std::vector<std::string>{rotation->kid, rotation->previous_kid}));
  auto introspected =
      introspect_as(restarted.server(), old_token, std::string(connector_client), std::string(connector_secret));
  EXPECT_EQ(introspected.body.value("active", false), true);
}

TEST(IssuerState, SecretsAreKeptAsDigestsOnly) {
  StateDirectory dir;
  auto file = dir.file("emea-finance.sqlite");
  auto before = issue_and_register(file);
  ASSERT_FALSE(before.registered_secret.empty());
  sqlite3* connection = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &connection), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(connection,
                               "SELECT count(*) FROM clients WHERE instr(name || redirect_uris || secret_sha256, ?) > 0 "
                               "OR instr(name || secret_sha256, ?) > 0",
                               -1, &statement, nullptr),
            SQLITE_OK);
  sqlite3_bind_text(statement, 1, before.registered_secret.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(statement, 2, "run-connector-secret-0123", -1, SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(statement, 0), 0);
  sqlite3_finalize(statement);
  sqlite3_close(connection);
}

TEST(IssuerState, WithoutAStateFileEveryStartHasANewKey) {
  TenantWorld first;
  TenantWorld second;
  EXPECT_NE(kids(first.server()), kids(second.server()));
}

TEST(IssuerState, MigratesADatabaseOfSchemaVersionTwo) {
  StateDirectory dir;
  auto file = dir.file("emea-finance.sqlite");
  // Version 2 had grants and tokens but kept neither keys nor clients.
  ASSERT_TRUE(edit_state_file(file,
                              "CREATE TABLE refresh_tokens (token_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, "
                              "client_id TEXT NOT NULL, scope TEXT NOT NULL, issued_at INTEGER NOT NULL, "
                              "expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0, used_at INTEGER); "
                              "PRAGMA user_version=2;"));

  auto before = issue_and_register(file);
  EXPECT_EQ(user_version(file), 7);
  ASSERT_EQ(before.kids.size(), 2u);
  TenantWorld restarted({}, file);
  EXPECT_EQ(kids(restarted.server()), before.kids);
  EXPECT_TRUE(restarted.tenant.clients().find(before.registered_client));
}

TEST(IssuerState, AnUnreadableKeyStopsTheStart) {
  StateDirectory dir;
  auto file = dir.file("emea-finance.sqlite");
  { TenantWorld world({}, file); }
  ASSERT_TRUE(edit_state_file(file, "UPDATE signing_keys SET private_jwk = '{\"kty\":\"EC\"}'"));
  EXPECT_THROW(TenantWorld({}, file), StorageError);
}

TEST(IssuerState, KeepsWhatTheLockoutJournalIsTold) {
  StateDirectory dir;
  const auto file = dir.file("emea-finance.sqlite");
  VirtualClock clock;
  const auto failed_at = clock.now();
  const AccountLockout::Standing locked{0, failed_at, failed_at + Seconds(900)};
  {
    auto storage = open_tenant_storage(file, "emea-finance", clock);
    auto& store = storage.issuer_state->lockouts();
    ASSERT_TRUE(store.save("alice", {4, failed_at, {}}, {}));
    ASSERT_TRUE(store.save("bob", {1, failed_at, {}}, {}));
    // carol's entry makes room by dropping alice's; bob's count is cleared.
    ASSERT_TRUE(store.save("carol", locked, {"alice"}));
    ASSERT_TRUE(store.forget("bob"));
  }
  auto kept = open_tenant_storage(file, "emea-finance", clock).issuer_state->lockouts().standings();
  ASSERT_EQ(kept.size(), 1u);
  const auto& carol = kept.at("carol");
  EXPECT_EQ(carol.consecutive_failures, 0);
  EXPECT_EQ(carol.last_failure, locked.last_failure);
  EXPECT_EQ(carol.locked_until, locked.locked_until);
}

TEST(IssuerState, AnUnreadableFailedSignInCountStopsTheStart) {
  StateDirectory dir;
  auto file = dir.file("emea-finance.sqlite");
  { TenantWorld world({}, file); }
  ASSERT_TRUE(edit_state_file(file, "INSERT INTO failed_sign_ins VALUES ('alice', -1, 0, 0)"));
  EXPECT_THROW(TenantWorld({}, file), StorageError);
}

/// A backend process's life on one state directory: started, used, stopped.
class RunningBackend {
public:
  explicit RunningBackend(const BackendConfig& config) : backend_(io_.get_executor(), config) {
    backend_.start();
    thread_ = std::thread([this] { io_.run(); });
    auto ready = nlohmann::json::parse(backend_.ready_line().substr(6));
    control = ready["control"];
    issuer = ready["tenants"]["emea-finance"]["issuer"];
    identity_provider = ready["tenants"]["emea-finance"].value("identity_provider", "");
  }
  ~RunningBackend() {
    boost::asio::post(io_, [this] {
      backend_.stop();
      io_.stop();
    });
    thread_.join();
  }

  std::string control;
  std::string issuer;
  std::string identity_provider; ///< empty unless the fixture has one

  /// The identity provider's answer to `user` signing in with `password`.
  http::Response sign_in_at_provider(const std::string& user, const std::string& password) const {
    return loopback::post_form(identity_provider, "/login",
                               {{"rp", issuer},
                                {"nonce", "n-1"},
                                {"relay_state", "r-1"},
                                {"username", user},
                                {"password", password}});
  }

private:
  boost::asio::io_context io_;
  Backend backend_;
  std::thread thread_;
};

/// One tenant of `fixture`, its state kept in `dir` from one start to the next.
BackendConfig restartable_backend(const StateDirectory& dir, const nlohmann::json& fixture) {
  const auto fixture_file = dir.file("emea-finance.json");
  std::ofstream(fixture_file) << fixture.dump();
  auto config = one_tenant_backend(fixture_file, "control-secret-for-restart-test", "http://127.0.0.1:45703/mcp");
  config.state_dir = dir.file("state");
  return config;
}

std::vector<std::string> served_kids(const std::string& issuer) {
  std::vector<std::string> out;
  auto jwks = loopback::json_of(loopback::get(issuer, "/jwks"));
  for (const auto& key : jwks["keys"]) out.push_back(key["kid"]);
  return out;
}

unsigned introspection_status(const std::string& issuer, const std::string& client, const std::string& secret) {
  return loopback::post_form(issuer, "/introspect", {{"token", "not-a-token"}},
                             "Basic " + base64_encode(client + ":" + secret))
      .result_int();
}

TEST(IssuerState, ABackendRestartedOnItsStateDirectoryKeepsKeysAndRegisteredClients) {
  StateDirectory dir;
  const auto config = restartable_backend(dir, test_fixture());

  std::vector<std::string> kids_before;
  std::string registered;
  std::string registered_secret;
  {
    RunningBackend first(config);
    auto rotated = loopback::send(first.control, {loopback::bhttp::verb::post, "/control/tenants/emea-finance/keys/rotate",
                                                  {}, {}, "Bearer control-secret-for-restart-test"});
    ASSERT_EQ(rotated.result_int(), 200u) << rotated.body();
    kids_before = served_kids(first.issuer);
    auto added = loopback::send(first.control,
                                {loopback::bhttp::verb::post, "/control/tenants/emea-finance/clients",
                                 nlohmann::json{{"client_id", "run-connector"}, {"type", "confidential"},
                                                {"client_secret", "run-connector-secret-0123"}}
                                     .dump(),
                                 "application/json", "Bearer control-secret-for-restart-test"});
    ASSERT_EQ(added.result_int(), 201u) << added.body();
    auto answer = loopback::json_of(
        loopback::post_json(first.issuer, "/register", {{"redirect_uris", {"https://app.example.com/cb"}}}));
    registered = answer.value("client_id", "");
    registered_secret = answer.value("client_secret", "");
    ASSERT_FALSE(registered_secret.empty()) << answer.dump();
  }

  RunningBackend second(config);
  ASSERT_EQ(kids_before.size(), 2u);
  EXPECT_EQ(served_kids(second.issuer), kids_before);
  EXPECT_EQ(introspection_status(second.issuer, "run-connector", "run-connector-secret-0123"), 200u);
  EXPECT_EQ(introspection_status(second.issuer, "run-connector", "run-connector-secret-0124"), 401u);
  EXPECT_EQ(introspection_status(second.issuer, registered, registered_secret), 200u);
}

TEST(IssuerState, TheIdentityProvidersLockoutOutlivesABackendRestart) {
  StateDirectory dir;
  const auto config = restartable_backend(dir, single_sign_on_fixture());
  {
    RunningBackend first(config);
    ASSERT_FALSE(first.identity_provider.empty());
    for (int i = 0; i < 10; ++i) first.sign_in_at_provider("gina@test-id.example", "guess");
  }
  RunningBackend second(config);
  auto refused = second.sign_in_at_provider("gina@test-id.example", "gina-idp-pw");
  EXPECT_EQ(refused.result_int(), 400u);
  EXPECT_NE(refused.body().find("locked for 15 more minutes"), std::string::npos) << refused.body();
  // The account, not the provider, is locked: another one signs in.
  EXPECT_EQ(second.sign_in_at_provider("hank@test-id.example", "hank-idp-pw").result_int(), 200u);
}

} // namespace
} // namespace mcpcert::backend
