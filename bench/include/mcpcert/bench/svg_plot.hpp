#pragma once
/// The latency distributions of one run on one chart, as a self-contained
/// SVG: latency (log scale) against percentile, HdrHistogram style, so the
/// median and the tail read off the same picture.

#include <string>
#include <vector>

#include "mcpcert/bench/histogram.hpp"

namespace mcpcert::bench {

struct PlotSeries {
  std::string label;
  std::string colour; ///< any SVG colour
  bool dashed = false;
  const Histogram* histogram = nullptr;
};

std::string latency_chart_svg(const std::string& title, const std::vector<PlotSeries>& series);

} // namespace mcpcert::bench
