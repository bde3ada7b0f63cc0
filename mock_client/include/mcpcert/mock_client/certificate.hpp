#pragma once
/// Signed certification reports: the JSON report carries an Ed25519
/// signature over its own canonical form, and the public key that made it,
/// so `mcpcert verify` can tell an untouched report from an edited one.
/// Who holds the key is a matter of trust outside the report (see
/// docs/certification.md): pin the key's fingerprint to know who signed.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mcpcert/crypto.hpp"

namespace mcpcert::client {

/// $MCPCERT_SIGNING_KEY, else $XDG_CONFIG_HOME/mcpcert/signing-key.pem, else
/// ~/.config/mcpcert/signing-key.pem.
std::filesystem::path default_signing_key_path();

struct SigningKeyOutcome {
  std::optional<Ed25519SigningKey> key;
  bool created = false; ///< the file did not exist and was made (mode 0600)
  std::string problem;  ///< why there is no key; empty on success
};
/// Reads the PEM key at `file`, or makes one there when the file does not exist.
SigningKeyOutcome load_or_create_signing_key(const std::filesystem::path& file);

/// "sha256:" and the hex SHA-256 of the raw public key: what a verifier pins.
std::string key_fingerprint(std::string_view public_key);

/// The bytes a signature covers: the report without its "signature" member,
/// as compact JSON with object keys sorted (nlohmann's order), invalid UTF-8 replaced.
std::string canonical_report(const nlohmann::json& report);

/// Adds report["signature"] = {algorithm, public_key, key_fingerprint, value, canonical}.
void sign_report(nlohmann::json& report, const Ed25519SigningKey& key);

struct ReportCheck {
  bool intact = false;
  std::string problem;         ///< why not, in a sentence; empty when intact
  std::string key_fingerprint; ///< of the key the report names
};
/// Checks the signature against the public key the report carries, and that
/// key against `expected_fingerprint` when given.
ReportCheck verify_report(const nlohmann::json& report, const std::string& expected_fingerprint = {});

} // namespace mcpcert::client
