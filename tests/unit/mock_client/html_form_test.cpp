#include "mcpcert/mock_client/html_form.hpp"

#include <gtest/gtest.h>

namespace mcpcert::client {
namespace {

TEST(HtmlForm, ReadsActionFieldsAndButtons) {
  const auto forms = parse_html_forms(R"(<html><body>
    <!-- <form action="/commented-out"> -->
    <form method="POST" action="/authorize/consent?x=1&amp;y=2">
      <input type="hidden" name="txn" value="a&quot;b">
      <input name=plain value=v1>
      <button type="submit" name="decision" value="approve">Allow</button>
      <button type="submit" name="decision" value="deny">Deny</button>
      <input type="submit" value="no name is not a field">
    </form>
    <form><input name="other"></form>
  </body></html>)");
  ASSERT_EQ(forms.size(), 2u);
  EXPECT_EQ(forms[0].action, "/authorize/consent?x=1&y=2");
  EXPECT_EQ(forms[0].method, "post");
  ASSERT_EQ(forms[0].fields.size(), 4u);
  EXPECT_EQ(forms[0].fields[0].value, "a\"b");
  EXPECT_EQ(forms[0].fields[0].type, "hidden");
  EXPECT_EQ(forms[0].fields[1].name, "plain");
  EXPECT_EQ(forms[0].fields[1].type, "text");
  EXPECT_EQ(forms[0].fields[2].type, "button");
  EXPECT_EQ(forms[0].fields[3].value, "deny");
  EXPECT_EQ(forms[1].method, "get");
  EXPECT_TRUE(forms[1].has_field("other"));
}

TEST(HtmlForm, SurvivesTruncatedMarkup) {
  EXPECT_TRUE(parse_html_forms("").empty());
  EXPECT_EQ(parse_html_forms("<form action='/x'><input name='a' value='unterminated").size(), 1u);
  EXPECT_TRUE(parse_html_forms("<").empty());
}

} // namespace
} // namespace mcpcert::client
