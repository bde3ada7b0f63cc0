#include "mcpcert/mock_backend/finance_ledger.hpp"

#include <algorithm>

namespace mcpcert::backend {
namespace {

template <typename T>
void put_by_id(std::vector<T>& items, T item) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& existing) { return existing.id == item.id; });
  if (it == items.end())
    items.push_back(std::move(item));
  else
    *it = std::move(item);
}

} // namespace

const char* to_string(Statement statement) {
  switch (statement) {
  case Statement::profit_and_loss: return "profit_and_loss";
  case Statement::balance_sheet: return "balance_sheet";
  case Statement::cash_position: return "cash_position";
  }
  return "profit_and_loss";
}

void FinanceLedger::add(std::string entity, Kpi kpi) { books_[std::move(entity)].kpis.push_back(std::move(kpi)); }

void FinanceLedger::add_line(std::string entity, Statement statement, StatementLine line) {
  books_[std::move(entity)].statements[statement].push_back(std::move(line));
}

void FinanceLedger::add_breakdown(std::string entity, Breakdown breakdown) {
  books_[std::move(entity)].breakdowns.push_back(std::move(breakdown));
}

void FinanceLedger::add_situation(std::string entity, Situation situation) {
  books_[std::move(entity)].situations.push_back(std::move(situation));
}

void FinanceLedger::put_kpi_definition(std::string entity, KpiDefinition definition) {
  put_by_id(books_[std::move(entity)].kpi_definitions, std::move(definition));
}

void FinanceLedger::put_table_definition(std::string entity, TableDefinition definition) {
  put_by_id(books_[std::move(entity)].table_definitions, std::move(definition));
}

const FinanceLedger::Books* FinanceLedger::books(std::string_view entity) const {
  auto it = books_.find(entity);
  return it == books_.end() ? nullptr : &it->second;
}

std::vector<Kpi> FinanceLedger::kpis(std::string_view entity) const {
  const Books* found = books(entity);
  return found ? found->kpis : std::vector<Kpi>{};
}

std::vector<StatementLine> FinanceLedger::lines(std::string_view entity, Statement statement) const {
  const Books* found = books(entity);
  if (!found) return {};
  auto it = found->statements.find(statement);
  return it == found->statements.end() ? std::vector<StatementLine>{} : it->second;
}

std::vector<Breakdown> FinanceLedger::breakdowns(std::string_view entity) const {
  const Books* found = books(entity);
  return found ? found->breakdowns : std::vector<Breakdown>{};
}

std::vector<Situation> FinanceLedger::situations(std::string_view entity) const {
  const Books* found = books(entity);
  return found ? found->situations : std::vector<Situation>{};
}

std::vector<KpiDefinition> FinanceLedger::kpi_definitions(std::string_view entity) const {
  const Books* found = books(entity);
  return found ? found->kpi_definitions : std::vector<KpiDefinition>{};
}

std::vector<TableDefinition> FinanceLedger::table_definitions(std::string_view entity) const {
  const Books* found = books(entity);
  return found ? found->table_definitions : std::vector<TableDefinition>{};
}

} // namespace mcpcert::backend
