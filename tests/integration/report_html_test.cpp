// The `--html` report of a real run opens in headless Chromium: its
// screenshot is a real rendering (not a blank page), and the DOM Chromium
// built holds the per-claim verdict table, one row per claim, with the
// page's script run. Chromium (Debian package chromium) is installed by
// tests/run; without it the test skips.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/child_process.hpp"
#include "mcpcert/mock_client/cli.hpp"

namespace mcpcert::client {
namespace {

using testing::HasSubstr;

const std::filesystem::path source_dir = MCPCERT_SOURCE_DIR;
constexpr int window_width = 1280;
constexpr int window_height = 1600;

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
  return count;
}

// Width and height from a PNG's IHDR chunk, or {0, 0} when it is no PNG.
std::pair<std::uint32_t, std::uint32_t> png_size(const std::string& png) {
  if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || png.compare(12, 4, "IHDR") != 0) return {0, 0};
  auto be32 = [&](std::size_t at) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(png[at + i]);
    return value;
  };
  return {be32(16), be32(20)};
}

class HtmlReport : public testing::Test {
protected:
  void SetUp() override {
    chromium_ = find_on_path({"chromium", "chromium-browser"});
    if (chromium_.empty()) GTEST_SKIP() << "chromium is not installed (Debian package chromium; tests/run installs it)";
    dir_ = std::filesystem::temp_directory_path() / ("mcpcert-html-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
  }

  // One headless Chromium run on `url` with `mode` (--screenshot=FILE or
  // --dump-dom); its stdout. Each run gets a profile of its own.
  std::string chromium(const std::string& mode, const std::string& url) {
    static int run = 0;
    const auto profile = dir_ / ("profile-" + std::to_string(++run));
    // No sandbox: CI runs as root, where Chromium refuses to start with it.
    auto child = ChildProcess::spawn(chromium_,
                                     {"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                      "--hide-scrollbars", "--user-data-dir=" + profile.string(),
                                      "--window-size=" + std::to_string(window_width) + "," + std::to_string(window_height), mode, url},
                                     dir_ / "chromium.log");
    EXPECT_TRUE(child) << "chromium could not be started";
    if (!child) return {};
    auto out = child->read_all(std::chrono::seconds(60));
    const auto code = child->wait_exit(std::chrono::seconds(30));
    EXPECT_TRUE(out && code == 0) << mode << " " << url << " failed:\n" << read_file(dir_ / "chromium.log");
    return out.value_or("");
  }

  std::filesystem::path chromium_;
  std::filesystem::path dir_;
};

TEST_F(HtmlReport, OpensInHeadlessChromiumWithTheVerdictTable) {
  const auto html = dir_ / "report.html";
  const auto json = dir_ / "report.json";
  std::ostringstream out, err;
  // batch-accepted makes MCP-TRANSPORT FAIL while SESSION-BIND passes: both verdicts are on the page.
  const int code = run_cli({"run", (source_dir / "scenarios/transport/malformed_jsonrpc.yaml").string(),
                            (source_dir / "scenarios/tokens/session_bind.yaml").string(), "--test-only-mutant", "batch-accepted", "--jobs",
                            "2", "--no-colour", "--html", html.string(), "--json", json.string()},
                           out, err);
  ASSERT_EQ(code, 1) << "the mutant should make one claim FAIL\n" << out.str() << err.str();
  ASSERT_TRUE(std::filesystem::exists(html));
  const auto claims = nlohmann::json::parse(read_file(json))["claims"];
  ASSERT_GE(claims.size(), 2u);
  const auto url = "file://" + html.string();

  const auto shot = dir_ / "report.png";
  chromium("--screenshot=" + shot.string(), url);
  ASSERT_TRUE(std::filesystem::exists(shot)) << "no screenshot";
  const auto png = read_file(shot);
  EXPECT_EQ(png_size(png), std::make_pair(std::uint32_t{window_width}, std::uint32_t{window_height}));
  // A blank page of the same size compresses to almost nothing; the report's
  // text, table and coloured badges do not.
  const auto blank = dir_ / "blank.png";
  chromium("--screenshot=" + blank.string(), "about:blank");
  EXPECT_GT(png.size(), 4 * read_file(blank).size()) << "the screenshot looks blank: " << shot;

  const auto dom = chromium("--dump-dom", url);
  EXPECT_THAT(dom, HasSubstr("<table id=\"claims\">"));
  EXPECT_EQ(count_of(dom, "<tr id=\"row-"), claims.size()) << "one verdict row per claim";
  for (const auto& claim : claims) {
    const std::string id = claim["id"];
    const std::string verdict = claim["verdict"];
    EXPECT_THAT(dom, HasSubstr(">" + id + "</a></td>")) << id;
    EXPECT_THAT(dom, HasSubstr("<span class=\"verdict " + verdict + "\">" + verdict + "</span>")) << id;
  }
  EXPECT_THAT(dom, HasSubstr("verdict FAILED"));
  EXPECT_THAT(dom, HasSubstr("verdict PASSED"));
  // The filter script ran in the page: it fills in how many claims are shown.
  EXPECT_THAT(dom, HasSubstr(std::to_string(claims.size()) + " of " + std::to_string(claims.size()) + " claim(s) shown"));
}

} // namespace
} // namespace mcpcert::client
