#include "mcpcert/connector/finance_tools.hpp"

#include <algorithm>
#include <map>

#include "mcpcert/auth_header.hpp"
#include "mcpcert/encoding.hpp"

namespace mcpcert::connector {

namespace {

nlohmann::json kpi_list_schema() {
  return {
      {"type", "object"},
      {"properties",
       {{"entity", {{"type", "string"}}},
        {"kpis",
         {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"properties",
             {{"id", {{"type", "string"}}},
              {"name", {{"type", "string"}}},
              {"period", {{"type", "string"}}},
              {"value", {{"type", "number"}}},
              {"currency", {{"type", "string"}}}}},
            {"required", {"id", "name", "period", "value"}}}}}}}},
      {"required", {"entity", "kpis"}},
  };
}

nlohmann::json tool_error(std::string text) {
  return {{"content", {{{"type", "text"}, {"text", std::move(text)}}}}, {"isError", true}};
}

struct FinanceToolSpec {
  const char* name;
  const char* title;
  const char* description;
  const char* path;                 ///< below /api/v1/entities/{entity}
  std::vector<const char*> strings; ///< optional string arguments (query or body)
  std::vector<const char*> required;
  bool writes = false;
};

const std::vector<FinanceToolSpec>& finance_specs() {
  static const std::vector<FinanceToolSpec> specs{
      {"get_kpis", "Key performance indicators",
       "KPIs of the entity selected in this session (revenue, EBITDA, cash...), per period.", "/kpis", {"period"}, {}},
      {"get_profit_and_loss", "Profit and loss", "Profit and loss lines of the session's entity.", "/profit-and-loss",
       {"period"}, {}},
      {"get_balance_sheet", "Balance sheet", "Balance sheet lines of the session's entity.", "/balance-sheet",
       {"period"}, {}},
      {"get_cash_position", "Cash position", "Cash per bank account of the session's entity.", "/cash-position", {}, {}},
      {"get_breakdown", "KPI breakdown", "A KPI split along a dimension (product line, region...).", "/breakdowns",
       {"kpi", "dimension"}, {"kpi"}},
      {"list_situations", "Situations", "The entity's periodic closes and whether they are open or closed.",
       "/situations", {}, {}},
      {"get_kpi_configuration", "KPI configuration", "How the entity's KPIs are defined.", "/configuration/kpis", {},
       {}},
      {"get_table_configuration", "Table configuration", "How the entity's tables are defined.",
       "/configuration/tables", {}, {}},
      {"update_kpi_configuration", "Update a KPI definition", "Changes a KPI's name, formula or unit (needs edit rights).",
       "/configuration/kpis", {"kpi", "name", "formula", "unit"}, {"kpi", "name"}, true},
      {"update_table_configuration", "Update a table definition", "Changes a table's name and columns (needs edit rights).",
       "/configuration/tables", {"table", "name"}, {"table", "name", "columns"}, true},
  };
  return specs;
}

const FinanceToolSpec* find_finance_spec(const std::string& name) {
  for (const auto& spec : finance_specs())
    if (name == spec.name) return &spec;
  return nullptr;
}

nlohmann::json finance_input_schema(const FinanceToolSpec& spec) {
  nlohmann::json properties = nlohmann::json::object();
  for (const char* field : spec.strings) properties[field] = {{"type", "string"}};
  if (std::string_view(spec.name) == "update_table_configuration")
    properties["columns"] = {{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 1}};
  nlohmann::json out = {{"type", "object"}, {"properties", properties}, {"additionalProperties", false}};
  if (!spec.required.empty()) out["required"] = spec.required;
  return out;
}

} // namespace

nlohmann::json FinanceTools::definitions() const {
  auto tools = nlohmann::json::array();
  for (const auto& spec : finance_specs()) {
    nlohmann::json tool = {{"name", spec.name},
                           {"title", spec.title},
                           {"description", spec.description},
                           {"inputSchema", finance_input_schema(spec)},
                           {"outputSchema", std::string_view(spec.name) == "get_kpis" ? kpi_list_schema()
                                                                                       : nlohmann::json{{"type", "object"}}},
                           {"annotations", {{"readOnlyHint", !spec.writes}}}};
    tools.push_back(std::move(tool));
  }
  if (with_debug_tool_) {
    tools.push_back({{"name", "debug_whoami"},
                     {"description", "Echoes the caller's token claims (debugging aid)."},
                     {"inputSchema", {{"type", "object"}}}});
  }
  return tools;
}

boost::asio::awaitable<ToolOutcome> FinanceTools::call(const AccessIdentity& identity, const std::string& name,
                                                        const nlohmann::json& arguments) {
  ToolOutcome outcome;
  if (with_debug_tool_ && name == "debug_whoami") {
    const nlohmann::json who = {{"sub", identity.subject}, {"tenant", identity.tenant}, {"entity", identity.entity}, {"scope", identity.scope}};
    outcome.result = {{"content", {{{"type", "text"}, {"text", who.dump()}}}}, {"isError", false}};
    co_return outcome;
  }
  const FinanceToolSpec* spec = find_finance_spec(name);
  if (!spec) {
    outcome.kind = ToolOutcome::Kind::unknown_tool;
    outcome.detail = "unknown tool '" + name + "'";
    co_return outcome;
  }
  std::string entity = identity.entity;
  if (entity_from_arguments_ && arguments.is_object() && arguments.contains("entity") && arguments["entity"].is_string()) {
    entity = arguments["entity"].get<std::string>();
  }
  if (!arguments.is_null() && !arguments.is_object()) {
    outcome.result = tool_error("arguments must be an object");
    co_return outcome;
  }
  std::map<std::string, std::string> strings;
  nlohmann::json columns;
  if (arguments.is_object()) {
    for (const auto& [key, value] : arguments.items()) {
      if (key == "entity" && entity_from_arguments_) continue;
      bool is_string_argument = std::find_if(spec->strings.begin(), spec->strings.end(),
                                             [&](const char* field) { return key == field; }) != spec->strings.end();
      if (key == "columns" && std::string_view(spec->name) == "update_table_configuration") {
        if (!value.is_array() || value.empty() ||
            !std::all_of(value.begin(), value.end(), [](const nlohmann::json& v) { return v.is_string(); })) {
          outcome.result = tool_error("argument 'columns' must be a non-empty array of strings");
          co_return outcome;
        }
        columns = value;
        continue;
      }
      if (!is_string_argument) {
        outcome.result = tool_error("unexpected argument '" + key + "'");
        co_return outcome;
      }
      if (!value.is_string()) {
        outcome.result = tool_error("argument '" + key + "' must be a string");
        co_return outcome;
      }
      strings[key] = value.get<std::string>();
    }
  }
  for (const char* field : spec->required) {
    if (!strings.contains(field) && !(std::string_view(field) == "columns" && !columns.is_null())) {
      outcome.result = tool_error(std::string("argument '") + field + "' is required");
      co_return outcome;
    }
  }
  if (spec->writes && !scope_includes(identity.scope, "finance:write")) {
    outcome.kind = ToolOutcome::Kind::insufficient_scope;
    outcome.detail = name + " changes tenant configuration and needs scope finance:write";
    outcome.scope = "finance:read finance:write";
    co_return outcome;
  }

  // The entity comes from the token, never from the arguments: a session is
  // bounded by the entity the user authorised.
  std::string path = "/api/v1/entities/" + url_encode(entity) + spec->path;
  UpstreamReply reply;
  if (spec->writes) {
    const bool kpi = std::string_view(spec->name) == "update_kpi_configuration";
    path += "/" + url_encode(strings[kpi ? "kpi" : "table"]);
    nlohmann::json body = {{"name", strings["name"]}};
    if (kpi) {
      for (const char* field : {"formula", "unit"})
        if (strings.contains(field)) body[field] = strings[field];
    } else {
      body["columns"] = columns;
    }
    reply = co_await gateway_.send(identity, boost::beast::http::verb::put, path, body);
  } else {
    FormFields query;
    for (const auto& [key, value] : strings) query[key] = value;
    if (!query.empty()) path += "?" + encode_form(query);
    reply = co_await gateway_.get(identity, path);
  }
  switch (reply.status) {
  case UpstreamStatus::ok: break;
  case UpstreamStatus::permission_denied:
    outcome.kind = ToolOutcome::Kind::permission_denied;
    outcome.detail = reply.detail;
    co_return outcome;
  case UpstreamStatus::not_found:
    outcome.result = tool_error("not found: " + reply.detail);
    co_return outcome;
  case UpstreamStatus::rejected:
    outcome.result = tool_error("refused by the tenant: " + reply.detail);
    co_return outcome;
  case UpstreamStatus::unavailable:
    outcome.kind = ToolOutcome::Kind::upstream_failure;
    outcome.detail = reply.detail;
    co_return outcome;
  }

  nlohmann::json structured = std::move(reply.body);
  bool as_sent = true;
  if (!structured.is_object()) {
    structured = nlohmann::json{{"value", std::move(structured)}};
    as_sent = false;
  }
  if (std::string_view(spec->name) == "get_kpis" && !structured.contains("entity")) {
    structured["entity"] = identity.entity;
    as_sent = false;
  }
  // Built member by member so the tenant's data moves into the result: an
  // initializer list would copy it, which a ~1 MB reply feels. The text is
  // the tenant's own JSON when the structure is exactly what it sent.
  nlohmann::json text = nlohmann::json::object();
  text["type"] = "text";
  if (as_sent && !reply.body_text.empty())
    text["text"] = std::move(reply.body_text);
  else
    text["text"] = structured.dump();
  outcome.result = nlohmann::json::object();
  outcome.result["content"] = nlohmann::json::array();
  outcome.result["content"].push_back(std::move(text));
  outcome.result["structuredContent"] = std::move(structured);
  outcome.result["isError"] = false;
  co_return outcome;
}

} // namespace mcpcert::connector
