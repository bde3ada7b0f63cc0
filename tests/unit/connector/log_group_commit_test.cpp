#include "mcpcert/connector/log_group_commit.hpp"

#include <unistd.h>

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpcert::connector {
namespace {

namespace asio = boost::asio;

class LogGroupCommitTest : public testing::Test {
protected:
  LogGroupCommitTest() {
    std::filesystem::remove_all(directory_);
    config_.directory = directory_;
    config_.active_key_id = "k1";
    config_.keys.emplace("k1", AeadKey::generate());
  }
  ~LogGroupCommitTest() override { std::filesystem::remove_all(directory_); }

  ToolCallEntry call(std::string user, std::size_t argument_bytes = 0) {
    ToolCallEntry entry;
    entry.request_id = "req-" + user;
    entry.tenant = "emea-finance";
    entry.region = "eu-central-1";
    entry.tool = "get_kpis";
    entry.user = std::move(user);
    entry.entity = "ent-brussels";
    entry.source_ip = "127.0.0.42";
    entry.outcome = "success";
    entry.arguments = std::string(argument_bytes, 'x');
    return entry;
  }

  /// What the log holds (the connector holds its stores exclusively, so no
  /// second reader can look).
  static std::size_t committed_records(OperationalLog& log) { return log.export_records("", 0).size(); }

  std::filesystem::path directory_ = std::filesystem::temp_directory_path() / ("group-commit-test-" + std::to_string(::getpid()));
  VirtualClock clock_;
  OperationalLogConfig config_;
  asio::io_context io_;
};

TEST_F(LogGroupCommitTest, CallsFinishingTogetherShareOneCommit) {
  OperationalLog log(config_, clock_);
  LogGroupCommit records(log);
  std::vector<LogStatus> statuses;
  for (int i = 0; i < 10; ++i) {
    asio::co_spawn(io_, [&, i]() -> asio::awaitable<void> {
      statuses.push_back(co_await records.append(call("user-" + std::to_string(i))));
    }, asio::detached);
  }
  io_.run();
  ASSERT_EQ(statuses.size(), 10u);
  EXPECT_THAT(statuses, testing::Each(LogStatus::ok));
  EXPECT_EQ(log.tool_call_commits(), 1u);
  EXPECT_EQ(committed_records(log), 10u);
}

TEST_F(LogGroupCommitTest, EachCallResumesOnlyOnceItsRecordIsCommitted) {
  OperationalLog log(config_, clock_);
  LogGroupCommit records(log);
  std::vector<std::uint64_t> commits_when_resumed;
  std::vector<std::size_t> records_when_resumed;
  asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(co_await records.append(call("user-" + std::to_string(i))), LogStatus::ok);
      commits_when_resumed.push_back(log.tool_call_commits());
      records_when_resumed.push_back(committed_records(log));
    }
  }, asio::detached);
  io_.run();
  EXPECT_THAT(commits_when_resumed, testing::ElementsAre(1u, 2u, 3u));
  EXPECT_THAT(records_when_resumed, testing::ElementsAre(1u, 2u, 3u));
  EXPECT_EQ(log.tool_call_commits(), 3u);
}

/// Resumes after `turns` further turns of the event loop, as a call whose
/// upstream reply comes in that much later.
asio::awaitable<void> after_turns(int turns) {
  for (int i = 0; i < turns; ++i) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
}

TEST_F(LogGroupCommitTest, ACallFinishingATurnLaterStillJoinsTheBatch) {
  OperationalLog log(config_, clock_);
  LogGroupCommit records(log);
  std::vector<LogStatus> statuses;
  for (int delay : {0, 1, 2}) {
    asio::co_spawn(io_, [&, delay]() -> asio::awaitable<void> {
      co_await after_turns(delay);
      statuses.push_back(co_await records.append(call("user-" + std::to_string(delay))));
    }, asio::detached);
  }
  io_.run();
  EXPECT_THAT(statuses, testing::ElementsAre(LogStatus::ok, LogStatus::ok, LogStatus::ok));
  EXPECT_EQ(log.tool_call_commits(), 1u);
  EXPECT_EQ(records.commits(), 1u);
}

TEST_F(LogGroupCommitTest, AStreamOfCallsDoesNotHoldTheFirstOneBack) {
  OperationalLog log(config_, clock_);
  LogGroupCommit records(log);
  // One new call every turn, for far longer than a batch may wait.
  constexpr int calls = 6 * LogGroupCommit::max_turns_waited;
  std::vector<std::string> events;
  for (int i = 0; i < calls; ++i) {
    asio::co_spawn(io_, [&, i]() -> asio::awaitable<void> {
      co_await after_turns(i);
      events.push_back("append " + std::to_string(i));
      EXPECT_EQ(co_await records.append(call("user-" + std::to_string(i))), LogStatus::ok);
      events.push_back("resume " + std::to_string(i));
    }, asio::detached);
  }
  io_.run();
  const auto at = [&](const std::string& event) { return std::find(events.begin(), events.end(), event) - events.begin(); };
  EXPECT_LT(at("resume 0"), at("append " + std::to_string(2 * LogGroupCommit::max_turns_waited)));
  EXPECT_GE(records.commits(), 3u);
  EXPECT_EQ(committed_records(log), static_cast<std::size_t>(calls));
}

TEST_F(LogGroupCommitTest, ARecordThatCannotBeStoredFailsOnlyItsOwnCall) {
  config_.max_store_bytes = 64 * 1024;
  config_.optional_fields.insert(OptionalLogField::arguments);
  OperationalLog log(config_, clock_);
  LogGroupCommit records(log);
  std::map<std::string, LogStatus> statuses;
  for (const auto& [user, bytes] : std::vector<std::pair<std::string, std::size_t>>{{"alice", 0}, {"mallory", 256 * 1024}, {"carol", 0}}) {
    asio::co_spawn(io_, [&, user, bytes]() -> asio::awaitable<void> {
      statuses[user] = co_await records.append(call(user, bytes));
    }, asio::detached);
  }
  io_.run();
  EXPECT_EQ(statuses["alice"], LogStatus::ok);
  EXPECT_EQ(statuses["mallory"], LogStatus::storage_failure);
  EXPECT_EQ(statuses["carol"], LogStatus::ok);
  EXPECT_EQ(committed_records(log), 2u);
}

} // namespace
} // namespace mcpcert::connector
