#include "mcpcert/connector/tool_pages.hpp"

#include <charconv>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"

namespace mcpcert::connector {

namespace {

// "v1.<fingerprint>.<offset>" then a truncated HMAC: the version lets the
// layout change without misreading old cursors.
constexpr std::string_view cursor_version = "v1";
constexpr std::size_t tag_bytes = 16;

std::string fingerprint_of(const nlohmann::json& tools) { return hex_encode(sha256(tools.dump()).substr(0, 8)); }

} // namespace

const char* to_string(CursorStatus status) {
  switch (status) {
  case CursorStatus::ok: return "ok";
  case CursorStatus::not_a_string: return "cursor must be a string";
  case CursorStatus::malformed: return "cursor is not one this server issued";
  case CursorStatus::forged: return "cursor failed its integrity check";
  case CursorStatus::other_tool_set: return "cursor belongs to a different tool list";
  }
  return "unknown";
}

ToolPages::ToolPages(std::string_view secret, std::size_t page_size)
    : key_(hmac_sha256(secret, "mcpcert tools/list cursor")), page_size_(page_size == 0 ? 1 : page_size) {}

std::string ToolPages::cursor(const std::string& fingerprint, std::size_t offset) const {
  const std::string payload = std::string(cursor_version) + "." + fingerprint + "." + std::to_string(offset);
  return base64url_encode(payload + hmac_sha256(key_, payload).substr(0, tag_bytes));
}

ToolPage ToolPages::page(const nlohmann::json& tools, const nlohmann::json& params) const {
  ToolPage page;
  const auto fingerprint = fingerprint_of(tools);
  std::size_t offset = 0;
  if (params.is_object() && params.contains("cursor")) {
    const auto& given = params["cursor"];
    if (!given.is_string()) {
      page.status = CursorStatus::not_a_string;
      return page;
    }
    const auto raw = base64url_decode(given.get<std::string>());
    if (!raw || raw->size() <= tag_bytes) {
      page.status = CursorStatus::malformed;
      return page;
    }
    const std::string payload = raw->substr(0, raw->size() - tag_bytes);
    if (!constant_time_equal(raw->substr(payload.size()), hmac_sha256(key_, payload).substr(0, tag_bytes))) {
      page.status = CursorStatus::forged;
      return page;
    }
    const auto first_dot = payload.find('.');
    const auto second_dot = payload.find('.', first_dot == std::string::npos ? payload.size() : first_dot + 1);
    if (second_dot == std::string::npos || payload.substr(0, first_dot) != cursor_version) {
      page.status = CursorStatus::malformed;
      return page;
    }
    if (payload.substr(first_dot + 1, second_dot - first_dot - 1) != fingerprint) {
      page.status = CursorStatus::other_tool_set;
      return page;
    }
    const auto digits = std::string_view(payload).substr(second_dot + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), offset);
    // A cursor is only issued while tools remain, so one at or past the end was never ours.
    if (ec != std::errc{} || end != digits.data() + digits.size() || offset >= tools.size()) {
      page.status = CursorStatus::malformed;
      return page;
    }
  }
  const auto last = std::min(tools.size(), offset + page_size_);
  for (auto i = offset; i < last; ++i) page.tools.push_back(tools[i]);
  if (last < tools.size()) page.next_cursor = cursor(fingerprint, last);
  return page;
}

} // namespace mcpcert::connector
