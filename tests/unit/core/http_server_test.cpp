#include "mcpcert/http_server.hpp"

#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/verb.hpp>
#include <gtest/gtest.h>

#include "mcpcert/http_client.hpp"

namespace mcpcert::http {
namespace {

namespace asio = boost::asio;

// A server on 127.0.0.1:0 with its io_context on a thread of its own.
class ServerFixture : public testing::Test {
protected:
  void SetUp() override {
    ServerLimits limits;
    limits.body_limit = 64;
    server_ = std::make_unique<Server>(io_.get_executor(), "127.0.0.1", 0,
                                       make_async([this](Request& request, const RequestContext& context) {
                                         ++handled_;
                                         return make_response(request, 200, "text/plain",
                                                              std::string(request.target()) + " from " + context.remote_address);
                                       }),
                                       limits);
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    server_->stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  // Sends raw bytes and reads until the server closes the connection.
  std::string raw_exchange(const std::string& bytes) {
    asio::io_context client_io;
    asio::ip::tcp::socket socket(client_io);
    socket.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    asio::write(socket, asio::buffer(bytes));
    std::string reply;
    boost::system::error_code ec;
    std::array<char, 4096> buffer{};
    for (;;) {
      const auto n = socket.read_some(asio::buffer(buffer), ec);
      reply.append(buffer.data(), n);
      if (ec) break;
    }
    return reply;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::atomic<int> handled_{0};
};

TEST_F(ServerFixture, AnswersAndKeepsTheConnectionAlive) {
  const auto reply = raw_exchange("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(reply.find("/a from 127.0.0.1"), std::string::npos) << reply;
  EXPECT_NE(reply.find("/b from 127.0.0.1"), std::string::npos) << reply;
  EXPECT_EQ(handled_, 2);
}

TEST_F(ServerFixture, OversizedBodyGets413BeforeTheHandlerRuns) {
  const std::string body(65, 'x');
  const auto reply = raw_exchange("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n" + body);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_NE(reply.find("application/problem+json"), std::string::npos);
  EXPECT_EQ(handled_, 0);
}

TEST_F(ServerFixture, MalformedRequestGets400) {
  const auto reply = raw_exchange("GARBAGE\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_EQ(handled_, 0);
}

TEST_F(ServerFixture, AsyncClientFetches) {
  asio::io_context client_io;
  auto url = parse_url(server_->base_url() + "/hello?x=1");
  ASSERT_TRUE(url);
  std::optional<boost::system::result<Response>> outcome;
  asio::co_spawn(client_io, fetch(*url, Request{boost::beast::http::verb::get, "/", 11}),
                 [&](std::exception_ptr, boost::system::result<Response> result) { outcome = std::move(result); });
  client_io.run();
  ASSERT_TRUE(outcome && *outcome);
  EXPECT_EQ((*outcome)->result_int(), 200);
  EXPECT_EQ((*outcome)->body().rfind("/hello?x=1", 0), 0u);
}

// A handler that streams: the head goes out first, then each chunk, then the
// server ends the chunked body and keeps the connection for the next request.
TEST(StreamingResponse, ChunksGoOutInOrderAndTheConnectionStaysUsable) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  Server server(io.get_executor(), "127.0.0.1", 0, [](Request& request, const RequestContext& context) -> asio::awaitable<Response> {
    if (request.target() != "/stream" || context.stream == nullptr) co_return make_response(request, 200, "text/plain", "plain");
    auto head = make_response(request, 200, "text/event-stream", "");
    co_await context.stream->begin(std::move(head));
    for (const char* event : {"id: 1\ndata: one\n\n", "id: 2\ndata: two\n\n"}) co_await context.stream->write(event);
    co_return Response{}; // ignored: the stream was begun
  });
  server.start();
  std::thread thread([&] { io.run(); });
  asio::io_context client_io;
  asio::ip::tcp::socket socket(client_io);
  socket.connect({asio::ip::make_address("127.0.0.1"), server.port()});
  asio::write(socket, asio::buffer(std::string("GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  std::string reply;
  boost::system::error_code ec;
  std::array<char, 4096> buffer{};
  while (!ec) reply.append(buffer.data(), socket.read_some(asio::buffer(buffer), ec));
  server.stop();
  work.reset();
  io.stop();
  thread.join();
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_NE(reply.find("Transfer-Encoding: chunked"), std::string::npos) << reply;
  const auto one = reply.find("data: one");
  const auto two = reply.find("data: two");
  const auto end = reply.find("\r\n0\r\n\r\n");
  ASSERT_NE(one, std::string::npos) << reply;
  EXPECT_LT(one, two);
  EXPECT_LT(two, end);
  EXPECT_NE(reply.find("plain", end), std::string::npos) << "the second request is answered on the same connection";
}

TEST(HttpClient, ConnectionRefusedIsAnErrorValue) {
  // Bind then close a port so nothing listens on it.
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();
  acceptor.close();
  auto url = parse_url("http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_TRUE(url);
  std::optional<boost::system::result<Response>> outcome;
  asio::co_spawn(io, fetch(*url, Request{boost::beast::http::verb::get, "/", 11}),
                 [&](std::exception_ptr, boost::system::result<Response> result) { outcome = std::move(result); });
  io.run();
  ASSERT_TRUE(outcome);
  EXPECT_FALSE(*outcome);
}

TEST(ParseUrl, AcceptsHttpAndHttpsOnly) {
  auto url = parse_url("http://[::1]:8080/mcp?x=y");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->target, "/mcp?x=y");
  EXPECT_EQ(url->origin(), "http://[::1]:8080");
  EXPECT_EQ(parse_url("https://example.com")->port, 443);
  EXPECT_FALSE(parse_url("ftp://example.com/"));
  EXPECT_FALSE(parse_url("/relative"));
  EXPECT_FALSE(parse_url("http:///nohost"));
}

TEST(ListenAddress, ParsesIpv4AndIpv6) {
  EXPECT_EQ(parse_listen_address("127.0.0.1:0"), (std::pair<std::string, std::uint16_t>{"127.0.0.1", 0}));
  EXPECT_EQ(parse_listen_address("[::1]:8443"), (std::pair<std::string, std::uint16_t>{"::1", 8443}));
  EXPECT_THROW(parse_listen_address("localhost:80"), std::invalid_argument);
  EXPECT_THROW(parse_listen_address("127.0.0.1"), std::invalid_argument);
  EXPECT_THROW(parse_listen_address("127.0.0.1:65536"), std::invalid_argument);
  EXPECT_THROW(parse_listen_address("[::1]8080"), std::invalid_argument);
}

} // namespace
} // namespace mcpcert::http
