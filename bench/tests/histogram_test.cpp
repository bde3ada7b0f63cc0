#include "mcpcert/bench/histogram.hpp"

#include <random>

#include <gtest/gtest.h>

namespace mcpcert::bench {
namespace {

TEST(Histogram, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.percentile(50), 50u);
  EXPECT_EQ(h.percentile(90), 90u);
  EXPECT_EQ(h.percentile(99), 99u);
  EXPECT_EQ(h.percentile(100), 100u);
  EXPECT_EQ(h.percentile(0), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(Histogram, BucketsCoverEveryValueOnce) {
  for (std::uint64_t v : {0ull, 1ull, 255ull, 256ull, 257ull, 511ull, 512ull, 1000ull, 123456789ull, 1ull << 40, ~0ull}) {
    const auto b = Histogram::bucket_of(v);
    EXPECT_LE(Histogram::bucket_lowest(b), v) << v;
    EXPECT_GE(Histogram::bucket_highest(b), v) << v;
    if (b > 0) {
      EXPECT_EQ(Histogram::bucket_highest(b - 1) + 1, Histogram::bucket_lowest(b)) << v;
    }
  }
}

TEST(Histogram, RelativeErrorBelowOnePercentAtAnyScale) {
  for (std::uint64_t scale : {1'000ull, 1'000'000ull, 1'000'000'000ull}) {
    Histogram h;
    for (std::uint64_t i = 1; i <= 10'000; ++i) h.record(i * scale);
    for (double p : {50.0, 90.0, 99.0, 99.9}) {
      const double exact = p / 100.0 * 10'000.0 * static_cast<double>(scale);
      const double got = static_cast<double>(h.percentile(p));
      EXPECT_GE(got, exact) << p;
      EXPECT_LE((got - exact) / exact, 0.008) << p << " at scale " << scale;
    }
    EXPECT_EQ(h.max(), 10'000 * scale);
    EXPECT_EQ(h.percentile(100), 10'000 * scale);
  }
}

TEST(Histogram, PercentileNeverAboveTheLargestValue) {
  Histogram h;
  h.record(1'000'001);
  EXPECT_EQ(h.percentile(50), 1'000'001u);
  EXPECT_EQ(h.percentile(99.9), 1'000'001u);
}

TEST(Histogram, MergeEqualsRecordingEverything) {
  std::mt19937_64 random(7);
  Histogram a, b, all;
  for (int i = 0; i < 5000; ++i) {
    const auto v = random() % 10'000'000;
    (i % 2 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {10.0, 50.0, 99.0, 99.99}) EXPECT_EQ(a.percentile(p), all.percentile(p));
}

TEST(Histogram, CdfEndsAtOneInValueOrder) {
  Histogram h;
  for (std::uint64_t v : {5ull, 5000ull, 5ull, 70000ull}) h.record(v);
  const auto cdf = h.cdf();
  ASSERT_EQ(cdf.size(), 3u);
  EXPECT_DOUBLE_EQ(cdf.front().second, 0.5);
  EXPECT_DOUBLE_EQ(cdf.back().second, 1.0);
  EXPECT_EQ(cdf.back().first, 70000u);
  EXPECT_LT(cdf[0].first, cdf[1].first);
}

} // namespace
} // namespace mcpcert::bench
