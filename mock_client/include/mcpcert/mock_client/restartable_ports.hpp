#pragma once
/// Loopback ports for the servers a world restarts on the same address.

#include <cstdint>
#include <optional>

namespace mcpcert::client {

/// A free loopback port below the kernel's ephemeral range, at random among
/// thousands, not handed out again until released: neither by this process
/// nor by another harness process on the machine. The kernel hands out
/// ports for connect() and for bind() to port 0 from the ephemeral range
/// only, so a server restarted on one of these finds it free again unless
/// another process chose the same one on purpose; a port the kernel picked
/// at the first start may meanwhile be some connection's local port.
/// Empty when no free one turned up.
std::optional<std::uint16_t> pick_restartable_port();
/// Once its world is gone: the port may be handed out again.
void release_restartable_port(std::uint16_t port);

} // namespace mcpcert::client
