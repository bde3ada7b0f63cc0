#pragma once
// Private to mcpcert_backend: the HTTP faces of a tenant, over its domain objects.

#include "mcpcert/http_server.hpp"
#include "mcpcert/mock_backend/authorization_server.hpp"
#include "mcpcert/mock_backend/finance_ledger.hpp"
#include "mcpcert/mock_backend/tenant.hpp"
#include "mcpcert/mock_backend/tenant_directory.hpp"

namespace mcpcert::backend {

HandledRequest serve_issuer(AuthorizationServer& server, const http::Request& request);
HandledRequest serve_finance_api(const AuthorizationServer& server, const TenantDirectory& directory,
                                 const FinanceLedger& ledger, const http::Request& request);

} // namespace mcpcert::backend
