#include "mcpcert/mock_client/report.hpp"

#include <cstdint>
#include <iomanip>

#ifndef MCPCERT_VERSION
#define MCPCERT_VERSION "0.0.0"
#endif

namespace mcpcert::client {

namespace {

const char* colour_of(Verdict verdict) {
  switch (verdict) {
  case Verdict::passed: return "\033[32m";
  case Verdict::failed: return "\033[31m";
  case Verdict::warning: return "\033[33m";
  case Verdict::skipped:
  case Verdict::review: return "\033[36m";
  }
  return "";
}

nlohmann::json step_evidence(const StepRecord& step) {
  nlohmann::json out = {{"step", step.index},   {"kind", step.kind},         {"line", step.line},
                        {"passed", step.passed}, {"summary", step.summary}, {"observed", step.observed.is_null() ? nlohmann::json::object() : step.observed},
                        {"exchanges", step.exchanges}};
  if (step.skipped) out["skipped"] = true;
  return out;
}

// Appends code point `cp` as UTF-8.
void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

constexpr std::uint32_t replacement_character = 0xFFFD;

// Decodes one UTF-8 sequence at `at`; returns the code point (U+FFFD for an
// invalid, overlong or surrogate sequence) and advances `at` past it.
std::uint32_t next_code_point(std::string_view text, std::size_t& at) {
  const auto lead = static_cast<unsigned char>(text[at++]);
  if (lead < 0x80) return lead;
  int length = 0;
  std::uint32_t cp = 0;
  if ((lead & 0xE0) == 0xC0) { length = 1; cp = lead & 0x1F; }
  else if ((lead & 0xF0) == 0xE0) { length = 2; cp = lead & 0x0F; }
  else if ((lead & 0xF8) == 0xF0) { length = 3; cp = lead & 0x07; }
  else return replacement_character;
  const auto start = at;
  for (int i = 0; i < length; ++i) {
    if (at >= text.size() || (static_cast<unsigned char>(text[at]) & 0xC0) != 0x80) return replacement_character;
    cp = (cp << 6) | (static_cast<unsigned char>(text[at++]) & 0x3F);
  }
  static constexpr std::uint32_t smallest[] = {0, 0x80, 0x800, 0x10000};
  if (cp < smallest[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    at = start;
    return replacement_character;
  }
  return cp;
}

} // namespace

RunSummary summarize(const std::vector<ClaimResult>& claims) {
  RunSummary summary;
  for (const auto& claim : claims) {
    switch (claim.verdict) {
    case Verdict::passed: ++summary.passed; break;
    case Verdict::failed: ++summary.failed; break;
    case Verdict::warning: ++summary.warning; break;
    case Verdict::skipped: ++summary.skipped; break;
    case Verdict::review: ++summary.review; break;
    }
  }
  return summary;
}

void print_console_report(std::ostream& out, const std::vector<ClaimResult>& claims, bool colour) {
  const char* reset = colour ? "\033[0m" : "";
  for (const auto& claim : claims) {
    out << std::left << std::setw(22) << claim.id << (colour ? colour_of(claim.verdict) : "") << std::setw(8)
        << to_string(claim.verdict) << reset;
    std::size_t steps = 0;
    for (const auto* scenario : claim.scenarios) steps += scenario->steps.size();
    out << " " << claim.scenarios.size() << " scenario(s), " << steps << " step(s)\n";
    for (const auto* scenario : claim.scenarios) {
      if (scenario->verdict == Verdict::failed) out << "    " << scenario->name << ": " << scenario->reason << "\n";
      if (scenario->verdict == Verdict::skipped) out << "    " << scenario->name << " (skipped): " << scenario->reason << "\n";
      if (!scenario->conditions.empty()) out << "    " << scenario->name << ": " << scenario->conditions << "\n";
    }
    if (claim.scenarios.empty() && !claim.reason.empty()) out << "    " << claim.reason << "\n";
  }
  // Certified or not, what was not decided by a machine is listed once more, for the reader who signs off.
  for (const auto wanted : {Verdict::review, Verdict::skipped}) {
    bool first = true;
    for (const auto& claim : claims) {
      if (claim.verdict != wanted) continue;
      if (first) out << "\n" << (wanted == Verdict::review ? "for a person to review:" : "skipped:") << "\n";
      first = false;
      out << "  " << claim.id << ": " << (claim.notice != nullptr ? "\"" + claim.notice->sentence + "\" (" + claim.notice->section + ")" : claim.reason);
      if (claim.notice != nullptr && wanted == Verdict::skipped) out << " - " << claim.reason;
      out << "\n";
    }
  }
  const auto summary = summarize(claims);
  out << "\n" << summary.total() << " claim(s): " << summary.passed << " passed, " << summary.failed << " failed, "
      << summary.warning << " warning, " << summary.skipped << " skipped, " << summary.review << " review -> "
      << (colour ? (summary.failed == 0 ? "\033[32m" : "\033[31m") : "") << summary.result() << reset << "\n";
}

nlohmann::json json_report(const std::vector<ClaimResult>& claims, const std::string& command) {
  RunInfo run;
  run.command = command;
  return json_report(claims, run);
}

nlohmann::json json_report(const std::vector<ClaimResult>& claims, const RunInfo& run) {
  nlohmann::json harness = {{"name", "mcpcert"}, {"version", MCPCERT_VERSION}, {"command", run.command}, {"seed", run.seed}, {"jobs", run.jobs}};
  if (!run.started_at.empty()) harness["started_at"] = run.started_at;
  nlohmann::json out = {{"harness", harness}, {"claims", nlohmann::json::array()}};
  if (!run.profile.is_null()) out["profile"] = run.profile;
  if (!run.target.is_null()) out["target"] = run.target;
  nlohmann::json skipped_items = nlohmann::json::array();
  nlohmann::json review_items = nlohmann::json::array();
  for (const auto& claim : claims) {
    nlohmann::json scenarios = nlohmann::json::array();
    nlohmann::json evidence = nlohmann::json::array();
    for (const auto* scenario : claim.scenarios) {
      scenarios.push_back({{"name", scenario->name},
                           {"title", scenario->title},
                           {"file", scenario->file},
                           {"verdict", to_string(scenario->verdict)},
                           {"reason", scenario->reason},
                           {"notice", {{"source", scenario->notice.source}, {"sentence", scenario->notice.sentence}}},
                           {"tags", scenario->tags},
                           {"started_at", scenario->started_at},
                           {"duration_ms", scenario->duration.count()}});
      if (!scenario->conditions.empty()) scenarios.back()["conditions"] = scenario->conditions;
      for (const auto& step : scenario->steps) {
        auto entry = step_evidence(step);
        entry["scenario"] = scenario->name;
        evidence.push_back(std::move(entry));
      }
      if (scenario->steps.empty() && !scenario->reason.empty()) {
        evidence.push_back({{"scenario", scenario->name}, {"summary", scenario->reason}, {"passed", false}});
      }
    }
    nlohmann::json entry = {{"id", claim.id}, {"verdict", to_string(claim.verdict)}, {"scenarios", scenarios}, {"evidence", evidence}};
    if (!claim.reason.empty()) entry["reason"] = claim.reason;
    if (claim.notice != nullptr) entry["notice"] = {{"section", claim.notice->section}, {"sentence", claim.notice->sentence}};
    if (claim.verdict == Verdict::skipped || claim.verdict == Verdict::review) {
      std::string why = claim.reason;
      if (why.empty() && !claim.scenarios.empty()) why = claim.scenarios.front()->reason;
      (claim.verdict == Verdict::skipped ? skipped_items : review_items).push_back({{"id", claim.id}, {"reason", why}});
    }
    out["claims"].push_back(std::move(entry));
  }
  const auto summary = summarize(claims);
  out["summary"] = {{"total", summary.total()}, {"passed", summary.passed}, {"failed", summary.failed},
                    {"warning", summary.warning}, {"skipped", summary.skipped}, {"review", summary.review},
                    {"result", summary.result()}, {"skipped_items", skipped_items}, {"review_items", review_items}};
  return out;
}

std::string escape_markup(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t at = 0;
  while (at < text.size()) {
    const auto cp = next_code_point(text, at);
    switch (cp) {
    case '&': out += "&amp;"; continue;
    case '<': out += "&lt;"; continue;
    case '>': out += "&gt;"; continue;
    case '"': out += "&quot;"; continue;
    case '\'': out += "&#39;"; continue;
    case '\t':
    case '\n':
    case '\r':
      if (keep_newlines) out += static_cast<char>(cp);
      else out += "&#" + std::to_string(cp) + ";";
      continue;
    default: break;
    }
    // XML 1.0 cannot carry other C0 controls, nor U+FFFE/U+FFFF, even as references.
    if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF) append_utf8(out, replacement_character);
    else append_utf8(out, cp);
  }
  return out;
}

std::string safe_dump(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace mcpcert::client
