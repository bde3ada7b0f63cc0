#pragma once
/// The one writer of a Server-Sent Events stream. Every byte of the stream,
/// events and heartbeats alike, is written by its run() coroutine, one write
/// at a time, so a heartbeat can never land inside an event. A producer's
/// send() waits until its event is written: a slow reader slows the producer
/// (backpressure) instead of growing a queue. While nothing is sent for
/// `heartbeat` of real time, a comment line (`: heartbeat`) keeps proxies and
/// clients from taking the stream for dead. Everything runs on the executor
/// given (the connector runs its io_context on one thread).

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mcpcert/http_server.hpp"

namespace mcpcert::connector {

class SseWriter {
public:
  /// `heartbeat` zero sends none. The stream must have begun.
  SseWriter(boost::asio::any_io_executor executor, http::ResponseStream& stream, std::chrono::milliseconds heartbeat);
  SseWriter(const SseWriter&) = delete;
  SseWriter& operator=(const SseWriter&) = delete;

  /// Starts the writer; finish() must be awaited before this object goes.
  void start();
  /// Queues one complete event and waits until it is written; false once the peer is gone.
  boost::asio::awaitable<bool> send(std::string event);
  /// Writes what is queued, stops the heartbeats and waits for the writer to end.
  boost::asio::awaitable<void> finish();

  std::size_t heartbeats_sent() const { return heartbeats_; }

private:
  struct Pending {
    std::string text;
    boost::asio::steady_timer* written; ///< cancelled once the text is on the wire (or can't be)
    bool* delivered;
  };
  boost::asio::awaitable<void> run();

  boost::asio::any_io_executor executor_;
  http::ResponseStream& stream_;
  std::chrono::milliseconds heartbeat_;
  std::deque<Pending> queue_;
  boost::asio::steady_timer wake_;  ///< the writer's idle wait: a heartbeat when it expires, work when cancelled
  boost::asio::steady_timer ended_; ///< cancelled when run() returns
  bool started_ = false;
  bool closing_ = false;
  bool running_ = false;
  bool peer_gone_ = false;
  std::size_t heartbeats_ = 0;
};

} // namespace mcpcert::connector
