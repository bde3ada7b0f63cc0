#include "mcpcert/bench/load_generator.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "mcpcert/http_client.hpp"

namespace mcpcert::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::optional<Endpoint> endpoint_from_url(const std::string& url, std::string certificate_pem) {
  auto parsed = http::parse_url(url);
  if (!parsed) return std::nullopt;
  Endpoint out;
  out.host = parsed->host;
  out.port = parsed->port;
  out.tls = parsed->scheme == "https";
  out.path = parsed->target;
  out.certificate_pem = std::move(certificate_pem);
  return out;
}

std::string HttpResult::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return {};
}

namespace {

using BeastRequest = beast::http::request<beast::http::string_body>;
using BeastResponse = beast::http::response<beast::http::string_body>;

BeastRequest make_request(const Endpoint& endpoint, const HttpExchange& exchange,
                          const std::vector<std::pair<std::string, std::string>>& extra) {
  BeastRequest request{beast::http::string_to_verb(exchange.method), endpoint.path, 11};
  request.set(beast::http::field::host, endpoint.host + ":" + std::to_string(endpoint.port));
  for (const auto& [name, value] : exchange.headers) request.set(name, value);
  for (const auto& [name, value] : extra) request.set(name, value);
  request.body() = exchange.body;
  request.prepare_payload();
  request.keep_alive(true);
  return request;
}

HttpResult to_result(BeastResponse& response) {
  HttpResult out;
  out.status = response.result_int();
  out.body = std::move(response.body());
  for (const auto& field : response) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  return out;
}

/// One session's connection: plain TCP or TLS, blocking calls for set-up,
/// coroutines for the measured exchanges.
class Connection {
public:
  Connection(asio::io_context& io, asio::ssl::context* tls, const Endpoint& endpoint)
      : io_(io), tls_(tls), endpoint_(endpoint) {
    buffer_.reserve(http::initial_read_room);
  }

  bool open(std::string& error) {
    try {
      tcp::endpoint address(asio::ip::make_address(endpoint_.host), endpoint_.port);
      if (tls_ != nullptr) {
        secure_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, *tls_);
        beast::get_lowest_layer(*secure_).socket().connect(address);
        beast::get_lowest_layer(*secure_).socket().set_option(tcp::no_delay(true));
        secure_->handshake(asio::ssl::stream_base::client);
      } else {
        plain_ = std::make_unique<beast::tcp_stream>(io_);
        plain_->socket().connect(address);
        plain_->socket().set_option(tcp::no_delay(true));
      }
      return true;
    } catch (const std::exception& e) {
      error = e.what();
      return false;
    }
  }

  std::optional<HttpResult> send_blocking(const HttpExchange& exchange, std::string& error) {
    auto request = make_request(endpoint_, exchange, {});
    BeastResponse response;
    beast::error_code ec;
    if (secure_) {
      beast::http::write(*secure_, request, ec);
      if (!ec) beast::http::read(*secure_, buffer_, response, ec);
    } else {
      beast::http::write(*plain_, request, ec);
      if (!ec) beast::http::read(*plain_, buffer_, response, ec);
    }
    if (ec) {
      error = ec.message();
      return std::nullopt;
    }
    return to_result(response);
  }

  asio::awaitable<std::optional<HttpResult>> send(BeastRequest& request, std::string& error) {
    BeastResponse response;
    auto [ec, written] = secure_ ? co_await beast::http::async_write(*secure_, request, asio::as_tuple(asio::use_awaitable))
                                 : co_await beast::http::async_write(*plain_, request, asio::as_tuple(asio::use_awaitable));
    (void)written;
    if (!ec) {
      auto [read_ec, read] = secure_ ? co_await beast::http::async_read(*secure_, buffer_, response, asio::as_tuple(asio::use_awaitable))
                                     : co_await beast::http::async_read(*plain_, buffer_, response, asio::as_tuple(asio::use_awaitable));
      (void)read;
      ec = read_ec;
    }
    if (ec) {
      error = ec.message();
      co_return std::nullopt;
    }
    if (!response.keep_alive()) closed_by_peer_ = true;
    co_return to_result(response);
  }

  void close() {
    beast::error_code ignored;
    if (secure_) beast::get_lowest_layer(*secure_).socket().close(ignored);
    if (plain_) plain_->socket().close(ignored);
    secure_.reset();
    plain_.reset();
    buffer_.clear();
    closed_by_peer_ = false;
  }

  bool closed_by_peer() const { return closed_by_peer_; }

private:
  asio::io_context& io_;
  asio::ssl::context* tls_;
  const Endpoint& endpoint_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure_;
  std::unique_ptr<beast::tcp_stream> plain_;
  beast::flat_buffer buffer_;
  bool closed_by_peer_ = false;
};

struct Session {
  std::unique_ptr<Connection> connection;
  BeastRequest request;
};

/// Connects and runs the workload's set-up; the request this session will repeat.
bool prepare(Session& session, asio::io_context& io, asio::ssl::context* tls, const Endpoint& endpoint,
             const Workload& workload, std::string& error) {
  session.connection = std::make_unique<Connection>(io, tls, endpoint);
  if (!session.connection->open(error)) return false;
  std::vector<std::pair<std::string, std::string>> extra;
  if (workload.setup) {
    auto* connection = session.connection.get();
    auto headers = workload.setup([&](const HttpExchange& exchange) { return connection->send_blocking(exchange, error); });
    if (!headers) {
      if (error.empty()) error = "session set-up refused";
      return false;
    }
    extra = std::move(*headers);
  }
  session.request = make_request(endpoint, workload.request, extra);
  return true;
}

struct Shared {
  const PhaseSpec* spec = nullptr;
  const Workload* workload = nullptr;
  Clock::time_point start;
  Clock::time_point deadline;
  Clock::time_point last_completion;
  std::chrono::nanoseconds interval{0};
  std::uint64_t scheduled = 0; ///< open loop: requests in the schedule
  std::atomic<std::uint64_t>* issued = nullptr; ///< closed loop: requests sent so far, over every thread
  PhaseResult* result = nullptr;
};

asio::awaitable<void> drive(Session& session, Shared& shared, std::uint64_t index, asio::io_context& io,
                            asio::ssl::context* tls, const Endpoint& endpoint) {
  const bool open_loop = shared.spec->rate > 0;
  const auto stride = static_cast<std::uint64_t>(shared.spec->sessions);
  asio::steady_timer timer(io);
  Clock::time_point previous_done = shared.start;
  for (std::uint64_t i = index;; i += stride) {
    Clock::time_point intended;
    if (open_loop) {
      if (i >= shared.scheduled) break;
      intended = shared.start + shared.interval * static_cast<std::int64_t>(i);
      if (intended > Clock::now()) {
        timer.expires_at(intended);
        co_await timer.async_wait(asio::use_awaitable);
      }
    } else {
      if (Clock::now() >= shared.deadline || shared.issued->fetch_add(1) >= shared.spec->max_requests) break;
    }
    const auto sent = Clock::now();
    // Coordinated omission: a request held back because this session's
    // previous reply was late is timed from when it was due. A request the
    // session was free to send on time is timed from its actual send, so the
    // generator's own timer wake-up delay is not charged to the server.
    if (!open_loop || previous_done <= intended) intended = sent;
    std::string error;
    auto reply = co_await session.connection->send(session.request, error);
    const auto done = Clock::now();
    previous_done = done;
    shared.last_completion = std::max(shared.last_completion, done);
    if (reply && shared.workload->accept(*reply)) {
      ++shared.result->ok;
      shared.result->latency.record(static_cast<std::uint64_t>(std::chrono::nanoseconds(done - intended).count()));
    } else {
      ++shared.result->errors;
      if (shared.result->first_error.empty()) {
        shared.result->first_error = reply ? "HTTP " + std::to_string(reply->status) + ": " + reply->body.substr(0, 300) : error;
      }
    }
    if (!reply || session.connection->closed_by_peer()) {
      // A broken or closed connection: a new one (set-up included) before the next request.
      session.connection->close();
      std::string reconnect_error;
      if (!prepare(session, io, tls, endpoint, *shared.workload, reconnect_error)) co_return;
    }
  }
}

} // namespace

namespace {

/// One generator thread: its own io_context and the sessions k with k % threads == slice.
void run_slice(const Endpoint& endpoint, const Workload& workload, const PhaseSpec& spec, int slice, int threads,
               Clock::time_point start, std::atomic<std::uint64_t>& issued, PhaseResult& result, Clock::time_point& last_completion,
               std::vector<Session>& sessions, asio::io_context& io, asio::ssl::context* tls) {
  Shared shared;
  shared.spec = &spec;
  shared.workload = &workload;
  shared.result = &result;
  shared.issued = &issued;
  shared.start = start;
  shared.deadline = start + spec.duration;
  shared.last_completion = start;
  if (spec.rate > 0) {
    shared.interval = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / spec.rate));
    const auto by_time = static_cast<std::uint64_t>(std::chrono::duration<double>(spec.duration).count() * spec.rate);
    shared.scheduled = std::min(spec.max_requests, std::max<std::uint64_t>(by_time, 1));
  }
  for (std::size_t k = static_cast<std::size_t>(slice); k < sessions.size(); k += static_cast<std::size_t>(threads)) {
    asio::co_spawn(io, drive(sessions[k], shared, k, io, tls, endpoint), asio::detached);
  }
  io.run();
  last_completion = shared.last_completion;
}

} // namespace

PhaseResult run_phase(const Endpoint& endpoint, const Workload& workload, const PhaseSpec& spec) {
  PhaseResult result;
  const int session_count = std::max(spec.sessions, 1);
  const int threads = std::clamp(spec.threads, 1, session_count);
  std::optional<asio::ssl::context> tls;
  if (endpoint.tls) {
    tls.emplace(asio::ssl::context::tls_client);
    tls->set_verify_mode(asio::ssl::verify_peer);
    tls->add_certificate_authority(asio::buffer(endpoint.certificate_pem));
  }
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int t = 0; t < threads; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
  std::vector<Session> sessions(static_cast<std::size_t>(session_count));
  for (std::size_t k = 0; k < sessions.size(); ++k) {
    std::string error;
    if (!prepare(sessions[k], *contexts[k % static_cast<std::size_t>(threads)], tls ? &*tls : nullptr, endpoint, workload, error)) {
      result.errors = 1;
      result.first_error = "session set-up failed: " + error;
      return result;
    }
  }

  std::atomic<std::uint64_t> issued{0};
  std::vector<PhaseResult> partial(static_cast<std::size_t>(threads));
  std::vector<Clock::time_point> last(static_cast<std::size_t>(threads));
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t) {
    workers.emplace_back([&, t] {
      run_slice(endpoint, workload, spec, t, threads, start, issued, partial[static_cast<std::size_t>(t)], last[static_cast<std::size_t>(t)],
                sessions, *contexts[static_cast<std::size_t>(t)], tls ? &*tls : nullptr);
    });
  }
  run_slice(endpoint, workload, spec, 0, threads, start, issued, partial[0], last[0], sessions, *contexts[0], tls ? &*tls : nullptr);
  for (auto& worker : workers) worker.join();
  auto last_completion = start;
  for (int t = 0; t < threads; ++t) {
    const auto& p = partial[static_cast<std::size_t>(t)];
    result.latency.merge(p.latency);
    result.ok += p.ok;
    result.errors += p.errors;
    if (result.first_error.empty()) result.first_error = p.first_error;
    last_completion = std::max(last_completion, last[static_cast<std::size_t>(t)]);
  }
  result.elapsed_seconds = std::chrono::duration<double>(last_completion - start).count();
  for (auto& session : sessions) {
    if (session.connection) session.connection->close();
  }
  return result;
}

} // namespace mcpcert::bench
