#pragma once
/// Server-Sent Events (WHATWG HTML, "event stream interpretation"): an
/// incremental parser for untrusted bytes and an encoder.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcpcert {

struct SseEvent {
  std::string type = "message"; ///< the `event` field, "message" when absent
  std::string data;             ///< `data` lines joined with '\n'
  std::string id;               ///< last event id in force when the event was dispatched
  std::optional<long> retry_ms; ///< a `retry` field seen in this event
};

/// Feed bytes in any chunking; complete events come out in order.
class SseParser {
public:
  std::vector<SseEvent> feed(std::string_view bytes);
  const std::string& last_event_id() const { return last_event_id_; }

private:
  void process_line(std::string_view line, std::vector<SseEvent>& out);

  std::string line_;
  bool started_ = false;     ///< a leading BOM has been dealt with
  bool after_cr_ = false;    ///< the previous chunk ended in CR (a following LF belongs to it)
  std::string data_;
  bool has_data_ = false;
  std::string type_;
  std::string last_event_id_;
  std::optional<long> retry_;
};

/// One event in wire form; multi-line data becomes several `data:` lines.
std::string encode_sse_event(std::string_view data, std::string_view id = {}, std::string_view type = {},
                             std::optional<long> retry_ms = std::nullopt);

} // namespace mcpcert
