#pragma once
/// A log-bucketed latency histogram in the manner of HdrHistogram: values
/// below 2^sub_bits nanoseconds are exact, larger ones fall into buckets a
/// 1/2^(sub_bits-1) fraction of their magnitude wide, so every percentile is
/// within 0.8% of the true value at any scale, in constant memory.

#include <cstdint>
#include <vector>

namespace mcpcert::bench {

class Histogram {
public:
  static constexpr int sub_bits = 8;

  Histogram();

  void record(std::uint64_t value_ns);
  /// Adds every value of `other`.
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_); }
  /// The value at percentile `p` (0..100): the highest value equivalent to
  /// the bucket holding the ceil(p/100 * count)-th smallest value, never
  /// above the largest recorded value; 0 when empty.
  std::uint64_t percentile(double p) const;

  /// Bucket index of a value and the range of values a bucket holds (for tests and plots).
  static std::size_t bucket_of(std::uint64_t value_ns);
  static std::uint64_t bucket_lowest(std::size_t bucket);
  static std::uint64_t bucket_highest(std::size_t bucket);

  /// (value, cumulative fraction) at every non-empty bucket, in order: the CDF.
  std::vector<std::pair<std::uint64_t, double>> cdf() const;

private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  std::uint64_t sum_ = 0;
};

} // namespace mcpcert::bench
