#include "http_replies.hpp"

#include <array>
#include <cstdio>
#include <ctime>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "mcpcert/auth_header.hpp"
#include "mcpcert/crypto.hpp"
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

// The scheme of "<scheme> <credentials>", compared case-insensitively (RFC 9110 11.1).
bool has_scheme(std::string_view value, std::string_view scheme) {
  return value.size() >= scheme.size() && iequals(value.substr(0, scheme.size()), scheme) &&
         (value.size() == scheme.size() || value[scheme.size()] == ' ');
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

BasicAuthorization basic_authorization(const http::Request& request) {
  BasicAuthorization out;
  auto header = request.find(bhttp::field::authorization);
  if (header == request.end() || !has_scheme(header->value(), "Basic")) return out;
  auto parsed = parse_basic_credentials(header->value());
  if (!parsed) {
    out.status = BasicStatus::malformed;
    return out;
  }
  out.status = BasicStatus::ok;
  out.credentials = {std::move(parsed->id), std::move(parsed->secret)};
  return out;
}

std::string presented_bearer_sha256(const http::Request& request) {
  auto header = request.find(bhttp::field::authorization);
  if (header == request.end() || !has_scheme(header->value(), "Bearer")) return {};
  std::string_view token = header->value().substr(6);
  while (token.starts_with(' ')) token.remove_prefix(1);
  while (token.ends_with(' ')) token.remove_suffix(1);
  if (token.empty()) return {};
  return hex_encode(sha256(token));
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
