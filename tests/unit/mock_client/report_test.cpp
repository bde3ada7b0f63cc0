#include "mcpcert/mock_client/report.hpp"

#include <fstream>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpcert::client {
namespace {

using testing::HasSubstr;
using testing::Not;

// Just enough of an XML reader to prove a document well-formed and to read
// its element tree back: tags must nest, attributes must be quoted, and the
// only references allowed are the five predefined entities and &#N;.
struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::string text;
  std::vector<XmlElement> children;
  const XmlElement* child(const std::string& wanted) const {
    for (const auto& c : children) {
      if (c.name == wanted) return &c;
    }
    return nullptr;
  }
};

class XmlReader {
public:
  explicit XmlReader(std::string text) : text_(std::move(text)) {}

  XmlElement document() {
    if (text_.rfind("<?xml", 0) == 0) at_ = text_.find("?>") + 2;
    skip_space();
    auto root = element();
    skip_space();
    if (at_ != text_.size()) throw std::runtime_error("content after the root element");
    return root;
  }

private:
  void skip_space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_])) != 0) ++at_;
  }
  std::string name() {
    const auto start = at_;
    while (at_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[at_])) != 0 || text_[at_] == '-' || text_[at_] == '_')) ++at_;
    if (start == at_) throw std::runtime_error("expected a name at " + std::to_string(at_));
    return text_.substr(start, at_ - start);
  }
  std::string decode(const std::string& raw) {
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '<') throw std::runtime_error("raw < in text");
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      const auto end = raw.find(';', i);
      if (end == std::string::npos) throw std::runtime_error("unterminated reference");
      const auto entity = raw.substr(i + 1, end - i - 1);
      static const std::map<std::string, std::string> named{{"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
      if (auto it = named.find(entity); it != named.end()) out += it->second;
      else if (entity.size() > 1 && entity[0] == '#') out += static_cast<char>(std::stoi(entity.substr(1)));
      else throw std::runtime_error("unknown entity &" + entity + ";");
      i = end;
    }
    return out;
  }
  XmlElement element() {
    if (text_[at_] != '<') throw std::runtime_error("expected < at " + std::to_string(at_));
    ++at_;
    XmlElement out;
    out.name = name();
    for (;;) {
      skip_space();
      if (text_.compare(at_, 2, "/>") == 0) {
        at_ += 2;
        return out;
      }
      if (text_[at_] == '>') {
        ++at_;
        break;
      }
      const auto attribute = name();
      if (text_[at_] != '=' || text_[at_ + 1] != '"') throw std::runtime_error("unquoted attribute " + attribute);
      const auto end = text_.find('"', at_ + 2);
      if (out.attributes.contains(attribute)) throw std::runtime_error("repeated attribute " + attribute);
      out.attributes[attribute] = decode(text_.substr(at_ + 2, end - at_ - 2));
      at_ = end + 1;
    }
    for (;;) {
      const auto next = text_.find('<', at_);
      if (next == std::string::npos) throw std::runtime_error("unclosed element " + out.name);
      out.text += decode(text_.substr(at_, next - at_));
      at_ = next;
      if (text_.compare(at_, 2, "</") == 0) {
        at_ += 2;
        if (name() != out.name) throw std::runtime_error("mismatched end tag for " + out.name);
        skip_space();
        if (text_[at_++] != '>') throw std::runtime_error("malformed end tag");
        return out;
      }
      out.children.push_back(element());
    }
  }

  std::string text_;
  std::size_t at_ = 0;
};

// Every character XML and HTML escaping must survive, plus bytes that are not UTF-8.
const std::string nasty = "<script>alert(\"x\")</script> & 'quotes' \x01\x7f ]]> \xff\xfe end";

std::vector<ScenarioResult> sample_results() {
  std::vector<ScenarioResult> results(3);
  results[0].name = "passes";
  results[0].title = "A passing check";
  results[0].file = "scenarios/tokens/passes.yaml";
  results[0].family = "tokens";
  results[0].claims = {"SESSION-BIND"};
  results[0].notice = {"Notice A, section 1", "Sessions belong to their user."};
  results[0].verdict = Verdict::passed;
  results[0].duration = std::chrono::milliseconds(1234);
  results[0].started_at = "2026-01-02T03:04:05Z";
  StepRecord step;
  step.index = 1;
  step.kind = "raw_request";
  step.line = 7;
  step.passed = true;
  step.summary = "POST tools/list: HTTP 404";
  step.args = {{"token", {{"kind", "literal"}, {"value", "super-secret-literal"}}}};
  step.exchanges = nlohmann::json::array({{{"request", {{"method", "POST"}, {"url", "http://127.0.0.1:1/mcp"}, {"headers", {{"Authorization", "Bearer <secret:0011>"}}}, {"body", nasty}}},
                                           {"response", {{"status", 404}, {"headers", {{"content-type", "application/json"}}}, {"body", "{}"}}}}});
  results[0].steps.push_back(step);

  results[1].name = "fails " + nasty;
  results[1].file = "scenarios/transport/fails.yaml";
  results[1].family = "transport";
  results[1].claims = {"MCP-TRANSPORT", "MCP-AUTH-RS"};
  results[1].notice = {"CLAIMS.md", nasty};
  results[1].verdict = Verdict::failed;
  results[1].reason = "step 1 (raw_request, line 3): " + nasty;
  step.passed = false;
  step.summary = nasty;
  results[1].steps.push_back(step);

  results[2].name = "skipped";
  results[2].file = "scenarios/transport/skipped.yaml";
  results[2].family = "transport";
  results[2].claims = {"ACCESS-TTL"};
  results[2].verdict = Verdict::skipped;
  results[2].reason = "the connector offers no control plane";
  return results;
}

RunInfo sample_run() { return {"mcpcert run scenarios --seed 7", 7, "2026-01-02T03:04:05Z", 2}; }

TEST(EscapeMarkup, EscapesMarkupAndRepairsText) {
  EXPECT_EQ(escape_markup("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(escape_markup("line\nnext\ttab"), "line\nnext\ttab");
  EXPECT_EQ(escape_markup("line\nnext", false), "line&#10;next");
  EXPECT_EQ(escape_markup("\x01"), "\xEF\xBF\xBD");          // a control character XML cannot carry
  EXPECT_EQ(escape_markup("\xff"), "\xEF\xBF\xBD");          // not UTF-8
  EXPECT_EQ(escape_markup("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD"); // overlong '/'
  EXPECT_EQ(escape_markup("caf\xC3\xA9 \xE2\x86\x92"), "caf\xC3\xA9 \xE2\x86\x92");
}

TEST(JunitReport, ParsesBackWithTheJenkinsSchemaShape) {
  const auto results = sample_results();
  const auto xml = junit_report(results, sample_run());
  XmlElement root;
  ASSERT_NO_THROW(root = XmlReader(xml).document()) << xml;
  EXPECT_EQ(root.name, "testsuites");
  EXPECT_EQ(root.attributes["tests"], "3");
  EXPECT_EQ(root.attributes["failures"], "1");
  EXPECT_EQ(root.attributes["errors"], "0");
  EXPECT_FALSE(root.attributes.contains("skipped")) << "junit-10.xsd has no skipped on testsuites";
  ASSERT_EQ(root.children.size(), 2u);
  const auto& tokens = root.children[0];
  EXPECT_EQ(tokens.name, "testsuite");
  EXPECT_EQ(tokens.attributes.at("name"), "tokens");
  const auto& transport = root.children[1];
  EXPECT_EQ(transport.attributes.at("tests"), "2");
  EXPECT_EQ(transport.attributes.at("failures"), "1");
  EXPECT_EQ(transport.attributes.at("skipped"), "1");
  for (const auto& suite : root.children) {
    for (const auto& [name, value] : suite.attributes) {
      EXPECT_THAT((std::vector<std::string>{"name", "tests", "failures", "errors", "skipped", "time", "timestamp"}), testing::Contains(name));
    }
    ASSERT_NE(suite.child("properties"), nullptr);
    for (const auto& testcase : suite.children) {
      if (testcase.name == "properties") continue;
      EXPECT_EQ(testcase.name, "testcase");
      for (const auto& [name, value] : testcase.attributes) EXPECT_THAT((std::vector<std::string>{"name", "classname", "time"}), testing::Contains(name));
      EXPECT_THAT(testcase.attributes.at("time"), testing::MatchesRegex("[0-9]+\\.[0-9]{3}"));
    }
  }
  const auto* passed = tokens.child("testcase");
  ASSERT_NE(passed, nullptr);
  EXPECT_EQ(passed->attributes.at("classname"), "SESSION-BIND");
  EXPECT_EQ(passed->attributes.at("time"), "1.234");
  EXPECT_EQ(passed->child("failure"), nullptr);
  EXPECT_THAT(passed->child("system-out")->text, HasSubstr("ok   1. raw_request (line 7): POST tools/list: HTTP 404"));

  const auto& failed = transport.children[1];
  EXPECT_EQ(failed.attributes.at("classname"), "MCP-TRANSPORT");
  ASSERT_NE(failed.child("failure"), nullptr);
  EXPECT_THAT(failed.child("failure")->attributes.at("message"), HasSubstr("<script>alert(\"x\")</script> & 'quotes'"));
  const auto& skipped = transport.children[2];
  ASSERT_NE(skipped.child("skipped"), nullptr);
  EXPECT_EQ(skipped.child("skipped")->attributes.at("message"), "the connector offers no control plane");
  EXPECT_THAT(xml, HasSubstr("<property name=\"seed\" value=\"7\"/>"));
}

TEST(JunitReport, AWorldThatNeverStartedIsAnError) {
  ScenarioResult broken;
  broken.name = "broken";
  broken.claims = {"TOOLSET"};
  broken.verdict = Verdict::failed;
  broken.reason = "the world could not start: no binary";
  const auto root = XmlReader(junit_report({broken}, sample_run())).document();
  EXPECT_EQ(root.attributes.at("errors"), "1");
  EXPECT_EQ(root.attributes.at("failures"), "0");
  EXPECT_NE(root.children[0].children[1].child("error"), nullptr);
}

TEST(HtmlReport, IsSelfContainedEscapedAndFilterable) {
  const auto results = sample_results();
  const auto claims = verdicts_by_claim(results);
  const auto html = html_report(claims, sample_run());
  EXPECT_THAT(html, testing::StartsWith("<!DOCTYPE html>"));
  // Nothing is fetched from elsewhere.
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(testing::ContainsRegex("href=\"[^#]")));
  // Data never becomes markup: one script element, the page's own.
  EXPECT_EQ(html.find("<script>"), html.rfind("<script>"));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"));
  EXPECT_THAT(html, Not(HasSubstr("\x01")));
  EXPECT_THAT(html, Not(HasSubstr("\xff")));
  // The parts a reader and the filters rely on.
  EXPECT_THAT(html, HasSubstr("id=\"verdict-filter\""));
  EXPECT_THAT(html, HasSubstr("id=\"text-filter\""));
  EXPECT_THAT(html, HasSubstr("<section class=\"claim\" id=\"claim-SESSION-BIND\" data-verdict=\"PASSED\">"));
  EXPECT_THAT(html, HasSubstr("<section class=\"claim\" id=\"claim-MCP-TRANSPORT\" data-verdict=\"FAILED\">"));
  EXPECT_THAT(html, HasSubstr("data-verdict=\"SKIPPED\""));
  EXPECT_THAT(html, HasSubstr("<blockquote class=\"notice\">Sessions belong to their user.<footer>Notice A, section 1</footer></blockquote>"));
  EXPECT_THAT(html, HasSubstr("<details class=\"exchange\"><summary>POST http://127.0.0.1:1/mcp \xE2\x86\x92 HTTP 404</summary>"));
  EXPECT_THAT(html, HasSubstr("NOT CERTIFIED"));
  EXPECT_THAT(html, HasSubstr("seed 7"));
}

TEST(Trace, HoldsTheWholeTranscriptWithLiteralTokensMasked) {
  const auto results = sample_results();
  const auto trace = scenario_trace(results[0], sample_run());
  EXPECT_EQ(trace["scenario"]["name"], "passes");
  EXPECT_EQ(trace["verdict"], "PASSED");
  EXPECT_EQ(trace["run"]["seed"], 7);
  ASSERT_EQ(trace["steps"].size(), 1u);
  EXPECT_EQ(trace["steps"][0]["exchanges"][0]["response"]["status"], 404);
  EXPECT_EQ(trace["steps"][0]["args"]["token"]["value"], mask_secret("super-secret-literal"));
  EXPECT_THAT(safe_dump(trace), Not(HasSubstr("super-secret-literal")));
}

TEST(Trace, WritesOneFilePerScenarioWithSafeNames) {
  auto results = sample_results();
  results.push_back(results[0]); // the same name twice must not overwrite
  results.push_back(results[0]);
  results.back().name = "../passes"; // nor may a name escape the directory
  const auto directory = std::filesystem::temp_directory_path() / ("mcpcert-trace-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(directory);
  ASSERT_EQ(write_traces(directory, results, sample_run()), "");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) files.push_back(entry.path().filename().string());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 5u) << testing::PrintToString(files);
  EXPECT_EQ(files[0], "_.._passes.json");
  EXPECT_EQ(files[2], "passes-2.json");
  EXPECT_EQ(files[3], "passes.json");
  for (const auto& file : files) {
    std::ifstream in(directory / file);
    const auto parsed = nlohmann::json::parse(in, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << file;
  }
  std::filesystem::remove_all(directory);
}

TEST(Verdicts, SkippedOnlyWhenEveryScenarioWas) {
  const auto results = sample_results();
  const auto claims = verdicts_by_claim(results);
  std::map<std::string, Verdict> by_id;
  for (const auto& claim : claims) by_id[claim.id] = claim.verdict;
  EXPECT_EQ(by_id.at("SESSION-BIND"), Verdict::passed);
  EXPECT_EQ(by_id.at("MCP-TRANSPORT"), Verdict::failed);
  EXPECT_EQ(by_id.at("ACCESS-TTL"), Verdict::skipped);
  const auto summary = summarize(claims);
  EXPECT_EQ(summary.skipped, 1u);
  EXPECT_EQ(summary.result(), "NOT CERTIFIED");
  const auto json = json_report(claims, sample_run());
  EXPECT_EQ(json["harness"]["seed"], 7);
  EXPECT_EQ(json["summary"]["skipped"], 1);
}

} // namespace
} // namespace mcpcert::client
