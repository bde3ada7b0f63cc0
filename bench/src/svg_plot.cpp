#include "mcpcert/bench/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace mcpcert::bench {

namespace {

constexpr double width = 820, height = 480;
constexpr double left = 70, right = 210, top = 40, bottom = 50;
constexpr double max_nines = 4; // the x axis ends at the 99.99th percentile

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

std::string microseconds_label(double us) {
  char buffer[32];
  if (us >= 1000) std::snprintf(buffer, sizeof buffer, "%g ms", us / 1000);
  else std::snprintf(buffer, sizeof buffer, "%g us", us);
  return buffer;
}

} // namespace

std::string latency_chart_svg(const std::string& title, const std::vector<PlotSeries>& series) {
  double low = 1e18, high = 1;
  for (const auto& s : series) {
    if (s.histogram == nullptr || s.histogram->count() == 0) continue;
    low = std::min(low, static_cast<double>(s.histogram->min()) / 1000.0);
    high = std::max(high, static_cast<double>(s.histogram->max()) / 1000.0);
  }
  if (low > high) low = 1;
  const double y_low = std::floor(std::log10(std::max(low, 1.0)));
  const double y_high = std::max(std::ceil(std::log10(high)), y_low + 1);
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  auto x_of = [&](double fraction) {
    const double nines = std::min(max_nines, -std::log10(std::max(1.0 - fraction, 1e-12)));
    return left + plot_w * nines / max_nines;
  };
  auto y_of = [&](double us) {
    const double v = std::clamp(std::log10(std::max(us, 1e-3)), y_low, y_high);
    return top + plot_h * (1 - (v - y_low) / (y_high - y_low));
  };

  std::ostringstream svg;
  svg << R"(<svg xmlns="http://www.w3.org/2000/svg" width=")" << width << R"(" height=")" << height << R"(" viewBox="0 0 )" << width
      << ' ' << height << R"(" font-family="sans-serif" font-size="12">)" << '\n';
  svg << R"(<rect width="100%" height="100%" fill="white"/>)" << '\n';
  svg << R"(<text x=")" << left << R"(" y="22" font-size="15" font-weight="bold">)" << escape(title) << "</text>\n";
  // Grid: decades of latency, and the 0, 90, 99, 99.9, 99.99th percentiles.
  for (double d = y_low; d <= y_high + 1e-9; d += 1) {
    for (int m = 1; m < 10; ++m) {
      const double us = std::pow(10.0, d) * m;
      if (std::log10(us) > y_high + 1e-9) break;
      const double y = y_of(us);
      svg << R"(<line x1=")" << left << R"(" x2=")" << left + plot_w << R"(" y1=")" << number(y) << R"(" y2=")" << number(y)
          << R"(" stroke=")" << (m == 1 ? "#bbb" : "#eee") << R"("/>)" << '\n';
      if (m == 1) {
        svg << R"(<text x=")" << left - 6 << R"(" y=")" << number(y + 4) << R"(" text-anchor="end">)" << microseconds_label(us) << "</text>\n";
      }
    }
  }
  const std::pair<double, const char*> ticks[] = {{0.0, "0%"}, {0.5, "50%"}, {0.9, "90%"}, {0.99, "99%"}, {0.999, "99.9%"}, {0.9999, "99.99%"}};
  for (const auto& [fraction, label] : ticks) {
    const double x = x_of(fraction);
    svg << R"(<line x1=")" << number(x) << R"(" x2=")" << number(x) << R"(" y1=")" << top << R"(" y2=")" << top + plot_h
        << R"(" stroke="#ddd"/>)" << '\n';
    svg << R"(<text x=")" << number(x) << R"(" y=")" << top + plot_h + 18 << R"(" text-anchor="middle">)" << label << "</text>\n";
  }
  svg << R"(<text x=")" << left + plot_w / 2 << R"(" y=")" << height - 10 << R"(" text-anchor="middle">percentile</text>)" << '\n';
  svg << R"x(<text transform="translate(16 )x" << top + plot_h / 2 << R"x() rotate(-90)" text-anchor="middle">latency (log scale)</text>)x" << '\n';
  svg << R"(<rect x=")" << left << R"(" y=")" << top << R"(" width=")" << plot_w << R"(" height=")" << plot_h
      << R"(" fill="none" stroke="#888"/>)" << '\n';

  double legend_y = top + 10;
  for (const auto& s : series) {
    if (s.histogram == nullptr || s.histogram->count() == 0) continue;
    std::ostringstream points;
    double previous_fraction = 0;
    for (const auto& [value, fraction] : s.histogram->cdf()) {
      // A step: the value holds from the previous cumulative fraction up to this one.
      const double us = static_cast<double>(value) / 1000.0;
      points << number(x_of(previous_fraction)) << ',' << number(y_of(us)) << ' ';
      points << number(x_of(std::min(fraction, 0.9999))) << ',' << number(y_of(us)) << ' ';
      previous_fraction = fraction;
      if (fraction >= 0.9999) break;
    }
    svg << R"(<polyline fill="none" stroke-width="2" stroke=")" << s.colour << '"' << (s.dashed ? R"( stroke-dasharray="6 4")" : "")
        << R"( points=")" << points.str() << R"("/>)" << '\n';
    const double lx = left + plot_w + 12;
    svg << R"(<line x1=")" << lx << R"(" x2=")" << lx + 24 << R"(" y1=")" << number(legend_y) << R"(" y2=")" << number(legend_y)
        << R"(" stroke-width="2" stroke=")" << s.colour << '"' << (s.dashed ? R"( stroke-dasharray="6 4")" : "") << "/>\n";
    svg << R"(<text x=")" << lx + 30 << R"(" y=")" << number(legend_y + 4) << R"(">)" << escape(s.label) << "</text>\n";
    legend_y += 20;
  }
  svg << "</svg>\n";
  return svg.str();
}

} // namespace mcpcert::bench
