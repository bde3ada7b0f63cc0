#pragma once
/// Authenticated encryption for data at rest: AES-256-GCM through OpenSSL 3
/// EVP, with a fresh random 96-bit nonce per message.

#include <optional>
#include <string>
#include <string_view>

namespace mcpcert {

/// A 32-byte key; the sealed form is nonce (12) || ciphertext || tag (16).
class AeadKey {
public:
  /// nullopt unless `key` is exactly 32 bytes.
  static std::optional<AeadKey> from_bytes(std::string_view key);
  static AeadKey generate();

  /// `associated` is authenticated but not encrypted (e.g. the record's column name),
  /// so a ciphertext moved to another column no longer opens.
  std::string seal(std::string_view plaintext, std::string_view associated = {}) const;
  /// nullopt when the ciphertext, tag or associated data do not match.
  std::optional<std::string> open(std::string_view sealed, std::string_view associated = {}) const;

  const std::string& bytes() const { return key_; }

private:
  explicit AeadKey(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

} // namespace mcpcert
