#pragma once
/// An asynchronous HTTP/1.1 client for upstream calls from a server's
/// io_context (the connector calling the tenant backend and its issuer).

#include <chrono>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/result.hpp>

#include "mcpcert/http_server.hpp"

namespace mcpcert::http {

/// A parsed absolute http:// URL.
struct Url {
  std::string scheme;
  std::string host;
  std::uint16_t port = 0;
  std::string target; ///< path and query, at least "/"
  /// scheme://host:port without a path.
  std::string origin() const;
};

/// Parses http and https URLs; an error for anything else.
boost::system::result<Url> parse_url(std::string_view text);

struct ClientOptions {
  std::chrono::milliseconds timeout{5'000}; ///< connect + write + read, all together
  std::size_t body_limit = 8 * 1024 * 1024;
};

/// Sends `request` to `url`'s host (one connection per call) and returns the response.
/// Errors are values: connection refused, timeout, body too large.
boost::asio::awaitable<boost::system::result<Response>> fetch(Url url, Request request, ClientOptions options = {});

} // namespace mcpcert::http
