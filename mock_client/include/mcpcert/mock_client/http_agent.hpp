#pragma once
/// The scripted client's HTTP: blocking calls that are each recorded, with
/// secrets masked, as evidence for the verdicts and as the --trace transcript.

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace mcpcert::client {

struct HttpCall {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpReply {
  int status = 0;                 ///< 0 when no response arrived
  std::string transport_error;    ///< set when status == 0
  std::multimap<std::string, std::string> headers; ///< names lower-cased
  std::string body;

  /// First value of a header (name case-insensitive), or empty.
  std::string header(std::string_view name) const;
  /// The body as JSON, or a discarded value when it is not JSON.
  nlohmann::json json() const;
};

/// Replaces tokens, codes, passwords and secrets with a short digest, so a
/// transcript can be shared yet still shows when two values are the same.
std::string mask_secret(std::string_view secret);

/// Records exchanges in order; shared by the steps of one scenario.
class Transcript {
public:
  Transcript() = default;
  /// With `keep_exchanges` false it keeps nothing (`exchange` then returns
  /// null): for load runs, where evidence of every exchange would grow without bound.
  explicit Transcript(bool keep_exchanges) : keep_(keep_exchanges) {}

  /// Adds an exchange and returns its index.
  std::size_t record(const HttpCall& call, const HttpReply& reply);
  nlohmann::json exchange(std::size_t index) const;
  nlohmann::json all() const;
  std::size_t size() const;

private:
  mutable std::mutex mutex_;
  std::vector<nlohmann::json> exchanges_;
  std::size_t discarded_ = 0;
  bool keep_ = true;
};

class HttpAgent {
public:
  /// `trusted_certificate_file`: PEM of the certificate(s) https URLs must chain to
  /// (the connector's loopback certificate); empty trusts the system store.
  explicit HttpAgent(Transcript& transcript, std::string trusted_certificate_file = {})
      : transcript_(transcript), trusted_certificate_file_(std::move(trusted_certificate_file)) {}
  /// Sends one request (no redirects followed); the exchange index is stored in `index_out`.
  HttpReply send(const HttpCall& call, std::size_t* index_out = nullptr);
  Transcript& transcript() { return transcript_; }

private:
  Transcript& transcript_;
  std::string trusted_certificate_file_;
};

} // namespace mcpcert::client
