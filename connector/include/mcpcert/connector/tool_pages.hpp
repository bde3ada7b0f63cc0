#pragma once
/// Cursor pagination of tools/list (MCP server/utilities/pagination): a page
/// of at most `page_size` tools and an opaque cursor for the rest. A cursor is
/// bound to the tool list it was cut from and authenticated, so one from
/// another tool set, or edited by the client, is refused rather than
/// silently serving the wrong page.

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mcpcert::connector {

enum class CursorStatus {
  ok,
  not_a_string,   ///< params.cursor is present but not a string
  malformed,      ///< not base64url, wrong version or layout
  forged,         ///< its authentication tag does not match
  other_tool_set, ///< cut from a different tool list
};

const char* to_string(CursorStatus status);

struct ToolPage {
  CursorStatus status = CursorStatus::ok;
  nlohmann::json tools = nlohmann::json::array();
  std::string next_cursor; ///< empty when this page is the last
};

class ToolPages {
public:
  /// `secret` keys the cursors' tags: cursors stay valid across restarts of
  /// connectors sharing it, and cannot be minted by a client.
  ToolPages(std::string_view secret, std::size_t page_size);

  /// The page `params` asks for (the first without `cursor`) of `tools`.
  ToolPage page(const nlohmann::json& tools, const nlohmann::json& params) const;

  std::size_t page_size() const { return page_size_; }

private:
  std::string cursor(const std::string& fingerprint, std::size_t offset) const;

  std::string key_;
  std::size_t page_size_;
};

} // namespace mcpcert::connector
