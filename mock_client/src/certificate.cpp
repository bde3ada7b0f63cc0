#include "mcpcert/mock_client/certificate.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "mcpcert/encoding.hpp"
#include "mcpcert/mock_client/report.hpp"

namespace mcpcert::client {

namespace {

constexpr const char* signature_member = "signature";

std::filesystem::path config_home() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') return xdg;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return std::filesystem::path(home) / ".config";
  return {};
}

} // namespace

std::filesystem::path default_signing_key_path() {
  if (const char* explicit_path = std::getenv("MCPCERT_SIGNING_KEY"); explicit_path != nullptr && *explicit_path != '\0') return explicit_path;
  const auto home = config_home();
  if (home.empty()) return {};
  return home / "mcpcert" / "signing-key.pem";
}

SigningKeyOutcome load_or_create_signing_key(const std::filesystem::path& file) {
  SigningKeyOutcome out;
  if (file.empty()) {
    out.problem = "no place for the signing key (no HOME or XDG_CONFIG_HOME); give --signing-key FILE";
    return out;
  }
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    std::ifstream in(file, std::ios::binary);
    const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    out.key = Ed25519SigningKey::from_private_pem(pem);
    if (!out.key) out.problem = file.string() + " is not an Ed25519 private key in PEM (PKCS#8)";
    return out;
  }
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  auto key = Ed25519SigningKey::generate();
  // Private from the first byte: the file is created 0600, not narrowed afterwards.
  const auto old_mask = ::umask(077);
  {
    std::ofstream outfile(file, std::ios::binary | std::ios::trunc);
    outfile << key.private_pem();
    if (!outfile.flush()) out.problem = "cannot write the signing key to " + file.string();
  }
  ::umask(old_mask);
  if (!out.problem.empty()) return out;
  out.key = std::move(key);
  out.created = true;
  return out;
}

std::string key_fingerprint(std::string_view public_key) { return "sha256:" + hex_encode(sha256(public_key)); }

std::string canonical_report(const nlohmann::json& report) {
  if (!report.is_object() || !report.contains(signature_member)) return safe_dump(report);
  auto unsigned_report = report;
  unsigned_report.erase(signature_member);
  return safe_dump(unsigned_report);
}

void sign_report(nlohmann::json& report, const Ed25519SigningKey& key) {
  const auto public_key = key.public_key();
  const auto signature = key.sign(canonical_report(report));
  report[signature_member] = {
      {"algorithm", "Ed25519"},
      {"public_key", base64url_encode(public_key)},
      {"key_fingerprint", key_fingerprint(public_key)},
      {"value", base64url_encode(signature)},
      {"canonical", "the report without \"signature\", as compact JSON with object keys sorted (nlohmann::json dump), UTF-8"},
  };
}

ReportCheck verify_report(const nlohmann::json& report, const std::string& expected_fingerprint) {
  ReportCheck check;
  if (!report.is_object()) {
    check.problem = "not a report: the JSON is not an object";
    return check;
  }
  const auto it = report.find(signature_member);
  if (it == report.end() || !it->is_object()) {
    check.problem = "the report carries no signature";
    return check;
  }
  const auto& signature = *it;
  auto text = [&](const char* name) { return signature.contains(name) && signature[name].is_string() ? signature[name].get<std::string>() : ""; };
  if (text("algorithm") != "Ed25519") {
    check.problem = "the signature's algorithm is '" + text("algorithm") + "', not Ed25519";
    return check;
  }
  const auto public_key = base64url_decode(text("public_key"));
  const auto value = base64url_decode(text("value"));
  if (!public_key || public_key->size() != 32 || !value || value->size() != 64) {
    check.problem = "the signature's public_key or value is not a base64url Ed25519 key (32 bytes) or signature (64 bytes)";
    return check;
  }
  check.key_fingerprint = key_fingerprint(*public_key);
  if (text("key_fingerprint") != check.key_fingerprint) {
    check.problem = "the signature's key_fingerprint does not match its public_key";
    return check;
  }
  if (!verify_ed25519(*public_key, canonical_report(report), *value)) {
    check.problem = "the signature does not match the report's content: it was changed after signing";
    return check;
  }
  if (!expected_fingerprint.empty() && expected_fingerprint != check.key_fingerprint) {
    check.problem = "the report is intact but signed by " + check.key_fingerprint + ", not by the expected " + expected_fingerprint;
    return check;
  }
  check.intact = true;
  return check;
}

} // namespace mcpcert::client
