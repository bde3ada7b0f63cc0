#include "mcpcert/tls.hpp"

#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "mcpcert/http_server.hpp"

namespace mcpcert {
namespace {

namespace asio = boost::asio;

class TlsServerTest : public testing::Test {
protected:
  void SetUp() override {
    server_ = std::make_unique<http::Server>(
        io_.get_executor(), "127.0.0.1", 0,
        http::make_async([](http::Request& request, const http::RequestContext&) {
          return http::make_response(request, 200, "text/plain", "secure hello");
        }),
        http::ServerLimits{}, identity_);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    server_->stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  TlsIdentity identity_ = generate_loopback_identity();
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

TEST_F(TlsServerTest, RefusesTls10And11AndServes12And13) {
  EXPECT_EQ(server_->base_url().rfind("https://127.0.0.1:", 0), 0u);
  for (auto version : {TlsVersion::tls1_0, TlsVersion::tls1_1}) {
    const auto probe = probe_tls_handshake("127.0.0.1", server_->port(), version);
    EXPECT_FALSE(probe.completed) << to_string(version) << " negotiated " << probe.negotiated_version;
  }
  for (auto version : {TlsVersion::tls1_2, TlsVersion::tls1_3}) {
    const auto probe = probe_tls_handshake("127.0.0.1", server_->port(), version);
    EXPECT_TRUE(probe.completed) << to_string(version) << ": " << probe.error;
    EXPECT_EQ(probe.negotiated_version, to_string(version));
  }
}

TEST_F(TlsServerTest, AVerifyingClientTrustsTheGeneratedCertificateFor127001) {
  asio::io_context client_io;
  asio::ssl::context context(asio::ssl::context::tls_client);
  context.add_certificate_authority(asio::buffer(identity_.certificate_pem));
  context.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<asio::ip::tcp::socket> stream(client_io, context);
  stream.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
  stream.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), server_->port()});
  stream.handshake(asio::ssl::stream_base::client);
  asio::write(stream, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  std::string reply;
  boost::system::error_code ec;
  std::array<char, 1024> buffer{};
  for (;;) {
    const auto n = stream.read_some(asio::buffer(buffer), ec);
    reply.append(buffer.data(), n);
    if (ec) break;
  }
  EXPECT_NE(reply.find("secure hello"), std::string::npos) << reply;
}

TEST(TlsPolicy, TheLegacyKnobLetsOldVersionsThroughSoTheCheckCanBite) {
  asio::io_context io;
  http::ServerLimits limits;
  limits.tls_allow_legacy_versions = true;
  http::Server server(io.get_executor(), "127.0.0.1", 0,
                      http::make_async([](http::Request& request, const http::RequestContext&) {
                        return http::make_response(request, 200, "text/plain", "");
                      }),
                      limits, generate_loopback_identity());
  server.start();
  std::thread thread([&] { io.run(); });
  const auto probe = probe_tls_handshake("127.0.0.1", server.port(), TlsVersion::tls1_1);
  server.stop();
  io.stop();
  thread.join();
  EXPECT_TRUE(probe.completed) << probe.error;
}

TEST(LoopbackIdentity, EachCallMakesADifferentKey) {
  const auto a = generate_loopback_identity();
  const auto b = generate_loopback_identity();
  EXPECT_NE(a.private_key_pem, b.private_key_pem);
  EXPECT_EQ(a.certificate_pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
}

} // namespace
} // namespace mcpcert
