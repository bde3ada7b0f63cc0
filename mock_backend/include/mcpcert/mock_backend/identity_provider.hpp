#pragma once
/// A tenant's identity provider: a second issuer, on its own loopback
/// listener, with its own users and its own ES256 key, to which the tenant's
/// sign-in page hands a user off (single sign-on). After the user signs in
/// there, it sends the browser back to the tenant issuer with a short-lived,
/// single-use signed assertion (a JWT with `typ: sso+jwt`, audience = the
/// tenant issuer, `nonce` = the pending sign-in's), posted as a form the way
/// SAML's POST binding does. No HTTP in it; thread-safe.

#include <mutex>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/jwt.hpp"
#include "mcpcert/mock_backend/account_lockout.hpp"
#include "mcpcert/mock_backend/stored_lockouts.hpp"
#include "mcpcert/mock_backend/tenant_directory.hpp"

namespace mcpcert::backend {

inline constexpr std::string_view sso_assertion_type = "sso+jwt";

/// A user of the identity provider, as the tenant fixture describes it.
struct IdentityProviderUser {
  std::string id;
  std::string display_name;
  std::string password;
};

/// The `identity_provider` of a tenant fixture.
struct IdentityProviderSpec {
  std::string id;
  std::string name; ///< shown as "Sign in with <name>"
  std::vector<IdentityProviderUser> users;
};

/// The identity provider's sign-in page for one hand-off.
struct IdpLoginForm {
  std::string provider_name;
  std::string relying_party;
  std::string nonce;
  std::string relay_state;
  std::string error; ///< set after a failed attempt
};

/// The page that posts the assertion back to the relying party.
struct AssertionPost {
  std::string action; ///< the relying party's /authorize/sso
  std::string assertion;
  std::string relay_state;
};

/// Shown instead of sending the browser anywhere: an unknown relying party or a malformed request.
struct IdpErrorPage {
  std::string message;
};

using IdentityProviderStep = std::variant<IdpErrorPage, IdpLoginForm, AssertionPost>;

class IdentityProvider {
public:
  /// `relying_party` is the one issuer it sends assertions to (the tenant's).
  /// `lockouts` (may be null: kept in memory only) keeps its accounts'
  /// failed sign-ins across restarts; what it kept is read here, so an
  /// unreadable count throws StorageError, at start-up.
  IdentityProvider(IdentityProviderSpec spec, std::string base_url, std::string relying_party, const Clock& clock,
                   StoredLockouts* lockouts = nullptr);

  const std::string& id() const { return id_; }
  const std::string& name() const { return name_; }
  /// Its issuer identifier (`iss` of its assertions): the listener's base URL.
  const std::string& issuer() const { return issuer_; }
  std::string login_url() const { return issuer_ + "/login"; }
  nlohmann::json jwks() const;
  /// Its public key, for the relying party's trust configuration.
  JwkSet verification_keys() const;

  /// GET /login?rp=&nonce=&relay_state= from the relying party's sign-in page.
  IdentityProviderStep start(const FormFields& query) const;
  /// POST /login: the user's credentials and the hand-off's fields.
  IdentityProviderStep login(const FormFields& form);
  /// A signed assertion for `subject` (tests forge variants of it with their own keys).
  std::string assertion(std::string_view subject, std::string_view nonce) const;

  static constexpr Seconds assertion_lifetime{60};

private:
  IdpErrorPage check_hand_off(const FormFields& fields, IdpLoginForm& form) const;

  std::string id_;
  std::string name_;
  std::string issuer_;
  std::string relying_party_;
  const Clock& clock_;
  TenantDirectory users_; // the provider's own accounts, passwords salted and hashed
  EcSigningKey key_;
  AccountLockout lockout_; // an identity provider guards its accounts as the tenant does
};

} // namespace mcpcert::backend
