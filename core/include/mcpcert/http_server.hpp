#pragma once
/// An asynchronous HTTP/1.1 server on Boost.Beast, shared by the connector and
/// the mock backend. Handlers are coroutines so they can await upstream calls
/// without blocking the io_context.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "mcpcert/tls.hpp"

namespace mcpcert::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

/// Lets a handler send its response as it is produced (Server-Sent Events):
/// begin() writes the status line and headers with chunked transfer coding,
/// write() sends one chunk at once. A handler that began a stream returns a
/// response the server ignores; the server then ends the chunked body.
class ResponseStream {
public:
  virtual ~ResponseStream() = default;
  /// false when the peer is gone; the handler should stop producing.
  virtual boost::asio::awaitable<bool> begin(Response head) = 0;
  virtual boost::asio::awaitable<bool> write(std::string data) = 0;
  virtual bool begun() const = 0;
};

/// Facts about the connection a request arrived on.
struct RequestContext {
  std::string remote_address;
  std::uint16_t remote_port = 0;
  std::string local_address;
  std::uint16_t local_port = 0;
  /// Set by the server for each request; null where streaming is not offered.
  ResponseStream* stream = nullptr;
};

using Handler = std::function<boost::asio::awaitable<Response>(Request&, const RequestContext&)>;
/// For handlers that never wait on I/O (the mock backend's in-memory world).
using SyncHandler = std::function<Response(Request&, const RequestContext&)>;
Handler make_async(SyncHandler handler);

/// Room a connection's read buffer starts with. Beast reads into whatever
/// room the buffer has, at least 512 bytes, and grows it only as far as one
/// message needs; left at that, a 1 KiB request or reply arrives in three
/// reads, each one more turn of the event loop. With this room it is one.
inline constexpr std::size_t initial_read_room = 8 * 1024;

struct ServerLimits {
  /// Larger bodies get 413 before the handler runs.
  std::size_t body_limit = 1024 * 1024;
  std::size_t header_limit = 16 * 1024;
  /// Time allowed to receive a complete request once its first byte arrived.
  std::chrono::milliseconds request_timeout{10'000};
  /// Keep-alive connections with no request in flight are closed after this.
  std::chrono::milliseconds idle_timeout{60'000};
  /// Lets TLS 1.0/1.1 through. Exists only so a test-only mutant can break TLS-MIN.
  bool tls_allow_legacy_versions = false;
};

/// Accepts connections on one address and runs `handler` for every request.
class Server {
public:
  /// Binds immediately (port 0 picks an ephemeral port); throws on failure, at start-up only.
  /// With `tls`, every connection is HTTPS: TLS 1.2 minimum, AEAD ciphers with forward secrecy.
  Server(boost::asio::any_io_executor executor, const std::string& host, std::uint16_t port, Handler handler,
         ServerLimits limits = {}, std::optional<TlsIdentity> tls = std::nullopt);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  /// "http(s)://host:port" as clients should address it.
  std::string base_url() const;
  void start();
  /// Stops accepting; connections finish the response in flight, then close.
  void stop();
  /// Connections still open (in flight or idle); shutdown waits for zero.
  std::size_t connection_count() const;

private:
  struct State;
  std::shared_ptr<State> state_;
};

/// A response with the given status, content type and body; sets Content-Length.
Response make_response(const Request& request, unsigned status, std::string content_type, std::string body);
Response make_json_response(const Request& request, unsigned status, const std::string& json_body);

/// Splits "host:port" (IPv6 in brackets); throws std::invalid_argument on a malformed value.
std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& value);

} // namespace mcpcert::http
