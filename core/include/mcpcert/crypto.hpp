#pragma once
/// Cryptographic primitives, through OpenSSL 3 EVP only.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace mcpcert {

std::string sha256(std::string_view bytes);
/// HMAC-SHA-256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);
/// HMAC-SHA-1: only where a standard fixes it (HOTP/TOTP, RFC 4226 and 6238).
std::string hmac_sha1(std::string_view key, std::string_view data);
/// Bytes from the operating system's CSPRNG (RAND_bytes).
std::string random_bytes(std::size_t n);
/// `n` random bytes as base64url text: session ids, codes, refresh tokens.
std::string random_token(std::size_t n = 32);
/// Compares secrets without leaking where they differ (CRYPTO_memcmp).
bool constant_time_equal(std::string_view a, std::string_view b);

/// A P-256 public key that verifies ES256 signatures.
class EcPublicKey {
public:
  /// From a JWK object (kty EC, crv P-256, x, y); nullopt when any member is missing or wrong.
  static std::optional<EcPublicKey> from_jwk(const nlohmann::json& jwk);
  /// `signature` is the JOSE form: 64 bytes, r || s (RFC 7518 section 3.4).
  bool verify_es256(std::string_view signing_input, std::string_view signature) const;
  /// The public point, x || y (64 bytes): two keys are the same key exactly when these are equal.
  std::string_view point() const;

  EcPublicKey(EcPublicKey&&) noexcept;
  EcPublicKey& operator=(EcPublicKey&&) noexcept;
  ~EcPublicKey();

private:
  struct Impl;
  explicit EcPublicKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class EcSigningKey;
};

/// A P-256 key pair that signs ES256.
class EcSigningKey {
public:
  static EcSigningKey generate(std::string kid);
  /// From a private JWK (with `d`); used for published test vectors.
  static std::optional<EcSigningKey> from_private_jwk(const nlohmann::json& jwk, std::string kid);

  const std::string& kid() const { return kid_; }
  /// JOSE-form signature (64 bytes, r || s).
  std::string sign_es256(std::string_view signing_input) const;
  /// The public point, x || y (64 bytes), as EcPublicKey::point().
  std::string_view point() const;
  /// Public JWK with kid, alg ES256, use sig.
  nlohmann::json public_jwk() const;
  /// The public JWK plus `d`: only for keeping the key where from_private_jwk reads it back.
  nlohmann::json private_jwk() const;
  EcPublicKey public_key() const;

  EcSigningKey(EcSigningKey&&) noexcept;
  EcSigningKey& operator=(EcSigningKey&&) noexcept;
  ~EcSigningKey();

private:
  struct Impl;
  EcSigningKey(std::unique_ptr<Impl> impl, std::string kid);
  std::unique_ptr<Impl> impl_;
  std::string kid_;
};

/// An Ed25519 key pair (RFC 8032): signs certification reports. Kept as a
/// PKCS#8 PEM file so the usual tools (openssl pkey) can read it too.
class Ed25519SigningKey {
public:
  static Ed25519SigningKey generate();
  /// From PKCS#8 PEM text; nullopt when it is not an Ed25519 private key.
  static std::optional<Ed25519SigningKey> from_private_pem(std::string_view pem);
  /// From the 32-byte secret key of RFC 8032 section 5.1.5; nullopt for any other size.
  static std::optional<Ed25519SigningKey> from_secret_key(std::string_view raw);

  std::string private_pem() const;
  /// The 32 raw bytes of the public key (RFC 8032 encoding).
  std::string public_key() const;
  /// The 64-byte signature of `message`.
  std::string sign(std::string_view message) const;

  Ed25519SigningKey(Ed25519SigningKey&&) noexcept;
  Ed25519SigningKey& operator=(Ed25519SigningKey&&) noexcept;
  ~Ed25519SigningKey();

private:
  struct Impl;
  explicit Ed25519SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Whether `signature` (64 bytes) is `public_key`'s (32 raw bytes) Ed25519
/// signature of `message`; false for keys or signatures of the wrong size.
bool verify_ed25519(std::string_view public_key, std::string_view message, std::string_view signature);

} // namespace mcpcert
