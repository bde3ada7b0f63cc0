#include "mcpcert/mock_backend/identity_provider.hpp"

namespace mcpcert::backend {
namespace {

std::string value_of(const FormFields& fields, std::string_view name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string{} : it->second;
}

} // namespace

IdentityProvider::IdentityProvider(IdentityProviderSpec spec, std::string base_url, std::string relying_party,
                                   const Clock& clock, StoredLockouts* lockouts)
    : id_(std::move(spec.id)),
      name_(std::move(spec.name)),
      issuer_(std::move(base_url)),
      relying_party_(std::move(relying_party)),
      clock_(clock),
      users_(id_, Company{id_, name_}),
      key_(EcSigningKey::generate(id_ + "-" + random_token(6))),
      // A lockout running at a restart runs on, and counted guesses stay counted.
      lockout_(clock, AccountLockout::Policy{}, lockouts, lockouts ? lockouts->standings() : AccountLockout::Standings{}) {
  for (auto& user : spec.users) {
    UserSpec account;
    account.id = std::move(user.id);
    account.display_name = std::move(user.display_name);
    account.password = std::move(user.password);
    users_.add_user(std::move(account));
  }
}

nlohmann::json IdentityProvider::jwks() const { return {{"keys", {key_.public_jwk()}}}; }

JwkSet IdentityProvider::verification_keys() const {
  JwkSet keys;
  keys.add(key_.kid(), key_.public_key());
  return keys;
}

IdpErrorPage IdentityProvider::check_hand_off(const FormFields& fields, IdpLoginForm& form) const {
  form.provider_name = name_;
  form.relying_party = value_of(fields, "rp");
  form.nonce = value_of(fields, "nonce");
  form.relay_state = value_of(fields, "relay_state");
  // Assertions go only to the relying party this provider serves: anything
  // else would let a third party collect them.
  if (form.relying_party != relying_party_) return {"Unknown relying party \"" + form.relying_party + "\"."};
  if (form.nonce.empty()) return {"The sign-in request has no nonce."};
  if (form.relay_state.empty()) return {"The sign-in request has no relay_state."};
  return {};
}

IdentityProviderStep IdentityProvider::start(const FormFields& query) const {
  IdpLoginForm form;
  auto problem = check_hand_off(query, form);
  if (!problem.message.empty()) return problem;
  return form;
}

IdentityProviderStep IdentityProvider::login(const FormFields& form_fields) {
  IdpLoginForm form;
  auto problem = check_hand_off(form_fields, form);
  if (!problem.message.empty()) return problem;
  const auto username = value_of(form_fields, "username");
  if (auto until = lockout_.locked_until(username)) {
    form.error = lockout_notice(*until, clock_.now());
    return form;
  }
  if (!users_.verify_password(username, value_of(form_fields, "password"))) {
    auto locked = lockout_.record_failure(username).lockout_until;
    form.error = locked ? lockout_notice(*locked, clock_.now()) : "Unknown user name or wrong password.";
    return form;
  }
  // Not waited on: a count left behind by a refusing store only brings a lockout sooner.
  (void)lockout_.record_success(username);
  return AssertionPost{relying_party_ + "/authorize/sso", assertion(username, form.nonce), form.relay_state};
}

std::string IdentityProvider::assertion(std::string_view subject, std::string_view nonce) const {
  const auto now = clock_.unix_seconds();
  const User* user = users_.find_user(subject);
  nlohmann::json claims = {{"iss", issuer_},
                           {"aud", relying_party_},
                           {"sub", std::string(subject)},
                           {"nonce", std::string(nonce)},
                           {"iat", now},
                           {"exp", now + assertion_lifetime.count()},
                           {"jti", random_token(16)}};
  if (user) claims["name"] = user->display_name;
  return sign_jwt(key_, claims, sso_assertion_type);
}

} // namespace mcpcert::backend
