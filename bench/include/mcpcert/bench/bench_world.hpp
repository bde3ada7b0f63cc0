#pragma once
/// The processes one benchmark run measures: the mock backend with the
/// emea-finance tenant, any number of reference connectors in front of it
/// (each its own configuration), the floor servers and the official SDK's
/// server, all on loopback ephemeral ports under one private directory.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/mock_client/child_process.hpp"

namespace mcpcert::bench {

/// How a connector instance differs from the deployment default (HTTPS, sealed log).
struct ConnectorVariant {
  std::string name;
  bool tls = true;
  bool log = true;
  /// Test-only mutants (`--test-only-mutant`), used only to price a guarantee by switching it off.
  std::vector<std::string> mutants;
};

struct RunningServer {
  std::string name;
  std::string url;             ///< what the load generator calls
  std::string certificate_pem; ///< pinned when the URL is https
  int pid = -1;
};

/// CPU time (user + system) and resident memory of a process, from /proc.
struct ProcessSample {
  double cpu_seconds = 0;
  std::uint64_t rss_bytes = 0;
};
std::optional<ProcessSample> sample_process(int pid);
/// A file's whole text; empty when it can't be read.
std::string read_text(const std::filesystem::path& file);

/// The large-result workload: list_situations of an entity whose situations,
/// as the tenant API returns them, come to about this many bytes.
inline constexpr std::size_t large_result_bytes = 1024 * 1024;

class BenchWorld {
public:
  struct Paths {
    std::filesystem::path backend_binary;
    std::filesystem::path connector_binary;
    std::filesystem::path self_binary; ///< mcpcert-bench, for the floor servers
    std::filesystem::path fixture;     ///< emea-finance.json
    std::filesystem::path node_binary; ///< empty: no SDK server
    std::filesystem::path node_modules;
    std::filesystem::path sdk_script;
  };

  /// Starts the backend; throws std::runtime_error with the reason.
  BenchWorld(Paths paths, std::filesystem::path directory);
  ~BenchWorld();
  BenchWorld(const BenchWorld&) = delete;
  BenchWorld& operator=(const BenchWorld&) = delete;

  /// Starts a connector with `variant` and registers its MCP URL at the issuer.
  RunningServer start_connector(const ConnectorVariant& variant);
  /// The trivial server, and a proxy in front of `upstream_url`.
  /// `reply_bytes` > 0: a trivial server whose reply is about that large.
  RunningServer start_trivial(std::size_t reply_bytes = 0);
  RunningServer start_proxy(const std::string& upstream_url, const std::string& name = "proxy");
  /// The call-shape floor (floor_servers.hpp) in front of `upstream_url`, its records in the run directory.
  RunningServer start_call_shape(const std::string& upstream_url);
  /// The official SDK's Streamable HTTP server with get_kpis in front of the backend.
  RunningServer start_sdk_server();
  /// Alice's access token for the MCP URL `resource` (authorization code + PKCE, through the forms).
  std::string user_token(const RunningServer& server, const std::string& resource);

  const std::string& issuer() const { return issuer_; }
  const std::string& api() const { return api_; }
  const std::filesystem::path& directory() const { return directory_; }

private:
  RunningServer spawn(const std::string& name, const std::filesystem::path& program, const std::vector<std::string>& args,
                      const std::vector<std::string>& env, const char* url_field);
  void control_post(const std::string& path, const nlohmann::json& body);

  Paths paths_;
  std::filesystem::path directory_;
  std::string control_url_;
  std::string control_secret_;
  std::string connector_secret_;
  std::string issuer_;
  std::string api_;
  std::string alice_password_;
  std::map<std::string, client::ChildProcess> processes_;
  std::vector<std::string> started_; ///< in start order, stopped in reverse
};

} // namespace mcpcert::bench
