// The finance REST API (see mock_backend/openapi.yaml): KPIs, statements,
// cash, breakdowns, situations and the configuration of KPIs and tables of
// the entity the token is bound to. Reads need finance:read and a role that
// reads; configuration writes need finance:write and a role that writes.

#include <boost/beast/http/verb.hpp>

#include "http_replies.hpp"
#include "mcpcert/encoding.hpp"
#include "routes.hpp"

namespace mcpcert::backend {
namespace {

namespace bhttp = boost::beast::http;
using Json = nlohmann::json;

Json line_json(const StatementLine& line) {
  return {{"line", line.line}, {"label", line.label}, {"section", line.section}, {"period", line.period},
          {"value", line.value}};
}

class FinanceRequest {
public:
  FinanceRequest(ApiContext& context, const AccessClaims& claims, const http::Request& request, std::string entity)
      : context_(context), claims_(claims), request_(request), entity_(std::move(entity)) {
    auto query = parse_form(target_query(request.target()));
    if (query.status == FormStatus::ok) query_ = std::move(query.fields);
  }

  std::optional<http::Response> route(const std::vector<std::string>& rest);

private:
  std::optional<http::Response> authorise(bool write) const;
  std::string query(std::string_view name) const {
    auto it = query_.find(std::string(name));
    return it == query_.end() ? std::string{} : it->second;
  }
  http::Response statement(Statement which, std::string_view name);
  /// {"entity": ..., key: items}, the items moved in: a braced initialiser
  /// would copy them, which a ~1 MB list of situations feels.
  http::Response entity_reply(std::string_view key, Json items) const;
  http::Response put_kpi_definition(const std::string& id);
  http::Response put_table_definition(const std::string& id);

  ApiContext& context_;
  const AccessClaims& claims_;
  const http::Request& request_;
  std::string entity_;
  FormFields query_;
};

std::optional<http::Response> FinanceRequest::authorise(bool write) const {
  // The entity comes from the token the issuer bound to the session, never
  // from the request alone.
  if (entity_ != claims_.entity)
    return problem_response(request_, 403, "entity-mismatch",
                            "the token is bound to entity " + claims_.entity + ", not " + entity_);
  auto scope = write ? scope_finance_write : scope_finance_read;
  if (!scope_contains(claims_.scope, scope))
    return insufficient_scope(request_, context_.server.identity().tenant, scope,
                              "this operation needs scope " + std::string(scope));
  if (!context_.directory.allows(claims_.subject, entity_, write ? Permission::write : Permission::read))
    return problem_response(request_, 403, "forbidden",
                            "user " + claims_.subject + " may not " + (write ? "change" : "read") + " entity " + entity_);
  return std::nullopt;
}

std::optional<http::Response> FinanceRequest::route(const std::vector<std::string>& rest) {
  const std::string& what = rest[0];
  const bool get = request_.method() == bhttp::verb::get;
  if (rest.size() == 1) {
    static const std::vector<std::string> readable{"kpis", "profit-and-loss", "balance-sheet", "cash-position",
                                                   "breakdowns", "situations"};
    if (std::find(readable.begin(), readable.end(), what) == readable.end()) return std::nullopt;
    if (!get) return method_not_allowed(request_, "GET");
    if (auto problem = authorise(false)) return problem;
    if (what == "profit-and-loss") return statement(Statement::profit_and_loss, "lines");
    if (what == "balance-sheet") return statement(Statement::balance_sheet, "lines");
    if (what == "cash-position") return statement(Statement::cash_position, "accounts");
    if (what == "kpis") {
      Json kpis = Json::array();
      auto period = query("period");
      for (const auto& kpi : context_.ledger.kpis(entity_)) {
        if (!period.empty() && kpi.period != period) continue;
        kpis.push_back({{"id", kpi.id}, {"name", kpi.name}, {"period", kpi.period}, {"value", kpi.value},
                        {"currency", kpi.currency}});
      }
      return entity_reply("kpis", std::move(kpis));
    }
    if (what == "breakdowns") {
      Json out = Json::array();
      auto kpi = query("kpi");
      auto dimension = query("dimension");
      for (const auto& breakdown : context_.ledger.breakdowns(entity_)) {
        if ((!kpi.empty() && breakdown.kpi != kpi) || (!dimension.empty() && breakdown.dimension != dimension)) continue;
        Json items = Json::array();
        for (const auto& item : breakdown.items) items.push_back({{"member", item.member}, {"value", item.value}});
        out.push_back({{"kpi", breakdown.kpi}, {"dimension", breakdown.dimension}, {"period", breakdown.period},
                       {"items", items}});
      }
      return entity_reply("breakdowns", std::move(out));
    }
    Json situations = Json::array();
    for (const auto& situation : context_.ledger.situations(entity_)) {
      Json item = Json::object();
      item["id"] = situation.id;
      item["period"] = situation.period;
      item["status"] = situation.status;
      situations.push_back(std::move(item));
    }
    return entity_reply("situations", std::move(situations));
  }
  if (what != "configuration" || rest.size() > 3 || (rest[1] != "kpis" && rest[1] != "tables")) return std::nullopt;
  const bool kpis = rest[1] == "kpis";
  if (rest.size() == 2) {
    if (!get) return method_not_allowed(request_, "GET");
    if (auto problem = authorise(false)) return problem;
    Json items = Json::array();
    if (kpis) {
      for (const auto& d : context_.ledger.kpi_definitions(entity_))
        items.push_back({{"id", d.id}, {"name", d.name}, {"formula", d.formula}, {"unit", d.unit}});
    } else {
      for (const auto& d : context_.ledger.table_definitions(entity_))
        items.push_back({{"id", d.id}, {"name", d.name}, {"columns", d.columns}});
    }
    return entity_reply(kpis ? "kpis" : "tables", std::move(items));
  }
  if (request_.method() != bhttp::verb::put) return method_not_allowed(request_, "PUT");
  if (auto problem = authorise(true)) return problem;
  return kpis ? put_kpi_definition(rest[2]) : put_table_definition(rest[2]);
}

http::Response FinanceRequest::entity_reply(std::string_view key, Json items) const {
  Json body = Json::object();
  body["entity"] = entity_;
  body[std::string(key)] = std::move(items);
  return json_response(request_, 200, body);
}

http::Response FinanceRequest::statement(Statement which, std::string_view name) {
  Json lines = Json::array();
  auto period = query("period");
  for (const auto& line : context_.ledger.lines(entity_, which))
    if (period.empty() || line.period == period) lines.push_back(line_json(line));
  return entity_reply(name, std::move(lines));
}

/// The body as an object with only `known` fields, each a string (or, for
/// `list_field`, an array of strings); the problem response otherwise.
std::optional<http::Response> check_definition_body(const http::Request& request, const Json& body,
                                                    std::initializer_list<std::string_view> known,
                                                    std::string_view list_field) {
  if (body.is_discarded()) return problem_response(request, 400, "malformed-json", "the body is not valid JSON");
  if (!body.is_object()) return problem_response(request, 400, "bad-request", "the body must be a JSON object");
  for (const auto& [field, value] : body.items()) {
    if (std::find(known.begin(), known.end(), field) == known.end())
      return problem_response(request, 400, "unknown-field", "unknown field " + field);
    bool ok = field == list_field ? value.is_array() && std::all_of(value.begin(), value.end(),
                                                                     [](const Json& v) { return v.is_string(); })
                                  : value.is_string();
    if (!ok) return problem_response(request, 400, "bad-request", "field " + field + " has the wrong type");
  }
  if (!body.contains("name") || body["name"].get<std::string>().empty())
    return problem_response(request, 400, "bad-request", "name is required");
  return std::nullopt;
}

http::Response FinanceRequest::put_kpi_definition(const std::string& id) {
  auto body = Json::parse(request_.body(), nullptr, false);
  if (auto problem = check_definition_body(request_, body, {"name", "formula", "unit"}, "")) return *problem;
  KpiDefinition definition{id, body["name"], body.value("formula", ""), body.value("unit", "")};
  context_.ledger.put_kpi_definition(entity_, definition);
  return json_response(request_, 200, {{"id", id}, {"name", definition.name}, {"formula", definition.formula},
                                       {"unit", definition.unit}});
}

http::Response FinanceRequest::put_table_definition(const std::string& id) {
  auto body = Json::parse(request_.body(), nullptr, false);
  if (auto problem = check_definition_body(request_, body, {"name", "columns"}, "columns")) return *problem;
  TableDefinition definition{id, body["name"], body.value("columns", std::vector<std::string>{})};
  if (definition.columns.empty()) return problem_response(request_, 400, "bad-request", "columns must not be empty");
  context_.ledger.put_table_definition(entity_, definition);
  return json_response(request_, 200, {{"id", id}, {"name", definition.name}, {"columns", definition.columns}});
}

} // namespace

std::optional<http::Response> serve_finance_routes(ApiContext& context, const AccessClaims& claims,
                                                   const http::Request& request,
                                                   const std::vector<std::string>& segments) {
  // entities/{entity}/...
  if (segments.size() < 3 || segments[0] != "entities") return std::nullopt;
  std::lock_guard lock(context.data_lock);
  return FinanceRequest(context, claims, request, segments[1])
      .route(std::vector<std::string>(segments.begin() + 2, segments.end()));
}

} // namespace mcpcert::backend
