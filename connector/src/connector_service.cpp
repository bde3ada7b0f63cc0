#include "mcpcert/connector/connector_service.hpp"

#include "mcpcert/connector/mcp_endpoint.hpp"
#include "mcpcert/connector/operational_log.hpp"
#include "mcpcert/heap.hpp"
#include "mcpcert/http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mcpcert::connector {

ConnectorService::ConnectorService(boost::asio::any_io_executor executor, ConnectorConfig config, const Clock& clock)
    : config_(std::move(config)), executor_(executor), sweep_timer_(std::make_unique<boost::asio::steady_timer>(executor)) {
  if (config_.log) {
    auto log_config = *config_.log;
    const auto& mutants = config_.mutants;
    if (mutants.contains(Mutant::plaintext_log)) log_config.seal_personal_fields = false;
    if (mutants.contains(Mutant::retention_unswept)) log_config.sweep_enabled = false;
    if (mutants.contains(Mutant::shared_log_store)) log_config.one_store_for_all_regions = true;
    if (mutants.contains(Mutant::log_buffered)) log_config.commit_every = 16;
    if (mutants.contains(Mutant::arguments_logged)) log_config.optional_fields.insert(OptionalLogField::arguments);
    log_ = std::make_unique<OperationalLog>(std::move(log_config), clock);
  }
  http::ServerLimits limits;
  limits.body_limit = config_.body_limit;
  limits.tls_allow_legacy_versions = config_.mutants.contains(Mutant::tls_legacy_versions);
  // The endpoint needs the bound port for its resource URL, so the server is
  // created first with a handler that reaches the endpoint through `this`.
  server_ = std::make_unique<http::Server>(
      executor, config_.listen_host, config_.listen_port,
      [this](http::Request& request, const http::RequestContext& context) { return endpoint_->handle(request, context); },
      limits, config_.tls);
  endpoint_ = std::make_unique<McpEndpoint>(config_, clock, server_->base_url(), log_.get());
}

ConnectorService::~ConnectorService() {
  if (server_) server_->stop();
}

void ConnectorService::start() {
  server_->start();
  // Once a minute: the retention sweep, so records age out even when nobody
  // asks, and the heap's free pages go back to the system (mcpcert/heap.hpp).
  boost::asio::co_spawn(
      executor_,
      [](OperationalLog* log, boost::asio::steady_timer& timer) -> boost::asio::awaitable<void> {
        for (;;) {
          if (log != nullptr) log->sweep();
          return_free_heap_to_os();
          timer.expires_after(std::chrono::minutes(1));
          auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
          if (ec) co_return;
        }
      }(log_.get(), *sweep_timer_),
      boost::asio::detached);
}
void ConnectorService::stop() {
  server_->stop();
  sweep_timer_->cancel();
}
bool ConnectorService::drained() const { return server_->connection_count() == 0; }
std::string ConnectorService::mcp_url() const { return endpoint_->resource(); }
std::map<std::string, std::string> ConnectorService::tenant_mcp_urls() const {
  std::map<std::string, std::string> urls;
  for (const auto& resource : endpoint_->resources())
    if (resource.tenant != nullptr) urls.emplace(resource.tenant->id, resource.url);
  return urls;
}

} // namespace mcpcert::connector
