// The one writer of an SSE stream, against a stream whose writes take time,
// so a heartbeat that tried to cut into an event would be caught.
#include "mcpcert/connector/sse_writer.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpcert::connector {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

/// Records every write; each takes `write_time` and notes any write that started while another was under way.
class SlowStream final : public http::ResponseStream {
public:
  SlowStream(asio::io_context& io, std::chrono::milliseconds write_time) : io_(io), write_time_(write_time) {}
  asio::awaitable<bool> begin(http::Response) override { co_return true; }
  asio::awaitable<bool> write(std::string data) override {
    if (writing_) overlapped_ = true;
    writing_ = true;
    asio::steady_timer takes(io_, write_time_);
    co_await takes.async_wait(asio::as_tuple(asio::use_awaitable));
    writing_ = false;
    if (gone_) co_return false;
    writes.push_back(std::move(data));
    co_return true;
  }
  bool begun() const override { return true; }

  std::size_t heartbeats() const {
    return static_cast<std::size_t>(std::count_if(writes.begin(), writes.end(), [](const std::string& w) { return w.starts_with(":"); }));
  }

  std::vector<std::string> writes;
  bool overlapped_ = false;
  bool gone_ = false;

private:
  asio::io_context& io_;
  std::chrono::milliseconds write_time_;
  bool writing_ = false;
};

class SseWriterTest : public testing::Test {
protected:
  // Runs the io_context until `done` holds, for at most `limit` of real time.
  template <class Predicate>
  bool run_until(Predicate done, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) io_.run_one_for(10ms);
    return done();
  }

  asio::io_context io_;
};

TEST_F(SseWriterTest, AnIdleStreamGetsHeartbeatCommentsAtTheInterval) {
  SlowStream stream(io_, 0ms);
  SseWriter writer(io_.get_executor(), stream, 20ms);
  writer.start();
  ASSERT_TRUE(run_until([&] { return stream.heartbeats() >= 2; }));
  EXPECT_EQ(stream.writes.front(), ": heartbeat\n\n");
  bool finished = false;
  asio::co_spawn(io_, writer.finish(), [&](std::exception_ptr) { finished = true; });
  ASSERT_TRUE(run_until([&] { return finished; }));
  // Nothing is left armed: the io_context runs out of work rather than waiting for another beat.
  const auto after_finish = stream.writes.size();
  io_.restart();
  io_.run_for(5s);
  EXPECT_TRUE(io_.stopped());
  EXPECT_EQ(stream.writes.size(), after_finish);
}

TEST_F(SseWriterTest, HeartbeatsNeverLandInsideAnEventAndEventsKeepTheirOrder) {
  // Each write takes longer than the heartbeat interval.
  SlowStream stream(io_, 15ms);
  SseWriter writer(io_.get_executor(), stream, 5ms);
  writer.start();
  bool produced = false;
  std::vector<bool> delivered;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < 5; ++i) {
          delivered.push_back(co_await writer.send("data: " + std::to_string(i) + "\n\n"));
          // Idle long enough for heartbeats between events.
          asio::steady_timer idle(io_, 12ms);
          co_await idle.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        co_await writer.finish();
        produced = true;
      },
      asio::detached);
  ASSERT_TRUE(run_until([&] { return produced; }));
  EXPECT_FALSE(stream.overlapped_);
  EXPECT_EQ(delivered, std::vector<bool>(5, true));
  std::vector<std::string> events;
  for (const auto& write : stream.writes)
    if (!write.starts_with(":")) events.push_back(write);
  EXPECT_EQ(events, (std::vector<std::string>{"data: 0\n\n", "data: 1\n\n", "data: 2\n\n", "data: 3\n\n", "data: 4\n\n"}));
  EXPECT_GE(stream.heartbeats(), 1u);
  EXPECT_EQ(writer.heartbeats_sent(), stream.heartbeats());
}

TEST_F(SseWriterTest, ASendWaitsForItsWriteSoASlowReaderSlowsTheProducer) {
  SlowStream stream(io_, 20ms);
  SseWriter writer(io_.get_executor(), stream, 0ms);
  writer.start();
  std::size_t written_when_send_returned = 0;
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        co_await writer.send("data: a\n\n");
        written_when_send_returned = stream.writes.size();
        co_await writer.finish();
        done = true;
      },
      asio::detached);
  ASSERT_TRUE(run_until([&] { return done; }));
  EXPECT_EQ(written_when_send_returned, 1u);
  EXPECT_EQ(stream.heartbeats(), 0u); // a zero interval sends none
}

TEST_F(SseWriterTest, OnceThePeerIsGoneSendsFailAndNothingMoreIsWritten) {
  SlowStream stream(io_, 0ms);
  SseWriter writer(io_.get_executor(), stream, 5ms);
  writer.start();
  stream.gone_ = true;
  std::vector<bool> delivered;
  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        delivered.push_back(co_await writer.send("data: a\n\n"));
        delivered.push_back(co_await writer.send("data: b\n\n"));
        co_await writer.finish();
        done = true;
      },
      asio::detached);
  ASSERT_TRUE(run_until([&] { return done; }));
  EXPECT_EQ(delivered, (std::vector<bool>{false, false}));
  EXPECT_TRUE(stream.writes.empty());
}

} // namespace
} // namespace mcpcert::connector
