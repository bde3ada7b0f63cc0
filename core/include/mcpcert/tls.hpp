#pragma once
/// TLS for the harness's servers: a loopback certificate made at start-up,
/// and a handshake probe that pins one protocol version (for TLS-MIN).

#include <chrono>
#include <cstdint>
#include <string>

namespace mcpcert {

/// A certificate chain and its private key, both PEM.
struct TlsIdentity {
  std::string certificate_pem;
  std::string private_key_pem;
};

/// A self-signed P-256 certificate for 127.0.0.1, ::1 and localhost, valid
/// for a year from now; generated in memory, never written by this call.
TlsIdentity generate_loopback_identity();

enum class TlsVersion { tls1_0, tls1_1, tls1_2, tls1_3 };
const char* to_string(TlsVersion version);

struct HandshakeProbe {
  bool completed = false;
  std::string negotiated_version; ///< e.g. "TLSv1.2" when completed
  std::string cipher;
  std::string error;              ///< why it failed, when it did
};

/// Connects to host:port and attempts a handshake offering exactly `version`
/// (with every cipher the client may use at that version, security level 0),
/// so only the server's own policy can refuse it. Certificates are not verified:
/// the probe asks "would the server talk this version", nothing else.
HandshakeProbe probe_tls_handshake(const std::string& host, std::uint16_t port, TlsVersion version,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5));

} // namespace mcpcert
