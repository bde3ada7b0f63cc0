#pragma once
/// An asynchronous HTTP/1.1 client for upstream calls from a server's
/// io_context (the connector calling the tenant backend and its issuer).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/system/result.hpp>

#include "mcpcert/http_server.hpp"

namespace mcpcert::http {

/// A parsed absolute http:// or https:// URL.
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

/// Whom an https fetch believes: a server's certificate must chain to one of
/// these anchors and name the URL's host (its DNS name, or its IP address for
/// a literal one), over TLS 1.2 or later. Immutable once made, so one is
/// shared by every fetch, on any thread.
class TlsTrust {
public:
  /// The certificates of `extra_pem` (PEM texts, one or more certificates
  /// each), and with `system_store` the machine's own store as well (on
  /// Debian, /etc/ssl/certs). Throws std::invalid_argument naming the text
  /// (by its index) that holds no readable certificate: a start-up error.
  static std::shared_ptr<const TlsTrust> make(const std::vector<std::string>& extra_pem, bool system_store = true);
  /// The machine's store alone, made on first use.
  static std::shared_ptr<const TlsTrust> system();

  ~TlsTrust();
  TlsTrust(const TlsTrust&) = delete;
  TlsTrust& operator=(const TlsTrust&) = delete;

  struct Context; ///< the OpenSSL client context, in the source file
  Context& context() const { return *context_; }

private:
  explicit TlsTrust(std::unique_ptr<Context> context);
  std::unique_ptr<Context> context_;
};

struct ClientOptions {
  std::chrono::milliseconds timeout{5'000}; ///< connect + handshake + write + read, all together
  std::size_t body_limit = 8 * 1024 * 1024;
  /// For https URLs; null: `TlsTrust::system()`. Not owned: it outlives the
  /// fetch. (A raw pointer keeps the options trivially destructible, which
  /// g++ 12 needs of a braced temporary passed inside co_await.)
  const TlsTrust* trust = nullptr;
};

/// Sends `request` to `url`'s host (one connection per call, TLS for https)
/// and returns the response. Errors are values: connection refused, timeout,
/// a certificate not trusted or not naming the host, body too large.
boost::asio::awaitable<boost::system::result<Response>> fetch(Url url, Request request, ClientOptions options = {});

/// Keep-alive connections to upstream origins, reused from call to call: a
/// server calling the same few upstreams on every request saves a TCP
/// handshake (and a resolver round trip) per call. One pool per executor:
/// a connection is used on the executor that opened it.
class ConnectionPool {
public:
  struct Options {
    std::size_t max_idle_per_origin = 64;
    /// Older idle connections are closed rather than reused; below the
    /// upstream servers' own idle timeout, so a reused one is rarely dead.
    std::chrono::milliseconds max_idle_age{15'000};
  };

  ConnectionPool();
  explicit ConnectionPool(Options options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  /// As `http::fetch` (plain http only), on a pooled connection when one is idle. A reused
  /// connection the server closed meanwhile fails before any byte of a
  /// reply: the request is sent once more on a new connection, as HTTP/1.1
  /// clients do (RFC 9112, 9.3.1), and never after part of a reply came back.
  boost::asio::awaitable<boost::system::result<Response>> fetch(Url url, Request request, ClientOptions options = {});

  /// Idle connections held now (all origins); for tests and benchmarks.
  std::size_t idle_count() const;

  struct Connection;

private:
  std::unique_ptr<Connection> take(const std::string& origin);
  void give_back(const std::string& origin, std::unique_ptr<Connection> connection);
  void drop(const std::string& origin);

  Options options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

} // namespace mcpcert::http
