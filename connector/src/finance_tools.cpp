#include "mcpcert/connector/finance_tools.hpp"

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

} // namespace

nlohmann::json FinanceTools::definitions() const {
  auto tools = nlohmann::json::array({
      {{"name", "get_kpis"},
       {"title", "Key performance indicators"},
       {"description", "KPIs of the entity selected in this session (revenue, EBITDA, cash...), per period."},
       {"inputSchema",
        {{"type", "object"},
         {"properties", {{"period", {{"type", "string"}, {"description", "Only this period, e.g. 2026-Q2"}}}}},
         {"additionalProperties", false}}},
       {"outputSchema", kpi_list_schema()},
       {"annotations", {{"readOnlyHint", true}}}},
  });
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
  if (name != "get_kpis") {
    outcome.kind = ToolOutcome::Kind::unknown_tool;
    outcome.detail = "unknown tool '" + name + "'";
    co_return outcome;
  }
  std::string period;
  std::string entity = identity.entity;
  if (entity_from_arguments_ && arguments.is_object() && arguments.contains("entity") && arguments["entity"].is_string()) {
    entity = arguments["entity"].get<std::string>();
  }
  if (!arguments.is_null()) {
    if (!arguments.is_object()) {
      outcome.result = tool_error("arguments must be an object");
      co_return outcome;
    }
    for (const auto& [key, value] : arguments.items()) {
      if (key == "entity" && entity_from_arguments_) continue;
      if (key != "period") {
        outcome.result = tool_error("unexpected argument '" + key + "'");
        co_return outcome;
      }
      if (!value.is_string()) {
        outcome.result = tool_error("argument 'period' must be a string");
        co_return outcome;
      }
      period = value.get<std::string>();
    }
  }

  // The entity comes from the token, never from the arguments: a session is
  // bounded by the entity the user authorised.
  auto reply = co_await gateway_.get(identity, "/api/v1/entities/" + url_encode(entity) + "/kpis");
  switch (reply.status) {
  case UpstreamStatus::ok: break;
  case UpstreamStatus::permission_denied:
    outcome.kind = ToolOutcome::Kind::permission_denied;
    outcome.detail = reply.detail;
    co_return outcome;
  case UpstreamStatus::not_found:
  case UpstreamStatus::rejected:
    outcome.result = tool_error("not found: " + reply.detail);
    co_return outcome;
  case UpstreamStatus::unavailable:
    outcome.kind = ToolOutcome::Kind::upstream_failure;
    outcome.detail = reply.detail;
    co_return outcome;
  }

  nlohmann::json structured = {{"entity", reply.body.value("entity", identity.entity)}, {"kpis", nlohmann::json::array()}};
  if (auto kpis = reply.body.find("kpis"); kpis != reply.body.end() && kpis->is_array()) {
    for (const auto& kpi : *kpis) {
      if (!kpi.is_object()) continue;
      if (!period.empty() && kpi.value("period", "") != period) continue;
      structured["kpis"].push_back(kpi);
    }
  }
  outcome.result = {{"content", {{{"type", "text"}, {"text", structured.dump()}}}},
                    {"structuredContent", structured},
                    {"isError", false}};
  co_return outcome;
}

} // namespace mcpcert::connector
