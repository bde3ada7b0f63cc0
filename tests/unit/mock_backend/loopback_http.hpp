#pragma once
// Blocking HTTP/1.1 over loopback for tests that drive a real backend: one
// request per connection, so requests from several test threads never share one.

#include <string>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcpcert/encoding.hpp"
#include "mcpcert/http_client.hpp"
#include "mcpcert/http_server.hpp"

namespace mcpcert::backend::loopback {

namespace bhttp = boost::beast::http;

struct Outgoing {
  bhttp::verb verb = bhttp::verb::get;
  std::string target;
  std::string body;
  std::string content_type;
  std::string authorization;
  std::string cookie{}; ///< the Cookie header, as a browser would send it
};

inline http::Response send(const std::string& base_url, const Outgoing& outgoing) {
  auto url = http::parse_url(base_url);
  EXPECT_TRUE(url.has_value()) << base_url;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address(url->host), url->port});
  http::Request request{outgoing.verb, outgoing.target, 11};
  request.set(bhttp::field::host, url->host + ":" + std::to_string(url->port));
  if (!outgoing.content_type.empty()) request.set(bhttp::field::content_type, outgoing.content_type);
  if (!outgoing.authorization.empty()) request.set(bhttp::field::authorization, outgoing.authorization);
  if (!outgoing.cookie.empty()) request.set(bhttp::field::cookie, outgoing.cookie);
  request.keep_alive(false);
  request.body() = outgoing.body;
  request.prepare_payload();
  bhttp::write(socket, request);
  boost::beast::flat_buffer buffer;
  http::Response response;
  bhttp::read(socket, buffer, response);
  return response;
}

inline http::Response get(const std::string& base_url, const std::string& target, std::string authorization = {}) {
  return send(base_url, {bhttp::verb::get, target, {}, {}, std::move(authorization)});
}

inline http::Response post_form(const std::string& base_url, const std::string& target, const FormFields& form,
                                std::string authorization = {}) {
  return send(base_url,
              {bhttp::verb::post, target, encode_form(form), "application/x-www-form-urlencoded", std::move(authorization)});
}

inline http::Response post_json(const std::string& base_url, const std::string& target, const nlohmann::json& body,
                                std::string authorization = {}) {
  return send(base_url, {bhttp::verb::post, target, body.dump(), "application/json", std::move(authorization)});
}

inline nlohmann::json json_of(const http::Response& response) {
  return nlohmann::json::parse(response.body(), nullptr, false);
}

/// The value of the hidden `txn` input of a login or consent page.
inline std::string txn_of(const std::string& html) {
  constexpr std::string_view marker = "name=\"txn\" value=\"";
  auto start = html.find(marker);
  if (start == std::string::npos) return {};
  start += marker.size();
  return html.substr(start, html.find('"', start) - start);
}

/// A query parameter of a redirect Location; empty when absent.
inline std::string query_param(std::string_view location, std::string_view name) {
  auto mark = location.find('?');
  if (mark == std::string_view::npos) return {};
  auto parsed = parse_form(location.substr(mark + 1));
  auto it = parsed.fields.find(name);
  return it == parsed.fields.end() ? std::string{} : it->second;
}

} // namespace mcpcert::backend::loopback
