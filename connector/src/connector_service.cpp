#include "mcpcert/connector/connector_service.hpp"

#include "mcpcert/connector/mcp_endpoint.hpp"
#include "mcpcert/http_server.hpp"

namespace mcpcert::connector {

ConnectorService::ConnectorService(boost::asio::any_io_executor executor, ConnectorConfig config, const Clock& clock)
    : config_(std::move(config)) {
  http::ServerLimits limits;
  limits.body_limit = config_.body_limit;
  // The endpoint needs the bound port for its resource URL, so the server is
  // created first with a handler that reaches the endpoint through `this`.
  server_ = std::make_unique<http::Server>(
      executor, config_.listen_host, config_.listen_port,
      [this](http::Request& request, const http::RequestContext& context) { return endpoint_->handle(request, context); },
      limits);
  endpoint_ = std::make_unique<McpEndpoint>(config_, clock, server_->base_url());
}

ConnectorService::~ConnectorService() {
  if (server_) server_->stop();
}

void ConnectorService::start() { server_->start(); }
void ConnectorService::stop() { server_->stop(); }
bool ConnectorService::drained() const { return server_->connection_count() == 0; }
std::string ConnectorService::mcp_url() const { return endpoint_->resource(); }

} // namespace mcpcert::connector
