#include "mcpcert/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

namespace mcpcert::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

std::string Url::origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

boost::system::result<Url> parse_url(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return parsed.error();
  const auto& uri = *parsed;
  Url url;
  url.scheme = std::string(uri.scheme());
  if (url.scheme != "http" && url.scheme != "https") return boost::system::errc::make_error_code(boost::system::errc::protocol_not_supported);
  if (!uri.has_authority() || uri.host().empty()) return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
  // Boost.URL 1.81 reads "http://10.0.0.1.nip.io/x" as host 10.0.0.1 and path
  // ".nip.io/x" (a greedy IPv4 match); after an authority RFC 3986 allows only
  // an empty path or one starting with '/', so anything else is that misreading
  // and would send the request to another host than the URL names.
  if (!uri.encoded_path().empty() && uri.encoded_path().front() != '/')
    return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
  url.host = uri.host_type() == boost::urls::host_type::ipv6 ? std::string(uri.host_ipv6_address().to_string())
                                                              : std::string(uri.host());
  url.port = uri.has_port() ? uri.port_number() : (url.scheme == "https" ? 443 : 80);
  url.target = std::string(uri.encoded_path());
  if (url.target.empty()) url.target = "/";
  if (uri.has_query()) url.target += "?" + std::string(uri.encoded_query());
  return url;
}

asio::awaitable<boost::system::result<Response>> fetch(Url url, Request request, ClientOptions options) {
  constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
  auto executor = co_await asio::this_coro::executor;
  if (url.scheme != "http") co_return boost::system::errc::make_error_code(boost::system::errc::protocol_not_supported);

  tcp::resolver resolver(executor);
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
  if (resolve_ec) co_return resolve_ec;

  beast::tcp_stream stream(executor);
  // One deadline for the whole exchange: a slow upstream can't hold a caller past it.
  stream.expires_after(options.timeout);
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, use_tuple);
  if (connect_ec) co_return connect_ec;

  request.target(url.target);
  const bool v6 = url.host.find(':') != std::string::npos;
  request.set(beast::http::field::host, (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port));
  request.keep_alive(false);
  request.prepare_payload();
  auto [write_ec, written] = co_await beast::http::async_write(stream, request, use_tuple);
  if (write_ec) co_return write_ec;

  beast::flat_buffer buffer;
  beast::http::response_parser<beast::http::string_body> parser;
  parser.body_limit(options.body_limit);
  auto [read_ec, read] = co_await beast::http::async_read(stream, buffer, parser, use_tuple);
  if (read_ec) co_return read_ec;

  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return parser.release();
}

} // namespace mcpcert::http
