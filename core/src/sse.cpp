#include "mcpcert/sse.hpp"

#include <charconv>

namespace mcpcert {

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
  std::vector<SseEvent> out;
  if (!started_) {
    if (line_.empty() && bytes.empty()) return out;
    // A UTF-8 BOM may open the stream; it may arrive split across chunks.
    std::string head = line_ + std::string(bytes.substr(0, 3));
    if (head.size() < 3 && std::string_view("\xEF\xBB\xBF").substr(0, head.size()) == head) {
      line_ = head;
      return out;
    }
    started_ = true;
    std::string rest = line_ + std::string(bytes);
    line_.clear();
    if (rest.rfind("\xEF\xBB\xBF", 0) == 0) rest.erase(0, 3);
    return feed(rest);
  }
  for (const char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      process_line(line_, out);
      line_.clear();
    } else {
      line_.push_back(c);
    }
  }
  return out;
}

void SseParser::process_line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    if (has_data_) {
      SseEvent event;
      event.type = type_.empty() ? "message" : type_;
      event.data = data_;
      event.id = last_event_id_;
      event.retry_ms = retry_;
      out.push_back(std::move(event));
    }
    data_.clear();
    has_data_ = false;
    type_.clear();
    retry_.reset();
    return;
  }
  if (line.front() == ':') return; // comment (heartbeats)
  const auto colon = line.find(':');
  const auto field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    type_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_ = std::string(value);
  } else if (field == "retry") {
    long ms = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec == std::errc() && end == value.data() + value.size() && !value.empty()) retry_ = ms;
  }
}

std::string encode_sse_event(std::string_view data, std::string_view id, std::string_view type, std::optional<long> retry_ms) {
  std::string out;
  if (!id.empty()) out.append("id: ").append(id).append("\n");
  if (!type.empty()) out.append("event: ").append(type).append("\n");
  if (retry_ms) out.append("retry: ").append(std::to_string(*retry_ms)).append("\n");
  std::size_t start = 0;
  for (;;) {
    const auto newline = data.find('\n', start);
    out.append("data: ").append(data.substr(start, newline == std::string_view::npos ? std::string_view::npos : newline - start)).append("\n");
    if (newline == std::string_view::npos) break;
    start = newline + 1;
  }
  out.append("\n");
  return out;
}

} // namespace mcpcert
