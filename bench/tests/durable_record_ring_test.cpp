// The call-shape floor's durable records: what it claims to pay for (one
// write and one sync per batch, records where they belong) is what it does.
#include "mcpcert/bench/floor_servers.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace mcpcert::bench {
namespace {

namespace asio = boost::asio;

class DurableRecordRingTest : public testing::Test {
protected:
  ~DurableRecordRingTest() override { std::filesystem::remove(file_); }

  std::string file_contents() const {
    std::ifstream in(file_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  std::filesystem::path file_ = std::filesystem::temp_directory_path() / ("record-ring-" + std::to_string(::getpid()));
  asio::io_context io_;
};

TEST_F(DurableRecordRingTest, CallsFinishingTogetherShareOneSyncAndKeepTheirOrder) {
  auto ring = std::make_shared<DurableRecordRing>(file_.string());
  EXPECT_EQ(std::filesystem::file_size(file_), DurableRecordRing::ring_bytes);
  int written = 0;
  for (const char* record : {"first", "second", "third"}) {
    asio::co_spawn(io_, [&, record]() -> asio::awaitable<void> {
      if (co_await ring->append(record, ring)) ++written;
    }, asio::detached);
  }
  io_.run();
  EXPECT_EQ(written, 3);
  EXPECT_EQ(ring->syncs(), 1u);
  const auto contents = file_contents();
  EXPECT_EQ(contents.substr(0, 5), "first");
  EXPECT_EQ(contents.substr(DurableRecordRing::record_bytes, 6), "second");
  EXPECT_EQ(contents.substr(2 * DurableRecordRing::record_bytes, 5), "third");
  EXPECT_EQ(contents[2 * DurableRecordRing::record_bytes + 5], ' ');
}

TEST_F(DurableRecordRingTest, EachCallResumesOnlyAfterItsOwnSync) {
  auto ring = std::make_shared<DurableRecordRing>(file_.string());
  std::vector<std::uint64_t> syncs_when_resumed;
  asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      EXPECT_TRUE(co_await ring->append("record", ring));
      syncs_when_resumed.push_back(ring->syncs());
    }
  }, asio::detached);
  io_.run();
  EXPECT_EQ(syncs_when_resumed, (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(DurableRecordRingTest, AFileThatCannotBeCreatedIsNamed) {
  try {
    DurableRecordRing ring("/nonexistent-directory/records");
    FAIL() << "created a ring in a directory that does not exist";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-directory/records"), std::string::npos);
  }
}

} // namespace
} // namespace mcpcert::bench
