#include "mcpcert/bench/floor_servers.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
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

DurableRecordRing::DurableRecordRing(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) {
  if (fd_ < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  const std::string zeros(1u << 20, '\0');
  for (std::size_t at = 0; at < ring_bytes; at += zeros.size()) {
    if (::pwrite(fd_, zeros.data(), zeros.size(), static_cast<off_t>(at)) != static_cast<ssize_t>(zeros.size()) || ::fsync(fd_) != 0) {
      const auto why = std::strerror(errno);
      ::close(fd_);
      throw std::runtime_error("cannot fill " + path + ": " + why);
    }
  }
}

DurableRecordRing::~DurableRecordRing() { ::close(fd_); }

struct DurableRecordRing::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : wake(executor, asio::steady_timer::time_point::max()) {}
  asio::steady_timer wake;
  bool written = false;
  bool done = false;
};

asio::awaitable<bool> DurableRecordRing::append(std::string_view record, std::shared_ptr<DurableRecordRing> self) {
  const auto executor = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<Waiter>(executor);
  auto& slot = pending_.emplace_back(record.substr(0, record_bytes));
  slot.resize(record_bytes, ' ');
  waiters_.push_back(waiter);
  if (!commit_posted_) {
    commit_posted_ = true;
    schedule(std::move(self), executor);
  }
  while (!waiter->done) co_await waiter->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return waiter->written;
}

void DurableRecordRing::schedule(std::shared_ptr<DurableRecordRing> self, const asio::any_io_executor& executor) {
  asio::post(executor, [self = std::move(self), executor]() mutable {
    // The connector's batching rule (LogGroupCommit): wait while turns bring records.
    if (self->turns_waited_ < max_turns_waited && self->pending_.size() > self->records_at_last_turn_) {
      ++self->turns_waited_;
      self->records_at_last_turn_ = self->pending_.size();
      schedule(std::move(self), executor);
      return;
    }
    self->commit();
  });
}

void DurableRecordRing::commit() {
  commit_posted_ = false;
  turns_waited_ = 0;
  records_at_last_turn_ = 0;
  auto batch = std::exchange(pending_, {});
  auto woken = std::exchange(waiters_, {});
  bool written = true;
  for (const auto& record : batch) {
    if (offset_ + record_bytes > ring_bytes) offset_ = 0;
    written = written && ::pwrite(fd_, record.data(), record.size(), static_cast<off_t>(offset_)) == static_cast<ssize_t>(record.size());
    offset_ += record_bytes;
  }
  written = written && ::fdatasync(fd_) == 0;
  ++syncs_;
  for (auto& waiter : woken) {
    waiter->written = written;
    waiter->done = true;
    waiter->wake.cancel();
  }
}

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

int serve_call_shape(const std::string& upstream_url, const std::string& record_file) {
  auto url = http::parse_url(upstream_url);
  if (!url || url->scheme != "http") {
    std::cerr << "mcpcert-bench: --serve-call-shape needs an http:// URL\n";
    return 2;
  }
  auto pool = std::make_shared<http::ConnectionPool>();
  auto records = std::make_shared<DurableRecordRing>(record_file);
  http::Handler shaped = [pool, records, upstream = *url](http::Request& request,
                                                         const http::RequestContext&) -> asio::awaitable<http::Response> {
    auto target = upstream;
    target.target = std::string(request.target());
    // The connector's two sequential upstream calls: the exchange, then the API call.
    auto first = co_await pool->fetch(target, request);
    if (!first) co_return http::make_json_response(request, 502, R"({"error":"upstream failed"})");
    auto reply = co_await pool->fetch(std::move(target), request);
    if (!reply) co_return http::make_json_response(request, 502, R"({"error":"upstream failed"})");
    // Then its durable record, before the reply leaves.
    const bool written = co_await records->append(request.body(), records);
    if (!written) co_return http::make_json_response(request, 500, R"({"error":"record not written"})");
    co_return http::make_response(request, reply->result_int(), std::string((*reply)[beast::http::field::content_type]),
                                  std::move(reply->body()));
  };
  return serve(shaped);
}

} // namespace mcpcert::bench
