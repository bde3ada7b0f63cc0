#include "mcpcert/config.hpp"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mcpcert {
namespace {

using ::testing::HasSubstr;

class ConfigTest : public ::testing::Test {
protected:
  std::filesystem::path write(const std::string& text) {
    auto name = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".json";
    path_ = std::filesystem::path(::testing::TempDir()) / name;
    std::ofstream(path_) << text;
    return path_;
  }
  ~ConfigTest() override {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove(path_, ec);
  }

  // Runs `f` and returns the ConfigError message it must throw.
  template <typename F> static std::string error_of(F f) {
    try {
      f();
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no ConfigError thrown";
    return {};
  }

  std::filesystem::path path_;
};

const char* const sample = R"({
  // comments are allowed
  "listen": {"host": "127.0.0.1", "port": 8080},
  /* and block comments */
  "debug": true,
  "tenants": [
    {"name": "acme", "region": "eu"},
    {"name": "globex", "region": 5}
  ]
})";

TEST_F(ConfigTest, LoadsJsonWithComments) {
  auto file = write(sample);
  auto json = ConfigNode::load_file(file);
  ConfigNode root(json, "", file.string());
  EXPECT_TRUE(root.optional_bool("debug", false));
  auto listen = root.require_object("listen");
  EXPECT_EQ(listen.path(), "listen");
  EXPECT_EQ(listen.require_string("host"), "127.0.0.1");
  EXPECT_EQ(listen.require_int("port", 0, 65535), 8080);
  EXPECT_EQ(listen.optional_int("backlog", 16, 1, 1024), 16);
  EXPECT_EQ(listen.optional_string("scheme", "http"), "http");
  auto tenants = root.require_array("tenants");
  ASSERT_EQ(tenants.size(), 2u);
  EXPECT_EQ(tenants[0].path(), "tenants[0]");
  EXPECT_EQ(tenants[0].require_string("region"), "eu");
  EXPECT_TRUE(root.optional_array("absent").empty());
  EXPECT_TRUE(root.has("tenants"));
  EXPECT_FALSE(root.has("absent"));
}

TEST_F(ConfigTest, ErrorsNameFileAndDottedPath) {
  auto file = write(sample);
  auto json = ConfigNode::load_file(file);
  ConfigNode root(json, "", file.string());
  auto tenants = root.require_array("tenants");

  EXPECT_THAT(error_of([&] { tenants[1].require_string("region"); }),
              HasSubstr(file.string() + ": tenants[1].region: "));
  EXPECT_THAT(error_of([&] { tenants[0].require_string("owner"); }),
              HasSubstr(file.string() + ": tenants[0].owner: "));
  auto listen = root.require_object("listen");
  EXPECT_THAT(error_of([&] { listen.require_int("port", 1, 1024); }), HasSubstr(": listen.port: "));
  EXPECT_THAT(error_of([&] { listen.require_int("host", 1, 1024); }), HasSubstr(": listen.host: "));
  EXPECT_THAT(error_of([&] { listen.optional_bool("host", false); }), HasSubstr(": listen.host: "));
  EXPECT_THAT(error_of([&] { root.require_object("debug"); }), HasSubstr(": debug: "));
  EXPECT_THAT(error_of([&] { root.require_array("listen"); }), HasSubstr(": listen: "));
}

TEST_F(ConfigTest, IntegerRangeAndType) {
  nlohmann::json json = {{"a", 5}, {"b", 2.5}, {"c", 18446744073709551615u}, {"d", -3}};
  ConfigNode node(json, "limits", "f.json");
  EXPECT_EQ(node.require_int("a", 5, 5), 5);
  EXPECT_EQ(node.require_int("d", -10, 0), -3);
  EXPECT_EQ(error_of([&] { node.require_int("a", 6, 10); }), "f.json: limits.a: must be an integer from 6 to 10");
  EXPECT_THAT(error_of([&] { node.require_int("b", 0, 10); }), HasSubstr("limits.b"));
  EXPECT_THAT(error_of([&] { node.require_int("c", 0, 10); }), HasSubstr("limits.c"));
  EXPECT_THAT(error_of([&] { node.optional_int("a", 1, 6, 10); }), HasSubstr("limits.a"));
}

TEST_F(ConfigTest, RejectsUnknownField) {
  nlohmann::json json = {{"host", "x"}, {"prot", 1}};
  ConfigNode node(json, "listen", "f.json");
  EXPECT_EQ(error_of([&] { node.reject_unknown({"host", "port"}); }), "f.json: listen.prot: unknown field");
  EXPECT_NO_THROW(node.reject_unknown({"host", "prot", "extra"}));
}

TEST_F(ConfigTest, SyntaxErrorNamesLine) {
  auto file = write("{\n  \"a\": 1,\n  \"b\": ,\n}\n");
  auto message = error_of([&] { ConfigNode::load_file(file); });
  EXPECT_THAT(message, HasSubstr(file.string()));
  EXPECT_THAT(message, HasSubstr("line 3"));
}

TEST_F(ConfigTest, MissingFileAndNonObject) {
  EXPECT_THAT(error_of([] { ConfigNode::load_file("/nonexistent/dir/x.json"); }),
              HasSubstr("/nonexistent/dir/x.json"));
  auto file = write("[1, 2]");
  EXPECT_THAT(error_of([&] { ConfigNode::load_file(file); }), HasSubstr(file.string()));
}

TEST_F(ConfigTest, RootFieldPathHasNoLeadingDot) {
  nlohmann::json json = nlohmann::json::object();
  ConfigNode root(json, "", "f.json");
  EXPECT_EQ(error_of([&] { root.require_string("name"); }), "f.json: name: is required");
}

} // namespace
} // namespace mcpcert
