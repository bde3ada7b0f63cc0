#pragma once
/// The floor the connector is measured against, each run as its own process
/// (as the connector is): a trivial HTTP/1.1 keep-alive server on core's
/// http::Server answering a tiny JSON-RPC result, and a trivial reverse proxy
/// on the same server that forwards every request over a pool of keep-alive
/// upstream connections. Client -> proxy -> trivial server is the shape of
/// client -> connector -> backend with none of the work; the call-shape
/// proxy adds what every call of the connector must do whatever its code:
/// a second upstream call and a durable record.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace mcpcert::bench {

/// The reply of the trivial server.
inline constexpr const char* floor_reply =
    R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}],"isError":false}})";

/// The durable half of the call-shape floor: fixed-size records written
/// into a file filled once at start (so a sync flushes data, never the
/// file's size or extents), the records of calls that finish close together
/// sharing one write pass and one fdatasync, batched by the connector's rule
/// (a batch waits turns of the event loop while they bring records, at most
/// max_turns_waited), with none of its encoding, sealing or indexing: the
/// least a durable record per call can cost.
class DurableRecordRing {
public:
  static constexpr std::size_t record_bytes = 512;
  static constexpr std::size_t ring_bytes = 16u << 20;
  static constexpr int max_turns_waited = 8;

  /// Creates (truncating) and fills `path`; throws naming it if it can't.
  explicit DurableRecordRing(const std::string& path);
  ~DurableRecordRing();
  DurableRecordRing(const DurableRecordRing&) = delete;
  DurableRecordRing& operator=(const DurableRecordRing&) = delete;

  /// Resumes once the record (cut or padded to record_bytes) is on disk
  /// (true) or could not be written. `self` keeps the ring alive for the
  /// posted commit. Callers share one thread's executor.
  boost::asio::awaitable<bool> append(std::string_view record, std::shared_ptr<DurableRecordRing> self);
  /// fdatasync calls so far (one per batch).
  std::uint64_t syncs() const { return syncs_; }

private:
  struct Waiter;
  static void schedule(std::shared_ptr<DurableRecordRing> self, const boost::asio::any_io_executor& executor);
  void commit();

  int fd_;
  std::size_t offset_ = 0;
  std::uint64_t syncs_ = 0;
  std::vector<std::string> pending_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
  bool commit_posted_ = false;
  int turns_waited_ = 0;
  std::size_t records_at_last_turn_ = 0;
};

/// Listens on 127.0.0.1:0, prints `READY {"url": ".../mcp"}`, serves until SIGTERM; the exit code.
/// With `reply_bytes` > 0 the result's text is padded so the reply is about that size
/// (the floor for large tool results).
int serve_trivial(std::size_t reply_bytes = 0);
/// The same, forwarding to `upstream_url` (http only).
int serve_proxy(const std::string& upstream_url);
/// The connector's call shape with none of its work: per request, two
/// sequential calls to `upstream_url` (the exchange, the API call), then a
/// durable record in `record_file` (group-committed, one fdatasync per
/// batch), then the second call's reply.
int serve_call_shape(const std::string& upstream_url, const std::string& record_file);

} // namespace mcpcert::bench
