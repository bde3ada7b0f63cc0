#include "mcpcert/connector/protocol_revision.hpp"

#include <gtest/gtest.h>

#include "mcpcert/encoding.hpp"

namespace mcpcert::connector {
namespace {

using nlohmann::json;

json params_naming(const std::string& version) {
  return {{"_meta", {{"io.modelcontextprotocol/protocolVersion", version}, {"io.modelcontextprotocol/clientCapabilities", json::object()}}}};
}

RevisionSelection select(std::vector<std::string_view> headers, const json& params) { return select_revision(headers, params); }

TEST(ProtocolRevisionTest, ServesThreeRevisionsNewestFirst) {
  EXPECT_EQ(supported_versions(), json({"2026-07-28", "2025-11-25", "2025-06-18"}));
  EXPECT_EQ(find_revision("2026-07-28")->era, ProtocolEra::stateless);
  EXPECT_EQ(find_revision("2025-06-18")->era, ProtocolEra::session);
  EXPECT_EQ(find_revision("2025-03-26"), nullptr);
  EXPECT_EQ(newest_session_version(), "2025-11-25");
}

TEST(ProtocolRevisionTest, ARequestNamingNoVersionGoesToTheSessions) {
  EXPECT_EQ(select({}, json(nullptr)).choice, RevisionChoice::session);
  EXPECT_EQ(select({}, json{{"protocolVersion", "2026-07-28"}}).choice, RevisionChoice::session) << "initialize's own field is not _meta";
  EXPECT_TRUE(select({}, json(nullptr)).requested.empty());
}

TEST(ProtocolRevisionTest, TheHeaderOrMetaPicksTheRevision) {
  EXPECT_EQ(select({"2026-07-28"}, params_naming("2026-07-28")).choice, RevisionChoice::stateless);
  EXPECT_EQ(select({"2026-07-28"}, json::object()).choice, RevisionChoice::stateless);
  EXPECT_EQ(select({}, params_naming("2026-07-28")).choice, RevisionChoice::stateless);
  const auto session = select({"2025-06-18"}, json::object());
  EXPECT_EQ(session.choice, RevisionChoice::session);
  EXPECT_EQ(session.requested, "2025-06-18");
}

TEST(ProtocolRevisionTest, DisagreementAndRepetitionAreMismatches) {
  EXPECT_EQ(select({"2026-07-28"}, params_naming("2025-11-25")).choice, RevisionChoice::header_mismatch);
  EXPECT_EQ(select({"1900-01-01"}, params_naming("2026-07-28")).choice, RevisionChoice::header_mismatch);
  EXPECT_EQ(select({"2026-07-28", "2026-07-28"}, params_naming("2026-07-28")).choice, RevisionChoice::header_mismatch);
}

TEST(ProtocolRevisionTest, UnknownVersionsAndMalformedMeta) {
  const auto unknown = select({"1900-01-01"}, params_naming("1900-01-01"));
  EXPECT_EQ(unknown.choice, RevisionChoice::unsupported_version);
  EXPECT_EQ(unknown.requested, "1900-01-01");
  EXPECT_EQ(select({}, json{{"_meta", "x"}}).choice, RevisionChoice::invalid_meta);
  EXPECT_EQ(select({}, json{{"_meta", {{"io.modelcontextprotocol/protocolVersion", 1}}}}).choice, RevisionChoice::invalid_meta);
}

TEST(ProtocolRevisionTest, RequiredMetaFields) {
  EXPECT_EQ(check_request_meta(params_naming("2026-07-28")).status, MetaStatus::ok);
  EXPECT_EQ(check_request_meta(json(nullptr)).status, MetaStatus::missing_protocol_version);
  auto params = params_naming("2026-07-28");
  params["_meta"].erase("io.modelcontextprotocol/clientCapabilities");
  EXPECT_EQ(check_request_meta(params).status, MetaStatus::missing_client_capabilities);
  params["_meta"]["io.modelcontextprotocol/clientCapabilities"] = json::array();
  EXPECT_EQ(check_request_meta(params).status, MetaStatus::client_capabilities_not_object);
  params = params_naming("2026-07-28");
  params["_meta"]["io.modelcontextprotocol/clientInfo"] = "me";
  EXPECT_EQ(check_request_meta(params).status, MetaStatus::client_info_malformed);
}

TEST(ProtocolRevisionTest, HeaderValuesDecodeTheBase64Sentinel) {
  EXPECT_EQ(decode_header_value("get_kpis"), "get_kpis");
  EXPECT_EQ(decode_header_value("=?base64?" + base64_encode("Hello, \xe4\xb8\x96\xe7\x95\x8c") + "?="), "Hello, \xe4\xb8\x96\xe7\x95\x8c");
  EXPECT_EQ(decode_header_value("=?base64?SGk?="), "Hi") << "padding may be dropped";
  EXPECT_EQ(decode_header_value("=?base64?!!!!?="), std::nullopt);
  EXPECT_EQ(decode_header_value("caf\xc3\xa9"), std::nullopt) << "non-ASCII must come encoded";
  EXPECT_EQ(decode_header_value("=?BASE64?SGk?="), "=?BASE64?SGk?=") << "the markers are case-sensitive";
}

TEST(ProtocolRevisionTest, MirroredHeadersMatchTheBody) {
  const std::vector<std::string_view> version{"2026-07-28"};
  const std::vector<std::string_view> none;
  const std::vector<std::string_view> call{"tools/call"};
  const std::vector<std::string_view> name{"get_kpis"};
  const json params = {{"name", "get_kpis"}};
  EXPECT_EQ(check_mirrored_headers({version, call, name}, "tools/call", params).status, HeaderStatus::ok);
  EXPECT_EQ(check_mirrored_headers({none, call, name}, "tools/call", params).status, HeaderStatus::missing_protocol_version);
  EXPECT_EQ(check_mirrored_headers({version, none, name}, "tools/call", params).status, HeaderStatus::missing_method);
  EXPECT_EQ(check_mirrored_headers({version, call, none}, "tools/call", params).status, HeaderStatus::missing_name);
  EXPECT_EQ(check_mirrored_headers({version, call, name}, "tools/list", params).status, HeaderStatus::method_mismatch);
  const std::vector<std::string_view> other{"other"};
  EXPECT_EQ(check_mirrored_headers({version, call, other}, "tools/call", params).status, HeaderStatus::name_mismatch);
  const std::vector<std::string_view> twice{"get_kpis", "get_kpis"};
  EXPECT_EQ(check_mirrored_headers({version, call, twice}, "tools/call", params).status, HeaderStatus::repeated);
  // resources/read mirrors uri; methods without a name need no Mcp-Name.
  const std::vector<std::string_view> read{"resources/read"};
  const std::vector<std::string_view> uri{"file:///a"};
  EXPECT_EQ(check_mirrored_headers({version, read, uri}, "resources/read", json{{"uri", "file:///a"}}).status, HeaderStatus::ok);
  const std::vector<std::string_view> list{"tools/list"};
  EXPECT_EQ(check_mirrored_headers({version, list, none}, "tools/list", json::object()).status, HeaderStatus::ok);
}

TEST(ProtocolRevisionTest, RemovedMethods) {
  for (const char* method : {"initialize", "notifications/initialized", "ping", "logging/setLevel", "resources/subscribe",
                             "resources/unsubscribe", "notifications/roots/list_changed"}) {
    EXPECT_TRUE(removed_in_stateless_revision(method)) << method;
  }
  EXPECT_FALSE(removed_in_stateless_revision("tools/list"));
  EXPECT_FALSE(removed_in_stateless_revision("server/discover"));
}

} // namespace
} // namespace mcpcert::connector
