#include "mcpcert/bench/bench_run.hpp"
#include "mcpcert/bench/soak_run.hpp"

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
  EXPECT_EQ(options->latency_rounds, 4);
  EXPECT_EQ(parse({"--quick"})->latency_rounds, 1);
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

TEST(BenchOptions, TargetsNameWhatToMeasure) {
  auto options = parse({"--targets", "connector,floor_two_hop"});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->only_targets, (std::vector<std::string>{"connector", "floor_two_hop"}));
  EXPECT_TRUE(parse({})->only_targets.empty());
  std::string error;
  EXPECT_FALSE(parse({"--targets", "connector,,sdk"}, &error));
  EXPECT_NE(error.find("--targets"), std::string::npos);
  EXPECT_FALSE(parse({"--targets"}, &error));
}

TEST(BenchOptions, RefusesWhatItCannotUse) {
  std::string error;
  EXPECT_FALSE(parse({"--json"}, &error));
  EXPECT_NE(error.find("--json"), std::string::npos);
  EXPECT_FALSE(parse({"--phase-ms", "100"}, &error));
  EXPECT_FALSE(parse({"--load-fraction", "1.5"}, &error));
  EXPECT_FALSE(parse({"--latency-rounds", "0"}, &error));
  EXPECT_NE(error.find("--latency-rounds"), std::string::npos);
  EXPECT_FALSE(parse({"--latency-rounds", "65"}, &error));
  EXPECT_EQ(parse({"--latency-rounds", "2"})->latency_rounds, 2);
  EXPECT_FALSE(parse({"--concurrency", "0"}, &error));
  EXPECT_FALSE(parse({"--concurrency", "x"}, &error));
  EXPECT_FALSE(parse({"--frobnicate"}, &error));
  EXPECT_NE(error.find("--frobnicate"), std::string::npos);
}

TEST(SoakOptions, BoundedByDefaultAndByEveryFlag) {
  std::string error;
  auto defaults = parse_soak_options({}, error);
  ASSERT_TRUE(defaults) << error;
  EXPECT_EQ(defaults->duration.count(), 300);
  EXPECT_EQ(defaults->max_calls, 100'000u);
  auto options = parse_soak_options({"--seconds", "60", "--calls", "500", "--workers", "8", "--json", "soak.json"}, error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->duration.count(), 60);
  EXPECT_EQ(options->max_calls, 500u);
  EXPECT_EQ(options->workers, 8);
  EXPECT_EQ(options->json_file->string(), "soak.json");
}

TEST(SoakOptions, RefusesUnboundedOrMalformedValues) {
  std::string error;
  EXPECT_FALSE(parse_soak_options({"--seconds", "0"}, error));
  EXPECT_NE(error.find("--seconds"), std::string::npos);
  EXPECT_FALSE(parse_soak_options({"--seconds", "86401"}, error));
  EXPECT_NE(error.find("bounded"), std::string::npos);
  EXPECT_FALSE(parse_soak_options({"--calls", "-3"}, error));
  EXPECT_FALSE(parse_soak_options({"--workers", "65"}, error));
  EXPECT_FALSE(parse_soak_options({"--calls"}, error));
  EXPECT_NE(error.find("needs a value"), std::string::npos);
  EXPECT_FALSE(parse_soak_options({"--forever", "1"}, error));
  EXPECT_NE(error.find("unknown option"), std::string::npos);
}

} // namespace
} // namespace mcpcert::bench
