#pragma once
/// The planning tool set (Pyplan-like tenants): list the applications the user
/// has access to, open and close one, read its metadata and node results, run
/// a tool its author exposed, and list, create and save versions. Each call is
/// one or more requests to the tenant API with a token exchanged for this user;
/// nothing is cached and nothing is written locally.

#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include "mcpcert/connector/connector_config.hpp"
#include "mcpcert/connector/finance_tools.hpp"
#include "mcpcert/connector/upstream.hpp"

namespace mcpcert::connector {

class PlanningTools {
public:
  /// Reports one step of a long-running tool (MCP progress notifications);
  /// awaited, so a slow reader holds the tool back instead of piling events up.
  using ProgressSink = std::function<boost::asio::awaitable<void>(double progress, double total, std::string message)>;
  /// Whether `name` may run long enough to stream progress.
  static bool long_running(const std::string& name) { return name == "run_app_tool"; }

  PlanningTools(TenantGateway& gateway, const ConnectorConfig& config);

  nlohmann::json definitions() const;
  /// Whether `name` changes tenant data (and so needs scope planning:write).
  static bool writes(const std::string& name);
  boost::asio::awaitable<ToolOutcome> call(const AccessIdentity& identity, const std::string& name,
                                           const nlohmann::json& arguments, const ProgressSink& progress = {});

private:
  boost::asio::awaitable<ToolOutcome> run_app_tool(const AccessIdentity& identity, const std::string& app,
                                                   const std::string& tool, nlohmann::json parameters,
                                                   const ProgressSink& progress);
  boost::asio::awaitable<ToolOutcome> node_result(const AccessIdentity& identity, const std::string& app,
                                                  const std::string& node);
  boost::asio::awaitable<UpstreamReply> write(const AccessIdentity& identity, const std::string& app,
                                              boost::beast::http::verb method, std::string path,
                                              const nlohmann::json& body);

  TenantGateway& gateway_;
  const ConnectorConfig& config_;
  /// Only the cache mutants use these: the reference caches nothing.
  std::mutex mutant_mutex_;
  std::map<std::string, nlohmann::json, std::less<>> mutant_list_cache_;
  std::map<std::string, nlohmann::json, std::less<>> mutant_node_cache_;
};

} // namespace mcpcert::connector
