#pragma once
/// Group commit of tool-call records on the connector's I/O thread.
///
/// Every tool call's record must be durable before its reply leaves
/// (LOG-DURABLE), and each durable commit costs a sync of the store. Calls
/// that finish together share one: a call queues its record and waits; the
/// first record of a batch posts the commit behind whatever the thread has
/// ready to run, and the commit waits further turns of the event loop while
/// each brings new records (at most `max_turns_waited`), so every call whose
/// upstream reply is already in joins it. Nothing moves to another thread (a
/// writer thread cost more in hand-offs, under a saturated CPU, than the
/// syncs it saved), and a lone call pays two posts.

#include <cstdint>
#include <memory>

#include <boost/asio/awaitable.hpp>

#include "mcpcert/connector/operational_log.hpp"

namespace mcpcert::connector {

class LogGroupCommit {
public:
  explicit LogGroupCommit(OperationalLog& log);
  ~LogGroupCommit();
  LogGroupCommit(const LogGroupCommit&) = delete;
  LogGroupCommit& operator=(const LogGroupCommit&) = delete;

  /// Resumes once the record is committed (or could not be). All callers
  /// must run on one thread's executor, as the connector's I/O does.
  boost::asio::awaitable<LogStatus> append(ToolCallEntry entry);
  /// Batches committed so far.
  std::uint64_t commits() const;

  /// Turns of the event loop a batch may wait for more records: bounds the
  /// wait under a never-ending stream of calls.
  static constexpr int max_turns_waited = 8;

private:
  struct Queue;
  std::shared_ptr<Queue> queue_;
};

} // namespace mcpcert::connector
