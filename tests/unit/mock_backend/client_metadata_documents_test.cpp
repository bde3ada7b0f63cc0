// Client ID Metadata Documents: the URL rules and the document rules on
// their own, then the issuer over real HTTP on loopback, fetching documents
// from a document server on another loopback port (and never from a host
// its config does not list).
#include "mcpcert/mock_backend/client_metadata_documents.hpp"

#include <atomic>
#include <fstream>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "loopback_http.hpp"
#include "mcpcert/mock_backend/backend.hpp"
#include "mcpcert/pkce.hpp"
#include "mcpcert/tls.hpp"
#include "state_directory.hpp"
#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

using namespace loopback;

const std::vector<std::string> listed = {"client.example.com", "127.0.0.1:4711", "[::1]:4712", "docs.example.org:8443"};

std::string url_problem(std::string_view url) {
  auto check = check_client_id_url(url, listed);
  return check.url ? "" : check.problem;
}

TEST(ClientIdUrl, FollowsTheDraftsRulesAndTheTenantsList) {
  EXPECT_EQ(url_problem("https://client.example.com/oauth/metadata.json"), "");
  EXPECT_EQ(url_problem("https://client.example.com:443/metadata.json"), "");
  EXPECT_EQ(url_problem("https://docs.example.org:8443/m.json?v=2"), "");
  EXPECT_EQ(url_problem("http://127.0.0.1:4711/client.json"), "");
  EXPECT_EQ(url_problem("http://[::1]:4712/client.json"), "");

  EXPECT_NE(url_problem("https://client.example.com"), "");              // no path
  EXPECT_NE(url_problem("https://client.example.com/"), "");             // the root is not a document
  EXPECT_NE(url_problem("https://client.example.com/a#frag"), "");       // fragment
  EXPECT_NE(url_problem("https://user:pw@client.example.com/a"), "");    // user information
  EXPECT_NE(url_problem("https://client.example.com/a/../b.json"), "");  // dot segments
  EXPECT_NE(url_problem("https://client.example.com/./b.json"), "");
  EXPECT_NE(url_problem("https://client.example.com/a/%2E%2e/b.json"), "");
  EXPECT_NE(url_problem("https://evil.example.net/client.json"), "");    // not listed
  EXPECT_NE(url_problem("https://client.example.com:8443/a.json"), "");  // listed without port: 443 only
  EXPECT_NE(url_problem("http://127.0.0.1:4712/client.json"), "");       // another port
  EXPECT_NE(url_problem("http://client.example.com/client.json"), "");   // plain http off loopback
  EXPECT_NE(url_problem("HTTPS://client.example.com/a.json"), "");
  EXPECT_NE(url_problem("https://client.example.com/a b.json"), "");
  EXPECT_NE(url_problem("https://client.example.com/" + std::string(2000, 'a')), "");
  EXPECT_FALSE(is_client_id_url("mcpcert-scripted-client"));
  EXPECT_TRUE(is_client_id_url("https://client.example.com/a.json"));
}

const std::set<std::string, std::less<>> scopes = {"finance:read", "offline_access"};
constexpr std::string_view document_url = "https://client.example.com/oauth/metadata.json";

nlohmann::json good_document() {
  return {{"client_id", document_url},
          {"client_name", "Example"},
          {"redirect_uris", {"http://127.0.0.1/callback"}},
          {"grant_types", {"authorization_code", "refresh_token"}},
          {"response_types", {"code"}},
          {"token_endpoint_auth_method", "none"}};
}

TEST(ClientMetadataDocument, DescribesAPublicClientNamedByItsUrl) {
  auto parsed = parse_client_metadata_document(document_url, good_document(), scopes);
  ASSERT_TRUE(parsed.client) << parsed.field << " " << parsed.problem;
  EXPECT_EQ(parsed.client->id, document_url);
  EXPECT_EQ(parsed.client->name, "Example");
  EXPECT_EQ(parsed.client->type, ClientType::public_client);
  EXPECT_TRUE(parsed.client->accepts_redirect("http://127.0.0.1:50000/callback"));
  EXPECT_TRUE(parsed.client->may_use(grant_refresh_token));
}

TEST(ClientMetadataDocument, RefusesWhatADocumentMayNotSay) {
  auto refused = [](const nlohmann::json& document) {
    return !parse_client_metadata_document(document_url, document, scopes).client;
  };
  EXPECT_FALSE(refused(good_document()));
  auto changed = [](const char* field, nlohmann::json value) {
    auto document = good_document();
    if (value.is_null())
      document.erase(field);
    else
      document[field] = std::move(value);
    return document;
  };
  EXPECT_TRUE(refused(changed("client_id", "https://client.example.com/oauth/other.json")));
  EXPECT_TRUE(refused(changed("client_id", "https://client.example.com/oauth/metadata.json/")));
  EXPECT_TRUE(refused(changed("client_id", nullptr)));
  EXPECT_TRUE(refused(changed("token_endpoint_auth_method", "client_secret_basic")));
  EXPECT_TRUE(refused(changed("token_endpoint_auth_method", "client_secret_post")));
  EXPECT_TRUE(refused(changed("token_endpoint_auth_method", nullptr))); // RFC 7591's default is a shared secret
  EXPECT_TRUE(refused(changed("client_secret", "s3cret-s3cret-s3cret")));
  EXPECT_TRUE(refused(changed("redirect_uris", nullptr)));
  EXPECT_TRUE(refused(changed("redirect_uris", {"http://evil.example.net/cb"})));
  EXPECT_TRUE(refused(changed("scope", "admin")));
  EXPECT_TRUE(refused(nlohmann::json::array()));
}

// --- over HTTP ------------------------------------------------------------------

constexpr std::string_view control_secret = "control-secret-for-cimd-tests";
constexpr std::string_view tenant_id = "emea-finance";
constexpr std::string_view connector = "mcpcert-connector";
constexpr std::string_view redirect_uri = "http://127.0.0.1:40000/callback";
constexpr std::string_view mcp_url = "http://127.0.0.1:45700/mcp";

/// Serves client metadata documents on loopback (over https with `tls`) and counts what it was asked for.
class DocumentHost {
public:
  explicit DocumentHost(boost::asio::io_context& io, std::optional<TlsIdentity> tls = std::nullopt)
      : server_(io.get_executor(), "127.0.0.1", 0,
                http::make_async([this](http::Request& request, const http::RequestContext&) { return answer(request); }),
                {}, std::move(tls)) {
    server_.start();
  }
  ~DocumentHost() { server_.stop(); }

  std::string host() const { return "127.0.0.1:" + std::to_string(server_.port()); }
  std::string url(std::string_view path) const { return server_.base_url() + std::string(path); }
  int requests() const { return requests_.load(); }
  std::string cache_control = "max-age=60";

private:
  http::Response answer(const http::Request& request) {
    ++requests_;
    const std::string path(request.target());
    auto document = [&](std::string_view id, std::string_view auth_method) {
      auto response = http::make_response(request, 200, "application/json",
                                          nlohmann::json{{"client_id", id},
                                                         {"client_name", "Document client"},
                                                         {"redirect_uris", {std::string(redirect_uri)}},
                                                         {"grant_types", {"authorization_code", "refresh_token"}},
                                                         {"token_endpoint_auth_method", auth_method}}
                                              .dump());
      response.set(bhttp::field::cache_control, cache_control);
      return response;
    };
    if (path == "/good.json") return document(url("/good.json"), "none");
    if (path == "/other-id.json") return document(url("/good.json"), "none");
    if (path == "/secret.json") return document(url("/secret.json"), "client_secret_basic");
    if (path == "/big.json") return http::make_response(request, 200, "application/json", std::string(6 * 1024, ' ') + "{}");
    if (path == "/moved.json") {
      auto response = http::make_response(request, 302, "text/plain", "");
      response.set(bhttp::field::location, url("/good.json"));
      return response;
    }
    return http::make_response(request, 404, "text/plain", "no such document");
  }

  std::atomic<int> requests_{0};
  http::Server server_;
};

class ClientDocumentsOverHttp : public ::testing::Test {
protected:
  void SetUp() override {
    // A listener on a loopback port the tenant does not list: nothing may ever connect to it.
    stranger_.open(boost::asio::ip::tcp::v4());
    stranger_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    stranger_.listen();

    auto fixture = test_world::test_fixture();
    auto file = dir_.file("emea-finance.json");
    std::ofstream(file) << fixture.dump();
    BackendConfig config;
    config.simulation = true;
    // Filled in place: g++ 12 -O2 wrongly sees a copied temporary as uninitialized.
    auto& control = config.control.emplace();
    control.listen = {"127.0.0.1", 0};
    control.secret = std::string(control_secret);
    TenantConfig tenant;
    tenant.id = tenant_id;
    tenant.region = "eu-central-1";
    tenant.fixture = file;
    tenant.api_listen = {"127.0.0.1", 0};
    tenant.issuer_listen = {"127.0.0.1", 0};
    tenant.resources = {{std::string(mcp_url), std::string(connector)}};
    tenant.policy.client_document_hosts = {documents_.host(), secure_documents_.host(), untrusted_documents_.host()};
    // Trusted as a configured CA file would be: besides the machine's store.
    tenant.policy.client_document_trust = http::TlsTrust::make({secure_identity_.certificate_pem});
    config.tenants.push_back(tenant);
    backend_ = std::make_unique<Backend>(io_.get_executor(), config);
    backend_->start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    auto ready = nlohmann::json::parse(backend_->ready_line().substr(6));
    control_ = ready["control"];
    issuer_ = ready["tenants"][std::string(tenant_id)]["issuer"];
  }

  void TearDown() override {
    boost::asio::post(io_, [this] {
      backend_->stop();
      io_.stop();
    });
    for (auto& thread : threads_) thread.join();
    backend_.reset();
  }

  std::string stranger_url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(stranger_.local_endpoint().port()) + std::string(path);
  }

  /// Whether any connection reached the unlisted listener (its backlog, checked without waiting).
  bool stranger_was_contacted() {
    stranger_.non_blocking(true);
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket socket(io_);
    stranger_.accept(socket, ec);
    return !ec;
  }

  http::Response authorize(const std::string& client_id, const std::string& challenge = pkce_s256_challenge(pkce_make_verifier())) {
    return get(issuer_, "/authorize?" + encode_form({{"response_type", "code"},
                                                     {"client_id", client_id},
                                                     {"redirect_uri", std::string(redirect_uri)},
                                                     {"code_challenge", challenge},
                                                     {"code_challenge_method", "S256"},
                                                     {"resource", std::string(mcp_url)},
                                                     {"state", "st-1"}}));
  }

  /// Alice signs in through `client_id`, consents and redeems the code: the token response,
  /// or the first answer of the flow that was not what it should be.
  http::Response sign_in(const std::string& client_id) {
    auto verifier = pkce_make_verifier();
    auto login = authorize(client_id, pkce_s256_challenge(verifier));
    if (login.result_int() != 200u) return login;
    auto consent = post_form(issuer_, "/authorize/login",
                             {{"txn", txn_of(login.body())}, {"username", "alice"}, {"password", "alice-pw"}});
    if (consent.result_int() != 200u) return consent;
    auto redirect = post_form(issuer_, "/authorize/consent", {{"txn", txn_of(consent.body())}, {"decision", "approve"}});
    if (redirect.result_int() != 302u) return redirect;
    return post_form(issuer_, "/token",
                     {{"grant_type", "authorization_code"},
                      {"client_id", client_id},
                      {"code", query_param(redirect[bhttp::field::location], "code")},
                      {"redirect_uri", std::string(redirect_uri)},
                      {"code_verifier", verifier}});
  }

  nlohmann::json outbound_audit() {
    return json_of(send(control_, {bhttp::verb::get,
                                   "/control/tenants/" + std::string(tenant_id) + "/audit?listener=outbound",
                                   {}, {}, "Bearer " + std::string(control_secret)}))["records"];
  }

  void advance(std::int64_t seconds) { backend_->virtual_clock()->advance(std::chrono::seconds(seconds)); }

  static void expect_error_page(const http::Response& response, std::string_view mentions) {
    EXPECT_EQ(response.result_int(), 400u) << response.body();
    EXPECT_TRUE(response[bhttp::field::location].empty());
    EXPECT_TRUE(std::string(response[bhttp::field::content_type]).starts_with("text/html"));
    EXPECT_NE(response.body().find(mentions), std::string::npos) << response.body();
  }

  test_world::StateDirectory dir_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor stranger_{io_};
  DocumentHost documents_{io_};
  TlsIdentity secure_identity_ = generate_loopback_identity();
  DocumentHost secure_documents_{io_, secure_identity_};
  // Listed, but its certificate is nobody's the tenant trusts.
  DocumentHost untrusted_documents_{io_, generate_loopback_identity()};
  std::unique_ptr<Backend> backend_;
  std::vector<std::thread> threads_;
  std::string control_;
  std::string issuer_;
};

TEST_F(ClientDocumentsOverHttp, AClientNamedByItsDocumentSignsInAndRedeemsItsCode) {
  auto metadata = json_of(get(issuer_, "/.well-known/oauth-authorization-server"));
  EXPECT_EQ(metadata.value("client_id_metadata_document_supported", false), true);

  const auto client_id = documents_.url("/good.json");
  auto token = sign_in(client_id);
  ASSERT_EQ(token.result_int(), 200u) << token.body();
  auto refresh = post_form(issuer_, "/token",
                           {{"grant_type", "refresh_token"},
                            {"client_id", client_id},
                            {"refresh_token", json_of(token).value("refresh_token", "")}});
  EXPECT_EQ(refresh.result_int(), 200u) << refresh.body();

  // Fetched once: max-age=60 and the virtual clock has not moved.
  EXPECT_EQ(documents_.requests(), 1);
  auto records = outbound_audit();
  ASSERT_EQ(records.size(), 1u) << records.dump();
  EXPECT_EQ(records[0]["path"], client_id);
  EXPECT_EQ(records[0]["method"], "GET");
  EXPECT_EQ(records[0]["status"], 200);
  EXPECT_EQ(records[0]["client_id"], client_id);
}

TEST_F(ClientDocumentsOverHttp, AnHttpsHostIsFetchedOnlyWhenItsCertificateIsTrustedAndNamesIt) {
  const auto client_id = secure_documents_.url("/good.json");
  ASSERT_TRUE(client_id.starts_with("https://127.0.0.1:")) << client_id;
  auto token = sign_in(client_id);
  EXPECT_EQ(token.result_int(), 200u) << token.body();
  EXPECT_EQ(secure_documents_.requests(), 1);

  // A certificate the tenant does not trust ends the fetch in the handshake:
  // the host never sees the request, and the page says why.
  expect_error_page(authorize(untrusted_documents_.url("/good.json")), "self-signed certificate");
  EXPECT_EQ(untrusted_documents_.requests(), 0);
  auto records = outbound_audit();
  ASSERT_EQ(records.size(), 2u) << records.dump();
  EXPECT_EQ(records[0]["path"], client_id);
  EXPECT_EQ(records[0]["status"], 200);
  EXPECT_EQ(records[1]["path"], untrusted_documents_.url("/good.json"));
  EXPECT_EQ(records[1]["status"], 0) << records[1].dump(); // no HTTP answer
}

TEST_F(ClientDocumentsOverHttp, NoConnectionIsMadeToAHostTheTenantDoesNotList) {
  // Anything that would connect would be in the stranger's backlog before the answer.
  expect_error_page(authorize(stranger_url("/client.json")), "does not fetch");
  auto token = post_form(issuer_, "/token",
                         {{"grant_type", "authorization_code"},
                          {"client_id", stranger_url("/client.json")},
                          {"code", "x"},
                          {"redirect_uri", std::string(redirect_uri)},
                          {"code_verifier", pkce_make_verifier()}});
  EXPECT_EQ(token.result_int(), 401u);
  EXPECT_EQ(json_of(token).value("error", ""), "invalid_client");
  EXPECT_FALSE(stranger_was_contacted());
  EXPECT_TRUE(outbound_audit().empty());
  // The same request on a listed host does reach it: the check above could fail.
  ASSERT_EQ(authorize(documents_.url("/good.json")).result_int(), 200u);
  EXPECT_EQ(documents_.requests(), 1);
}

TEST_F(ClientDocumentsOverHttp, ADocumentThatBreaksARuleIsAnErrorPageAndInvalidClient) {
  expect_error_page(authorize(documents_.url("/other-id.json")), "client_id");
  expect_error_page(authorize(documents_.url("/secret.json")), "token_endpoint_auth_method");
  expect_error_page(authorize(documents_.url("/moved.json")), "redirect");
  expect_error_page(authorize(documents_.url("/big.json")), "larger than 5120 bytes");
  expect_error_page(authorize(documents_.url("/missing.json")), "HTTP 404");
  expect_error_page(authorize(documents_.url("/")), "path");
  // The redirect was not followed: one request per attempt, none for the root.
  EXPECT_EQ(documents_.requests(), 5);
  EXPECT_EQ(outbound_audit().size(), 5u);

  auto revoke = post_form(issuer_, "/revoke", {{"token", "whatever"}, {"client_id", documents_.url("/other-id.json")}});
  EXPECT_EQ(revoke.result_int(), 401u);
  EXPECT_EQ(json_of(revoke).value("error", ""), "invalid_client");
}

TEST_F(ClientDocumentsOverHttp, CachedForMaxAgeOnTheSharedClockAndNoLongerThanAnHour) {
  ASSERT_EQ(authorize(documents_.url("/good.json")).result_int(), 200u);
  advance(59);
  ASSERT_EQ(authorize(documents_.url("/good.json")).result_int(), 200u);
  EXPECT_EQ(documents_.requests(), 1);
  advance(1);
  ASSERT_EQ(authorize(documents_.url("/good.json")).result_int(), 200u);
  EXPECT_EQ(documents_.requests(), 2);

  documents_.cache_control = "max-age=86400";
  advance(60);
  ASSERT_EQ(authorize(documents_.url("/good.json")).result_int(), 200u);
  EXPECT_EQ(documents_.requests(), 3);
  advance(3599);
  ASSERT_EQ(authorize(documents_.url("/good.json")).result_int(), 200u);
  EXPECT_EQ(documents_.requests(), 3);
  advance(1);
  ASSERT_EQ(authorize(documents_.url("/good.json")).result_int(), 200u);
  EXPECT_EQ(documents_.requests(), 4);

  documents_.cache_control = "no-store";
  advance(3600);
  ASSERT_EQ(authorize(documents_.url("/good.json")).result_int(), 200u);
  ASSERT_EQ(authorize(documents_.url("/good.json")).result_int(), 200u);
  EXPECT_EQ(documents_.requests(), 6);
}

TEST(ClientDocumentsOff, AUrlClientIdIsAnUnknownClientAndNothingIsAdvertised) {
  test_world::TenantWorld world;
  EXPECT_FALSE(world.server().metadata().contains("client_id_metadata_document_supported"));
  auto query = test_world::authorization_query(pkce_s256_challenge(pkce_make_verifier()));
  query["client_id"] = "https://client.example.com/metadata.json";
  auto step = world.server().authorize(query);
  const auto* page = std::get_if<ErrorPage>(&step);
  ASSERT_NE(page, nullptr);
  EXPECT_NE(page->message.find("Unknown client"), std::string::npos);
}

} // namespace
} // namespace mcpcert::backend
