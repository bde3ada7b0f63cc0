// mcpcert-micro: Google Benchmark micro benchmarks of the per-call work on
// the connector's path (JSON-RPC, ES256 verification, SSE, the sealed log
// append) and on the backend's (permission evaluation on a 10,000-user
// tenant, the token exchange). `mcpcert bench` runs them and turns the
// guarantee-pricing pairs into ratios; they are never assertions.
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "mcpcert/aead.hpp"
#include "mcpcert/clock.hpp"
#include "mcpcert/connector/operational_log.hpp"
#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/jsonrpc.hpp"
#include "mcpcert/jwt.hpp"
#include "mcpcert/mock_backend/permission_oracle.hpp"
#include "mcpcert/mock_backend/planning_workspace.hpp"
#include "mcpcert/mock_backend/tenant.hpp"
#include "mcpcert/mock_backend/tenant_directory.hpp"
#include "mcpcert/mock_backend/tenant_fixture.hpp"
#include "mcpcert/mock_backend/tenant_storage.hpp"
#include "mcpcert/pkce.hpp"
#include "mcpcert/sse.hpp"

#ifndef MCPCERT_SOURCE_DIR
#define MCPCERT_SOURCE_DIR "."
#endif

namespace {

using nlohmann::json;
namespace backend = mcpcert::backend;

const std::string tools_call =
    R"({"jsonrpc":"2.0","id":17,"method":"tools/call","params":{"name":"get_kpis","arguments":{"period":"2025-Q1"},)"
    R"("_meta":{"progressToken":"p-17"}}})";

json kpi_result() {
  json kpis = json::array();
  for (int i = 0; i < 5; ++i) {
    kpis.push_back({{"id", "kpi-" + std::to_string(i)}, {"name", "Revenue"}, {"period", "2025-Q1"}, {"value", 4825000.5 + i}});
  }
  const json structured = {{"entity", "ent-brussels"}, {"kpis", kpis}};
  return {{"content", {{{"type", "text"}, {"text", structured.dump()}}}}, {"structuredContent", structured}, {"isError", false}};
}

void BM_JsonRpcParse(benchmark::State& state) {
  for (auto _ : state) {
    auto parsed = mcpcert::jsonrpc::parse(tools_call);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_JsonRpcParse);

void BM_JsonRpcSerialise(benchmark::State& state) {
  const auto result = kpi_result();
  for (auto _ : state) {
    auto text = mcpcert::jsonrpc::make_result(17, result).dump();
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_JsonRpcSerialise);

struct JwtFixture {
  mcpcert::EcSigningKey key = mcpcert::EcSigningKey::generate("k1");
  mcpcert::JwkSet keys;
  std::string token;
  mcpcert::JwtExpectations expect;
  JwtFixture() {
    keys.add("k1", key.public_key());
    const auto now = mcpcert::SystemClock().unix_seconds();
    token = mcpcert::sign_jwt(key,
                              {{"iss", "http://127.0.0.1:41001"}, {"sub", "alice"}, {"aud", "https://127.0.0.1:8400/mcp"},
                               {"exp", now + 3600}, {"iat", now}, {"jti", "j-1"}, {"scope", "finance:read"},
                               {"client_id", "mcpcert-scripted-client"}, {"tenant", "emea-finance"}, {"entity", "ent-brussels"}},
                              "at+jwt");
    expect.type = "at+jwt";
    expect.issuers = {"http://127.0.0.1:41001"};
    expect.audience = "https://127.0.0.1:8400/mcp";
    expect.now = now;
  }
};

void BM_JwtVerifyES256(benchmark::State& state) {
  JwtFixture fixture;
  for (auto _ : state) {
    auto claims = mcpcert::verify_jwt(fixture.token, fixture.keys, fixture.expect);
    if (!claims) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_JwtVerifyES256);

// What a cache of verified tokens costs per call instead: a SHA-256 of the token and a map lookup.
void BM_JwtCachedLookup(benchmark::State& state) {
  JwtFixture fixture;
  std::map<std::string, json, std::less<>> verified;
  verified[mcpcert::sha256(fixture.token)] = json{{"sub", "alice"}};
  for (auto _ : state) {
    auto found = verified.find(mcpcert::sha256(fixture.token));
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(BM_JwtCachedLookup);

// The backend's VerifiedJwtCache on a hit: SHA-256, lookup, the key's point,
// the claim checks and a copy of the claims, but no signature check.
void BM_JwtVerifyCached(benchmark::State& state) {
  JwtFixture fixture;
  mcpcert::VerifiedJwtCache cache;
  if (!cache.verify(fixture.token, fixture.keys, fixture.expect)) state.SkipWithError("verification failed");
  for (auto _ : state) {
    auto claims = cache.verify(fixture.token, fixture.keys, fixture.expect);
    if (!claims) state.SkipWithError("verification failed");
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_JwtVerifyCached);

// A 10,000-user planning tenant: 10 workspaces, 20 departments, 100 teams,
// 1,000 applications with company, department, team and user shares; the
// same seed always makes the same tenant.
struct PlanningTenant {
  static constexpr int users = 10'000;
  static constexpr int applications = 1'000;
  backend::TenantDirectory directory{"bench-planning", {"co-bench", "Bench Planning Co"}};
  backend::PlanningWorkspace planning;
  struct Question {
    std::string user;
    backend::ObjectRef object;
    backend::Operation operation;
  };
  std::vector<Question> questions;

  PlanningTenant() {
    std::mt19937_64 random(20260528);
    auto pick = [&](int n) { return static_cast<int>(random() % static_cast<std::uint64_t>(n)); };
    auto name = [](const char* prefix, int i) { return prefix + std::to_string(i); };
    for (int i = 0; i < 10; ++i) directory.add_entity({name("ws-", i), name("Workspace ", i), "EUR"});
    directory.add_role({"analyst", "Analyst", {backend::Permission::read, backend::Permission::run_tools}, false});
    for (int i = 0; i < 20; ++i) directory.add_department({name("dep-", i), name("Department ", i)});
    for (int i = 0; i < 100; ++i) directory.add_team({name("team-", i), name("Team ", i), name("dep-", i % 20)});
    const char* roles[] = {"viewer", "editor", "admin", "analyst"};
    for (int i = 0; i < users; ++i) {
      backend::UserSpec user;
      user.id = name("u", i);
      user.display_name = name("User ", i);
      user.password = "bench-password";
      const int home = pick(10);
      user.default_entity = name("ws-", home);
      user.roles.push_back({user.default_entity, roles[pick(4)], pick(4) != 0});
      if (pick(3) == 0) {
        const int other = (home + 1 + pick(9)) % 10;
        user.roles.push_back({name("ws-", other), roles[pick(4)], pick(2) == 0});
      }
      user.suspended = pick(200) == 0;
      user.department = name("dep-", pick(20));
      for (int t = pick(4); t > 0; --t) user.teams.push_back(name("team-", pick(100)));
      directory.add_user(std::move(user));
    }
    for (int i = 0; i < applications; ++i) {
      backend::Application app;
      app.id = name("app-", i);
      app.name = name("Application ", i);
      app.workspace = name("ws-", pick(10));
      app.owner = name("u", pick(users));
      for (int s = pick(5); s > 0; --s) {
        const auto scope = static_cast<backend::ShareScope>(pick(4));
        backend::Share share{scope, {}, pick(2) == 0 ? backend::AppAccess::view : backend::AppAccess::edit};
        if (scope == backend::ShareScope::department) share.principal = name("dep-", pick(20));
        if (scope == backend::ShareScope::team) share.principal = name("team-", pick(100));
        if (scope == backend::ShareScope::user) share.principal = name("u", pick(users));
        app.shares.push_back(std::move(share));
      }
      for (int n = 0; n < 3; ++n) app.nodes.push_back({name("node-", n), name("Node ", n), backend::NodeKind::table, {}, json{{"v", n}}});
      for (int t = 0; t < 2; ++t) app.tools.push_back({name("tool-", t), name("Tool ", t), "", pick(2) == 0, 1});
      planning.add_application(std::move(app));
    }
    for (int q = 0; q < 4096; ++q) {
      backend::ObjectRef object;
      object.id = name("app-", pick(applications));
      switch (pick(3)) {
      case 0: object.kind = backend::ObjectRef::Kind::application; break;
      case 1: object.kind = backend::ObjectRef::Kind::node; object.item = name("node-", pick(3)); break;
      default: object.kind = backend::ObjectRef::Kind::tool; object.item = name("tool-", pick(2)); break;
      }
      const auto operation = object.kind == backend::ObjectRef::Kind::tool ? backend::Operation::run
                                                                           : static_cast<backend::Operation>(pick(2));
      questions.push_back({name("u", pick(users)), std::move(object), operation});
    }
  }
};

PlanningTenant& planning_tenant() {
  static PlanningTenant tenant;
  return tenant;
}

void BM_PermissionDecide10kUsers(benchmark::State& state) {
  auto& tenant = planning_tenant();
  const backend::PermissionOracle oracle(tenant.directory, tenant.planning);
  std::size_t i = 0;
  std::size_t allowed = 0;
  for (auto _ : state) {
    const auto& q = tenant.questions[i++ % tenant.questions.size()];
    auto decision = oracle.decide(q.user, q.object, q.operation);
    allowed += decision.allowed_via_mcp ? 1 : 0;
    benchmark::DoNotOptimize(decision);
  }
  state.counters["allowed_share"] = static_cast<double>(allowed) / static_cast<double>(std::max<std::size_t>(i, 1));
}
BENCHMARK(BM_PermissionDecide10kUsers);

void BM_PermissionVisibleApps10kUsers(benchmark::State& state) {
  auto& tenant = planning_tenant();
  const backend::PermissionOracle oracle(tenant.directory, tenant.planning);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& q = tenant.questions[i++ % tenant.questions.size()];
    auto visible = oracle.visible_applications(q.user, "ws-3");
    benchmark::DoNotOptimize(visible);
  }
}
BENCHMARK(BM_PermissionVisibleApps10kUsers);

void BM_SseEncode(benchmark::State& state) {
  const auto data = mcpcert::jsonrpc::make_result(17, kpi_result()).dump();
  for (auto _ : state) {
    auto wire = mcpcert::encode_sse_event(data, "17");
    benchmark::DoNotOptimize(wire);
  }
}
BENCHMARK(BM_SseEncode);

void BM_SseParse(benchmark::State& state) {
  const auto wire = mcpcert::encode_sse_event(mcpcert::jsonrpc::make_result(17, kpi_result()).dump(), "17");
  for (auto _ : state) {
    mcpcert::SseParser parser;
    auto events = parser.feed(wire);
    benchmark::DoNotOptimize(events);
  }
}
BENCHMARK(BM_SseParse);

// One tool-call record, committed durably (WAL, synchronous FULL) as the
// connector does before answering; arg 1: user id and IP sealed with
// AES-256-GCM, arg 0: the same record stored in the clear.
void BM_LogAppend(benchmark::State& state) {
  const auto directory = std::filesystem::temp_directory_path() /
                         ("mcpcert-micro-log-" + mcpcert::random_token(8));
  {
    mcpcert::connector::OperationalLogConfig config;
    config.directory = directory;
    config.active_key_id = "k1";
    config.keys.emplace("k1", mcpcert::AeadKey::generate());
    config.seal_personal_fields = state.range(0) != 0;
    const mcpcert::SystemClock clock;
    mcpcert::connector::OperationalLog log(config, clock);
    mcpcert::connector::ToolCallEntry entry{"req-1", "emea-finance", "eu-central-1", "get_kpis", "alice", "ent-brussels",
                                            "127.0.0.1", clock.unix_seconds() * 1000, 3, "success", ""};
    for (auto _ : state) {
      if (log.append(entry) != mcpcert::connector::LogStatus::ok) state.SkipWithError("append failed");
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(directory, ignored);
}
BENCHMARK(BM_LogAppend)->Arg(1)->Arg(0)->ArgName("sealed")->UseRealTime();

// The tenant issuer's RFC 8693 exchange of a user's access token, in
// process (no HTTP): client authentication, subject-token verification,
// the MCP Access re-check, signing and storing the new token.
struct IssuerFixture {
  mcpcert::SystemClock clock;
  std::unique_ptr<backend::Tenant> tenant;
  std::string subject_token;
  std::optional<backend::ClientCredentials> connector{backend::ClientCredentials{"mcpcert-connector", "connector-secret-emea-finance-0001"}};
  mcpcert::FormFields exchange;

  IssuerFixture() {
    const std::string resource = "https://127.0.0.1:8400/mcp";
    backend::IssuerIdentity identity{"emea-finance", "eu-central-1", "http://127.0.0.1:41001", "http://127.0.0.1:41000"};
    auto fixture = backend::load_tenant_fixture(std::filesystem::path(MCPCERT_SOURCE_DIR) / "mock_backend/fixtures/emea-finance.json");
    tenant = std::make_unique<backend::Tenant>(identity, backend::TokenLifetimes{}, std::move(fixture), clock,
                                               backend::open_tenant_storage({}, "emea-finance", clock));
    tenant->clients().register_resource(resource, "mcpcert-connector");
    auto& as = tenant->authorization_server();
    const auto verifier = mcpcert::pkce_make_verifier();
    const std::string redirect = "http://127.0.0.1:47011/callback";
    auto step = as.authorize({{"response_type", "code"}, {"client_id", "mcpcert-scripted-client"}, {"redirect_uri", redirect},
                              {"code_challenge", mcpcert::pkce_s256_challenge(verifier)}, {"code_challenge_method", "S256"},
                              {"resource", resource}, {"scope", "finance:read"}, {"state", "s"}});
    const auto* login = std::get_if<backend::LoginForm>(&step);
    if (login == nullptr) throw std::runtime_error("authorize did not show the login form");
    step = as.login(login->txn, "alice", "alice-finance-2025");
    const auto* consent = std::get_if<backend::ConsentForm>(&step);
    if (consent == nullptr) throw std::runtime_error("login did not show the consent form");
    step = as.consent(consent->txn, "approve");
    const auto* redirected = std::get_if<backend::Redirect>(&step);
    if (redirected == nullptr) throw std::runtime_error("consent did not redirect");
    auto query = mcpcert::parse_form(redirected->location.substr(redirected->location.find('?') + 1));
    auto tokens = as.token({{"grant_type", "authorization_code"}, {"code", query.fields["code"]}, {"redirect_uri", redirect},
                            {"client_id", "mcpcert-scripted-client"}, {"code_verifier", verifier}, {"resource", resource}},
                           std::nullopt);
    if (!tokens.ok()) throw std::runtime_error("code redemption failed: " + tokens.body.dump());
    subject_token = tokens.body.at("access_token").get<std::string>();
    exchange = {{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                {"subject_token", subject_token},
                {"subject_token_type", "urn:ietf:params:oauth:token-type:access_token"},
                {"requested_token_type", "urn:ietf:params:oauth:token-type:access_token"},
                {"audience", "http://127.0.0.1:41000"}};
  }
};

void BM_TokenExchangeInProcess(benchmark::State& state) {
  IssuerFixture fixture;
  auto& as = fixture.tenant->authorization_server();
  for (auto _ : state) {
    auto reply = as.token(fixture.exchange, fixture.connector);
    if (!reply.ok()) state.SkipWithError("exchange refused");
    benchmark::DoNotOptimize(reply);
  }
}
BENCHMARK(BM_TokenExchangeInProcess);

} // namespace

BENCHMARK_MAIN();
