#pragma once
/// The open-loop load generator: each of N keep-alive sessions (HTTP/1.1,
/// optionally TLS with a pinned certificate) sends its share of a constant
/// arrival schedule, request i being due at start + i / rate, and latency is
/// measured from that intended time whenever the session was still busy
/// with its previous request then (coordinated omission corrected, as wrk2
/// does): a slow response delays the next send, and the delay is charged to
/// the requests that waited. A request its session was free to send is
/// timed from its actual send, so the generator's own timer jitter is not
/// charged to the server. With rate 0 the sessions run closed
/// loop (send on reply) to find the saturation throughput.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mcpcert/bench/histogram.hpp"

namespace mcpcert::bench {

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  bool tls = false;
  std::string certificate_pem; ///< the only certificate trusted for TLS (pinned)
  std::string path = "/";
};

/// Parses http(s)://host:port/path.
std::optional<Endpoint> endpoint_from_url(const std::string& url, std::string certificate_pem = {});

struct HttpExchange {
  std::string method = "POST";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResult {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(const std::string& name) const;
};

/// How each session is made ready and what it sends. `setup` runs once per
/// session before timing (e.g. MCP initialize) and returns the headers every
/// later request of that session adds, or nullopt on failure. `accept` says
/// whether a reply counts as a success.
struct Workload {
  HttpExchange request;
  std::function<std::optional<std::vector<std::pair<std::string, std::string>>>(
      const std::function<std::optional<HttpResult>(const HttpExchange&)>& send)>
      setup;
  std::function<bool(const HttpResult&)> accept = [](const HttpResult& r) { return r.status == 200; };
};

struct PhaseSpec {
  int sessions = 1;
  double rate = 0;                           ///< requests per second over all sessions; 0: closed loop
  std::chrono::milliseconds duration{2000};  ///< the schedule's length
  std::uint64_t max_requests = 1'000'000;    ///< and at most this many
  int threads = 1;                           ///< generator threads, each with its own sessions and io_context
};

struct PhaseResult {
  Histogram latency;         ///< nanoseconds, from the intended send time (closed loop: from the send)
  std::uint64_t ok = 0;
  std::uint64_t errors = 0;
  double elapsed_seconds = 0; ///< first intended send to last completion
  double throughput() const { return elapsed_seconds > 0 ? static_cast<double>(ok) / elapsed_seconds : 0; }
  std::string first_error;
};

/// Opens `spec.sessions` sessions to `endpoint`, runs `workload.setup` on
/// each, then drives the phase on `spec.threads` threads (the calling one
/// included); returns when every scheduled request has completed or failed.
PhaseResult run_phase(const Endpoint& endpoint, const Workload& workload, const PhaseSpec& spec);

} // namespace mcpcert::bench
