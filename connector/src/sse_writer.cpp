#include "mcpcert/connector/sse_writer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mcpcert::connector {

namespace asio = boost::asio;

namespace {

constexpr auto wait = asio::as_tuple(asio::use_awaitable);
// A comment line (WHATWG HTML, server-sent events: a line starting with ':' is ignored).
constexpr const char* heartbeat_line = ": heartbeat\n\n";

} // namespace

SseWriter::SseWriter(asio::any_io_executor executor, http::ResponseStream& stream, std::chrono::milliseconds heartbeat)
    : executor_(executor),
      stream_(stream),
      heartbeat_(heartbeat),
      wake_(executor, asio::steady_timer::time_point::max()),
      ended_(executor, asio::steady_timer::time_point::max()) {}

void SseWriter::start() {
  if (started_) return;
  started_ = true;
  running_ = true;
  asio::co_spawn(executor_, run(), asio::detached);
}

asio::awaitable<void> SseWriter::run() {
  for (;;) {
    if (!queue_.empty()) {
      auto pending = std::move(queue_.front());
      queue_.pop_front();
      if (!peer_gone_) peer_gone_ = !co_await stream_.write(std::move(pending.text));
      *pending.delivered = !peer_gone_;
      pending.written->cancel();
      continue;
    }
    if (closing_) break;
    if (heartbeat_.count() > 0 && !peer_gone_) {
      wake_.expires_after(heartbeat_);
    } else {
      wake_.expires_at(asio::steady_timer::time_point::max());
    }
    auto [ec] = co_await wake_.async_wait(wait);
    // Expired, not cancelled: nothing was sent for a whole interval.
    if (!ec && queue_.empty() && !closing_ && !peer_gone_) {
      peer_gone_ = !co_await stream_.write(heartbeat_line);
      ++heartbeats_;
    }
  }
  running_ = false;
  ended_.cancel();
}

asio::awaitable<bool> SseWriter::send(std::string event) {
  if (!started_ || closing_ || peer_gone_) co_return false;
  asio::steady_timer written(executor_, asio::steady_timer::time_point::max());
  bool delivered = false;
  queue_.push_back({std::move(event), &written, &delivered});
  wake_.cancel();
  co_await written.async_wait(wait);
  co_return delivered;
}

asio::awaitable<void> SseWriter::finish() {
  closing_ = true;
  if (!running_) co_return;
  wake_.cancel();
  co_await ended_.async_wait(wait);
}

} // namespace mcpcert::connector
