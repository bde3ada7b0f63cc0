#include "mcpcert/bench/floor_servers.hpp"

#include <csignal>
#include <iostream>
#include <memory>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "mcpcert/http_client.hpp"
#include "mcpcert/http_server.hpp"

namespace mcpcert::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

int serve(const http::Handler& handler) {
  asio::io_context io;
  http::Server server(io.get_executor(), "127.0.0.1", 0, handler);
  server.start();
  std::cout << "READY " << nlohmann::json{{"url", server.base_url() + "/mcp"}}.dump() << std::endl;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    server.stop();
    io.stop();
  });
  io.run();
  return 0;
}

struct Upstream {
  explicit Upstream(asio::any_io_executor executor) : stream(std::move(executor)) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
};

} // namespace

int serve_trivial() {
  return serve(http::make_async([](http::Request& request, const http::RequestContext&) {
    return http::make_json_response(request, 200, floor_reply);
  }));
}

int serve_proxy(const std::string& upstream_url) {
  auto url = http::parse_url(upstream_url);
  if (!url || url->scheme != "http") {
    std::cerr << "mcpcert-bench: --serve-proxy needs an http:// URL\n";
    return 2;
  }
  const tcp::endpoint target(asio::ip::make_address(url->host), url->port);
  const std::string host = url->host + ":" + std::to_string(url->port);
  // Idle upstream connections; the io_context has one thread, so no lock.
  auto idle = std::make_shared<std::vector<std::unique_ptr<Upstream>>>();
  http::Handler forward = [idle, target, host](http::Request& request,
                                               const http::RequestContext&) -> asio::awaitable<http::Response> {
    // A pooled connection the server has closed meanwhile (idle timeout) fails
    // at once; as any proxy does, retry once on a fresh connection. The other
    // pooled connections are as old, so they go too.
    std::unique_ptr<Upstream> upstream;
    http::Response reply;
    for (int attempt = 0;; ++attempt) {
      const bool reused = attempt == 0 && !idle->empty();
      if (attempt > 0) idle->clear();
      if (reused) {
        upstream = std::move(idle->back());
        idle->pop_back();
      } else {
        upstream = std::make_unique<Upstream>(co_await asio::this_coro::executor);
        auto [ec] = co_await upstream->stream.async_connect(target, asio::as_tuple(asio::use_awaitable));
        if (ec) co_return http::make_json_response(request, 502, R"({"error":"upstream unreachable"})");
        upstream->stream.socket().set_option(tcp::no_delay(true));
      }
      http::Request outgoing = request;
      outgoing.set(beast::http::field::host, host);
      outgoing.keep_alive(true);
      reply = {};
      auto [write_ec, written] = co_await beast::http::async_write(upstream->stream, outgoing, asio::as_tuple(asio::use_awaitable));
      (void)written;
      boost::system::error_code read_ec = write_ec;
      if (!write_ec) {
        auto [ec, read] = co_await beast::http::async_read(upstream->stream, upstream->buffer, reply, asio::as_tuple(asio::use_awaitable));
        (void)read;
        read_ec = ec;
      }
      if (!read_ec) break;
      if (!reused || attempt > 0) co_return http::make_json_response(request, 502, R"({"error":"upstream failed"})");
    }
    const bool reusable = reply.keep_alive();
    auto response = http::make_response(request, reply.result_int(), std::string(reply[beast::http::field::content_type]),
                                        std::move(reply.body()));
    if (reusable) idle->push_back(std::move(upstream));
    co_return response;
  };
  return serve(forward);
}

} // namespace mcpcert::bench
