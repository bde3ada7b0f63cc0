#include "mcpcert/connector/tool_pages.hpp"

#include <gtest/gtest.h>

#include "mcpcert/encoding.hpp"

namespace mcpcert::connector {
namespace {

using nlohmann::json;

json tools_named(std::initializer_list<const char*> names) {
  json tools = json::array();
  for (const char* name : names) tools.push_back({{"name", name}, {"inputSchema", {{"type", "object"}}}});
  return tools;
}

std::vector<std::string> names_of(const ToolPage& page) {
  std::vector<std::string> names;
  for (const auto& tool : page.tools) names.push_back(tool["name"]);
  return names;
}

const json five = tools_named({"a", "b", "c", "d", "e"});

TEST(ToolPages, ThePagesTogetherHoldEveryToolOnceInOrder) {
  const ToolPages pages("a-connector-secret", 2);
  std::vector<std::string> seen;
  json params = json::object();
  int pages_read = 0;
  for (;;) {
    const auto page = pages.page(five, params);
    ASSERT_EQ(page.status, CursorStatus::ok);
    EXPECT_LE(page.tools.size(), 2u);
    ++pages_read;
    for (const auto& name : names_of(page)) seen.push_back(name);
    if (page.next_cursor.empty()) break;
    params = {{"cursor", page.next_cursor}};
  }
  EXPECT_EQ(pages_read, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST(ToolPages, OnePageHasNoNextCursor) {
  const ToolPages pages("a-connector-secret", 100);
  const auto page = pages.page(five, json::object());
  EXPECT_EQ(page.status, CursorStatus::ok);
  EXPECT_EQ(page.tools, five);
  EXPECT_TRUE(page.next_cursor.empty());
  // An exact fit is also the last page.
  EXPECT_TRUE(ToolPages("a-connector-secret", 5).page(five, json::object()).next_cursor.empty());
}

TEST(ToolPages, ACursorWorksOnAnotherInstanceWithTheSameSecret) {
  const auto cursor = ToolPages("a-connector-secret", 2).page(five, json::object()).next_cursor;
  const auto page = ToolPages("a-connector-secret", 2).page(five, {{"cursor", cursor}});
  EXPECT_EQ(page.status, CursorStatus::ok);
  EXPECT_EQ(names_of(page), (std::vector<std::string>{"c", "d"}));
}

TEST(ToolPages, ACursorFromAnotherToolListIsRefused) {
  const ToolPages pages("a-connector-secret", 2);
  const auto cursor = pages.page(five, json::object()).next_cursor;
  EXPECT_EQ(pages.page(tools_named({"x", "y", "z"}), {{"cursor", cursor}}).status, CursorStatus::other_tool_set);
}

TEST(ToolPages, ATamperedOrForeignCursorIsRefused) {
  const ToolPages pages("a-connector-secret", 2);
  const auto cursor = pages.page(five, json::object()).next_cursor;
  // The payload is readable; changing its offset breaks the tag.
  auto raw = *base64url_decode(cursor);
  const auto offset = raw.find(".2");
  ASSERT_NE(offset, std::string::npos);
  raw[offset + 1] = '4';
  EXPECT_EQ(pages.page(five, {{"cursor", base64url_encode(raw)}}).status, CursorStatus::forged);
  // Minted under another secret.
  EXPECT_EQ(pages.page(five, {{"cursor", ToolPages("another-secret-entirely", 2).page(five, json::object()).next_cursor}}).status,
            CursorStatus::forged);
  EXPECT_EQ(pages.page(five, {{"cursor", "not base64url!"}}).status, CursorStatus::malformed);
  EXPECT_EQ(pages.page(five, {{"cursor", ""}}).status, CursorStatus::malformed);
  EXPECT_EQ(pages.page(five, {{"cursor", 2}}).status, CursorStatus::not_a_string);
  EXPECT_EQ(pages.page(five, {{"cursor", nullptr}}).status, CursorStatus::not_a_string);
}

} // namespace
} // namespace mcpcert::connector
