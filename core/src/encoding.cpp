#include "mcpcert/encoding.hpp"

#include <array>
#include <cstdint>

namespace mcpcert {
namespace {

constexpr std::string_view b64url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view hex_digits = "0123456789abcdef";

constexpr std::array<std::int8_t, 256> make_b64url_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (std::size_t i = 0; i < b64url_alphabet.size(); ++i)
    table[static_cast<unsigned char>(b64url_alphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}
constexpr auto b64url_table = make_b64url_table();

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

} // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += b64url_alphabet[n >> 18 & 63];
    out += b64url_alphabet[n >> 12 & 63];
    out += b64url_alphabet[n >> 6 & 63];
    out += b64url_alphabet[n & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t n = byte(i) << 16;
    out += b64url_alphabet[n >> 18 & 63];
    out += b64url_alphabet[n >> 12 & 63];
  } else if (rest == 2) {
    std::uint32_t n = byte(i) << 16 | byte(i + 1) << 8;
    out += b64url_alphabet[n >> 18 & 63];
    out += b64url_alphabet[n >> 12 & 63];
    out += b64url_alphabet[n >> 6 & 63];
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  // Same bits as base64url; only two symbols and the padding differ.
  auto out = base64url_encode(bytes);
  for (auto& c : out) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  out.append((4 - out.size() % 4) % 4, '=');
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    auto v = b64url_table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Non-zero leftover bits mean a second spelling of the same bytes; refuse it
  // so a signature can't be altered without changing what it covers.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  auto body = text.substr(0, text.size() - padding);
  // Map onto the base64url alphabet, refusing the symbols that only base64url has.
  std::string translated(body);
  for (auto& c : translated) {
    if (c == '-' || c == '_') return std::nullopt;
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  // A full final quantum needs no padding; one of 2 or 3 symbols needs exactly the rest.
  if (padding != 0 && translated.size() % 4 != 4 - padding) return std::nullopt;
  return base64url_decode(translated);
}

std::string hex_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += hex_digits[c >> 4];
    out += hex_digits[c & 15];
  }
  return out;
}

namespace {
constexpr std::string_view base32_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
} // namespace

std::string base32_encode(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += base32_alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += base32_alphabet[(buffer << (5 - bits)) & 31];
  while (out.size() % 8 != 0) out += '=';
  return out;
}

std::optional<std::string> base32_decode(std::string_view text) {
  std::string symbols;
  std::size_t padding = 0;
  for (char c : text) {
    if (c == ' ') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding != 0) return std::nullopt; // padding only at the end
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (base32_alphabet.find(c) == std::string_view::npos) return std::nullopt;
    symbols += c;
  }
  // A final quantum of 1, 3 or 6 symbols can't come from whole bytes.
  const auto rest = symbols.size() % 8;
  if (rest == 1 || rest == 3 || rest == 6) return std::nullopt;
  if (padding != 0 && (symbols.size() + padding) % 8 != 0) return std::nullopt;
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : symbols) {
    buffer = (buffer << 5) | static_cast<std::uint32_t>(base32_alphabet.find(c));
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

std::string url_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  // Runs of unreserved characters are copied whole: a form's values are
  // mostly tokens, and one append per run costs far less than one per byte.
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (unreserved(c)) continue;
    out.append(text, run, i - run);
    const char escape[3] = {'%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15]};
    out.append(escape, 3);
    run = i + 1;
  }
  out.append(text, run);
  return out;
}

std::optional<std::string> url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto special = text.find_first_of("%+", i);
    out.append(text.substr(i, special - i));
    if (special == std::string_view::npos) break;
    i = special;
    if (text[i] == '+') {
      out += ' ';
      ++i;
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi << 4 | lo);
    i += 3;
  }
  return out;
}

FormParse parse_form(std::string_view body) {
  FormParse result;
  while (!body.empty()) {
    auto amp = body.find('&');
    auto pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;

    auto eq = pair.find('=');
    auto raw_name = pair.substr(0, eq);
    auto raw_value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    auto name = url_decode(raw_name);
    if (!name) return {FormStatus::malformed_escape, std::string(raw_name), {}};
    auto value = url_decode(raw_value);
    if (!value) return {FormStatus::malformed_escape, std::move(*name), {}};
    if (result.fields.contains(*name)) return {FormStatus::repeated_field, std::move(*name), {}};
    result.fields.emplace(std::move(*name), std::move(*value));
  }
  return result;
}

std::string encode_form(const FormFields& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += url_encode(name);
    out += '=';
    out += url_encode(value);
  }
  return out;
}

} // namespace mcpcert
