#include "mcpcert/mock_client/http_agent.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpcert::client {
namespace {

TEST(Transcript, MasksSecretsButKeepsThemComparable) {
  Transcript transcript;
  HttpCall call{"POST", "http://127.0.0.1:1/token?code=abc123",
                {{"Authorization", "Bearer eyJhbGciOi.payload.sig"}, {"Content-Type", "application/x-www-form-urlencoded"}},
                "grant_type=authorization_code&code=abc123&code_verifier=verysecret&password=hunter2"};
  HttpReply reply;
  reply.status = 200;
  reply.body = R"({"access_token":"tok-1","refresh_token":"tok-2","token_type":"Bearer"})";
  transcript.record(call, reply);
  const auto text = transcript.all().dump();
  for (const char* secret : {"abc123", "eyJhbGciOi", "verysecret", "hunter2", "tok-1", "tok-2"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " leaked in " << text;
  }
  EXPECT_THAT(text, testing::HasSubstr("grant_type=authorization_code"));
  EXPECT_THAT(text, testing::HasSubstr("Bearer <secret:"));
  EXPECT_EQ(mask_secret("same"), mask_secret("same"));
  EXPECT_NE(mask_secret("same"), mask_secret("other"));
}

} // namespace
} // namespace mcpcert::client

namespace mcpcert::client {
namespace {

TEST(Transcript, LeavesJsonRpcErrorCodesAndOtherFieldsAlone) {
  Transcript transcript;
  HttpReply reply;
  reply.status = 403;
  reply.body = R"({"error":{"code":-32001,"message":"permission denied"},"id":3,"jsonrpc":"2.0"})";
  transcript.record({"GET", "http://127.0.0.1:1/authorize?code_challenge=abc&state=xyz", {}, ""}, reply);
  const auto text = transcript.all().dump();
  EXPECT_THAT(text, testing::HasSubstr("-32001"));
  EXPECT_THAT(text, testing::HasSubstr("code_challenge=abc&state=xyz"));
}

} // namespace
} // namespace mcpcert::client
