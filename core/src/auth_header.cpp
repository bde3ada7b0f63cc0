#include "mcpcert/auth_header.hpp"

#include <cctype>

#include "mcpcert/encoding.hpp"

namespace mcpcert {

namespace {

bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token68_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("-._~+/").find(c) != std::string_view::npos;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class Cursor {
public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_space() {
    while (!done() && (peek() == ' ' || peek() == '\t')) ++pos_;
  }
  void skip_space_and_commas() {
    while (!done() && (peek() == ' ' || peek() == '\t' || peek() == ',')) ++pos_;
  }
  std::string_view token() {
    const auto start = pos_;
    while (!done() && is_tchar(peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  std::optional<std::string> quoted() {
    ++pos_; // opening quote
    std::string out;
    while (!done()) {
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (done()) return std::nullopt;
        out.push_back(text_[pos_++]);
      } else {
        out.push_back(c);
      }
    }
    return std::nullopt;
  }
  std::size_t pos() const { return pos_; }
  void seek(std::size_t pos) { pos_ = pos; }
  bool consume(char c) {
    if (!done() && peek() == c) {
      ++pos_;
      return true;
    }
    return false;
  }

private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

} // namespace

std::optional<std::vector<AuthChallenge>> parse_www_authenticate(std::string_view header) {
  std::vector<AuthChallenge> challenges;
  Cursor cursor(header);
  cursor.skip_space_and_commas();
  while (!cursor.done()) {
    const auto scheme = cursor.token();
    if (scheme.empty()) return std::nullopt;
    AuthChallenge challenge{lower(scheme), {}};
    cursor.skip_space();
    // auth-params until the next "scheme" (a token not followed by '=').
    for (;;) {
      cursor.skip_space_and_commas();
      if (cursor.done()) break;
      const auto mark = cursor.pos();
      const auto name = cursor.token();
      if (name.empty()) return std::nullopt;
      cursor.skip_space();
      if (!cursor.consume('=')) {
        // token68 (e.g. "Basic abc==") or the start of the next challenge.
        if (challenge.params.empty() && !cursor.done() && cursor.peek() != ',' && is_token68_char(cursor.peek())) {
          return std::nullopt; // token68 credentials are not part of a challenge we understand
        }
        cursor.seek(mark);
        break;
      }
      cursor.skip_space();
      std::string value;
      if (!cursor.done() && cursor.peek() == '"') {
        auto text = cursor.quoted();
        if (!text) return std::nullopt;
        value = std::move(*text);
      } else {
        value = std::string(cursor.token());
        if (value.empty()) return std::nullopt;
      }
      challenge.params[lower(name)] = std::move(value);
    }
    challenges.push_back(std::move(challenge));
    cursor.skip_space_and_commas();
  }
  if (challenges.empty()) return std::nullopt;
  return challenges;
}

std::optional<std::string> parse_bearer_credentials(std::string_view header) {
  if (header.size() < 7 || lower(header.substr(0, 6)) != "bearer" || header[6] != ' ') return std::nullopt;
  auto token = header.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  std::size_t i = 0;
  while (i < token.size() && is_token68_char(token[i])) ++i;
  while (i < token.size() && token[i] == '=') ++i;
  if (i != token.size()) return std::nullopt;
  return std::string(token);
}

std::optional<BasicCredentials> parse_basic_credentials(std::string_view header) {
  if (header.size() < 6 || lower(header.substr(0, 5)) != "basic" || header[5] != ' ') return std::nullopt;
  auto encoded = header.substr(6);
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  if (encoded.empty()) return std::nullopt;
  auto decoded = base64_decode(encoded);
  if (!decoded) return std::nullopt;
  // RFC 7617 section 2: user-id and password are TEXT, without control characters.
  for (unsigned char c : *decoded)
    if (c < 0x20 || c == 0x7f) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto id = url_decode(std::string_view(*decoded).substr(0, colon));
  auto secret = url_decode(std::string_view(*decoded).substr(colon + 1));
  if (!id || !secret || id->empty()) return std::nullopt;
  return BasicCredentials{std::move(*id), std::move(*secret)};
}

bool scope_includes(std::string_view scope, std::string_view wanted) {
  while (!scope.empty()) {
    auto space = scope.find(' ');
    if (scope.substr(0, space) == wanted) return true;
    if (space == std::string_view::npos) break;
    scope.remove_prefix(space + 1);
  }
  return false;
}

} // namespace mcpcert
