#pragma once
/// A server the harness started: spawned with its stdout piped so its READY
/// line can be read, stderr to a log file, ended with SIGTERM (or SIGKILL).

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

namespace mcpcert::client {

/// The first of `names` found as an executable in a directory of PATH, or
/// an empty path (tests skip what needs a program the machine lacks).
std::filesystem::path find_on_path(std::initializer_list<std::string_view> names);

class ChildProcess {
public:
  /// Starts `program` with `args`; extra environment entries as "NAME=value".
  static boost::system::result<ChildProcess> spawn(const std::filesystem::path& program, const std::vector<std::string>& args,
                                                   const std::filesystem::path& stderr_log,
                                                   const std::vector<std::string>& extra_env = {});

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  /// Reads stdout until a line starting with "READY " arrives; returns the rest
  /// of it, or nullopt on exit, EOF or deadline.
  std::optional<std::string> wait_ready(std::chrono::milliseconds deadline);
  /// Reads stdout until the child closes it (a command that prints and exits);
  /// nullopt on deadline.
  std::optional<std::string> read_all(std::chrono::milliseconds deadline);
  /// Waits for the child to exit by itself; its exit code (-1 when a signal
  /// ended it), or nullopt if it still runs at the deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds deadline);
  /// SIGTERM, then SIGKILL if it has not exited within `grace`; returns the exit status.
  int terminate(std::chrono::milliseconds grace = std::chrono::seconds(5));
  /// SIGKILL at once, as a crash would.
  void kill();
  bool running();
  int pid() const { return pid_; }

private:
  enum class ReadStatus { data, closed, timed_out };
  /// One read of stdout into pending_, waiting at most until `until`.
  ReadStatus read_more(std::chrono::steady_clock::time_point until);
  ChildProcess(int pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}
  int pid_ = -1;
  int stdout_fd_ = -1;
  std::string pending_;
  std::optional<int> exit_status_;
};

} // namespace mcpcert::client
