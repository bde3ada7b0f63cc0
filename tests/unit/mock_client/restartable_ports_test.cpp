// Restartable ports: where they come from and what they must never be.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "mcpcert/mock_client/restartable_ports.hpp"

namespace mcpcert::client {
namespace {

int ephemeral_low() {
  int low = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
  return low;
}

/// A socket bound to 127.0.0.1:port, as another process's server would hold it.
struct HeldPort {
  explicit HeldPort(std::uint16_t port) : fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    bound = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~HeldPort() {
    if (fd >= 0) ::close(fd);
  }
  HeldPort(const HeldPort&) = delete;
  HeldPort& operator=(const HeldPort&) = delete;
  int fd;
  bool bound = false;
};

/// 300 picks, none of them in `avoided`; handed back afterwards.
void picks_avoid(const std::set<std::uint16_t>& avoided, const char* whose) {
  std::vector<std::uint16_t> picked;
  for (int i = 0; i < 300; ++i) {
    auto port = pick_restartable_port();
    ASSERT_TRUE(port);
    EXPECT_FALSE(avoided.contains(*port)) << *port << " is " << whose;
    picked.push_back(*port);
  }
  for (auto port : picked) release_restartable_port(port);
}

TEST(RestartablePorts, LieBelowTheEphemeralRangeAndAreNotHandedOutTwice) {
  // 600 picks at random among ~22,000 ports would repeat one about eight
  // times if nothing kept track; the chance of no repeat is about 1 in 3,000.
  std::set<std::uint16_t> picked;
  for (int i = 0; i < 600; ++i) {
    auto port = pick_restartable_port();
    ASSERT_TRUE(port);
    EXPECT_GE(*port, 10000);
    EXPECT_LT(*port, ephemeral_low()) << "the kernel may give this port to any connection";
    EXPECT_TRUE(picked.insert(*port).second) << *port << " handed out twice";
  }
  for (auto port : picked) release_restartable_port(port);
}

TEST(RestartablePorts, APortAnotherServerHoldsIsNeverPicked) {
  // 600 of the range's ~22,000 ports held: 300 picks that did not check
  // would land on one about 8 times; the chance of none is about 1 in 4,000.
  std::mt19937 random{std::random_device{}()};
  std::uniform_int_distribution<int> any(10000, ephemeral_low() - 1);
  std::vector<std::unique_ptr<HeldPort>> held;
  std::set<std::uint16_t> held_ports;
  while (held.size() < 600) {
    const auto port = static_cast<std::uint16_t>(any(random));
    auto socket = std::make_unique<HeldPort>(port);
    if (!socket->bound) continue;
    held_ports.insert(port);
    held.push_back(std::move(socket));
  }
  picks_avoid(held_ports, "bound by another socket");
}

TEST(RestartablePorts, APortAnotherHarnessProcessPickedIsNeverPicked) {
  // Another process (a parallel test job) picks 600 ports and holds them
  // without binding them yet, as a world does before its servers start.
  int ports_out[2];
  int hold[2];
  ASSERT_EQ(::pipe(ports_out), 0);
  ASSERT_EQ(::pipe(hold), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ports_out[0]);
    ::close(hold[1]);
    for (int i = 0; i < 600; ++i) {
      auto port = pick_restartable_port();
      const std::uint16_t value = port.value_or(0);
      if (::write(ports_out[1], &value, sizeof value) != sizeof value) ::_exit(1);
    }
    ::close(ports_out[1]);
    char byte;
    while (::read(hold[0], &byte, 1) > 0) {} // until the parent is done
    ::_exit(0);
  }
  ::close(ports_out[1]);
  ::close(hold[0]);
  std::set<std::uint16_t> theirs;
  std::uint16_t value = 0;
  while (::read(ports_out[0], &value, sizeof value) == sizeof value) theirs.insert(value);
  ::close(ports_out[0]);
  ASSERT_EQ(theirs.size(), 600u);
  ASSERT_FALSE(theirs.contains(0)) << "the other process found no port";

  // 300 picks that ignored the other process would land on one of its 600
  // about 8 times; the chance of none is about 1 in 4,000.
  picks_avoid(theirs, "the other process's");
  ::close(hold[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

} // namespace
} // namespace mcpcert::client
