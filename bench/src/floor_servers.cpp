#include "mcpcert/bench/floor_servers.hpp"

#include <csignal>
#include <iostream>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "mcpcert/http_client.hpp"
#include "mcpcert/http_server.hpp"

namespace mcpcert::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;

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

} // namespace

int serve_trivial(std::size_t reply_bytes) {
  std::string reply = floor_reply;
  if (reply_bytes > reply.size()) {
    reply = nlohmann::json{{"jsonrpc", "2.0"},
                           {"id", 1},
                           {"result", {{"content", {{{"type", "text"}, {"text", std::string(reply_bytes - reply.size(), 'x')}}}},
                                       {"isError", false}}}}
                .dump();
  }
  return serve(http::make_async([reply](http::Request& request, const http::RequestContext&) {
    return http::make_json_response(request, 200, reply);
  }));
}

int serve_proxy(const std::string& upstream_url) {
  auto url = http::parse_url(upstream_url);
  if (!url || url->scheme != "http") {
    std::cerr << "mcpcert-bench: --serve-proxy needs an http:// URL\n";
    return 2;
  }
  // The connector's own upstream pool: the floor pays what the connector pays per hop.
  auto pool = std::make_shared<http::ConnectionPool>();
  http::Handler forward = [pool, upstream = *url](http::Request& request,
                                                  const http::RequestContext&) -> asio::awaitable<http::Response> {
    auto target = upstream;
    target.target = std::string(request.target());
    auto reply = co_await pool->fetch(std::move(target), request);
    if (!reply) co_return http::make_json_response(request, 502, R"({"error":"upstream failed"})");
    co_return http::make_response(request, reply->result_int(), std::string((*reply)[beast::http::field::content_type]),
                                  std::move(reply->body()));
  };
  return serve(forward);
}

} // namespace mcpcert::bench
