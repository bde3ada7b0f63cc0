#include "mcpcert/mock_client/restartable_ports.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>

namespace mcpcert::client {

namespace {

// A port stays handed out while its world lives: free while a server is down
// for a restart, it must not go to another world then. Each holds its
// reservation's socket (below).
std::mutex handed_out_mutex;
std::map<std::uint16_t, int> handed_out;

// Other harness processes pick from the same range: parallel test jobs, or
// two pipelines on one CI machine. Between a pick and the server's bind the
// port is free, so each process also claims the port by binding an abstract
// Unix socket named after it. The kernel lets one socket hold a name and
// drops it when the holder closes it or dies, so a crashed run leaves nothing
// behind, and the names live in the network namespace, as the ports do.
int reserve_across_processes(std::uint16_t port) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const std::string name = "mcpcert-restartable-port-" + std::to_string(port);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::copy(name.begin(), name.end(), address.sun_path + 1); // sun_path[0] stays 0: the abstract namespace
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool bindable_on_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return bound;
}

} // namespace

std::optional<std::uint16_t> pick_restartable_port() {
  // Below the usual registered services, above nothing a test machine runs.
  constexpr int first = 10000;
  int ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  const int last = std::min(ephemeral_low - 1, 65535);
  if (last - first < 1000) return std::nullopt;

  // Seeded afresh on each pick: a process forked from this one must not draw
  // the same ports in the same order.
  std::mt19937 random{std::random_device{}()};
  std::lock_guard lock(handed_out_mutex);
  std::uniform_int_distribution<int> pick(first, last);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<std::uint16_t>(pick(random));
    if (handed_out.contains(port)) continue;
    const int reservation = reserve_across_processes(port);
    if (reservation < 0) continue; // another harness process has it
    if (!bindable_on_loopback(port)) {
      ::close(reservation);
      continue;
    }
    handed_out.emplace(port, reservation);
    return port;
  }
  return std::nullopt;
}

void release_restartable_port(std::uint16_t port) {
  std::lock_guard lock(handed_out_mutex);
  const auto found = handed_out.find(port);
  if (found == handed_out.end()) return;
  ::close(found->second);
  handed_out.erase(found);
}

} // namespace mcpcert::client
