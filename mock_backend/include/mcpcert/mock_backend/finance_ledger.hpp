#pragma once
/// The tenant's finance data, per entity, in the style of EMAsphere: KPI values
/// per period; statement lines of the profit and loss and the balance sheet;
/// the cash position per bank account; breakdowns of a KPI by a dimension;
/// situations (periodic closes); and the configuration of KPIs and tables,
/// which editors may change. Not synchronised: the tenant's lock orders
/// configuration writes against reads.

#include <map>
#include <optional>
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

/// One line of a statement (profit and loss, balance sheet) or of the cash position.
struct StatementLine {
  std::string line;    ///< e.g. "revenue", "trade_receivables", or a bank account for cash
  std::string label;
  std::string section; ///< e.g. "operating", "assets", "liabilities"; the bank for cash
  std::string period;
  double value = 0;
};

enum class Statement { profit_and_loss, balance_sheet, cash_position };
const char* to_string(Statement statement);

struct BreakdownItem {
  std::string member;
  double value = 0;
};

/// A KPI for one period split along one dimension (product line, region, customer...).
struct Breakdown {
  std::string kpi;
  std::string dimension;
  std::string period;
  std::vector<BreakdownItem> items;
};

/// A periodic close.
struct Situation {
  std::string id;
  std::string period;
  std::string status; ///< "open" or "closed"
};

struct KpiDefinition {
  std::string id;
  std::string name;
  std::string formula;
  std::string unit;
};

struct TableDefinition {
  std::string id;
  std::string name;
  std::vector<std::string> columns;
};

class FinanceLedger {
public:
  void add(std::string entity, Kpi kpi);
  void add_line(std::string entity, Statement statement, StatementLine line);
  void add_breakdown(std::string entity, Breakdown breakdown);
  void add_situation(std::string entity, Situation situation);
  /// Adds or replaces (same id) a definition.
  void put_kpi_definition(std::string entity, KpiDefinition definition);
  void put_table_definition(std::string entity, TableDefinition definition);

  /// In insertion order; empty for an entity without data.
  std::vector<Kpi> kpis(std::string_view entity) const;
  std::vector<StatementLine> lines(std::string_view entity, Statement statement) const;
  std::vector<Breakdown> breakdowns(std::string_view entity) const;
  std::vector<Situation> situations(std::string_view entity) const;
  std::vector<KpiDefinition> kpi_definitions(std::string_view entity) const;
  std::vector<TableDefinition> table_definitions(std::string_view entity) const;

private:
  struct Books {
    std::vector<Kpi> kpis;
    std::map<Statement, std::vector<StatementLine>> statements;
    std::vector<Breakdown> breakdowns;
    std::vector<Situation> situations;
    std::vector<KpiDefinition> kpi_definitions;
    std::vector<TableDefinition> table_definitions;
  };
  const Books* books(std::string_view entity) const;

  std::map<std::string, Books, std::less<>> books_;
};

} // namespace mcpcert::backend
