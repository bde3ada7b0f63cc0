#include "mcpcert/mock_client/http_agent.hpp"

#include <algorithm>
#include <regex>

#include <httplib.h>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"

namespace mcpcert::client {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Field names whose values are credentials wherever they appear: form bodies,
// query strings and redirect locations (name=value), and JSON string members.
constexpr const char* secret_names = "access_token|refresh_token|subject_token|id_token|code_verifier|code|password|client_secret|otp";

const std::regex& secret_form_fields() {
  static const std::regex pattern(std::string("(^|[?&#])((?:") + secret_names + ")=)([^&#\\s]+)");
  return pattern;
}

const std::regex& secret_json_members() {
  static const std::regex pattern(std::string("(\"(?:") + secret_names + ")\"\\s*:\\s*\")([^\"]*)(\")");
  return pattern;
}

std::string mask_matches(const std::string& text, const std::regex& pattern, int prefix_groups, int secret_group) {
  std::string out;
  std::size_t last = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), pattern); it != std::sregex_iterator(); ++it) {
    const auto& match = *it;
    out.append(text, last, static_cast<std::size_t>(match.position(0)) - last);
    for (int group = 1; group <= prefix_groups; ++group) out += match.str(group);
    out += mask_secret(match.str(secret_group));
    for (int group = secret_group + 1; group < static_cast<int>(match.size()); ++group) out += match.str(group);
    last = static_cast<std::size_t>(match.position(0) + match.length(0));
  }
  out.append(text, last);
  return out;
}

std::string mask_text(const std::string& text) {
  auto masked = mask_matches(text, secret_form_fields(), 2, 3);
  return mask_matches(masked, secret_json_members(), 1, 2);
}

std::string mask_header(const std::string& name, const std::string& value) {
  const auto key = lower(name);
  if (key == "authorization") {
    const auto space = value.find(' ');
    if (space == std::string::npos) return mask_secret(value);
    return value.substr(0, space + 1) + mask_secret(value.substr(space + 1));
  }
  if (key == "cookie" || key == "set-cookie" || key == "mcp-session-id") return mask_secret(value);
  return mask_text(value);
}

std::string clip(std::string text) {
  constexpr std::size_t limit = 4096;
  if (text.size() > limit) {
    text.resize(limit);
    text += "...[truncated]";
  }
  return text;
}

} // namespace

std::string HttpReply::header(std::string_view name) const {
  auto it = headers.find(lower(std::string(name)));
  return it == headers.end() ? std::string{} : it->second;
}

nlohmann::json HttpReply::json() const { return nlohmann::json::parse(body, nullptr, false); }

std::string mask_secret(std::string_view secret) {
  return "<secret:" + hex_encode(sha256(secret)).substr(0, 8) + ">";
}

std::size_t Transcript::record(const HttpCall& call, const HttpReply& reply) {
  if (!keep_) {
    std::lock_guard lock(mutex_);
    return discarded_++;
  }
  nlohmann::json request_headers = nlohmann::json::object();
  for (const auto& [name, value] : call.headers) request_headers[name] = mask_header(name, value);
  nlohmann::json response_headers = nlohmann::json::object();
  for (const auto& [name, value] : reply.headers) response_headers[name] = mask_header(name, value);
  nlohmann::json entry = {
      {"request", {{"method", call.method}, {"url", mask_text(call.url)}, {"headers", request_headers}, {"body", clip(mask_text(call.body))}}},
      {"response", reply.status == 0 ? nlohmann::json{{"error", reply.transport_error}}
                                     : nlohmann::json{{"status", reply.status}, {"headers", response_headers}, {"body", clip(mask_text(reply.body))}}},
  };
  std::lock_guard lock(mutex_);
  exchanges_.push_back(std::move(entry));
  return exchanges_.size() - 1;
}

nlohmann::json Transcript::exchange(std::size_t index) const {
  std::lock_guard lock(mutex_);
  return index < exchanges_.size() ? exchanges_[index] : nlohmann::json();
}

nlohmann::json Transcript::all() const {
  std::lock_guard lock(mutex_);
  return exchanges_;
}

std::size_t Transcript::size() const {
  std::lock_guard lock(mutex_);
  return exchanges_.size();
}

HttpReply HttpAgent::send(const HttpCall& call, std::size_t* index_out) {
  HttpReply reply;
  auto url = http::parse_url(call.url);
  if (!url) {
    reply.transport_error = "malformed URL '" + call.url + "'";
  } else {
    httplib::Client client(url->origin());
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(std::chrono::seconds(30));
    client.set_follow_location(false);
    if (url->scheme == "https") {
      client.enable_server_certificate_verification(true);
      if (!trusted_certificate_file_.empty()) client.set_ca_cert_path(trusted_certificate_file_);
    }
    httplib::Request request;
    request.method = call.method;
    request.path = url->target;
    for (const auto& [name, value] : call.headers) request.headers.emplace(name, value);
    request.body = call.body;
    auto result = client.send(request);
    if (!result) {
      reply.transport_error = httplib::to_string(result.error());
    } else {
      reply.status = result->status;
      reply.body = result->body;
      for (const auto& [name, value] : result->headers) reply.headers.emplace(lower(name), value);
    }
  }
  const auto index = transcript_.record(call, reply);
  if (index_out != nullptr) *index_out = index;
  return reply;
}

} // namespace mcpcert::client
