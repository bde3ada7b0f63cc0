#include "mcpcert/sse.hpp"

#include <gtest/gtest.h>

namespace mcpcert {
namespace {

std::vector<SseEvent> parse_all(std::string_view bytes) {
  SseParser parser;
  return parser.feed(bytes);
}

std::vector<SseEvent> parse_byte_by_byte(std::string_view bytes) {
  SseParser parser;
  std::vector<SseEvent> events;
  for (char c : bytes) {
    auto more = parser.feed(std::string_view(&c, 1));
    events.insert(events.end(), more.begin(), more.end());
  }
  return events;
}

// Byte-level vectors from the WHATWG HTML standard's event stream examples.
TEST(SseParser, MultiLineDataIsJoinedWithNewlines) {
  auto events = parse_all("data: YHOO\ndata: +2\ndata: 10\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "YHOO\n+2\n10");
  EXPECT_EQ(events[0].type, "message");
}

TEST(SseParser, CommentsIdsAndTheSingleLeadingSpace) {
  const std::string_view stream = ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n";
  for (const auto& events : {parse_all(stream), parse_byte_by_byte(stream)}) {
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].data, "first event");
    EXPECT_EQ(events[0].id, "1");
    EXPECT_EQ(events[1].data, "second event");
    EXPECT_EQ(events[1].id, ""); // a bare "id" resets the last event id
    EXPECT_EQ(events[2].data, " third event");
  }
}

TEST(SseParser, EmptyDataFieldsAndAnUnterminatedEvent) {
  auto events = parse_all("data\n\ndata\ndata\n\ndata:");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "");
  EXPECT_EQ(events[1].data, "\n");
}

TEST(SseParser, AllThreeLineEndings) {
  for (std::string_view stream : {"event: progress\r\ndata: a\r\n\r\n", "event: progress\rdata: a\r\r", "event: progress\ndata: a\n\n"}) {
    for (const auto& events : {parse_all(stream), parse_byte_by_byte(stream)}) {
      ASSERT_EQ(events.size(), 1u) << stream;
      EXPECT_EQ(events[0].type, "progress");
      EXPECT_EQ(events[0].data, "a");
    }
  }
}

TEST(SseParser, LeadingByteOrderMarkIsIgnoredEvenWhenSplit) {
  const std::string_view stream = "\xEF\xBB\xBF" "data: x\n\n";
  EXPECT_EQ(parse_all(stream).at(0).data, "x");
  EXPECT_EQ(parse_byte_by_byte(stream).at(0).data, "x");
}

TEST(SseParser, RetryMustBeDigitsOnly) {
  auto events = parse_all("retry: 1500\ndata: a\n\nretry: 15x\ndata: b\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].retry_ms, 1500);
  EXPECT_FALSE(events[1].retry_ms.has_value());
}

TEST(SseParser, LastEventIdPersistsAcrossEvents) {
  SseParser parser;
  auto events = parser.feed("id: 7\ndata: a\n\ndata: b\n\n");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].id, "7");
  EXPECT_EQ(parser.last_event_id(), "7");
}

TEST(SseEncode, RoundTripsThroughTheParser) {
  const auto wire = encode_sse_event("line one\nline two", "42", "message", 3000);
  auto events = parse_all(wire);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "line one\nline two");
  EXPECT_EQ(events[0].id, "42");
  EXPECT_EQ(events[0].retry_ms, 3000);
}

} // namespace
} // namespace mcpcert
