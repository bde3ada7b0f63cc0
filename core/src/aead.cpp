#include "mcpcert/aead.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/evp.h>

#include "mcpcert/crypto.hpp"

namespace mcpcert {

namespace {

constexpr std::size_t key_size = 32;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* bytes_of(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

CipherCtx new_context() {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw std::runtime_error("OpenSSL failure: EVP_CIPHER_CTX_new");
  return ctx;
}

} // namespace

std::optional<AeadKey> AeadKey::from_bytes(std::string_view key) {
  if (key.size() != key_size) return std::nullopt;
  return AeadKey(std::string(key));
}

AeadKey AeadKey::generate() { return AeadKey(random_bytes(key_size)); }

std::string AeadKey::seal(std::string_view plaintext, std::string_view associated) const {
  auto ctx = new_context();
  std::string nonce = random_bytes(nonce_size);
  std::string out = nonce;
  out.resize(nonce_size + plaintext.size() + tag_size);
  int length = 0;
  if (EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), bytes_of(key_), bytes_of(nonce), nullptr) != 1 ||
      (!associated.empty() &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &length, bytes_of(associated), static_cast<int>(associated.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), bytes_of(out) + nonce_size, &length, bytes_of(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), bytes_of(out) + nonce_size + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, tag_size, bytes_of(out) + nonce_size + plaintext.size()) != 1) {
    throw std::runtime_error("OpenSSL failure: AES-256-GCM encryption");
  }
  return out;
}

std::optional<std::string> AeadKey::open(std::string_view sealed, std::string_view associated) const {
  if (sealed.size() < nonce_size + tag_size) return std::nullopt;
  const auto nonce = sealed.substr(0, nonce_size);
  const auto ciphertext = sealed.substr(nonce_size, sealed.size() - nonce_size - tag_size);
  std::string tag(sealed.substr(sealed.size() - tag_size));
  auto ctx = new_context();
  std::string plaintext(ciphertext.size(), '\0');
  int length = 0;
  if (EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), bytes_of(key_), bytes_of(nonce), nullptr) != 1) return std::nullopt;
  if (!associated.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, bytes_of(associated), static_cast<int>(associated.size())) != 1) {
    return std::nullopt;
  }
  if (EVP_DecryptUpdate(ctx.get(), bytes_of(plaintext), &length, bytes_of(ciphertext), static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), bytes_of(plaintext) + length, &length) != 1) {
    return std::nullopt;
  }
  return plaintext;
}

} // namespace mcpcert
