// JSON-RPC messages as an MCP endpoint receives them: one message or a batch,
// then the reply the endpoint builds from what the parser recovered.

#include <cstdlib>

#include "fuzz_input.hpp"
#include "mcpcert/jsonrpc.hpp"

namespace {

using namespace mcpcert;

// What an endpoint does with a parse: answer by id, echoing what it read.
void answer(const jsonrpc::ParseResult& parsed) {
  if (parsed.status != jsonrpc::ParseStatus::ok) {
    if (parsed.message) std::abort(); // a refusal never carries a message
    // The id recovered from an invalid request goes back in the error reply.
    (void)jsonrpc::make_error(parsed.id, jsonrpc::ErrorCode::invalid_request, parsed.detail).dump();
    return;
  }
  if (!parsed.message) std::abort(); // ok always carries the message
  if (const auto* request = std::get_if<jsonrpc::Request>(&*parsed.message)) {
    if (!request->id.is_string() && !request->id.is_number_integer()) std::abort();
    (void)jsonrpc::make_result(request->id, {{"method", request->method}, {"params", request->params}}).dump();
  } else if (const auto* notification = std::get_if<jsonrpc::Notification>(&*parsed.message)) {
    (void)jsonrpc::make_notification(notification->method, notification->params).dump();
  } else {
    const auto& response = std::get<jsonrpc::Response>(*parsed.message);
    if (response.result.has_value() == response.error.has_value()) std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parsed = jsonrpc::parse(fuzz::as_text(data, size));
  if (parsed.status == jsonrpc::ParseStatus::batch) {
    for (const auto& element : parsed.batch) answer(jsonrpc::parse_value(element));
  } else {
    answer(parsed);
  }
  return 0;
}
