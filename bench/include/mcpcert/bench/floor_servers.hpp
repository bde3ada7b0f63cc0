#pragma once
/// The floor the connector is measured against, each run as its own process
/// (as the connector is): a trivial HTTP/1.1 keep-alive server on core's
/// http::Server answering a tiny JSON-RPC result, and a trivial reverse proxy
/// on the same server that forwards every request over a pool of keep-alive
/// upstream connections. Client -> proxy -> trivial server is the shape of
/// client -> connector -> backend with none of the work.

#include <cstddef>
#include <string>

namespace mcpcert::bench {

/// The reply of the trivial server.
inline constexpr const char* floor_reply =
    R"({"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}],"isError":false}})";

/// Listens on 127.0.0.1:0, prints `READY {"url": ".../mcp"}`, serves until SIGTERM; the exit code.
/// With `reply_bytes` > 0 the result's text is padded so the reply is about that size
/// (the floor for large tool results).
int serve_trivial(std::size_t reply_bytes = 0);
/// The same, forwarding to `upstream_url` (http only).
int serve_proxy(const std::string& upstream_url);

} // namespace mcpcert::bench
