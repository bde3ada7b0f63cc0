#include "mcpcert/bench/bench_run.hpp"

#include <gtest/gtest.h>

namespace mcpcert::bench {
namespace {

std::optional<BenchOptions> parse(std::vector<std::string> args, std::string* error_out = nullptr) {
  std::string error;
  auto options = parse_bench_options(args, error);
  if (error_out != nullptr) *error_out = error;
  return options;
}

TEST(BenchOptions, DefaultsMeasureOneThirtyTwoAndTwoFiftySix) {
  auto options = parse({});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->concurrency, (std::vector<int>{1, 32, 256}));
  EXPECT_FALSE(options->json_file);
  EXPECT_FALSE(options->plot_file);
  EXPECT_EQ(options->memory_repetitions, 5);
}

TEST(BenchOptions, JsonPlotAndPhases) {
  auto options = parse({"--json", "out.json", "--plot", "chart.svg", "--phase-ms", "100,200", "--concurrency", "4,8", "--no-sdk"});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->json_file->string(), "out.json");
  EXPECT_EQ(options->plot_file->string(), "chart.svg");
  EXPECT_EQ(options->saturation_phase.count(), 100);
  EXPECT_EQ(options->latency_phase.count(), 200);
  EXPECT_EQ(options->concurrency, (std::vector<int>{4, 8}));
  EXPECT_FALSE(options->sdk);
  EXPECT_EQ(options->command_line, "--json out.json --plot chart.svg --phase-ms 100,200 --concurrency 4,8 --no-sdk");
}

TEST(BenchOptions, RefusesWhatItCannotUse) {
  std::string error;
  EXPECT_FALSE(parse({"--json"}, &error));
  EXPECT_NE(error.find("--json"), std::string::npos);
  EXPECT_FALSE(parse({"--phase-ms", "100"}, &error));
  EXPECT_FALSE(parse({"--load-fraction", "1.5"}, &error));
  EXPECT_FALSE(parse({"--concurrency", "0"}, &error));
  EXPECT_FALSE(parse({"--concurrency", "x"}, &error));
  EXPECT_FALSE(parse({"--frobnicate"}, &error));
  EXPECT_NE(error.find("--frobnicate"), std::string::npos);
}

} // namespace
} // namespace mcpcert::bench
