#include "mcpcert/http_client.hpp"

#include <functional>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

#include "mcpcert/tls.hpp"

namespace mcpcert::http {
namespace {

TEST(ParseUrl, ReadsSchemeHostPortAndTarget) {
  auto url = parse_url("https://[::1]:8443/mcp?x=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/mcp?x=1");
  EXPECT_EQ(url->origin(), "https://[::1]:8443");
}

TEST(ParseUrl, EmptyPathIsTheRoot) {
  auto url = parse_url("http://127.0.0.1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target, "/");
}

// Found by the url fuzz target: Boost.URL 1.81 matched an IPv4 address at the
// start of a longer host name and left the rest in the path, so these named
// one host and would have been sent to another.
TEST(ParseUrl, RefusesAHostNameThatStartsLikeAnIpv4Address) {
  EXPECT_FALSE(parse_url("https://10.0.0.1.nip.io/mcp"));
  EXPECT_FALSE(parse_url("http://127.0.0.1.0.1/cb"));
  EXPECT_FALSE(parse_url("http://127.0.0.1x/"));
  EXPECT_FALSE(parse_url("http://127.0.0.1.evil.example"));
  EXPECT_FALSE(parse_url("http://1.2.3.4:80.5/"));
}

TEST(ParseUrl, RefusesOtherSchemesAndRelativeReferences) {
  EXPECT_FALSE(parse_url("ftp://example.com/"));
  EXPECT_FALSE(parse_url("/mcp"));
  EXPECT_FALSE(parse_url("http:/r@127.0.0.1:1/cb"));
}

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

/// An upstream whose connections follow a script: connection i answers
/// `replies[i]` requests in full (keep-alive), then, if `torn[i]`, starts one
/// more reply and breaks off, and closes without a word either way.
class ScriptedUpstream {
public:
  ScriptedUpstream(asio::io_context& io, std::vector<int> replies, std::vector<bool> torn = {})
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), replies_(std::move(replies)),
        torn_(std::move(torn)) {
    torn_.resize(replies_.size(), false);
    asio::co_spawn(io, accept(), asio::detached);
  }
  Url url() const { return *parse_url("http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/api"); }
  int accepted() const { return accepted_; }

private:
  asio::awaitable<void> accept() {
    for (;;) {
      auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
      const auto index = accepted_++;
      if (index >= static_cast<int>(replies_.size())) co_return;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket), replies_[index], torn_[index]), asio::detached);
    }
  }

  static asio::awaitable<void> serve(tcp::socket socket, int replies, bool torn) {
    boost::beast::flat_buffer buffer;
    for (int i = 0; i < replies + (torn ? 1 : 0); ++i) {
      Request request;
      co_await boost::beast::http::async_read(socket, buffer, request, asio::use_awaitable);
      if (i == replies) {
        co_await asio::async_write(socket, asio::buffer(std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")),
                                   asio::use_awaitable);
        break;
      }
      Response response{boost::beast::http::status::ok, 11};
      response.body() = "reply " + std::to_string(i);
      response.keep_alive(true);
      response.prepare_payload();
      co_await boost::beast::http::async_write(socket, response, asio::use_awaitable);
    }
    socket.close();
  }

  tcp::acceptor acceptor_;
  std::vector<int> replies_;
  std::vector<bool> torn_;
  int accepted_ = 0;
};

/// Runs `calls` fetches one after the other through `pool`; their results.
std::vector<boost::system::result<Response>> fetch_in_turn(asio::io_context& io, ConnectionPool& pool, const Url& url, int calls) {
  std::vector<boost::system::result<Response>> results;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < calls; ++i) results.push_back(co_await pool.fetch(url, Request{boost::beast::http::verb::get, "/", 11}));
      },
      [&](std::exception_ptr) { io.stop(); });
  io.run();
  return results;
}

TEST(ConnectionPool, SequentialCallsShareOneConnection) {
  asio::io_context io;
  ScriptedUpstream upstream(io, {10});
  ConnectionPool pool;
  auto results = fetch_in_turn(io, pool, upstream.url(), 3);
  ASSERT_EQ(results.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(results[i]) << results[i].error().message();
    EXPECT_EQ(results[i]->body(), "reply " + std::to_string(i));
  }
  EXPECT_EQ(upstream.accepted(), 1);
  EXPECT_EQ(pool.idle_count(), 1u);
}

TEST(ConnectionPool, AConnectionTheServerClosedWhileIdleIsReplacedOnce) {
  asio::io_context io;
  // The first connection serves one reply and closes; the call after it finds it dead.
  ScriptedUpstream upstream(io, {1, 10});
  ConnectionPool pool;
  auto results = fetch_in_turn(io, pool, upstream.url(), 2);
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[0]);
  ASSERT_TRUE(results[1]) << results[1].error().message();
  EXPECT_EQ(results[1]->body(), "reply 0");
  EXPECT_EQ(upstream.accepted(), 2);
}

TEST(ConnectionPool, AReplyBrokenOffHalfwayIsAnErrorNotARetry) {
  asio::io_context io;
  // Part of a reply came back: the server had the request, so sending it again could do it twice.
  ScriptedUpstream upstream(io, {1, 10}, {true});
  ConnectionPool pool;
  auto results = fetch_in_turn(io, pool, upstream.url(), 2);
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[0]);
  EXPECT_FALSE(results[1]);
  EXPECT_EQ(upstream.accepted(), 1);
  EXPECT_EQ(pool.idle_count(), 0u);
}

TEST(ConnectionPool, AnUnreachableUpstreamIsAnError) {
  asio::io_context io;
  tcp::acceptor closed(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto url = *parse_url("http://127.0.0.1:" + std::to_string(closed.local_endpoint().port()) + "/");
  closed.close();
  ConnectionPool pool;
  auto results = fetch_in_turn(io, pool, url, 1);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0]);
}

/// An HTTPS server on `host` (a loopback address) with a certificate made for
/// 127.0.0.1, ::1 and localhost, and one fetch against it on the same io_context.
class HttpsFetch : public ::testing::Test {
protected:
  void serve_on(const std::string& host) {
    server_ = std::make_unique<Server>(
        io_.get_executor(), host, 0,
        make_async([](Request& request, const RequestContext&) {
          return make_response(request, 200, "text/plain", "over tls: " + std::string(request.target()));
        }),
        ServerLimits{}, identity_);
    server_->start();
  }

  boost::system::result<Response> fetch_from(const std::string& url_text, std::shared_ptr<const TlsTrust> trust) {
    auto url = parse_url(url_text);
    EXPECT_TRUE(url) << url_text;
    boost::system::result<Response> answer = boost::system::errc::make_error_code(boost::system::errc::io_error);
    ClientOptions options;
    options.trust = trust.get();
    asio::co_spawn(
        io_, [&]() -> asio::awaitable<void> { answer = co_await fetch(*url, Request{boost::beast::http::verb::get, "/", 11}, options); },
        [&](std::exception_ptr) {
          server_->stop();
          io_.stop();
        });
    io_.run();
    return answer;
  }

  std::string url(const std::string& host, std::string_view path = "/doc.json") const {
    return "https://" + host + ":" + std::to_string(server_->port()) + std::string(path);
  }

  std::shared_ptr<const TlsTrust> trusting_the_server() const { return TlsTrust::make({identity_.certificate_pem}, false); }

  TlsIdentity identity_ = generate_loopback_identity();
  asio::io_context io_;
  std::unique_ptr<Server> server_;
};

TEST_F(HttpsFetch, ReachesAServerWhoseCertificateChainsToTheTrustAndNamesTheHost) {
  serve_on("127.0.0.1");
  auto answer = fetch_from(url("127.0.0.1", "/doc.json?v=1"), trusting_the_server());
  ASSERT_TRUE(answer) << answer.error().message();
  EXPECT_EQ(answer->result_int(), 200u);
  EXPECT_EQ(answer->body(), "over tls: /doc.json?v=1");
}

TEST_F(HttpsFetch, ADnsNameIsCheckedAgainstTheCertificatesNames) {
  serve_on("127.0.0.1");
  auto answer = fetch_from(url("localhost"), trusting_the_server());
  ASSERT_TRUE(answer) << answer.error().message();
  EXPECT_EQ(answer->result_int(), 200u);
}

TEST_F(HttpsFetch, ACertificateOutsideTheTrustIsRefusedAndSaysWhy) {
  serve_on("127.0.0.1");
  // The machine's store does not hold a certificate made a moment ago.
  auto answer = fetch_from(url("127.0.0.1"), TlsTrust::system());
  ASSERT_FALSE(answer);
  EXPECT_NE(answer.error().message().find("the server's certificate is refused: self-signed certificate"), std::string::npos)
      << answer.error().message();
}

TEST_F(HttpsFetch, ATrustedCertificateThatDoesNotNameTheHostIsRefused) {
  // 127.0.0.2 is loopback too, but the certificate names 127.0.0.1, ::1 and localhost only.
  serve_on("127.0.0.2");
  auto answer = fetch_from(url("127.0.0.2"), trusting_the_server());
  ASSERT_FALSE(answer);
  EXPECT_NE(answer.error().message().find("IP address mismatch"), std::string::npos) << answer.error().message();
}

TEST(TlsTrust, ATextWithoutACertificateIsRefusedByItsPlace) {
  try {
    TlsTrust::make({generate_loopback_identity().certificate_pem, "-----BEGIN NOTHING-----"}, false);
    FAIL() << "a text with no certificate was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("trusted certificate text 2 holds no readable PEM certificate"), std::string::npos)
        << e.what();
  }
}

} // namespace
} // namespace mcpcert::http
