#pragma once
/// The promises the harness certifies, by id (the ids of CLAIMS.md), and the
/// verdicts a check can reach.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpcert::client {

enum class Verdict { passed, failed, warning, skipped, review };

const char* to_string(Verdict verdict);

struct ClaimInfo {
  std::string_view id;
  std::string_view promise;
  bool machine_checkable;
};

/// Every claim id the harness knows, in catalogue order.
const std::vector<ClaimInfo>& claim_catalogue();
const ClaimInfo* find_claim(std::string_view id);

} // namespace mcpcert::client
