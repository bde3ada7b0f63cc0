#include "mcpcert/mock_client/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>
#include <thread>

extern char** environ;

namespace mcpcert::client {

std::filesystem::path find_on_path(std::initializer_list<std::string_view> names) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    for (const auto name : names) {
      const auto candidate = std::filesystem::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return {};
}

namespace {
boost::system::error_code last_error() { return {errno, boost::system::system_category()}; }
} // namespace

boost::system::result<ChildProcess> ChildProcess::spawn(const std::filesystem::path& program,
                                                        const std::vector<std::string>& args,
                                                        const std::filesystem::path& stderr_log,
                                                        const std::vector<std::string>& extra_env) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return last_error();
  const int log_fd = ::open(stderr_log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    const auto ec = last_error();
    ::close(out[0]);
    ::close(out[1]);
    return ec;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

  std::vector<std::string> argv_storage{program.string()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) env_storage.emplace_back(*entry);
  env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(log_fd);
  if (rc != 0) {
    ::close(out[0]);
    return boost::system::error_code{rc, boost::system::system_category()};
  }
  return ChildProcess(pid, out[0]);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      stdout_fd_(std::exchange(other.stdout_fd_, -1)),
      pending_(std::move(other.pending_)),
      exit_status_(other.exit_status_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) terminate();
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
    pid_ = std::exchange(other.pid_, -1);
    stdout_fd_ = std::exchange(other.stdout_fd_, -1);
    pending_ = std::move(other.pending_);
    exit_status_ = other.exit_status_;
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) terminate();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

ChildProcess::ReadStatus ChildProcess::read_more(std::chrono::steady_clock::time_point until) {
  if (stdout_fd_ < 0) return ReadStatus::closed;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return ReadStatus::timed_out;
    pollfd fd{stdout_fd_, POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return ReadStatus::timed_out;
    char buffer[4096];
    const auto n = ::read(stdout_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ReadStatus::closed; // the child exited or closed its stdout
    pending_.append(buffer, static_cast<std::size_t>(n));
    return ReadStatus::data;
  }
}

std::optional<std::string> ChildProcess::wait_ready(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    for (auto newline = pending_.find('\n'); newline != std::string::npos; newline = pending_.find('\n')) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      if (line.rfind("READY ", 0) == 0) return line.substr(6);
    }
    if (read_more(until) != ReadStatus::data) return std::nullopt;
  }
}

std::optional<std::string> ChildProcess::read_all(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    switch (read_more(until)) {
    case ReadStatus::data: break;
    case ReadStatus::closed: return std::exchange(pending_, {});
    case ReadStatus::timed_out: return std::nullopt;
    }
  }
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (running()) {
    if (std::chrono::steady_clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5)); // waitpid has no timeout; poll briefly
  }
  if (!exit_status_) return std::nullopt;
  return WIFEXITED(*exit_status_) ? WEXITSTATUS(*exit_status_) : -1;
}

bool ChildProcess::running() {
  if (pid_ <= 0 || exit_status_) return false;
  int status = 0;
  const auto rc = ::waitpid(pid_, &status, WNOHANG);
  if (rc == pid_) {
    exit_status_ = status;
    return false;
  }
  return rc == 0;
}

int ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return exit_status_.value_or(-1);
  if (running()) {
    ::kill(pid_, SIGTERM);
    const auto until = std::chrono::steady_clock::now() + grace;
    while (running() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5)); // waitpid has no timeout; poll briefly
    }
  }
  kill();
  return exit_status_.value_or(-1);
}

void ChildProcess::kill() {
  if (pid_ <= 0) return;
  if (running()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_status_ = status;
  }
  pid_ = -1;
}

} // namespace mcpcert::client
