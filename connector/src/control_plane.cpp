#include "mcpcert/connector/control_plane.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "mcpcert/auth_header.hpp"
#include "mcpcert/connector/operational_log.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/crypto.hpp"
#include "mcpcert/http_server.hpp"

namespace mcpcert::connector {

namespace beast = boost::beast;

namespace {

http::Response problem(const http::Request& request, unsigned status, const std::string& detail) {
  auto response = http::make_response(request, status, "application/problem+json",
                                      nlohmann::json{{"type", "about:blank"}, {"status", status}, {"detail", detail}}.dump());
  response.set(beast::http::field::cache_control, "no-store");
  return response;
}

} // namespace

ControlPlane::ControlPlane(boost::asio::any_io_executor executor, const ControlPlaneConfig& config, VirtualClock& clock,
                           OperationalLog* log)
    : secret_(config.secret), clock_(clock), log_(log) {
  server_ = std::make_unique<http::Server>(
      executor, config.listen_host, config.listen_port,
      http::make_async([this](http::Request& request, const http::RequestContext&) -> http::Response {
        const auto authorization = request.find(beast::http::field::authorization);
        const auto presented = authorization == request.end() ? std::nullopt : parse_bearer_credentials(authorization->value());
        if (!presented || !constant_time_equal(*presented, secret_)) {
          auto response = problem(request, 401, "the control plane needs its secret as a Bearer token");
          response.set(beast::http::field::www_authenticate, "Bearer realm=\"mcpcert-connector-control\"");
          return response;
        }
        const std::string target(request.target());
        const auto question = target.find('?');
        const std::string path = target.substr(0, question);
        if (path == "/control/log" && request.method() == beast::http::verb::get && log_ != nullptr) {
          auto query = parse_form(question == std::string::npos ? "" : target.substr(question + 1));
          if (query.status != FormStatus::ok) return problem(request, 400, "malformed query string");
          std::int64_t since = 0;
          if (auto it = query.fields.find("since_seq"); it != query.fields.end()) {
            try {
              since = std::stoll(it->second);
            } catch (const std::exception&) {
              return problem(request, 400, "since_seq must be an integer");
            }
          }
          const auto region = query.fields.contains("region") ? query.fields["region"] : std::string{};
          return http::make_json_response(
              request, 200,
              nlohmann::json{{"records", log_->export_records(region, since)}, {"directory", log_->directory().string()}}.dump());
        }
        if (path == "/control/log/sweep" && request.method() == beast::http::verb::post && log_ != nullptr) {
          return http::make_json_response(request, 200, nlohmann::json{{"removed", log_->sweep()}}.dump());
        }
        if (target == "/control/health" && request.method() == beast::http::verb::get) {
          return http::make_json_response(request, 200, R"({"ok":true})");
        }
        if (target == "/control/clock/advance" || target == "/control/clock/rewind") {
          if (request.method() != beast::http::verb::post) return problem(request, 405, "use POST");
          auto body = nlohmann::json::parse(request.body(), nullptr, false);
          if (body.is_discarded() || !body.is_object() || !body.contains("seconds") || !body["seconds"].is_number_integer()) {
            return problem(request, 400, "body must be {\"seconds\": <integer>}");
          }
          const auto seconds = body["seconds"].get<std::int64_t>();
          // Each endpoint moves one way only, so a sign slip in a caller can't send time backwards by accident.
          if (seconds < 0 || seconds > 10LL * 365 * 24 * 3600) return problem(request, 400, "seconds must be between 0 and ten years");
          const bool forward = target == "/control/clock/advance";
          // Rewinding plays a wall clock stepped back (an NTP correction).
          clock_.advance(std::chrono::seconds(forward ? seconds : -seconds));
          // Records that aged past the retention in this jump go now, as they would have on a real clock.
          const auto swept = log_ != nullptr && forward ? log_->sweep() : 0;
          return http::make_json_response(request, 200,
                                          nlohmann::json{{"offset_seconds", clock_.offset().count() / 1000},
                                                         {"now", clock_.unix_seconds()},
                                                         {"log_records_swept", swept}}
                                              .dump());
        }
        return problem(request, 404, "no such control endpoint");
      }));
}

ControlPlane::~ControlPlane() {
  if (server_) server_->stop();
}

void ControlPlane::start() { server_->start(); }
void ControlPlane::stop() { server_->stop(); }
std::string ControlPlane::base_url() const { return server_->base_url(); }

} // namespace mcpcert::connector
