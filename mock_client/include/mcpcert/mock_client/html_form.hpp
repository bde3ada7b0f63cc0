#pragma once
/// Just enough HTML to drive a login or consent page headlessly: the forms,
/// their fields and their submit buttons.

#include <string>
#include <string_view>
#include <vector>

namespace mcpcert::client {

struct HtmlField {
  std::string name;
  std::string value;
  std::string type; ///< input type, "button" for <button>, lower-cased
};

struct HtmlForm {
  std::string action;
  std::string method = "get"; ///< lower-cased
  std::vector<HtmlField> fields;
  bool has_field(std::string_view name) const;
};

/// Every <form> of a page with its <input> and <button> elements; entities
/// in attribute values (&amp; &quot; &lt; &gt; &#39;) are decoded.
std::vector<HtmlForm> parse_html_forms(std::string_view html);

} // namespace mcpcert::client
