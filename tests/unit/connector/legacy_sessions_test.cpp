// A long-running tools/call of a session revision, answered as an SSE stream,
// read byte by byte off the socket: its heartbeats while the tool runs, its
// one writer (every chunk a whole event or a whole heartbeat), and what it
// says when the call can't be recorded.
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "connector_under_test.hpp"

namespace mcpcert::connector {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* heartbeat = ": heartbeat\n\n";

/// The body of a chunked response as its chunks, or nullopt while incomplete.
std::optional<std::vector<std::string>> chunks_of(const std::string& response) {
  auto at = response.find("\r\n\r\n");
  if (at == std::string::npos) return std::nullopt;
  at += 4;
  std::vector<std::string> chunks;
  for (;;) {
    const auto line_end = response.find("\r\n", at);
    if (line_end == std::string::npos) return std::nullopt;
    const auto size = std::stoul(response.substr(at, line_end - at), nullptr, 16);
    if (size == 0) return chunks;
    if (line_end + 2 + size + 2 > response.size()) return std::nullopt;
    chunks.push_back(response.substr(line_end + 2, size));
    at = line_end + 2 + size + 2;
  }
}

class StreamingCallTest : public ConnectorUnderTest {
protected:
  void SetUp() override {
    auto config = base_config();
    config.tenants[0].tool_set = "planning";
    config.sse_heartbeat = 20ms;
    start(std::move(config));
    session_ = open_session();
  }

  std::string open_session() {
    const json initialize = jsonrpc::make_request(
        0, "initialize", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()}, {"clientInfo", {{"name", "sse"}, {"version", "1"}}}});
    const auto opened = post(initialize, {});
    EXPECT_EQ(opened.status, 200) << opened.raw.body();
    return std::string(opened.raw["Mcp-Session-Id"]);
  }

  // Sends a run_app_tool call with a progress token and keeps every byte that comes back in `received_`.
  void start_streaming_call() {
    const auto url = http::parse_url(connector_->mcp_url());
    const auto body = jsonrpc::make_request(7, "tools/call",
                                            {{"name", "run_app_tool"},
                                             {"arguments", {{"application", "app-1"}, {"tool", "simulate"}}},
                                             {"_meta", {{"progressToken", "p-1"}}}})
                          .dump();
    const std::string request = "POST " + url->target + " HTTP/1.1\r\nHost: " + url->host + "\r\nAuthorization: Bearer " + alice_ +
                                "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
                                "Mcp-Session-Id: " + session_ + "\r\nMCP-Protocol-Version: 2025-11-25\r\nConnection: close\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    asio::co_spawn(
        io_,
        [this, request, host = url->host, port = url->port]() -> asio::awaitable<void> {
          const auto tuple = asio::as_tuple(asio::use_awaitable);
          asio::ip::tcp::resolver resolver(io_);
          auto [resolve_ec, endpoints] = co_await resolver.async_resolve(host, std::to_string(port), tuple);
          if (resolve_ec) co_return;
          auto [connect_ec, endpoint] = co_await asio::async_connect(socket_, endpoints, tuple);
          if (connect_ec) co_return;
          auto [write_ec, written] = co_await asio::async_write(socket_, asio::buffer(request), tuple);
          if (write_ec) co_return;
          char buffer[4096];
          for (;;) {
            auto [read_ec, n] = co_await socket_.async_read_some(asio::buffer(buffer), tuple);
            received_.append(buffer, n);
            if (read_ec) break;
          }
          ended_ = true;
        },
        asio::detached);
  }

  // Runs the io_context until `done` holds, for at most `limit` of real time.
  template <class Predicate>
  bool run_until(Predicate done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) io_.run_one_for(10ms);
    return done();
  }

  void TearDown() override {
    boost::system::error_code ignored;
    socket_.close(ignored);
    ConnectorUnderTest::TearDown();
  }

  std::string session_;
  asio::ip::tcp::socket socket_{io_};
  std::string received_;
  bool ended_ = false;
};

TEST_F(StreamingCallTest, AStreamWaitingOnTheToolGetsHeartbeatsUntilItEnds) {
  hold_run_polls_ = true;
  start_streaming_call();
  // While the tool's first poll is held, only heartbeats can arrive after the priming event.
  ASSERT_TRUE(run_until([&] { return received_.find(heartbeat) != std::string::npos; })) << received_;
  EXPECT_LT(received_.find("retry: "), received_.find(heartbeat)) << "the priming event comes first";
  ASSERT_TRUE(run_until([&] { return received_.rfind(heartbeat) != received_.find(heartbeat); })) << "a second heartbeat";

  hold_run_polls_ = false;
  run_release_.cancel();
  ASSERT_TRUE(run_until([&] { return ended_; })) << received_;
  const auto chunks = chunks_of(received_);
  ASSERT_TRUE(chunks) << received_;
  // One writer: every chunk is a whole heartbeat or a whole event, never a mix.
  std::size_t events = 0, beats = 0;
  for (const auto& chunk : *chunks) {
    if (chunk == heartbeat) {
      ++beats;
      continue;
    }
    ++events;
    EXPECT_TRUE(chunk.starts_with("id: ")) << chunk;
    EXPECT_TRUE(chunk.ends_with("\n\n")) << chunk;
    EXPECT_EQ(chunk.find(": heartbeat"), std::string::npos) << chunk;
  }
  EXPECT_GE(beats, 2u);
  EXPECT_GE(events, 3u); // priming, progress, response
  // The response is the last thing on the stream: the heartbeats stopped with it.
  ASSERT_NE(chunks->back().find("SIMULATED-OUTPUT"), std::string::npos) << chunks->back();
  EXPECT_NE(chunks->back().find("\"id\":7"), std::string::npos);
}

TEST_F(StreamingCallTest, AStreamedCallThatCantBeRecordedEndsWithAnErrorNotTheResult) {
  const auto directory = std::filesystem::temp_directory_path() / ("sse-full-log-" + std::to_string(::getpid()));
  std::filesystem::remove_all(directory);
  auto config = base_config();
  config.tenants[0].tool_set = "planning";
  config.log = log_config(directory);
  config.log->max_store_bytes = 64 * 1024;
  restart(std::move(config));
  session_ = open_session();
  ASSERT_TRUE(fill_log_store("eu-central-1"));

  start_streaming_call();
  ASSERT_TRUE(run_until([&] { return ended_; })) << received_;
  const auto chunks = chunks_of(received_);
  ASSERT_TRUE(chunks) << received_;
  const auto& last = chunks->back();
  EXPECT_NE(last.find("\"code\":-32603"), std::string::npos) << last;
  EXPECT_NE(last.find("not recorded"), std::string::npos) << last;
  EXPECT_EQ(received_.find("SIMULATED-OUTPUT"), std::string::npos);
  std::filesystem::remove_all(directory);
}

} // namespace
} // namespace mcpcert::connector

namespace mcpcert::connector {
namespace {

// One stream a session: while a tool's stream is open, a second streaming
// call on the same session is refused with 429 and says which limit; once
// the first has ended the session may stream again.
class StreamCapTest : public StreamingCallTest {
protected:
  void SetUp() override {
    auto config = base_config();
    config.tenants[0].tool_set = "planning";
    config.sse_heartbeat = 0ms;
    config.limits.streams_per_session = 1;
    start(std::move(config));
    session_ = open_session();
  }

  Reply second_streaming_call() {
    return post(jsonrpc::make_request(8, "tools/call",
                                      {{"name", "run_app_tool"},
                                       {"arguments", {{"application", "app-1"}, {"tool", "simulate"}}},
                                       {"_meta", {{"progressToken", "p-2"}}}}),
                {{"Mcp-Session-Id", session_}, {"MCP-Protocol-Version", "2025-11-25"}});
  }
};

TEST_F(StreamCapTest, ASecondStreamOnTheSessionIsRefusedWhileTheFirstIsOpen) {
  hold_run_polls_ = true;
  start_streaming_call();
  ASSERT_TRUE(run_until([&] { return received_.find("retry: ") != std::string::npos; })) << "the first stream is open";
  const auto refused = second_streaming_call();
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.raw[bhttp::field::retry_after], "1");
  EXPECT_THAT(refused.body["error"]["message"].get<std::string>(), testing::HasSubstr("too many open streams on this session (limit 1)"));

  hold_run_polls_ = false;
  run_release_.cancel();
  ASSERT_TRUE(run_until([&] { return ended_; })) << received_;
  const auto later = second_streaming_call();
  EXPECT_EQ(later.status, 200) << later.raw.body();
}

} // namespace
} // namespace mcpcert::connector
