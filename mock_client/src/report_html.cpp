// One self-contained page: no external style, script, font or image, so it
// can be attached to a ticket or opened offline. Every piece of data goes
// through escape_markup and only ever lands in element text or quoted
// attributes; the inline script reads the DOM and never receives data.
#include <set>
#include <sstream>

#include "mcpcert/mock_client/report.hpp"

#ifndef MCPCERT_VERSION
#define MCPCERT_VERSION "0.0.0"
#endif

namespace mcpcert::client {

namespace {

constexpr const char* page_style = R"(
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin:0}
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
.verdict{display:inline-block;font-weight:600;padding:0 .5em;border-radius:3px;font-size:.9em}
.PASSED{background:#dff5e1;color:#135f1c}.FAILED{background:#fbe0e0;color:#8a1010}.WARNING{background:#fff2cc;color:#6b4e00}
.SKIPPED,.REVIEW{background:#e0eefb;color:#0d4a7a}
.result{font-size:1.2em;font-weight:700}.result.CERTIFIED{color:#135f1c}.result.NOT-CERTIFIED{color:#8a1010}
.filters{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ccc;display:flex;gap:1.5em;align-items:center}
section.claim{border:1px solid #ccc;border-radius:4px;margin:1em 0;padding:.8em 1em}
blockquote{margin:.5em 0;padding:.3em .8em;border-left:4px solid #999;background:#f7f7f7}
blockquote footer{font-size:.85em;color:#555}
details{margin:.3em 0}summary{cursor:pointer;overflow-wrap:anywhere}
ol.steps li{margin:.3em 0}li.failed>.summary{color:#8a1010;font-weight:600}li.skipped>.summary{color:#0d4a7a}
pre{background:#f4f4f4;padding:.5em;overflow-x:auto;white-space:pre-wrap;word-break:break-all;font-size:12px}
.meta{color:#555}.kind{font-family:monospace;font-weight:600}
)";

constexpr const char* page_script = R"(
(function () {
  var verdict = document.getElementById('verdict-filter');
  var text = document.getElementById('text-filter');
  var shown = document.getElementById('shown-count');
  function apply() {
    var wanted = verdict.value;
    var query = text.value.trim().toLowerCase();
    var count = 0;
    var sections = document.querySelectorAll('section.claim');
    for (var i = 0; i < sections.length; ++i) {
      var section = sections[i];
      var ok = (!wanted || section.getAttribute('data-verdict') === wanted) &&
               (!query || section.textContent.toLowerCase().indexOf(query) >= 0);
      section.hidden = !ok;
      var row = document.getElementById('row-' + section.id);
      if (row) row.hidden = !ok;
      if (ok) ++count;
    }
    shown.textContent = count + ' of ' + sections.length + ' claim(s) shown';
  }
  verdict.addEventListener('change', apply);
  text.addEventListener('input', apply);
  apply();
})();
)";

std::string esc(std::string_view text) { return escape_markup(text); }

std::string verdict_badge(Verdict verdict) {
  const char* name = to_string(verdict);
  return std::string("<span class=\"verdict ") + name + "\">" + name + "</span>";
}

// Claim ids are A-Z and '-', but an id attribute must stay safe whatever comes.
std::string anchor(std::string_view id) {
  std::string out = "claim-";
  for (const unsigned char c : id) out += std::isalnum(c) != 0 || c == '-' ? static_cast<char>(c) : '_';
  return out;
}

std::string headers_text(const nlohmann::json& headers) {
  std::string out;
  if (!headers.is_object()) return out;
  for (const auto& [name, value] : headers.items()) out += name + ": " + (value.is_string() ? value.get<std::string>() : safe_dump(value)) + "\n";
  return out;
}

std::string exchange_html(const nlohmann::json& exchange) {
  const auto& request = exchange.value("request", nlohmann::json::object());
  const auto& response = exchange.value("response", nlohmann::json::object());
  const auto method = request.value("method", std::string("?"));
  const auto url = request.value("url", std::string("?"));
  const auto outcome = response.contains("status") ? "HTTP " + response["status"].dump() : "no response";
  std::string request_text = method + " " + url + "\n" + headers_text(request.value("headers", nlohmann::json::object()));
  // Appended piece by piece: "\n" + a temporary trips g++ 12's -Wrestrict at -O2.
  if (const auto body = request.value("body", std::string()); !body.empty()) (request_text += '\n') += body;
  std::string response_text = outcome + "\n";
  if (response.contains("error")) response_text += response.value("error", std::string()) + "\n";
  response_text += headers_text(response.value("headers", nlohmann::json::object()));
  if (const auto body = response.value("body", std::string()); !body.empty()) (response_text += '\n') += body;
  return "<details class=\"exchange\"><summary>" + esc(method + " " + url + " \u2192 " + outcome) + "</summary><pre>" +
         esc(request_text) + "</pre><pre>" + esc(response_text) + "</pre></details>";
}

std::string step_html(const StepRecord& step) {
  const char* state = step.passed ? "passed" : step.skipped ? "skipped" : "failed";
  std::ostringstream out;
  out << "<li class=\"step " << state << "\"><span class=\"kind\">" << esc(step.kind) << "</span> <span class=\"meta\">line "
      << step.line << ", " << state << "</span> <span class=\"summary\">" << esc(step.summary) << "</span>";
  if (step.observed.is_object() && !step.observed.empty()) {
    out << "<details><summary>observed</summary><pre>" << esc(safe_dump(step.observed, 2)) << "</pre></details>";
  }
  for (const auto& exchange : step.exchanges) out << exchange_html(exchange);
  out << "</li>";
  return out.str();
}

std::string scenario_html(const ScenarioResult& scenario) {
  std::ostringstream out;
  out << "<details class=\"scenario\"" << (scenario.verdict == Verdict::passed ? "" : " open") << "><summary>"
      << verdict_badge(scenario.verdict) << " <strong>" << esc(scenario.name) << "</strong> \u2014 " << esc(scenario.title)
      << " <span class=\"meta\">(" << scenario.duration.count() << " ms)</span></summary>";
  out << "<p class=\"meta\">" << esc(scenario.file) << (scenario.started_at.empty() ? "" : ", started " + esc(scenario.started_at))
      << "</p>";
  if (!scenario.reason.empty()) out << "<p><strong>Reason:</strong> " << esc(scenario.reason) << "</p>";
  out << "<ol class=\"steps\">";
  for (const auto& step : scenario.steps) out << step_html(step);
  out << "</ol></details>";
  return out.str();
}

} // namespace

std::string html_report(const std::vector<ClaimResult>& claims, const RunInfo& run) {
  const auto summary = summarize(claims);
  const auto result = summary.result();
  std::string result_class = result;
  for (auto& c : result_class) c = c == ' ' ? '-' : c;
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<title>mcpcert report \u2014 " << esc(result) << "</title>\n<style>" << page_style << "</style>\n</head>\n<body>\n";
  out << "<header><h1>mcpcert certification report</h1>\n<p class=\"result " << result_class << "\">" << esc(result) << "</p>\n";
  out << "<p>" << summary.total() << " claim(s): " << summary.passed << " passed, " << summary.failed << " failed, "
      << summary.warning << " warning, " << summary.skipped << " skipped, " << summary.review << " review</p>\n";
  out << "<p class=\"meta\">mcpcert " << esc(MCPCERT_VERSION) << " \u00b7 command <code>" << esc(run.command) << "</code> \u00b7 seed "
      << run.seed << (run.started_at.empty() ? "" : " \u00b7 started " + esc(run.started_at)) << "</p></header>\n";

  out << "<nav class=\"filters\"><label>Verdict <select id=\"verdict-filter\"><option value=\"\">all</option>";
  for (const auto verdict : {Verdict::passed, Verdict::failed, Verdict::warning, Verdict::skipped, Verdict::review}) {
    out << "<option>" << to_string(verdict) << "</option>";
  }
  out << "</select></label><label>Text <input id=\"text-filter\" type=\"search\" placeholder=\"claim, scenario, URL, evidence...\"></label>"
      << "<span id=\"shown-count\" class=\"meta\"></span></nav>\n";

  out << "<table id=\"claims\"><thead><tr><th>Claim</th><th>Promise</th><th>Verdict</th><th>Scenarios</th></tr></thead><tbody>\n";
  for (const auto& claim : claims) {
    const auto* info = find_claim(claim.id);
    out << "<tr id=\"row-" << anchor(claim.id) << "\"><td><a href=\"#" << anchor(claim.id) << "\">" << esc(claim.id) << "</a></td><td>"
        << esc(info ? info->promise : std::string_view()) << "</td><td>" << verdict_badge(claim.verdict) << "</td><td>"
        << claim.scenarios.size() << "</td></tr>\n";
  }
  out << "</tbody></table>\n<main>\n";

  for (const auto& claim : claims) {
    const auto* info = find_claim(claim.id);
    out << "<section class=\"claim\" id=\"" << anchor(claim.id) << "\" data-verdict=\"" << to_string(claim.verdict) << "\">\n<h2>"
        << esc(claim.id) << " " << verdict_badge(claim.verdict) << "</h2>\n";
    if (info) out << "<p>" << esc(info->promise) << "</p>\n";
    // The same sentence backs several scenarios of a claim; quote it once.
    std::set<std::string> quoted;
    for (const auto* scenario : claim.scenarios) {
      if (!quoted.insert(scenario->notice.source + "\n" + scenario->notice.sentence).second) continue;
      out << "<blockquote class=\"notice\">" << esc(scenario->notice.sentence) << "<footer>" << esc(scenario->notice.source)
          << "</footer></blockquote>\n";
    }
    for (const auto* scenario : claim.scenarios) out << scenario_html(*scenario) << "\n";
    out << "</section>\n";
  }
  out << "</main>\n<script>" << page_script << "</script>\n</body>\n</html>\n";
  return out.str();
}

} // namespace mcpcert::client
