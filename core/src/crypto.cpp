#include "mcpcert/crypto.hpp"

#include <array>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "mcpcert/encoding.hpp"

namespace mcpcert {
namespace {

constexpr std::size_t coord_size = 32; // P-256 field element and ECDSA r, s

template <auto Free> struct Deleter {
  template <typename T> void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using SigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;

// Internal OpenSSL failures (allocation, missing provider) are not input
// errors: nothing sensible can continue after them.
[[noreturn]] void openssl_failure(const char* what) {
  throw std::runtime_error(std::string("OpenSSL failure: ") + what);
}

const unsigned char* bytes_of(std::string_view s) {
  static const unsigned char empty = 0;
  return s.empty() ? &empty : reinterpret_cast<const unsigned char*>(s.data());
}

std::optional<std::string> jwk_coordinate(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  auto bytes = base64url_decode(it->get_ref<const std::string&>());
  if (!bytes || bytes->size() != coord_size) return std::nullopt;
  return bytes;
}

bool jwk_member_is(const nlohmann::json& jwk, const char* name, std::string_view expected, bool required) {
  auto it = jwk.find(name);
  if (it == jwk.end()) return !required;
  return it->is_string() && it->get_ref<const std::string&>() == expected;
}

// kty and crv must match; alg and use, when present, must allow ES256 signing.
bool jwk_is_p256_sig(const nlohmann::json& jwk) {
  return jwk.is_object() && jwk_member_is(jwk, "kty", "EC", true) &&
         jwk_member_is(jwk, "crv", "P-256", true) && jwk_member_is(jwk, "alg", "ES256", false) &&
         jwk_member_is(jwk, "use", "sig", false);
}

// Builds an EC P-256 key from coordinates and optionally the private scalar;
// refuses points that are not on the curve and mismatched key pairs.
PkeyPtr import_p256(const std::string& x, const std::string& y, const std::string* d) {
  std::string point;
  point.reserve(1 + 2 * coord_size);
  point += '\x04';
  point += x;
  point += y;

  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld) openssl_failure("OSSL_PARAM_BLD_new");
  BnPtr priv;
  if (!OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1, 0) ||
      !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()))
    openssl_failure("OSSL_PARAM_BLD_push");
  if (d) {
    priv.reset(BN_bin2bn(bytes_of(*d), static_cast<int>(d->size()), nullptr));
    if (!priv || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv.get()))
      openssl_failure("OSSL_PARAM_BLD_push_BN");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (!params) openssl_failure("OSSL_PARAM_BLD_to_param");

  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0) openssl_failure("EVP_PKEY_fromdata_init");
  EVP_PKEY* raw = nullptr;
  int selection = d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) <= 0) return nullptr;
  PkeyPtr pkey(raw);

  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!check) openssl_failure("EVP_PKEY_CTX_new_from_pkey");
  int ok = d ? EVP_PKEY_check(check.get()) : EVP_PKEY_public_check(check.get());
  if (ok != 1) return nullptr;
  return pkey;
}

std::string bn_coordinate(const EVP_PKEY* pkey, const char* name) {
  BIGNUM* raw = nullptr;
  if (!EVP_PKEY_get_bn_param(pkey, name, &raw)) openssl_failure("EVP_PKEY_get_bn_param");
  BnPtr bn(raw);
  std::string out(coord_size, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), coord_size) < 0)
    openssl_failure("BN_bn2binpad");
  return out;
}

// JOSE carries r || s; OpenSSL speaks DER ECDSA-Sig-Value.
std::optional<std::string> jose_to_der(std::string_view sig) {
  if (sig.size() != 2 * coord_size) return std::nullopt;
  SigPtr ecdsa(ECDSA_SIG_new());
  BnPtr r(BN_bin2bn(bytes_of(sig), coord_size, nullptr));
  BnPtr s(BN_bin2bn(bytes_of(sig) + coord_size, coord_size, nullptr));
  if (!ecdsa || !r || !s || !ECDSA_SIG_set0(ecdsa.get(), r.get(), s.get())) openssl_failure("ECDSA_SIG_set0");
  r.release();
  s.release();
  int len = i2d_ECDSA_SIG(ecdsa.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(ecdsa.get(), &out) != len) return std::nullopt;
  return der;
}

std::string der_to_jose(const unsigned char* der, std::size_t len) {
  const unsigned char* p = der;
  SigPtr ecdsa(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len)));
  if (!ecdsa) openssl_failure("d2i_ECDSA_SIG");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(ecdsa.get(), &r, &s);
  std::string out(2 * coord_size, '\0');
  auto* buf = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, buf, coord_size) < 0 || BN_bn2binpad(s, buf + coord_size, coord_size) < 0)
    openssl_failure("BN_bn2binpad");
  return out;
}

} // namespace

std::string sha256(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (!EVP_Digest(bytes_of(bytes), bytes.size(), md.data(), &len, EVP_sha256(), nullptr))
    openssl_failure("EVP_Digest");
  return {reinterpret_cast<const char*>(md.data()), len};
}

namespace {
std::string hmac(const char* digest, std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  std::size_t len = 0;
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, bytes_of(key), key.size(), bytes_of(data), data.size(),
                 mac.data(), mac.size(), &len))
    openssl_failure("EVP_Q_mac");
  return {reinterpret_cast<const char*>(mac.data()), len};
}
} // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) { return hmac("SHA256", key, data); }

std::string hmac_sha1(std::string_view key, std::string_view data) { return hmac("SHA1", key, data); }

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    openssl_failure("RAND_bytes");
  return out;
}

std::string random_token(std::size_t n) { return base64url_encode(random_bytes(n)); }

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Only the length leaks, and secrets compared here have public lengths.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct EcPublicKey::Impl {
  PkeyPtr pkey;
  std::string point; // x || y
};

EcPublicKey::EcPublicKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EcPublicKey::EcPublicKey(EcPublicKey&&) noexcept = default;
EcPublicKey& EcPublicKey::operator=(EcPublicKey&&) noexcept = default;
EcPublicKey::~EcPublicKey() = default;

std::optional<EcPublicKey> EcPublicKey::from_jwk(const nlohmann::json& jwk) {
  if (!jwk_is_p256_sig(jwk)) return std::nullopt;
  auto x = jwk_coordinate(jwk, "x");
  auto y = jwk_coordinate(jwk, "y");
  if (!x || !y) return std::nullopt;
  auto pkey = import_p256(*x, *y, nullptr);
  if (!pkey) return std::nullopt;
  return EcPublicKey(std::make_unique<Impl>(Impl{std::move(pkey), *x + *y}));
}

std::string_view EcPublicKey::point() const { return impl_ ? std::string_view(impl_->point) : std::string_view{}; }

bool EcPublicKey::verify_es256(std::string_view signing_input, std::string_view signature) const {
  if (!impl_) return false;
  auto der = jose_to_der(signature);
  if (!der) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->pkey.get()) != 1)
    openssl_failure("EVP_DigestVerifyInit");
  return EVP_DigestVerify(ctx.get(), bytes_of(*der), der->size(), bytes_of(signing_input),
                          signing_input.size()) == 1;
}

struct EcSigningKey::Impl {
  PkeyPtr pkey;
  std::string point; // x || y of the public key
};

EcSigningKey::EcSigningKey(std::unique_ptr<Impl> impl, std::string kid)
    : impl_(std::move(impl)), kid_(std::move(kid)) {}
EcSigningKey::EcSigningKey(EcSigningKey&&) noexcept = default;
EcSigningKey& EcSigningKey::operator=(EcSigningKey&&) noexcept = default;
EcSigningKey::~EcSigningKey() = default;

EcSigningKey EcSigningKey::generate(std::string kid) {
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", SN_X9_62_prime256v1));
  if (!pkey) openssl_failure("EVP_PKEY_Q_keygen");
  auto point = bn_coordinate(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X) + bn_coordinate(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
  return {std::make_unique<Impl>(Impl{std::move(pkey), std::move(point)}), std::move(kid)};
}

std::optional<EcSigningKey> EcSigningKey::from_private_jwk(const nlohmann::json& jwk, std::string kid) {
  if (!jwk_is_p256_sig(jwk)) return std::nullopt;
  auto x = jwk_coordinate(jwk, "x");
  auto y = jwk_coordinate(jwk, "y");
  auto d = jwk_coordinate(jwk, "d");
  if (!x || !y || !d) return std::nullopt;
  auto pkey = import_p256(*x, *y, &*d);
  OPENSSL_cleanse(d->data(), d->size());
  if (!pkey) return std::nullopt;
  return EcSigningKey(std::make_unique<Impl>(Impl{std::move(pkey), *x + *y}), std::move(kid));
}

std::string EcSigningKey::sign_es256(std::string_view signing_input) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->pkey.get()) != 1)
    openssl_failure("EVP_DigestSignInit");
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, bytes_of(signing_input), signing_input.size()) != 1)
    openssl_failure("EVP_DigestSign");
  std::string der(len, '\0');
  auto* buf = reinterpret_cast<unsigned char*>(der.data());
  if (EVP_DigestSign(ctx.get(), buf, &len, bytes_of(signing_input), signing_input.size()) != 1)
    openssl_failure("EVP_DigestSign");
  return der_to_jose(buf, len);
}

nlohmann::json EcSigningKey::public_jwk() const {
  return {
      {"kty", "EC"},
      {"crv", "P-256"},
      {"x", base64url_encode(bn_coordinate(impl_->pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X))},
      {"y", base64url_encode(bn_coordinate(impl_->pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y))},
      {"kid", kid_},
      {"alg", "ES256"},
      {"use", "sig"},
  };
}

nlohmann::json EcSigningKey::private_jwk() const {
  auto jwk = public_jwk();
  auto d = bn_coordinate(impl_->pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY);
  jwk["d"] = base64url_encode(d);
  OPENSSL_cleanse(d.data(), d.size());
  return jwk;
}

std::string_view EcSigningKey::point() const { return impl_ ? std::string_view(impl_->point) : std::string_view{}; }

EcPublicKey EcSigningKey::public_key() const {
  // Imported afresh so the public key never carries the private scalar.
  const auto& point = impl_->point;
  auto pkey = import_p256(point.substr(0, coord_size), point.substr(coord_size), nullptr);
  if (!pkey) openssl_failure("public key export");
  return EcPublicKey(std::make_unique<EcPublicKey::Impl>(EcPublicKey::Impl{std::move(pkey), point}));
}

// --- Ed25519 ------------------------------------------------------------------

namespace {

constexpr std::size_t ed25519_public_size = 32;
constexpr std::size_t ed25519_signature_size = 64;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;

} // namespace

struct Ed25519SigningKey::Impl {
  PkeyPtr key;
};

Ed25519SigningKey::Ed25519SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ed25519SigningKey::Ed25519SigningKey(Ed25519SigningKey&&) noexcept = default;
Ed25519SigningKey& Ed25519SigningKey::operator=(Ed25519SigningKey&&) noexcept = default;
Ed25519SigningKey::~Ed25519SigningKey() = default;

Ed25519SigningKey Ed25519SigningKey::generate() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) openssl_failure("Ed25519 key generation");
  return Ed25519SigningKey(std::make_unique<Impl>(Impl{std::move(key)}));
}

std::optional<Ed25519SigningKey> Ed25519SigningKey::from_private_pem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) openssl_failure("BIO_new_mem_buf");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) return std::nullopt;
  return Ed25519SigningKey(std::make_unique<Impl>(Impl{std::move(key)}));
}

std::optional<Ed25519SigningKey> Ed25519SigningKey::from_secret_key(std::string_view raw) {
  if (raw.size() != 32) return std::nullopt;
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  if (!key) return std::nullopt;
  return Ed25519SigningKey(std::make_unique<Impl>(Impl{std::move(key)}));
}

std::string Ed25519SigningKey::private_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    openssl_failure("PEM encoding of an Ed25519 key");
  }
  char* data = nullptr;
  const auto size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string Ed25519SigningKey::public_key() const {
  std::string raw(ed25519_public_size, '\0');
  std::size_t size = raw.size();
  if (EVP_PKEY_get_raw_public_key(impl_->key.get(), reinterpret_cast<unsigned char*>(raw.data()), &size) != 1 ||
      size != ed25519_public_size) {
    openssl_failure("EVP_PKEY_get_raw_public_key");
  }
  return raw;
}

std::string Ed25519SigningKey::sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string signature(ed25519_signature_size, '\0');
  std::size_t size = signature.size();
  // Ed25519 hashes internally: no digest is named, and the message goes in one piece.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, bytes_of(message), message.size()) != 1 ||
      size != ed25519_signature_size) {
    openssl_failure("Ed25519 signing");
  }
  return signature;
}

bool verify_ed25519(std::string_view public_key, std::string_view message, std::string_view signature) {
  if (public_key.size() != ed25519_public_size || signature.size() != ed25519_signature_size) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_of(public_key), public_key.size()));
  if (!key) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) openssl_failure("EVP_MD_CTX_new");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), bytes_of(signature), signature.size(), bytes_of(message), message.size()) == 1;
}

} // namespace mcpcert
