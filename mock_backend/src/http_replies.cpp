#include "http_replies.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "mcpcert/auth_header.hpp"
#include "mcpcert/encoding.hpp"

namespace mcpcert::backend {
namespace {

namespace bhttp = boost::beast::http;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// "<scheme> <credentials>" with the scheme matched case-insensitively (RFC 9110 11.1).
std::optional<std::string_view> credentials_of(const http::Request& request, std::string_view scheme) {
  auto it = request.find(bhttp::field::authorization);
  if (it == request.end()) return std::nullopt;
  std::string_view value = it->value();
  if (value.size() <= scheme.size() || !iequals(value.substr(0, scheme.size()), scheme) ||
      value[scheme.size()] != ' ')
    return std::nullopt;
  value.remove_prefix(scheme.size());
  while (value.starts_with(' ')) value.remove_prefix(1);
  while (value.ends_with(' ')) value.remove_suffix(1);
  return value;
}

// Standard base64 with padding, as Basic credentials use; core only has base64url.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '+') value = 62;
    else if (c == '/') value = 63;
    else if (c == '=' && i + 2 >= text.size()) {
      ++padding;
      continue;
    } else return std::nullopt;
    if (padding > 0) return std::nullopt; // data after padding
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

} // namespace

http::Response problem_response(const http::Request& request, unsigned status, std::string_view kind,
                                std::string_view detail) {
  nlohmann::json body = {
      {"type", "urn:mcpcert:problem:" + std::string(kind)},
      {"title", std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(status)))},
      {"status", status},
      {"detail", std::string(detail)},
  };
  auto response = http::make_response(request, status, "application/problem+json", body.dump());
  response.set(bhttp::field::cache_control, "no-store");
  return response;
}

http::Response json_response(const http::Request& request, unsigned status, const nlohmann::json& body) {
  auto response = http::make_json_response(request, status, body.dump());
  response.set(bhttp::field::cache_control, "no-store");
  return response;
}

http::Response html_response(const http::Request& request, unsigned status, std::string_view title,
                             std::string_view body_html) {
  std::string page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>";
  page += html_escape(title);
  page += "</title></head>\n<body>\n";
  page += body_html;
  page += "</body></html>\n";
  auto response = http::make_response(request, status, "text/html; charset=utf-8", std::move(page));
  response.set(bhttp::field::cache_control, "no-store");
  response.set(bhttp::field::pragma, "no-cache");
  // Consent pages must not be framed by another site (clickjacking).
  response.set("Content-Security-Policy", "frame-ancestors 'none'");
  response.set("X-Frame-Options", "DENY");
  return response;
}

http::Response redirect_response(const http::Request& request, std::string_view location) {
  auto response = http::make_response(request, 302, "text/plain; charset=utf-8", "");
  response.set(bhttp::field::location, location);
  response.set(bhttp::field::cache_control, "no-store");
  return response;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
  return out;
}

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

std::string_view target_query(std::string_view target) {
  auto mark = target.find('?');
  return mark == std::string_view::npos ? std::string_view{} : target.substr(mark + 1);
}

std::optional<std::string> bearer_token(const http::Request& request) {
  auto header = request.find(bhttp::field::authorization);
  if (header == request.end()) return std::nullopt;
  return parse_bearer_credentials(header->value());
}

BasicCredentials basic_credentials(const http::Request& request) {
  BasicCredentials out;
  auto header = request.find(bhttp::field::authorization);
  if (header == request.end()) return out;
  std::string_view value = header->value();
  // Another scheme (e.g. Bearer) is not client authentication at all.
  if (!iequals(value.substr(0, value.find(' ')), "Basic")) return out;
  out.status = BasicStatus::malformed;
  auto credentials = credentials_of(request, "Basic");
  if (!credentials) return out;
  auto decoded = base64_decode(*credentials);
  if (!decoded) return out;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return out;
  auto id = url_decode(std::string_view(*decoded).substr(0, colon));
  auto secret = url_decode(std::string_view(*decoded).substr(colon + 1));
  if (!id || !secret || id->empty()) return out;
  out.status = BasicStatus::ok;
  out.credentials = {std::move(*id), std::move(*secret)};
  return out;
}

std::string format_rfc3339(TimePoint time) {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  auto fraction = millis % 1000;
  if (fraction < 0) {
    fraction += 1000;
    --seconds;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 96> buffer{}; // room for any int the format could print, so no truncation
  std::snprintf(buffer.data(), buffer.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(fraction));
  return buffer.data();
}

} // namespace mcpcert::backend
