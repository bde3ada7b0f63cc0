#include "mcpcert/bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace mcpcert::bench {

namespace {

constexpr std::uint64_t linear = std::uint64_t{1} << Histogram::sub_bits; // exact below this
constexpr std::uint64_t half = linear / 2;
// Values up to 2^64-1: the largest shift is 64 - sub_bits.
constexpr std::size_t bucket_count = linear + (64 - Histogram::sub_bits) * half;

} // namespace

Histogram::Histogram() : buckets_(bucket_count, 0) {}

std::size_t Histogram::bucket_of(std::uint64_t value) {
  if (value < linear) return static_cast<std::size_t>(value);
  const int msb = 63 - std::countl_zero(value);
  const int shift = msb - sub_bits + 1; // >= 1
  const std::uint64_t mantissa = value >> shift; // in [half, linear)
  return static_cast<std::size_t>(linear + static_cast<std::uint64_t>(shift - 1) * half + (mantissa - half));
}

std::uint64_t Histogram::bucket_lowest(std::size_t bucket) {
  if (bucket < linear) return bucket;
  const std::uint64_t rest = bucket - linear;
  const int shift = static_cast<int>(rest / half) + 1;
  const std::uint64_t mantissa = half + rest % half;
  return mantissa << shift;
}

std::uint64_t Histogram::bucket_highest(std::size_t bucket) {
  if (bucket < linear) return bucket;
  const std::uint64_t rest = bucket - linear;
  const int shift = static_cast<int>(rest / half) + 1;
  return bucket_lowest(bucket) + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::record(std::uint64_t value) {
  ++buckets_[bucket_of(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += value;
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::reset() { *this = Histogram(); }

std::uint64_t Histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(bucket_highest(i), min_, max_);
  }
  return max_;
}

std::vector<std::pair<std::uint64_t, double>> Histogram::cdf() const {
  std::vector<std::pair<std::uint64_t, double>> out;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    if (buckets_[i] == 0) continue;
    seen += buckets_[i];
    out.emplace_back(std::clamp(bucket_highest(i), min_, max_), static_cast<double>(seen) / static_cast<double>(count_));
  }
  return out;
}

} // namespace mcpcert::bench
