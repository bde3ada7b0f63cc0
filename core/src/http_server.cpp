#include "mcpcert/http_server.hpp"

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <unordered_set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>
#include <boost/beast/http/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

namespace mcpcert::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Errors the server itself answers (before any handler runs) are RFC 9457
// problem details, so every client of every part sees one error shape.
Response make_problem(unsigned version, unsigned status, std::string_view title, std::string_view detail) {
  Response response{static_cast<beast::http::status>(status), version};
  response.set(beast::http::field::content_type, "application/problem+json");
  response.set(beast::http::field::cache_control, "no-store");
  response.body() = nlohmann::json{{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}}.dump();
  response.keep_alive(false);
  response.prepare_payload();
  return response;
}

struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  // Set once the TLS handshake starts; wraps `stream` (which stays the lowest layer).
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream&>> secure;
  std::atomic<bool> busy{false}; // a request is being handled or answered; read by stop()
};

// TLS 1.2 and 1.3 only, AEAD ciphers with ECDHE, no compression or
// renegotiation: what TLS-MIN and current guidance ask of a server.
std::unique_ptr<asio::ssl::context> make_tls_context(const TlsIdentity& identity, bool allow_legacy_versions) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  auto* native = context->native_handle();
  if (allow_legacy_versions) {
    SSL_CTX_set_security_level(native, 0);
    SSL_CTX_set_min_proto_version(native, TLS1_VERSION);
    SSL_CTX_set_cipher_list(native, "ALL:@SECLEVEL=0");
    context->use_certificate_chain(asio::buffer(identity.certificate_pem));
    context->use_private_key(asio::buffer(identity.private_key_pem), asio::ssl::context::pem);
    return context;
  }
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                                      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
                                      "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305") != 1) {
    throw std::runtime_error("TLS: no usable cipher");
  }
  context->use_certificate_chain(asio::buffer(identity.certificate_pem));
  context->use_private_key(asio::buffer(identity.private_key_pem), asio::ssl::context::pem);
  return context;
}

} // namespace

struct Server::State : std::enable_shared_from_this<Server::State> {
  State(asio::any_io_executor executor_in, Handler handler_in, ServerLimits limits_in)
      : executor(std::move(executor_in)), acceptor(executor), handler(std::move(handler_in)), limits(limits_in) {}

  template <class Stream> asio::awaitable<void> exchange_loop(Stream& stream, Connection& connection, const RequestContext& context);

  asio::any_io_executor executor;
  tcp::acceptor acceptor;
  Handler handler;
  ServerLimits limits;
  std::string host;
  std::unique_ptr<asio::ssl::context> tls; // set: HTTPS only

  std::mutex mutex; // guards stopping and connections
  bool stopping = false;
  std::unordered_set<std::shared_ptr<Connection>> connections;

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(std::shared_ptr<Connection> connection);
  void forget(const std::shared_ptr<Connection>& connection);
  bool is_stopping() {
    std::lock_guard lock(mutex);
    return stopping;
  }
};

asio::awaitable<void> Server::State::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(executor), use_tuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      continue; // e.g. EMFILE: keep serving the connections we have
    }
    auto connection = std::make_shared<Connection>(std::move(socket));
    {
      std::lock_guard lock(mutex);
      if (stopping) co_return;
      connections.insert(connection);
    }
    auto connection_executor = connection->stream.get_executor();
    asio::co_spawn(connection_executor, serve(connection), asio::detached);
  }
}

void Server::State::forget(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(mutex);
  connections.erase(connection);
}

namespace {

/// Chunked writes on one connection, for the handler of the request in flight.
template <class Stream>
class ChunkedResponseStream final : public ResponseStream {
public:
  ChunkedResponseStream(Stream& stream, std::chrono::milliseconds write_timeout, unsigned version)
      : stream_(stream), write_timeout_(write_timeout), version_(version) {}

  asio::awaitable<bool> begin(Response head) override {
    if (begun_) co_return false;
    begun_ = true;
    head.version(version_);
    head.chunked(true);
    head.body().clear();
    keep_alive_ = head.keep_alive();
    beast::http::response_serializer<beast::http::string_body> serializer{head};
    beast::get_lowest_layer(stream_).expires_after(write_timeout_);
    auto [ec, written] = co_await beast::http::async_write_header(stream_, serializer, use_tuple);
    failed_ = static_cast<bool>(ec);
    co_return !failed_;
  }

  asio::awaitable<bool> write(std::string data) override {
    if (!begun_ || failed_) co_return false;
    if (data.empty()) co_return true; // an empty chunk would end the body
    beast::get_lowest_layer(stream_).expires_after(write_timeout_);
    auto [ec, written] = co_await asio::async_write(stream_, beast::http::make_chunk(asio::buffer(data)), use_tuple);
    failed_ = static_cast<bool>(ec);
    co_return !failed_;
  }

  bool begun() const override { return begun_; }
  bool keep_alive() const { return keep_alive_; }

  /// The last chunk; false when the connection must be dropped.
  asio::awaitable<bool> finish() {
    if (failed_) co_return false;
    beast::get_lowest_layer(stream_).expires_after(write_timeout_);
    auto [ec, written] = co_await asio::async_write(stream_, beast::http::make_chunk_last(), use_tuple);
    co_return !ec;
  }

private:
  Stream& stream_;
  std::chrono::milliseconds write_timeout_;
  unsigned version_;
  bool begun_ = false;
  bool failed_ = false;
  bool keep_alive_ = false;
};

} // namespace

template <class Stream>
asio::awaitable<void> Server::State::exchange_loop(Stream& stream, Connection& connection, const RequestContext& context) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::flat_buffer buffer;
  buffer.reserve(initial_read_room);
  for (;;) {
    beast::http::request_parser<beast::http::string_body> parser;
    parser.body_limit(limits.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));

    lowest.expires_after(limits.idle_timeout);
    auto [header_ec, header_bytes] = co_await beast::http::async_read_header(stream, buffer, parser, use_tuple);
    boost::system::error_code read_ec = header_ec;
    if (!read_ec) {
      lowest.expires_after(limits.request_timeout);
      auto [body_ec, body_bytes] = co_await beast::http::async_read(stream, buffer, parser, use_tuple);
      read_ec = body_ec;
    }
    if (read_ec) {
      std::optional<Response> refusal;
      if (read_ec == beast::http::error::body_limit) {
        refusal = make_problem(11, 413, "Payload Too Large",
                               "request body exceeds " + std::to_string(limits.body_limit) + " bytes");
      } else if (read_ec == beast::http::error::header_limit) {
        refusal = make_problem(11, 431, "Request Header Fields Too Large",
                               "request header exceeds " + std::to_string(limits.header_limit) + " bytes");
      } else if (read_ec.category() == beast::http::make_error_code(beast::http::error::bad_target).category() &&
                 read_ec != beast::http::error::end_of_stream && read_ec != beast::http::error::partial_message) {
        refusal = make_problem(11, 400, "Bad Request", "malformed HTTP request: " + read_ec.message());
      }
      if (refusal) {
        lowest.expires_after(limits.request_timeout);
        co_await beast::http::async_write(stream, *refusal, use_tuple);
      }
      break;
    }

    connection.busy = true;
    Request request = parser.release();
    Response response;
    ChunkedResponseStream<Stream> streamed(stream, limits.request_timeout, request.version());
    RequestContext request_context = context;
    request_context.stream = &streamed;
    try {
      response = co_await handler(request, request_context);
    } catch (const std::exception& e) {
      if (streamed.begun()) break; // the head is out: the only honest end is a dropped connection
      // A handler bug must not take the server down with it; the client gets a 500.
      response = make_problem(request.version(), 500, "Internal Server Error", e.what());
    }
    if (streamed.begun()) {
      const bool finished = co_await streamed.finish();
      connection.busy = false;
      if (!finished || !streamed.keep_alive() || !request.keep_alive() || is_stopping()) break;
      continue;
    }
    const bool keep_alive = request.keep_alive() && response.keep_alive() && !is_stopping();
    response.version(request.version());
    response.keep_alive(keep_alive);
    if (!response.has_content_length() && !response.chunked()) response.prepare_payload();

    lowest.expires_after(limits.request_timeout);
    auto [write_ec, written] = co_await beast::http::async_write(stream, response, use_tuple);
    connection.busy = false;
    if (write_ec || !keep_alive) break;
  }
}

asio::awaitable<void> Server::State::serve(std::shared_ptr<Connection> connection) {
  auto self = shared_from_this();
  auto& stream = connection->stream;
  RequestContext context;
  boost::system::error_code endpoint_ec;
  if (auto remote = stream.socket().remote_endpoint(endpoint_ec); !endpoint_ec) {
    context.remote_address = remote.address().to_string();
    context.remote_port = remote.port();
  }
  if (auto local = stream.socket().local_endpoint(endpoint_ec); !endpoint_ec) {
    context.local_address = local.address().to_string();
    context.local_port = local.port();
  }

  if (tls) {
    connection->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream&>>(stream, *tls);
    stream.expires_after(limits.request_timeout);
    auto [handshake_ec] = co_await connection->secure->async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (!handshake_ec) {
      co_await exchange_loop(*connection->secure, *connection, context);
      // close_notify is a courtesy; a peer that already left must not hold the connection open.
      stream.expires_after(std::chrono::seconds(1));
      co_await connection->secure->async_shutdown(use_tuple);
    }
  } else {
    co_await exchange_loop(stream, *connection, context);
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
  forget(connection);
}

Server::Server(asio::any_io_executor executor, const std::string& host, std::uint16_t port, Handler handler,
               ServerLimits limits, std::optional<TlsIdentity> tls)
    : state_(std::make_shared<State>(std::move(executor), std::move(handler), limits)) {
  if (tls) state_->tls = make_tls_context(*tls, limits.tls_allow_legacy_versions);
  const auto address = asio::ip::make_address(host);
  tcp::endpoint endpoint{address, port};
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(asio::socket_base::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen(asio::socket_base::max_listen_connections);
  state_->host = host;
}

Server::~Server() { stop(); }

std::uint16_t Server::port() const { return state_->acceptor.local_endpoint().port(); }

std::string Server::base_url() const {
  const bool v6 = state_->host.find(':') != std::string::npos;
  return std::string(state_->tls ? "https://" : "http://") + (v6 ? "[" + state_->host + "]" : state_->host) + ":" + std::to_string(port());
}

void Server::start() { asio::co_spawn(state_->executor, state_->accept_loop(), asio::detached); }

void Server::stop() {
  std::vector<std::shared_ptr<Connection>> idle;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopping) return;
    state_->stopping = true;
    for (const auto& connection : state_->connections) {
      if (!connection->busy) idle.push_back(connection);
    }
  }
  auto state = state_;
  asio::post(state->acceptor.get_executor(), [state] {
    boost::system::error_code ignored;
    state->acceptor.close(ignored);
  });
  // Idle keep-alive connections are closed now; busy ones close after their response.
  for (auto& connection : idle) {
    asio::post(connection->stream.get_executor(), [connection] { connection->stream.cancel(); });
  }
}

std::size_t Server::connection_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections.size();
}

Handler make_async(SyncHandler handler) {
  return [handler = std::move(handler)](Request& request, const RequestContext& context) -> asio::awaitable<Response> {
    co_return handler(request, context);
  };
}

Response make_response(const Request& request, unsigned status, std::string content_type, std::string body) {
  Response response{static_cast<beast::http::status>(status), request.version()};
  response.set(beast::http::field::content_type, content_type);
  response.body() = std::move(body);
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

Response make_json_response(const Request& request, unsigned status, const std::string& json_body) {
  return make_response(request, status, "application/json", json_body);
}

std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& value) {
  std::string host;
  std::string port_text;
  if (!value.empty() && value.front() == '[') {
    const auto close = value.find(']');
    if (close == std::string::npos || close + 1 >= value.size() || value[close + 1] != ':') {
      throw std::invalid_argument("expected [ipv6]:port, got '" + value + "'");
    }
    host = value.substr(1, close - 1);
    port_text = value.substr(close + 2);
  } else {
    const auto colon = value.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("expected host:port, got '" + value + "'");
    host = value.substr(0, colon);
    port_text = value.substr(colon + 1);
  }
  if (host.empty() || port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument("expected host:port, got '" + value + "'");
  }
  const auto port = std::stoul(port_text);
  if (port > 65535) throw std::invalid_argument("port out of range in '" + value + "'");
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  if (ec) throw std::invalid_argument("'" + host + "' is not an IP address");
  return {host, static_cast<std::uint16_t>(port)};
}

} // namespace mcpcert::http
