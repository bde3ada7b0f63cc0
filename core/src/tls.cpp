#include "mcpcert/tls.hpp"

#include <memory>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace mcpcert {

namespace {

template <auto Free> struct Deleter {
  template <typename T> void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

[[noreturn]] void fail(const char* what) { throw std::runtime_error(std::string("OpenSSL failure: ") + what); }

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const auto size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

void add_extension(X509* certificate, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  ExtPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) fail("X509_add_ext");
}

int openssl_version(TlsVersion version) {
  switch (version) {
  case TlsVersion::tls1_0: return TLS1_VERSION;
  case TlsVersion::tls1_1: return TLS1_1_VERSION;
  case TlsVersion::tls1_2: return TLS1_2_VERSION;
  case TlsVersion::tls1_3: return TLS1_3_VERSION;
  }
  return TLS1_2_VERSION;
}

} // namespace

const char* to_string(TlsVersion version) {
  switch (version) {
  case TlsVersion::tls1_0: return "TLSv1";
  case TlsVersion::tls1_1: return "TLSv1.1";
  case TlsVersion::tls1_2: return "TLSv1.2";
  case TlsVersion::tls1_3: return "TLSv1.3";
  }
  return "unknown";
}

TlsIdentity generate_loopback_identity() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) fail("EVP_EC_gen");
  X509Ptr certificate(X509_new());
  if (!certificate) fail("X509_new");
  X509_set_version(certificate.get(), 2);
  // A random serial: two generated certificates must never look like one.
  std::unique_ptr<BIGNUM, Deleter<BN_free>> serial(BN_new());
  if (!serial || BN_rand(serial.get(), 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate.get())) == nullptr) {
    fail("serial number");
  }
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 365L * 24 * 3600);
  X509_set_pubkey(certificate.get(), key.get());
  auto* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("mcpcert loopback"), -1, -1, 0);
  X509_set_issuer_name(certificate.get(), name);
  add_extension(certificate.get(), NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost");
  add_extension(certificate.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(certificate.get(), NID_key_usage, "critical,digitalSignature,keyCertSign");
  add_extension(certificate.get(), NID_ext_key_usage, "serverAuth");
  if (X509_sign(certificate.get(), key.get(), EVP_sha256()) == 0) fail("X509_sign");

  BioPtr certificate_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (!certificate_bio || !key_bio || PEM_write_bio_X509(certificate_bio.get(), certificate.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("PEM encoding");
  }
  return {bio_text(certificate_bio.get()), bio_text(key_bio.get())};
}

HandshakeProbe probe_tls_handshake(const std::string& host, std::uint16_t port, TlsVersion version,
                                   std::chrono::milliseconds timeout) {
  namespace asio = boost::asio;
  HandshakeProbe probe;
  asio::io_context io;
  asio::ssl::context context(asio::ssl::context::tls_client);
  auto* native = context.native_handle();
  const int wanted = openssl_version(version);
  // Offer only the version under test, and everything the client library
  // would otherwise hold back, so a refusal can only come from the server.
  SSL_CTX_set_security_level(native, 0);
  SSL_CTX_set_min_proto_version(native, wanted);
  SSL_CTX_set_max_proto_version(native, wanted);
  SSL_CTX_set_cipher_list(native, "ALL:@SECLEVEL=0");
  context.set_verify_mode(asio::ssl::verify_none);

  asio::ssl::stream<asio::ip::tcp::socket> stream(io, context);
  asio::steady_timer deadline(io);
  boost::system::error_code result = asio::error::would_block;
  asio::ip::tcp::resolver resolver(io);
  boost::system::error_code resolve_ec;
  const auto endpoints = resolver.resolve(host, std::to_string(port), resolve_ec);
  if (resolve_ec) {
    probe.error = "cannot resolve " + host + ": " + resolve_ec.message();
    return probe;
  }
  asio::async_connect(stream.lowest_layer(), endpoints, [&](const boost::system::error_code& ec, const auto&) {
    if (ec) {
      result = ec;
      deadline.cancel();
      return;
    }
    stream.async_handshake(asio::ssl::stream_base::client, [&](const boost::system::error_code& handshake_ec) {
      result = handshake_ec;
      deadline.cancel();
    });
  });
  deadline.expires_after(timeout);
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) {
      result = asio::error::timed_out;
      boost::system::error_code ignored;
      stream.lowest_layer().close(ignored);
    }
  });
  io.run();
  if (result) {
    probe.error = result.message();
    return probe;
  }
  probe.completed = true;
  probe.negotiated_version = SSL_get_version(stream.native_handle());
  probe.cipher = SSL_get_cipher_name(stream.native_handle());
  boost::system::error_code ignored;
  stream.lowest_layer().close(ignored);
  return probe;
}

} // namespace mcpcert
