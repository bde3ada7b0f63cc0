#include "mcpcert/connector/control_plane.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/verb.hpp>
#include <gtest/gtest.h>

#include "mcpcert/http_client.hpp"

namespace mcpcert::connector {
namespace {

class ControlPlaneTest : public testing::Test {
protected:
  // Runs one request against the control plane on the test's own io_context.
  http::Response send(const std::string& path, const std::string& secret, const std::string& body) {
    auto url = http::parse_url(plane_.base_url() + path);
    http::Request request{boost::beast::http::verb::post, url->target, 11};
    if (!secret.empty()) request.set(boost::beast::http::field::authorization, "Bearer " + secret);
    request.body() = body;
    std::optional<boost::system::result<http::Response>> outcome;
    boost::asio::co_spawn(io_, http::fetch(*url, std::move(request)),
                          [&](std::exception_ptr, boost::system::result<http::Response> result) { outcome = std::move(result); });
    while (!outcome) io_.run_one();
    return outcome->value();
  }

  boost::asio::io_context io_;
  VirtualClock clock_;
  ControlPlaneConfig config_{"127.0.0.1", 0, "a-control-secret-of-some-length"};
  ControlPlane plane_{io_.get_executor(), config_, clock_, nullptr};
  void SetUp() override { plane_.start(); }
};

TEST_F(ControlPlaneTest, AdvancesTheVirtualClockWithTheSecret) {
  const auto before = clock_.unix_seconds();
  const auto response = send("/control/clock/advance", config_.secret, R"({"seconds": 3601})");
  EXPECT_EQ(response.result_int(), 200) << response.body();
  EXPECT_GE(clock_.unix_seconds() - before, 3601);
}

TEST_F(ControlPlaneTest, RewindsTheVirtualClockOnlyThroughItsOwnEndpoint) {
  const auto before = clock_.unix_seconds();
  const auto response = send("/control/clock/rewind", config_.secret, R"({"seconds": 3600})");
  EXPECT_EQ(response.result_int(), 200) << response.body();
  EXPECT_LE(clock_.unix_seconds() - before, -3599);
  EXPECT_EQ(send("/control/clock/rewind", config_.secret, R"({"seconds": -5})").result_int(), 400);
  EXPECT_EQ(send("/control/clock/rewind", "", R"({"seconds": 60})").result_int(), 401);
  EXPECT_EQ(clock_.offset().count(), -3'600'000);
}

TEST_F(ControlPlaneTest, RefusesWithoutTheSecretAndLeavesTimeAlone) {
  EXPECT_EQ(send("/control/clock/advance", "", R"({"seconds": 60})").result_int(), 401);
  EXPECT_EQ(send("/control/clock/advance", "wrong-secret-wrong-secret", R"({"seconds": 60})").result_int(), 401);
  EXPECT_EQ(clock_.offset().count(), 0);
}

TEST_F(ControlPlaneTest, RefusesMalformedOrBackwardAdvances) {
  EXPECT_EQ(send("/control/clock/advance", config_.secret, "{").result_int(), 400);
  EXPECT_EQ(send("/control/clock/advance", config_.secret, R"({"seconds": -5})").result_int(), 400);
  EXPECT_EQ(send("/control/clock/advance", config_.secret, R"({"seconds": "5"})").result_int(), 400);
  EXPECT_EQ(send("/control/nothing", config_.secret, "").result_int(), 404);
  EXPECT_EQ(clock_.offset().count(), 0);
}

} // namespace
} // namespace mcpcert::connector
