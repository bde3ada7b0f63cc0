#include "mcpcert/mock_client/html_form.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace mcpcert::client {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string decode_entities(std::string_view text) {
  static const std::map<std::string, char, std::less<>> entities{
      {"amp", '&'}, {"quot", '"'}, {"lt", '<'}, {"gt", '>'}, {"#39", '\''}, {"apos", '\''}, {"#x27", '\''}};
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&') {
      const auto semicolon = text.find(';', i);
      if (semicolon != std::string_view::npos && semicolon - i <= 6) {
        auto it = entities.find(text.substr(i + 1, semicolon - i - 1));
        if (it != entities.end()) {
          out.push_back(it->second);
          i = semicolon;
          continue;
        }
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

struct Tag {
  std::string name; // lower-cased; "/form" for a closing tag
  std::map<std::string, std::string> attributes;
};

// Reads the tag starting at html[pos] == '<'; advances pos past '>'.
Tag read_tag(std::string_view html, std::size_t& pos) {
  Tag tag;
  std::size_t i = pos + 1;
  const auto name_start = i;
  while (i < html.size() && !std::isspace(static_cast<unsigned char>(html[i])) && html[i] != '>') ++i;
  tag.name = lower(html.substr(name_start, i - name_start));
  while (i < html.size() && html[i] != '>') {
    while (i < html.size() && (std::isspace(static_cast<unsigned char>(html[i])) || html[i] == '/')) ++i;
    if (i >= html.size() || html[i] == '>') break;
    const auto attr_start = i;
    while (i < html.size() && html[i] != '=' && html[i] != '>' && !std::isspace(static_cast<unsigned char>(html[i]))) ++i;
    const auto attr_name = lower(html.substr(attr_start, i - attr_start));
    std::string value;
    if (i < html.size() && html[i] == '=') {
      ++i;
      if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
        const char quote = html[i++];
        const auto close = html.find(quote, i);
        const auto end = close == std::string_view::npos ? html.size() : close;
        value = decode_entities(html.substr(i, end - i));
        i = end + 1;
      } else {
        const auto value_start = i;
        while (i < html.size() && !std::isspace(static_cast<unsigned char>(html[i])) && html[i] != '>') ++i;
        value = decode_entities(html.substr(value_start, i - value_start));
      }
    }
    tag.attributes[attr_name] = std::move(value);
  }
  pos = i < html.size() ? i + 1 : html.size();
  return tag;
}

} // namespace

bool HtmlForm::has_field(std::string_view name) const {
  return std::any_of(fields.begin(), fields.end(), [&](const HtmlField& field) { return field.name == name; });
}

std::vector<HtmlForm> parse_html_forms(std::string_view html) {
  std::vector<HtmlForm> forms;
  HtmlForm* current = nullptr;
  std::size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string_view::npos) {
    if (html.substr(pos, 4) == "<!--") {
      const auto end = html.find("-->", pos);
      pos = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    auto tag = read_tag(html, pos);
    if (tag.name == "form") {
      forms.push_back({tag.attributes["action"], lower(tag.attributes.count("method") ? tag.attributes["method"] : "get"), {}});
      current = &forms.back();
    } else if (tag.name == "/form") {
      current = nullptr;
    } else if (current != nullptr && (tag.name == "input" || tag.name == "button")) {
      if (!tag.attributes.count("name")) continue;
      auto type = tag.name == "button" ? std::string("button") : lower(tag.attributes.count("type") ? tag.attributes["type"] : "text");
      current->fields.push_back({tag.attributes["name"], tag.attributes["value"], std::move(type)});
    }
  }
  return forms;
}

} // namespace mcpcert::client
