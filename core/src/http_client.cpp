#include "mcpcert/http_client.hpp"

#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

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

struct TlsTrust::Context {
  asio::ssl::context ssl{asio::ssl::context::tls_client};
};

TlsTrust::TlsTrust(std::unique_ptr<Context> context) : context_(std::move(context)) {}
TlsTrust::~TlsTrust() = default;

std::shared_ptr<const TlsTrust> TlsTrust::make(const std::vector<std::string>& extra_pem, bool system_store) {
  auto context = std::make_unique<Context>();
  auto& ssl = context->ssl;
  if (SSL_CTX_set_min_proto_version(ssl.native_handle(), TLS1_2_VERSION) != 1)
    throw std::invalid_argument("cannot set TLS 1.2 as the minimum version");
  ssl.set_verify_mode(asio::ssl::verify_peer);
  boost::system::error_code ec;
  if (system_store && (ssl.set_default_verify_paths(ec), ec))
    throw std::invalid_argument("cannot read the system's certificate store: " + ec.message());
  for (std::size_t i = 0; i < extra_pem.size(); ++i) {
    ssl.add_certificate_authority(asio::buffer(extra_pem[i]), ec);
    if (ec)
      throw std::invalid_argument("trusted certificate text " + std::to_string(i + 1) +
                                  " holds no readable PEM certificate (" + ec.message() + ")");
  }
  return std::shared_ptr<const TlsTrust>(new TlsTrust(std::move(context)));
}

std::shared_ptr<const TlsTrust> TlsTrust::system() {
  static const auto trust = make({}, true);
  return trust;
}

namespace {

/// Why OpenSSL refused a server's certificate (X509_V_ERR_*), so a failed
/// fetch says "hostname mismatch" or "self-signed certificate" rather than
/// only "certificate verify failed".
class CertificateVerifyCategory final : public boost::system::error_category {
public:
  const char* name() const noexcept override { return "certificate verification"; }
  std::string message(int code) const override {
    return std::string("the server's certificate is refused: ") + X509_verify_cert_error_string(code);
  }
};

const CertificateVerifyCategory& certificate_verify_category() {
  static const CertificateVerifyCategory category;
  return category;
}

/// The name the certificate must carry: an IP literal is matched against the
/// certificate's IP addresses and sent without SNI (RFC 6066 3 allows only
/// DNS names there); anything else is a DNS name, wildcards only whole labels.
boost::system::error_code expect_host(SSL* ssl, const std::string& host) {
  boost::system::error_code not_an_address;
  asio::ip::make_address(host, not_an_address);
  auto* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const bool named = !not_an_address ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1
                                     : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) == 1 &&
                                           SSL_set_tlsext_host_name(ssl, host.c_str()) == 1;
  if (!named) return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
  return {};
}

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A literal address needs no resolver: asio's resolver hands getaddrinfo to a
// thread of its own, a round trip per call that upstream calls to loopback
// addresses (the usual case here) don't need.
asio::awaitable<boost::system::error_code> connect(beast::tcp_stream& stream, const Url& url) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(url.host, ec);
  if (!ec) {
    auto [connect_ec] = co_await stream.async_connect(tcp::endpoint(address, url.port), use_tuple);
    co_return connect_ec;
  }
  tcp::resolver resolver(stream.get_executor());
  auto [resolve_ec, endpoints] = co_await resolver.async_resolve(url.host, std::to_string(url.port), use_tuple);
  if (resolve_ec) co_return resolve_ec;
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, use_tuple);
  co_return connect_ec;
}

void address_request(Request& request, const Url& url, bool keep_alive) {
  request.target(url.target);
  const bool v6 = url.host.find(':') != std::string::npos;
  request.set(beast::http::field::host, (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port));
  request.keep_alive(keep_alive);
  request.prepare_payload();
}

/// One request and its response on an open stream (plain or TLS).
template <typename Stream>
asio::awaitable<boost::system::result<Response>> send_and_read(Stream& stream, Request& request, const ClientOptions& options) {
  auto [write_ec, written] = co_await beast::http::async_write(stream, request, use_tuple);
  if (write_ec) co_return write_ec;
  beast::flat_buffer buffer;
  buffer.reserve(initial_read_room);
  beast::http::response_parser<beast::http::string_body> parser;
  parser.body_limit(options.body_limit);
  auto [read_ec, read] = co_await beast::http::async_read(stream, buffer, parser, use_tuple);
  if (read_ec) co_return read_ec;
  co_return parser.release();
}

} // namespace

asio::awaitable<boost::system::result<Response>> fetch(Url url, Request request, ClientOptions options) {
  auto executor = co_await asio::this_coro::executor;
  const bool secure = url.scheme == "https";
  if (!secure && url.scheme != "http")
    co_return boost::system::errc::make_error_code(boost::system::errc::protocol_not_supported);

  beast::tcp_stream stream(executor);
  // One deadline for the whole exchange: a slow upstream can't hold a caller past it.
  stream.expires_after(options.timeout);
  if (auto connect_ec = co_await connect(stream, url)) co_return connect_ec;
  address_request(request, url, false);

  boost::system::result<Response> answer = boost::system::errc::make_error_code(boost::system::errc::io_error);
  if (!secure) {
    answer = co_await send_and_read(stream, request, options);
  } else {
    const auto system = options.trust ? nullptr : TlsTrust::system();
    const TlsTrust* trust = options.trust ? options.trust : system.get();
    beast::ssl_stream<beast::tcp_stream&> tls(stream, trust->context().ssl);
    if (auto ec = expect_host(tls.native_handle(), url.host)) co_return ec;
    auto [handshake_ec] = co_await tls.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (handshake_ec) {
      const auto verdict = SSL_get_verify_result(tls.native_handle());
      if (verdict != X509_V_OK) co_return boost::system::error_code(static_cast<int>(verdict), certificate_verify_category());
      co_return handshake_ec;
    }
    // The request says Connection: close and the reply is read to its
    // framed end, so no close_notify is awaited: a truncation can't pass
    // for a whole reply.
    answer = co_await send_and_read(tls, request, options);
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return answer;
}

struct ConnectionPool::Connection {
  explicit Connection(asio::any_io_executor executor) : stream(std::move(executor)) { buffer.reserve(initial_read_room); }
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
};

ConnectionPool::ConnectionPool() : ConnectionPool(Options{}) {}
ConnectionPool::ConnectionPool(Options options) : options_(options) {}
ConnectionPool::~ConnectionPool() = default;

std::size_t ConnectionPool::idle_count() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& [origin, connections] : idle_) count += connections.size();
  return count;
}

std::unique_ptr<ConnectionPool::Connection> ConnectionPool::take(const std::string& origin) {
  std::lock_guard lock(mutex_);
  auto found = idle_.find(origin);
  if (found == idle_.end()) return nullptr;
  auto& connections = found->second;
  const auto oldest_usable = std::chrono::steady_clock::now() - options_.max_idle_age;
  // The most recently used first: it is the likeliest to be still open.
  while (!connections.empty()) {
    auto connection = std::move(connections.back());
    connections.pop_back();
    if (connection->idle_since >= oldest_usable) return connection;
  }
  return nullptr;
}

void ConnectionPool::give_back(const std::string& origin, std::unique_ptr<Connection> connection) {
  connection->stream.expires_never();
  connection->idle_since = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  auto& connections = idle_[origin];
  if (connections.size() >= options_.max_idle_per_origin) return;
  connections.push_back(std::move(connection));
}

void ConnectionPool::drop(const std::string& origin) {
  std::lock_guard lock(mutex_);
  idle_.erase(origin);
}

asio::awaitable<boost::system::result<Response>> ConnectionPool::fetch(Url url, Request request, ClientOptions options) {
  if (url.scheme != "http") co_return boost::system::errc::make_error_code(boost::system::errc::protocol_not_supported);
  auto executor = co_await asio::this_coro::executor;
  const auto origin = url.origin();
  address_request(request, url, true);

  for (int attempt = 0;; ++attempt) {
    auto connection = attempt == 0 ? take(origin) : nullptr;
    const bool reused = connection != nullptr;
    if (!reused) {
      connection = std::make_unique<Connection>(executor);
      connection->stream.expires_after(options.timeout);
      if (auto connect_ec = co_await connect(connection->stream, url)) co_return connect_ec;
      connection->stream.socket().set_option(tcp::no_delay(true));
    } else {
      connection->stream.expires_after(options.timeout);
    }

    beast::http::response_parser<beast::http::string_body> parser;
    parser.body_limit(options.body_limit);
    auto [write_ec, written] = co_await beast::http::async_write(connection->stream, request, use_tuple);
    boost::system::error_code failure = write_ec;
    if (!write_ec) {
      auto [read_ec, read] = co_await beast::http::async_read(connection->stream, connection->buffer, parser, use_tuple);
      failure = read_ec;
    }
    if (!failure) {
      auto response = parser.release();
      if (response.keep_alive()) give_back(origin, std::move(connection));
      co_return response;
    }
    // Only a reused connection that failed before any reply byte is retried:
    // the server closed it while idle. Its idle siblings are as old, so they go too.
    const bool closed_while_idle = reused && !parser.got_some() && failure != beast::error::timeout;
    if (!closed_while_idle) co_return failure;
    drop(origin);
  }
}

} // namespace mcpcert::http
