#include "mcpcert/mock_backend/backend.hpp"

#include <filesystem>
#include <optional>
#include <shared_mutex>
#include <stdexcept>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include "http_replies.hpp"
#include "mcpcert/config.hpp"
#include "routes.hpp"

namespace mcpcert::backend {
namespace {

AuditRecord fetch_record(const Tenant& tenant, const DocumentFetch& fetch, TimePoint at) {
  AuditRecord record;
  record.time = at;
  record.region = tenant.identity().region;
  record.tenant = tenant.identity().tenant;
  record.listener = Listener::outbound;
  record.method = "GET";
  record.path = fetch.url;
  record.facts.client_id = fetch.url;
  record.status = fetch.status;
  record.response_bytes = fetch.bytes;
  return record;
}

} // namespace

struct Backend::Site {
  std::unique_ptr<http::Server> issuer;
  std::unique_ptr<http::Server> api;
  std::unique_ptr<Tenant> tenant;
  std::unique_ptr<http::Server> idp; ///< the tenant's identity provider, when its fixture has one
  std::unique_ptr<StoredLockouts> identity_provider_lockouts; // outlives the provider, which journals into it
  std::unique_ptr<IdentityProvider> identity_provider;
};

Backend::Backend(boost::asio::any_io_executor executor, const BackendConfig& config) {
  if (config.simulation) {
    auto clock = std::make_unique<VirtualClock>();
    virtual_clock_ = clock.get();
    clock_ = std::move(clock);
  } else {
    clock_ = std::make_unique<SystemClock>();
  }

  // Every request a tenant receives is recorded, refused ones included: the
  // audit is the harness's evidence of what the connector attempted. The
  // handler reaches the tenant through its site because the tenant needs the
  // bound URLs, so it is built after the listeners (but before they start).
  auto audited = [this](Site* site, Listener listener) {
    auto serve = [this, site, listener](http::Request& request) {
      auto arrived = clock_->now();
      Tenant& tenant = *site->tenant;
      // Held until the record is appended: see Tenant::admin_lock.
      std::shared_lock lock(tenant.admin_lock());
      std::vector<std::string> watched;
      if (audit_.watching()) {
        // Everything the request carried, as the listener received it.
        std::string text(request.target());
        for (const auto& field : request) text.append("\n").append(field.name_string()).append(": ").append(field.value());
        text.append("\n\n").append(request.body());
        watched = audit_.watched_in(text);
      }
      auto handled = listener == Listener::api ? tenant.handle_api(request) : tenant.handle_issuer(request);
      AuditRecord record;
      record.time = arrived;
      record.region = tenant.identity().region;
      record.tenant = tenant.identity().tenant;
      record.listener = listener;
      record.method = std::string(request.method_string());
      record.path = std::string(target_path(request.target()));
      record.facts = std::move(handled.facts);
      record.status = handled.response.result_int();
      record.response_bytes = handled.response.body().size();
      record.watched = std::move(watched);
      audit_.append(std::move(record));
      return std::move(handled.response);
    };
    // Simulated faults act around the tenant's real handling, so the audit
    // still shows what reached the listener.
    return http::Handler([this, serve, site, listener](http::Request& request,
                                                 const http::RequestContext& context) -> boost::asio::awaitable<http::Response> {
      const auto fault = site->tenant->fault(listener == Listener::api);
      if (fault.mode == FaultMode::slow) {
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, fault.delay);
        co_await timer.async_wait(boost::asio::use_awaitable);
      }
      // A URL client_id's metadata document is fetched here, awaited, before
      // the tenant's lock and its synchronous handler: a slow document host
      // then holds neither a thread nor the admin lock. The hold keeps the
      // document usable until the handler below has run.
      auto document_url = listener == Listener::issuer ? client_document_url(request) : std::string{};
      auto document = co_await site->tenant->authorization_server().client_documents().resolve(std::move(document_url));
      if (document.fetch) audit_.append(fetch_record(*site->tenant, *document.fetch, clock_->now()));
      auto response = serve(request);
      switch (fault.mode) {
      case FaultMode::none:
      case FaultMode::slow: break;
      case FaultMode::unavailable:
        response = problem_response(request, 503, "unavailable", "the tenant is unavailable (simulated fault)");
        response.set(boost::beast::http::field::retry_after, "1");
        break;
      case FaultMode::malformed: response = http::make_response(request, 200, "application/json", "{\"entity\": [unterminated"); break;
      case FaultMode::drop:
        if (context.stream != nullptr) {
          // Half an answer, then the connection goes: the client must not take it for one.
          auto head = http::make_response(request, 200, "application/json", "");
          co_await context.stream->begin(std::move(head));
          co_await context.stream->write(response.body().substr(0, response.body().size() / 2));
          throw std::runtime_error("connection dropped mid-response (simulated fault)");
        }
        break;
      }
      co_return response;
    });
  };

  for (std::size_t i = 0; i < config.tenants.size(); ++i) {
    const auto& tenant_config = config.tenants[i];
    auto where = "tenants[" + std::to_string(i) + "]";
    std::optional<TenantFixture> loaded;
    try {
      loaded.emplace(load_tenant_fixture(tenant_config.fixture));
    } catch (const ConfigError& e) {
      throw ConfigError(where + ".fixture", e.what());
    }
    auto& fixture = *loaded;
    if (fixture.directory.tenant() != tenant_config.id)
      throw ConfigError(where + ".fixture", tenant_config.fixture.string() + " describes tenant \"" +
                                                fixture.directory.tenant() + "\", not \"" + tenant_config.id + "\"");
    for (const auto& registration : tenant_config.resources)
      if (!fixture.clients.find(registration.client_id))
        throw ConfigError(where + ".resources",
                          "unknown client " + registration.client_id + " in " + tenant_config.fixture.string());

    // Plain fixture passwords serve only the simulation control plane.
    if (!config.simulation) fixture.credentials.clear();
    auto provider = std::move(fixture.identity_provider);

    auto site = std::make_unique<Site>();
    site->issuer = std::make_unique<http::Server>(executor, tenant_config.issuer_listen.host,
                                                  tenant_config.issuer_listen.port, audited(site.get(), Listener::issuer));
    site->api = std::make_unique<http::Server>(executor, tenant_config.api_listen.host, tenant_config.api_listen.port,
                                               audited(site.get(), Listener::api));
    // The identity provider is only ever reached by browsers, so any free
    // port next to the issuer's will do.
    if (provider)
      site->idp = std::make_unique<http::Server>(
          executor, tenant_config.issuer_listen.host, 0,
          http::make_async([at = site.get()](http::Request& request, const http::RequestContext&) {
            return serve_identity_provider(*at->identity_provider, request);
          }));
    IssuerIdentity identity{tenant_config.id, tenant_config.region, site->issuer->base_url(), site->api->base_url()};
    std::filesystem::path state_file;
    if (config.state_dir) {
      std::filesystem::create_directories(*config.state_dir);
      state_file = *config.state_dir / (tenant_config.id + ".sqlite");
    }
    auto policy = tenant_config.policy;
    policy.mutants.insert(config.mutants.begin(), config.mutants.end());
    auto storage = open_tenant_storage(state_file, tenant_config.id, *clock_);
    site->identity_provider_lockouts = std::move(storage.identity_provider_lockouts);
    site->tenant = std::make_unique<Tenant>(std::move(identity), tenant_config.lifetimes, std::move(fixture), *clock_,
                                            std::move(storage), std::move(policy));
    site->tenant->limit_api_rate(tenant_config.api_rate_limit_per_minute);
    if (provider) {
      site->identity_provider =
          std::make_unique<IdentityProvider>(std::move(*provider), site->idp->base_url(), site->issuer->base_url(),
                                             *clock_, site->identity_provider_lockouts.get());
      const auto& idp = *site->identity_provider;
      site->tenant->authorization_server().trust_identity_provider(
          {idp.id(), idp.name(), idp.issuer(), idp.login_url(), idp.verification_keys()});
    }
    for (const auto& registration : tenant_config.resources)
      site->tenant->clients().register_resource(registration.resource, registration.client_id);
    sites_.push_back(std::move(site));
  }

  if (config.control) {
    control_api_ = std::make_unique<ControlApi>(config.control->secret, *virtual_clock_, audit_,
                                                [this](std::string_view id) { return find_tenant(id); });
    control_server_ = std::make_unique<http::Server>(
        executor, config.control->listen.host, config.control->listen.port,
        http::make_async([api = control_api_.get()](http::Request& request, const http::RequestContext&) {
          return api->handle(request);
        }));
  }
}

Backend::~Backend() = default;

void Backend::start() {
  for (auto& site : sites_) {
    site->issuer->start();
    site->api->start();
    if (site->idp) site->idp->start();
  }
  if (control_server_) control_server_->start();
}

void Backend::stop() {
  for (auto& site : sites_) {
    site->issuer->stop();
    site->api->stop();
    if (site->idp) site->idp->stop();
  }
  if (control_server_) control_server_->stop();
}

std::string Backend::ready_line() const {
  nlohmann::ordered_json ready;
  if (control_server_) ready["control"] = control_server_->base_url();
  nlohmann::ordered_json tenants = nlohmann::ordered_json::object();
  for (const auto& site : sites_) {
    const auto& identity = site->tenant->identity();
    tenants[identity.tenant] = {{"region", identity.region}, {"api", identity.api_base}, {"issuer", identity.issuer}};
    if (site->identity_provider) tenants[identity.tenant]["identity_provider"] = site->identity_provider->issuer();
  }
  ready["tenants"] = std::move(tenants);
  return "READY " + ready.dump();
}

Tenant* Backend::find_tenant(std::string_view id) {
  for (auto& site : sites_)
    if (site->tenant->identity().tenant == id) return site->tenant.get();
  return nullptr;
}

std::string Backend::control_url() const { return control_server_ ? control_server_->base_url() : std::string{}; }

} // namespace mcpcert::backend
