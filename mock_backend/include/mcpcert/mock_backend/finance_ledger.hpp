#pragma once
/// The tenant's finance data: KPI values per entity and period.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mcpcert::backend {

struct Kpi {
  std::string id;
  std::string name;
  std::string period; ///< e.g. "2025-Q1"
  double value = 0;
  std::string currency;
};

class FinanceLedger {
public:
  void add(std::string entity, Kpi kpi);
  /// In insertion order; empty for an entity without data.
  std::vector<Kpi> kpis(std::string_view entity) const;

private:
  std::map<std::string, std::vector<Kpi>, std::less<>> kpis_;
};

} // namespace mcpcert::backend
