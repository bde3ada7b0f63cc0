#include "mcpcert/connector/log_group_commit.hpp"

#include <chrono>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mcpcert::connector {

namespace asio = boost::asio;

namespace {

/// One queued call: resumed by cancelling its timer once the batch is done.
struct Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : wake(executor, asio::steady_timer::time_point::max()) {}
  asio::steady_timer wake;
  LogStatus status = LogStatus::storage_failure;
  bool done = false;
};

} // namespace

// Shared with the posted commit, so a commit still queued when the connector
// shuts down finds its queue alive.
struct LogGroupCommit::Queue {
  explicit Queue(OperationalLog& log) : log(log) {}
  OperationalLog& log;
  std::vector<ToolCallEntry> entries;
  std::vector<std::shared_ptr<Waiter>> waiters;
  bool commit_posted = false;
  int turns_waited = 0;
  std::size_t records_at_last_turn = 0;
  std::uint64_t commits = 0;

  /// The batch's commit runs at the end of a turn of the event loop that
  /// brought it no new record, or after `max_turns_waited` turns. Each turn
  /// polls the sockets once, so calls whose replies are already in are
  /// still picked up and join; a lone call waits one turn. Committing on
  /// the first turn made batches of about three at 32 sessions, and the
  /// syncs cost a third of the connector's CPU per call.
  static void schedule(const std::shared_ptr<Queue>& queue, const asio::any_io_executor& executor) {
    asio::post(executor, [queue, executor] {
      if (queue->turns_waited < LogGroupCommit::max_turns_waited && queue->entries.size() > queue->records_at_last_turn) {
        ++queue->turns_waited;
        queue->records_at_last_turn = queue->entries.size();
        schedule(queue, executor);
        return;
      }
      queue->commit();
    });
  }

  void commit() {
    commit_posted = false;
    turns_waited = 0;
    records_at_last_turn = 0;
    ++commits;
    auto batch = std::exchange(entries, {});
    auto woken = std::exchange(waiters, {});
    const auto statuses = log.append(std::span<const ToolCallEntry>(batch));
    for (std::size_t i = 0; i < woken.size(); ++i) {
      woken[i]->status = statuses[i];
      woken[i]->done = true;
      woken[i]->wake.cancel();
    }
  }
};

LogGroupCommit::LogGroupCommit(OperationalLog& log) : queue_(std::make_shared<Queue>(log)) {}

LogGroupCommit::~LogGroupCommit() = default;

std::uint64_t LogGroupCommit::commits() const { return queue_->commits; }

asio::awaitable<LogStatus> LogGroupCommit::append(ToolCallEntry entry) {
  const auto executor = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<Waiter>(executor);
  queue_->entries.push_back(std::move(entry));
  queue_->waiters.push_back(waiter);
  if (!queue_->commit_posted) {
    queue_->commit_posted = true;
    Queue::schedule(queue_, executor);
  }
  // The commit runs only after this coroutine suspends (it was posted), but
  // a waiter woken before it waits must not wait for ever.
  while (!waiter->done) co_await waiter->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return waiter->status;
}

} // namespace mcpcert::connector
