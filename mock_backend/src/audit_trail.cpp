#include "mcpcert/mock_backend/audit_trail.hpp"

#include <algorithm>

#include "http_replies.hpp"

namespace mcpcert::backend {
namespace {

void set_if_known(nlohmann::json& object, const char* name, const std::string& value) {
  if (!value.empty()) object[name] = value;
}

} // namespace

const char* to_string(Listener listener) {
  switch (listener) {
  case Listener::api: return "api";
  case Listener::issuer: return "issuer";
  case Listener::outbound: return "outbound";
  }
  return "api";
}

std::optional<Listener> parse_listener(std::string_view text) {
  for (auto listener : {Listener::api, Listener::issuer, Listener::outbound})
    if (text == to_string(listener)) return listener;
  return std::nullopt;
}

nlohmann::json to_json(const AuditRecord& record) {
  nlohmann::json out = {
      {"seq", record.seq},
      {"time", format_rfc3339(record.time)},
      {"region", record.region},
      {"tenant", record.tenant},
      {"listener", to_string(record.listener)},
      {"method", record.method},
      {"path", record.path},
      {"status", record.status},
      {"response_bytes", record.response_bytes},
  };
  set_if_known(out, "subject", record.facts.subject);
  set_if_known(out, "actor", record.facts.actor);
  set_if_known(out, "token_id", record.facts.token_id);
  set_if_known(out, "client_id", record.facts.client_id);
  set_if_known(out, "bearer_sha256", record.facts.bearer_sha256);
  set_if_known(out, "subject_token_sha256", record.facts.subject_token_sha256);
  if (!record.watched.empty()) out["watched"] = record.watched;
  return out;
}

AuditTrail::AuditTrail(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

std::uint64_t AuditTrail::append(AuditRecord record) {
  std::lock_guard lock(mutex_);
  record.seq = ++last_seq_;
  records_.push_back(std::move(record));
  if (records_.size() > capacity_) records_.pop_front();
  return last_seq_;
}

std::vector<AuditRecord> AuditTrail::select(const AuditFilter& filter) const {
  std::lock_guard lock(mutex_);
  std::vector<AuditRecord> out;
  for (const auto& record : records_) {
    if (record.seq <= filter.since_seq) continue;
    if (!filter.tenant.empty() && record.tenant != filter.tenant) continue;
    if (filter.listener && record.listener != *filter.listener) continue;
    if (filter.subject && record.facts.subject != *filter.subject) continue;
    out.push_back(record);
  }
  return out;
}

std::uint64_t AuditTrail::last_seq() const {
  std::lock_guard lock(mutex_);
  return last_seq_;
}

void AuditTrail::watch(std::string text) {
  std::lock_guard lock(mutex_);
  if (std::find(watched_.begin(), watched_.end(), text) == watched_.end()) watched_.push_back(std::move(text));
}

bool AuditTrail::watching() const {
  std::lock_guard lock(mutex_);
  return !watched_.empty();
}

std::vector<std::string> AuditTrail::watched_in(std::string_view request_text) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> found;
  for (const auto& text : watched_) {
    if (request_text.find(text) != std::string_view::npos) found.push_back(text);
  }
  return found;
}

} // namespace mcpcert::backend
