#include "mcpcert/mock_client/restartable_ports.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <random>
#include <set>

namespace mcpcert::client {

namespace {

// A port stays handed out while its world lives: free while a server is down
// for a restart, it must not go to another world then.
std::mutex handed_out_mutex;
std::set<std::uint16_t> handed_out;

} // namespace

std::optional<std::uint16_t> pick_restartable_port() {
  // Below the usual registered services, above nothing a test machine runs.
  constexpr int first = 10000;
  int ephemeral_low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral_low;
  const int last = std::min(ephemeral_low - 1, 65535);
  if (last - first < 1000) return std::nullopt;

  static std::mt19937 random{std::random_device{}()};
  std::lock_guard lock(handed_out_mutex);
  std::uniform_int_distribution<int> pick(first, last);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<std::uint16_t>(pick(random));
    if (handed_out.contains(port)) continue;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::nullopt;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    if (bound) {
      handed_out.insert(port);
      return port;
    }
  }
  return std::nullopt;
}

void release_restartable_port(std::uint16_t port) {
  std::lock_guard lock(handed_out_mutex);
  handed_out.erase(port);
}

} // namespace mcpcert::client
