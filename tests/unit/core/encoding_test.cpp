#include "mcpcert/encoding.hpp"

#include <gtest/gtest.h>

namespace mcpcert {
namespace {

TEST(Base64url, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    auto encoded = base64url_encode(bytes);
    EXPECT_EQ(encoded.find('='), std::string::npos);
    auto decoded = base64url_decode(encoded);
    ASSERT_TRUE(decoded) << encoded;
    EXPECT_EQ(*decoded, bytes);
    bytes += static_cast<char>(i * 37 + 200);
  }
}

TEST(Base64url, KnownVectors) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST(Base64url, RejectsPaddingAndForeignCharacters) {
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("Zm8="));
  EXPECT_FALSE(base64url_decode("+/8"));
  EXPECT_FALSE(base64url_decode("Zm 9v"));
  EXPECT_FALSE(base64url_decode("Zm9v\n"));
  EXPECT_FALSE(base64url_decode("Z"));
  EXPECT_FALSE(base64url_decode(std::string_view("Zm\0v", 4)));
}

TEST(Base64url, RejectsNonCanonicalTrailingBits) {
  EXPECT_TRUE(base64url_decode("Zg"));
  EXPECT_FALSE(base64url_decode("Zh"));
}

TEST(Hex, EncodesLowercase) { EXPECT_EQ(hex_encode(std::string_view("\x00\xab\xff", 3)), "00abff"); }

TEST(UrlEncode, KeepsOnlyUnreserved) {
  EXPECT_EQ(url_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(url_encode("a b&c=d/e?"), "a%20b%26c%3Dd%2Fe%3F");
  EXPECT_EQ(url_encode("\xc3\xa9"), "%C3%A9");
}

TEST(UrlDecode, DecodesEscapesAndPlus) {
  EXPECT_EQ(url_decode("a+b%20c%2f%2F"), "a b c//");
  EXPECT_FALSE(url_decode("%"));
  EXPECT_FALSE(url_decode("%2"));
  EXPECT_FALSE(url_decode("%zz"));
  EXPECT_FALSE(url_decode("ab%g1"));
}

TEST(UrlEncode, RoundTripsEveryByteBetweenRunsOfPlainText) {
  std::string text;
  for (int byte = 0; byte < 256; ++byte) {
    text += "run";
    text += static_cast<char>(byte);
  }
  const auto encoded = url_encode(text);
  EXPECT_EQ(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%"), std::string::npos);
  EXPECT_EQ(url_decode(encoded), text);
  EXPECT_EQ(url_encode(""), "");
  EXPECT_EQ(url_encode(" leading and trailing "), "%20leading%20and%20trailing%20");
  EXPECT_EQ(url_encode("ends plain"), "ends%20plain");
}

TEST(UrlDecode, HandlesEscapesAtEitherEndAndNone) {
  EXPECT_EQ(url_decode(""), "");
  EXPECT_EQ(url_decode("plain"), "plain");
  EXPECT_EQ(url_decode("%41bc%5A"), "AbcZ");
  EXPECT_EQ(url_decode("++"), "  ");
  EXPECT_FALSE(url_decode("abc%4"));
}

TEST(Form, ParsesFields) {
  auto form = parse_form("grant_type=authorization_code&code=abc%2B1&redirect_uri=http%3A%2F%2Fx&empty=&flag");
  ASSERT_EQ(form.status, FormStatus::ok);
  EXPECT_EQ(form.fields.at("grant_type"), "authorization_code");
  EXPECT_EQ(form.fields.at("code"), "abc+1");
  EXPECT_EQ(form.fields.at("redirect_uri"), "http://x");
  EXPECT_EQ(form.fields.at("empty"), "");
  EXPECT_EQ(form.fields.at("flag"), "");
  EXPECT_EQ(form.fields.size(), 5u);
}

TEST(Form, EmptyBodyHasNoFields) {
  auto form = parse_form("");
  EXPECT_EQ(form.status, FormStatus::ok);
  EXPECT_TRUE(form.fields.empty());
}

TEST(Form, ReportsRepeatedField) {
  auto form = parse_form("scope=a&client_id=x&scope=b");
  EXPECT_EQ(form.status, FormStatus::repeated_field);
  EXPECT_EQ(form.field, "scope");
}

TEST(Form, RepeatedAfterDecodingIsStillRepeated) {
  auto form = parse_form("code=1&c%6Fde=2");
  EXPECT_EQ(form.status, FormStatus::repeated_field);
  EXPECT_EQ(form.field, "code");
}

TEST(Form, ReportsBadEscapeWithFieldName) {
  auto form = parse_form("client_id=x&code_verifier=ab%zz");
  EXPECT_EQ(form.status, FormStatus::malformed_escape);
  EXPECT_EQ(form.field, "code_verifier");
}

TEST(Form, EncodeThenParseRoundTrips) {
  FormFields fields{{"a b", "c&d"}, {"e", "=/?"}, {"x", ""}};
  auto form = parse_form(encode_form(fields));
  ASSERT_EQ(form.status, FormStatus::ok);
  EXPECT_EQ(form.fields, fields);
}

} // namespace
} // namespace mcpcert

TEST(Base64, StandardAlphabetWithPadding) {
  // RFC 4648 section 10 test vectors.
  EXPECT_EQ(mcpcert::base64_encode(""), "");
  EXPECT_EQ(mcpcert::base64_encode("f"), "Zg==");
  EXPECT_EQ(mcpcert::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(mcpcert::base64_encode("foo"), "Zm9v");
  EXPECT_EQ(mcpcert::base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(mcpcert::base64_encode("\xfb\xff"), "+/8=");
}

TEST(Base64, DecodesStandardAlphabetWithPadding) {
  EXPECT_EQ(mcpcert::base64_decode(""), "");
  EXPECT_EQ(mcpcert::base64_decode("Zg=="), "f");
  EXPECT_EQ(mcpcert::base64_decode("Zm8="), "fo");
  EXPECT_EQ(mcpcert::base64_decode("Zm9v"), "foo");
  EXPECT_EQ(mcpcert::base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(mcpcert::base64_decode("+/8="), "\xfb\xff");
  const std::string bytes("\x00\x01\xfe\xff:z", 6);
  EXPECT_EQ(mcpcert::base64_decode(mcpcert::base64_encode(bytes)), bytes);
}

TEST(Base64, DecodeRefusesWhatIsNotPaddedStandardBase64) {
  EXPECT_FALSE(mcpcert::base64_decode("Zg"));     // padding missing
  EXPECT_FALSE(mcpcert::base64_decode("Zg="));    // length not a multiple of 4
  EXPECT_FALSE(mcpcert::base64_decode("Z==="));   // three padding characters
  EXPECT_FALSE(mcpcert::base64_decode("===="));
  EXPECT_FALSE(mcpcert::base64_decode("Zg=a"));   // data after padding
  EXPECT_FALSE(mcpcert::base64_decode("Zm9v=="));  // padding on a full quantum
  EXPECT_FALSE(mcpcert::base64_decode("-_8="));   // base64url symbols
  EXPECT_FALSE(mcpcert::base64_decode("Zm 9v"));
  EXPECT_FALSE(mcpcert::base64_decode("Zh=="));   // non-zero leftover bits: a second spelling of "f"
}
