#include "mcpcert/connector/bearer_validator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "mcpcert/encoding.hpp"
#include "mcpcert/http_server.hpp"

namespace mcpcert::connector {
namespace {

// Time that moves only when the test moves it: a VirtualClock follows the
// machine's clock, so "one second before expiry" could cross a second boundary
// between signing and checking.
class StoppedClock final : public Clock {
public:
  TimePoint now() const override { return now_; }
  void advance(std::chrono::milliseconds by) { now_ += by; }

private:
  TimePoint now_ = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
};

// An issuer that serves its JWKS from a real loopback listener, and a
// validator configured with it; both run on the test's io_context.
class BearerValidatorTest : public testing::Test {
protected:
  BearerValidatorTest() {
    jwks_server_ = std::make_unique<http::Server>(io_.get_executor(), "127.0.0.1", 0,
                                                  http::make_async([this](http::Request& request, const http::RequestContext&) {
                                                    ++jwks_fetches_;
                                                    nlohmann::json keys = nlohmann::json::array();
                                                    for (const auto& key : published_) keys.push_back(key->public_jwk());
                                                    return http::make_json_response(request, 200, nlohmann::json{{"keys", keys}}.dump());
                                                  }));
    jwks_server_->start();
    issuer_ = jwks_server_->base_url();
    config_.tenants.push_back({"emea-finance", "eu-central-1", issuer_, issuer_ + "/jwks", issuer_ + "/token", "http://127.0.0.1:1"});
    // A second tenant whose issuer never answers: its tokens are refused before any key is needed.
    config_.tenants.push_back({"us-finance", "us-east-1", "http://127.0.0.1:3", "http://127.0.0.1:3/jwks",
                               "http://127.0.0.1:3/token", "http://127.0.0.1:4"});
    resources_ = mcp_resources(config_, "https://127.0.0.1:9443");
    published_.push_back(&key_);
  }

  nlohmann::json claims() const {
    const auto now = clock_.unix_seconds();
    return {{"iss", issuer_}, {"sub", "u-alice"}, {"aud", audience_}, {"client_id", "c"}, {"scope", "finance:read"},
            {"jti", "j1"}, {"iat", now}, {"exp", now + 3600}, {"tenant", "emea-finance"}, {"entity", "ent-brussels"}};
  }

  /// At the shared MCP URL.
  boost::system::result<AccessIdentity> validate(const std::string& token) { return validate_at(token, resources_.front()); }

  boost::system::result<AccessIdentity> validate_at(const std::string& token, const McpResource& resource) {
    std::optional<boost::system::result<AccessIdentity>> outcome;
    boost::asio::co_spawn(io_, validator_.validate(token, resource),
                          [&](std::exception_ptr, boost::system::result<AccessIdentity> result) { outcome = std::move(result); });
    while (!outcome) io_.run_one();
    return *outcome;
  }

  JwtStatus refusal(const std::string& token) { return refusal_at(token, resources_.front()); }

  JwtStatus refusal_at(const std::string& token, const McpResource& resource) {
    auto result = validate_at(token, resource);
    return result ? JwtStatus::ok : static_cast<JwtStatus>(result.error().value());
  }

  const McpResource& emea_url() const { return resources_.at(1); }
  const McpResource& us_url() const { return resources_.at(2); }

  boost::asio::io_context io_;
  StoppedClock clock_;
  ConnectorConfig config_;
  std::string audience_ = "https://127.0.0.1:9443/mcp";
  EcSigningKey key_ = EcSigningKey::generate("k1");
  std::vector<const EcSigningKey*> published_;
  int jwks_fetches_ = 0;
  std::unique_ptr<http::Server> jwks_server_;
  std::string issuer_;
  std::vector<McpResource> resources_;
  BearerValidator validator_{config_, clock_};
};

TEST_F(BearerValidatorTest, AcceptsAGoodTokenAndVerifiesItOnce) {
  const auto token = sign_jwt(key_, claims(), "at+jwt");
  auto identity = validate(token);
  ASSERT_TRUE(identity) << identity.error().message();
  EXPECT_EQ(identity->subject, "u-alice");
  EXPECT_EQ(identity->entity, "ent-brussels");
  EXPECT_EQ(identity->route->region, "eu-central-1");
  EXPECT_TRUE(validate(token));
  EXPECT_EQ(jwks_fetches_, 1);
}

TEST_F(BearerValidatorTest, ATenantsOwnUrlTakesOnlyThatTenantsTokensForThatUrl) {
  ASSERT_EQ(emea_url().url, "https://127.0.0.1:9443/mcp/emea-finance");
  auto own = claims();
  own["aud"] = emea_url().url;
  const auto token = sign_jwt(key_, own, "at+jwt");
  auto identity = validate_at(token, emea_url());
  ASSERT_TRUE(identity) << identity.error().message();
  EXPECT_EQ(identity->route->id, "emea-finance");
  EXPECT_EQ(identity->resource, &emea_url());

  // A token for the shared URL is not one for the tenant's, nor the other way round.
  EXPECT_EQ(refusal_at(sign_jwt(key_, claims(), "at+jwt"), emea_url()), JwtStatus::wrong_audience);
  EXPECT_EQ(refusal(token), JwtStatus::wrong_audience);
  // Another tenant's URL knows no issuer but its own, whatever the token's audience says.
  auto elsewhere = claims();
  elsewhere["aud"] = us_url().url;
  EXPECT_EQ(refusal_at(sign_jwt(key_, elsewhere, "at+jwt"), us_url()), JwtStatus::wrong_issuer);
  EXPECT_EQ(refusal_at(token, us_url()), JwtStatus::wrong_issuer);
  // Having been refused elsewhere, the token still holds where it belongs.
  EXPECT_TRUE(validate_at(token, emea_url()));
}

TEST_F(BearerValidatorTest, ATokenVerifiedAtOneUrlIsCheckedAfreshAtAnother) {
  // The cache must not carry a verdict from one URL to the next.
  auto own = claims();
  own["aud"] = emea_url().url;
  const auto token = sign_jwt(key_, own, "at+jwt");
  ASSERT_TRUE(validate_at(token, emea_url()));
  EXPECT_EQ(refusal(token), JwtStatus::wrong_audience);
  EXPECT_EQ(refusal_at(token, us_url()), JwtStatus::wrong_issuer);
  const auto shared = sign_jwt(key_, claims(), "at+jwt");
  ASSERT_TRUE(validate(shared));
  EXPECT_EQ(refusal_at(shared, emea_url()), JwtStatus::wrong_audience);
  EXPECT_EQ(jwks_fetches_, 1);
}

TEST_F(BearerValidatorTest, ACachedTokenStillExpiresOnTime) {
  const auto token = sign_jwt(key_, claims(), "at+jwt");
  ASSERT_TRUE(validate(token));
  clock_.advance(std::chrono::seconds(3600 + config_.leeway.count() - 1));
  EXPECT_TRUE(validate(token));
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(refusal(token), JwtStatus::expired);
}

TEST_F(BearerValidatorTest, RefusesEachKindOfBadToken) {
  auto with = [&](const char* field, nlohmann::json value) {
    auto c = claims();
    c[field] = std::move(value);
    return sign_jwt(key_, c, "at+jwt");
  };
  EXPECT_EQ(refusal(with("aud", "https://elsewhere.example/mcp")), JwtStatus::wrong_audience);
  EXPECT_EQ(refusal(with("iss", "http://127.0.0.1:2")), JwtStatus::wrong_issuer);
  EXPECT_EQ(refusal(with("exp", clock_.unix_seconds() - 3600)), JwtStatus::expired);
  EXPECT_EQ(refusal(with("nbf", clock_.unix_seconds() + 3600)), JwtStatus::not_yet_valid);
  EXPECT_EQ(refusal(with("tenant", "other-tenant")), JwtStatus::missing_claim);
  EXPECT_EQ(refusal(sign_jwt(key_, claims(), "JWT")), JwtStatus::wrong_type);
  const auto stranger = EcSigningKey::generate("k1");
  EXPECT_EQ(refusal(sign_jwt(stranger, claims(), "at+jwt")), JwtStatus::bad_signature);
  const auto unsigned_token = base64url_encode(R"({"alg":"none","typ":"at+jwt"})") + "." + base64url_encode(claims().dump()) + ".";
  EXPECT_EQ(refusal(unsigned_token), JwtStatus::alg_none);
  EXPECT_EQ(refusal("not-a-jwt"), JwtStatus::malformed);
}

TEST_F(BearerValidatorTest, FollowsKeyRotationByRefetchingOnAnUnknownKid) {
  ASSERT_TRUE(validate(sign_jwt(key_, claims(), "at+jwt")));
  const auto rotated = EcSigningKey::generate("k2");
  published_.push_back(&rotated);
  // The first unknown kid right after a fetch is refused without asking the issuer again (rate limit).
  EXPECT_EQ(refusal(sign_jwt(rotated, claims(), "at+jwt")), JwtStatus::unknown_kid);
  EXPECT_EQ(jwks_fetches_, 1);
  clock_.advance(std::chrono::seconds(11));
  EXPECT_TRUE(validate(sign_jwt(rotated, claims(), "at+jwt")));
  EXPECT_EQ(jwks_fetches_, 2);
  EXPECT_TRUE(validate(sign_jwt(key_, claims(), "at+jwt"))); // the old key still verifies its tokens
}

TEST_F(BearerValidatorTest, AKeyTheIssuerWithdrawsTakesItsCachedTokensWithIt) {
  const auto old_token = sign_jwt(key_, claims(), "at+jwt");
  ASSERT_TRUE(validate(old_token));
  const auto rotated = EcSigningKey::generate("k2");
  published_ = {&rotated};
  clock_.advance(std::chrono::seconds(11));
  // The new kid makes the connector refetch the JWKS, which no longer has k1.
  ASSERT_TRUE(validate(sign_jwt(rotated, claims(), "at+jwt")));
  EXPECT_EQ(jwks_fetches_, 2);
  EXPECT_EQ(refusal(old_token), JwtStatus::unknown_kid);
}

TEST_F(BearerValidatorTest, AKidReboundToAnotherKeyRefusesTheTokensOfTheOldOne) {
  const auto old_token = sign_jwt(key_, claims(), "at+jwt");
  ASSERT_TRUE(validate(old_token));
  const auto replacement = EcSigningKey::generate("k1");
  const auto trigger = EcSigningKey::generate("k3");
  published_ = {&replacement, &trigger};
  clock_.advance(std::chrono::seconds(11));
  ASSERT_TRUE(validate(sign_jwt(trigger, claims(), "at+jwt")));
  EXPECT_EQ(refusal(old_token), JwtStatus::bad_signature);
  EXPECT_TRUE(validate(sign_jwt(replacement, claims(), "at+jwt")));
}

} // namespace
} // namespace mcpcert::connector
