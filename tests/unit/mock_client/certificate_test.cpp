#include "mcpcert/mock_client/certificate.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpcert::client {
namespace {

using testing::HasSubstr;

nlohmann::json a_report() {
  return {{"harness", {{"name", "mcpcert"}, {"version", "0.1.0"}}},
          {"profile", {{"name", "emasphere-2026-05-28"}, {"sha256", std::string(64, 'a')}}},
          {"claims", {{{"id", "ACCESS-TTL"}, {"verdict", "PASSED"}}, {{"id", "NO-TRAINING"}, {"verdict", "REVIEW"}}}},
          {"summary", {{"failed", 0}, {"result", "CERTIFIED"}}}};
}

TEST(SignedReports, VerifyOnlyWhenUntouched) {
  const auto key = Ed25519SigningKey::generate();
  auto report = a_report();
  sign_report(report, key);
  EXPECT_TRUE(verify_report(report).intact) << verify_report(report).problem;
  // A report survives being written and read back: the canonical form is that of the parsed JSON.
  EXPECT_TRUE(verify_report(nlohmann::json::parse(report.dump(2))).intact);

  auto edited = report;
  edited["claims"][0]["verdict"] = "FAILED";
  EXPECT_THAT(verify_report(edited).problem, HasSubstr("changed after signing"));
  edited = report;
  edited["summary"]["note"] = "added later";
  EXPECT_FALSE(verify_report(edited).intact);

  // Re-signing with another key is detected only by pinning the key: the trust model in one line.
  auto forged = report;
  forged["claims"][0]["verdict"] = "FAILED";
  sign_report(forged, Ed25519SigningKey::generate());
  EXPECT_TRUE(verify_report(forged).intact);
  const auto pinned = report["signature"]["key_fingerprint"].get<std::string>();
  EXPECT_TRUE(verify_report(report, pinned).intact);
  EXPECT_THAT(verify_report(forged, pinned).problem, HasSubstr("not by the expected"));
}

TEST(SignedReports, RefuseMissingOrMalformedSignatures) {
  EXPECT_THAT(verify_report(a_report()).problem, HasSubstr("carries no signature"));
  EXPECT_FALSE(verify_report(nlohmann::json::array()).intact);
  auto report = a_report();
  sign_report(report, Ed25519SigningKey::generate());
  auto wrong = report;
  wrong["signature"]["algorithm"] = "none";
  EXPECT_THAT(verify_report(wrong).problem, HasSubstr("not Ed25519"));
  wrong = report;
  wrong["signature"]["value"] = "AAAA";
  EXPECT_FALSE(verify_report(wrong).intact);
  wrong = report;
  wrong["signature"]["key_fingerprint"] = "sha256:00";
  EXPECT_THAT(verify_report(wrong).problem, HasSubstr("does not match its public_key"));
}

TEST(SigningKeys, AreMadeOncePrivateAndThenReused) {
  const auto dir = std::filesystem::temp_directory_path() / ("signing-key-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto file = dir / "nested" / "key.pem";
  auto made = load_or_create_signing_key(file);
  ASSERT_TRUE(made.key) << made.problem;
  EXPECT_TRUE(made.created);
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto again = load_or_create_signing_key(file);
  ASSERT_TRUE(again.key);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.key->public_key(), made.key->public_key());
  std::ofstream(file, std::ios::trunc) << "garbage";
  EXPECT_THAT(load_or_create_signing_key(file).problem, HasSubstr("not an Ed25519 private key"));
  std::filesystem::remove_all(dir);
}

} // namespace
} // namespace mcpcert::client
