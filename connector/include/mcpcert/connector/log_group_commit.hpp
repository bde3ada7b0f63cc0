#pragma once
/// Group commit of tool-call records on the connector's I/O thread.
///
/// Every tool call's record must be durable before its reply leaves
/// (LOG-DURABLE), and each durable commit costs a sync of the store. Calls
/// that finish together share one: a call queues its record and waits; the
/// first record of a batch posts the commit behind whatever the thread has
/// ready to run, so every call that completes in the same turn of the event
/// loop joins it. Nothing moves to another thread (a writer thread cost more
/// in hand-offs, under a saturated CPU, than the syncs it saved), and a lone
/// call pays one post.

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

private:
  struct Queue;
  std::shared_ptr<Queue> queue_;
};

} // namespace mcpcert::connector
