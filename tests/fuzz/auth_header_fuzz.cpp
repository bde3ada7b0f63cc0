// Authentication headers: WWW-Authenticate challenges the scripted client
// reads from a connector, and Authorization values (Bearer at the connector,
// Basic at the authorization server's token endpoint).

#include <cstdlib>

#include "fuzz_input.hpp"
#include "mcpcert/auth_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mcpcert;
  const auto header = fuzz::as_text(data, size);

  if (auto challenges = parse_www_authenticate(header)) {
    if (challenges->empty()) std::abort(); // nullopt, not an empty list, means nothing usable
    for (const auto& challenge : *challenges)
      if (challenge.scheme.empty()) std::abort();
  }
  if (auto token = parse_bearer_credentials(header)) {
    if (token->empty() || token->find(' ') != std::string::npos) std::abort();
  }
  if (auto credentials = parse_basic_credentials(header)) {
    if (credentials->id.empty()) std::abort();
  }
  return 0;
}
