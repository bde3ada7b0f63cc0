#include "mcpcert/mock_backend/finance_ledger.hpp"

namespace mcpcert::backend {

void FinanceLedger::add(std::string entity, Kpi kpi) { kpis_[std::move(entity)].push_back(std::move(kpi)); }

std::vector<Kpi> FinanceLedger::kpis(std::string_view entity) const {
  auto it = kpis_.find(entity);
  return it == kpis_.end() ? std::vector<Kpi>{} : it->second;
}

} // namespace mcpcert::backend
