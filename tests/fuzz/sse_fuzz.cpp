// Server-Sent Events streams as the scripted client reads them from a
// connector: the same bytes fed whole and in chunks must give the same events.

#include <cstdlib>
#include <vector>

#include "fuzz_input.hpp"
#include "mcpcert/sse.hpp"

namespace {

using namespace mcpcert;

bool same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].type != b[i].type || a[i].data != b[i].data || a[i].id != b[i].id || a[i].retry_ms != b[i].retry_ms)
      return false;
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto stream = fuzz::as_text(data, size);
  if (stream.empty()) return 0;

  SseParser whole;
  const auto events = whole.feed(stream);

  // Chunk sizes come from the first byte, so splits land on CR/LF pairs and
  // inside a BOM as well as elsewhere.
  const std::size_t chunk = 1 + static_cast<unsigned char>(stream[0]) % 7;
  SseParser chunked;
  std::vector<SseEvent> chunked_events;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    for (auto& event : chunked.feed(stream.substr(at, chunk))) chunked_events.push_back(std::move(event));
  }
  if (!same(events, chunked_events) || whole.last_event_id() != chunked.last_event_id()) std::abort();

  // What the encoder writes, the parser reads back unchanged (ids without
  // line breaks or NUL, as the encoder's callers guarantee).
  for (const auto& event : events) {
    if (event.id.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) continue;
    if (event.type.find_first_of("\r\n") != std::string::npos || event.data.find('\r') != std::string::npos) continue;
    SseParser again;
    const auto round_trip = again.feed(encode_sse_event(event.data, event.id, event.type == "message" ? "" : event.type, event.retry_ms));
    if (round_trip.size() != 1 || round_trip[0].data != event.data || round_trip[0].type != event.type) std::abort();
  }
  return 0;
}
