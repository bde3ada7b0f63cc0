#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "http_replies.hpp"
#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"
#include "routes.hpp"

namespace mcpcert::backend {
namespace {

namespace bhttp = boost::beast::http;

bool form_content(const http::Request& request) {
  std::string_view type = request[bhttp::field::content_type];
  type = type.substr(0, type.find(';'));
  while (type.ends_with(' ')) type.remove_suffix(1);
  if (type.size() != 33) return false;
  std::string lower;
  for (char c : type) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return lower == "application/x-www-form-urlencoded";
}

std::string form_problem(const FormParse& parse) {
  if (parse.status == FormStatus::repeated_field) return "parameter " + parse.field + " is repeated";
  return "malformed form encoding in " + parse.field;
}

std::string hidden_inputs(const FormFields& fields) {
  std::string html;
  for (const auto& [name, value] : fields)
    html += "<input type=\"hidden\" name=\"" + html_escape(name) + "\" value=\"" + html_escape(value) + "\">\n";
  return html;
}

std::string login_page(const LoginForm& form) {
  std::string html = "<h1>Sign in</h1>\n<p>" + html_escape(form.client_name) + " wants to access your data.</p>\n";
  if (!form.error.empty()) html += "<p class=\"error\" role=\"alert\">" + html_escape(form.error) + "</p>\n";
  html += "<form method=\"post\" action=\"/authorize/login\">\n"
          "<input type=\"hidden\" name=\"txn\" value=\"" + html_escape(form.txn) + "\">\n"
          "<label>User name <input name=\"username\" autocomplete=\"username\"></label>\n"
          "<label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\"></label>\n"
          "<button type=\"submit\">Sign in</button>\n</form>\n";
  if (form.single_sign_on) {
    // A plain GET to the provider's page: the browser carries the hand-off there.
    const auto& offer = *form.single_sign_on;
    html += "<form method=\"get\" action=\"" + html_escape(offer.login_url) + "\" class=\"sso\">\n" +
            hidden_inputs(offer.fields) + "<button type=\"submit\">Sign in with " + html_escape(offer.provider_name) +
            "</button>\n</form>\n";
  }
  return html;
}

std::string second_factor_page(const SecondFactorForm& form) {
  std::string html = "<h1>Two-step verification</h1>\n<p>Enter the 6-digit code from your authenticator app.</p>\n";
  if (!form.error.empty()) html += "<p class=\"error\" role=\"alert\">" + html_escape(form.error) + "</p>\n";
  html += "<form method=\"post\" action=\"/authorize/mfa\">\n"
          "<input type=\"hidden\" name=\"txn\" value=\"" + html_escape(form.txn) + "\">\n"
          "<label>One-time code <input name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" "
          "pattern=\"[0-9]{6}\" maxlength=\"6\"></label>\n"
          "<button type=\"submit\">Verify</button>\n</form>\n";
  return html;
}

std::string consent_page(const ConsentForm& form) {
  return "<h1>Allow access?</h1>\n<p>Signed in as " + html_escape(form.user_name) + ".</p>\n<p><strong>" +
         html_escape(form.client_name) + "</strong> asks for <code>" + html_escape(form.scope) +
         "</code> on entity <strong>" + html_escape(form.entity_name) + "</strong> (" + html_escape(form.entity) +
         ").</p>\n<form method=\"post\" action=\"/authorize/consent\">\n"
         "<input type=\"hidden\" name=\"txn\" value=\"" + html_escape(form.txn) + "\">\n"
         "<button type=\"submit\" name=\"decision\" value=\"approve\">Allow</button>\n"
         "<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\n</form>\n";
}

HandledRequest render(const http::Request& request, const AuthorizationStep& step) {
  HandledRequest out;
  if (const auto* page = std::get_if<ErrorPage>(&step)) {
    out.response = html_response(request, page->status, "Authorization error",
                                 "<h1>Authorization error</h1>\n<p>" + html_escape(page->message) + "</p>\n");
  } else if (const auto* redirect = std::get_if<Redirect>(&step)) {
    out.response = redirect_response(request, redirect->location);
  } else if (const auto* login = std::get_if<LoginForm>(&step)) {
    // 400 after a failed attempt, so a headless client notices without parsing HTML.
    out.response = html_response(request, login->error.empty() ? 200 : 400, "Sign in", login_page(*login));
  } else if (const auto* code = std::get_if<SecondFactorForm>(&step)) {
    out.response = html_response(request, code->error.empty() ? 200 : 400, "Two-step verification", second_factor_page(*code));
  } else if (const auto* consent = std::get_if<ConsentForm>(&step)) {
    out.response = html_response(request, 200, "Allow access?", consent_page(*consent));
    out.facts.subject = consent->user;
  }
  return out;
}

HandledRequest error_page(const http::Request& request, std::string_view message) {
  return render(request, ErrorPage{400, std::string(message)});
}

bool json_content(const http::Request& request) {
  std::string_view type = request[bhttp::field::content_type];
  type = type.substr(0, type.find(';'));
  while (type.ends_with(' ')) type.remove_suffix(1);
  std::string lower;
  for (char c : type) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return lower == "application/json";
}

HandledRequest oauth_reply(const http::Request& request, const TokenResponse& answer) {
  HandledRequest out;
  if (answer.body.is_null()) {
    out.response = http::make_response(request, answer.status, "text/plain; charset=utf-8", "");
    out.response.erase(bhttp::field::content_type);
    out.response.set(bhttp::field::cache_control, "no-store");
  } else {
    out.response = json_response(request, answer.status, answer.body);
  }
  out.response.set(bhttp::field::pragma, "no-cache");
  if (!answer.www_authenticate.empty()) out.response.set(bhttp::field::www_authenticate, answer.www_authenticate);
  out.facts.client_id = answer.client_id;
  out.facts.subject = answer.subject;
  out.facts.token_id = answer.token_id;
  return out;
}

/// The form and client credentials of a /token, /revoke or /introspect request,
/// or the error answer when they can't be read.
struct ClientRequest {
  FormFields form;
  std::optional<ClientCredentials> credentials;
  std::optional<TokenResponse> refusal;
};

ClientRequest read_client_request(const http::Request& request) {
  ClientRequest out;
  auto refuse = [&](unsigned status, std::string_view error, const std::string& description) {
    out.refusal = TokenResponse{};
    out.refusal->status = status;
    out.refusal->body = {{"error", std::string(error)}, {"error_description", description}};
    return out;
  };
  if (!form_content(request)) return refuse(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded");
  auto form = parse_form(request.body());
  if (form.status != FormStatus::ok) return refuse(400, "invalid_request", form_problem(form));
  auto basic = basic_authorization(request);
  if (basic.status == BasicStatus::malformed) return refuse(401, "invalid_client", "malformed Basic credentials");
  out.form = std::move(form.fields);
  if (basic.status == BasicStatus::ok) out.credentials = std::move(basic.credentials);
  return out;
}

HandledRequest token_endpoint(AuthorizationServer& server, const http::Request& request) {
  auto read = read_client_request(request);
  if (read.refusal) {
    const auto& body = read.refusal->body;
    return oauth_reply(request, server.refuse_token_request(read.refusal->status, body.value("error", ""),
                                                            body.value("error_description", "")));
  }
  auto out = oauth_reply(request, server.token(read.form, read.credentials));
  // The subject token's digest lets the harness prove which token the connector
  // exchanged, and that the API never saw that same token (NO-PASSTHROUGH).
  auto grant_type = read.form.find("grant_type");
  auto subject_token = read.form.find("subject_token");
  if (grant_type != read.form.end() && grant_type->second == grant_token_exchange && subject_token != read.form.end() &&
      !subject_token->second.empty())
    out.facts.subject_token_sha256 = hex_encode(sha256(subject_token->second));
  return out;
}

HandledRequest revocation_endpoint(AuthorizationServer& server, const http::Request& request) {
  auto read = read_client_request(request);
  if (read.refusal) {
    if (read.refusal->status == 401) read.refusal->www_authenticate = "Basic realm=\"" + server.identity().issuer + "\"";
    return oauth_reply(request, *read.refusal);
  }
  return oauth_reply(request, server.revoke(read.form, read.credentials));
}

HandledRequest introspection_endpoint(AuthorizationServer& server, const http::Request& request) {
  auto read = read_client_request(request);
  if (read.refusal) {
    if (read.refusal->status == 401) read.refusal->www_authenticate = "Basic realm=\"" + server.identity().issuer + "\"";
    return oauth_reply(request, *read.refusal);
  }
  return oauth_reply(request, server.introspect(read.form, read.credentials));
}

HandledRequest registration_endpoint(AuthorizationServer& server, const http::Request& request) {
  auto refuse = [&](const std::string& description) {
    TokenResponse answer;
    answer.status = 400;
    answer.body = {{"error", "invalid_client_metadata"}, {"error_description", description}};
    return oauth_reply(request, answer);
  };
  if (!json_content(request)) return refuse("Content-Type must be application/json (RFC 7591 3.1)");
  auto body = nlohmann::json::parse(request.body(), nullptr, false);
  if (body.is_discarded()) return refuse("the body is not JSON");
  return oauth_reply(request, server.register_client(body));
}

// The value of cookie `name` in the request's Cookie header(s); empty when absent.
std::string cookie_value(const http::Request& request, std::string_view name) {
  auto [first, last] = request.equal_range(bhttp::field::cookie);
  for (auto header = first; header != last; ++header) {
    std::string_view rest = header->value();
    while (!rest.empty()) {
      auto end = rest.find(';');
      auto pair = rest.substr(0, end);
      while (pair.starts_with(' ')) pair.remove_prefix(1);
      if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
        return std::string(pair.substr(name.size() + 1));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  return {};
}

// Cookies of issuers on one host reach each other's ports, so the path is the
// issuer's own and the name the tenant's. No Max-Age: the session's lifetime
// runs on the issuer's (virtual) clock and is enforced there.
std::string session_cookie(const AuthorizationServer& server, std::string_view value, bool clear) {
  const auto& issuer = server.identity().issuer;
  auto authority = issuer.find("://");
  auto path_start = authority == std::string::npos ? std::string::npos : issuer.find('/', authority + 3);
  std::string path = path_start == std::string::npos ? "/" : issuer.substr(path_start);
  return server.session_cookie_name() + "=" + std::string(value) + "; Path=" + path + "; HttpOnly; SameSite=Lax" +
         (clear ? "; Max-Age=0" : "");
}

HandledRequest sign_out_endpoint(AuthorizationServer& server, const http::Request& request) {
  auto outcome = server.sign_out(cookie_value(request, server.session_cookie_name()));
  HandledRequest out;
  if (outcome.refused) {
    // The cookie stays: the session still stands, and signing out again may work.
    out.response = html_response(request, 500, "Sign-out failed",
                                 "<h1>Sign-out failed</h1>\n<p>Your session could not be ended. Try again.</p>\n");
    out.facts.subject = outcome.user;
    return out;
  }
  out.response = html_response(request, 200, "Signed out",
                               outcome.ended ? "<h1>Signed out</h1>\n<p>You are signed out.</p>\n"
                                             : "<h1>Signed out</h1>\n<p>You were not signed in.</p>\n");
  out.response.set(bhttp::field::set_cookie, session_cookie(server, "", true));
  out.facts.subject = outcome.user;
  return out;
}

} // namespace

std::string client_document_url(const http::Request& request) {
  auto path = target_path(request.target());
  FormParse parsed;
  if (path == "/authorize" && request.method() == bhttp::verb::get)
    parsed = parse_form(target_query(request.target()));
  else if ((path == "/token" || path == "/revoke") && request.method() == bhttp::verb::post && form_content(request))
    parsed = parse_form(request.body());
  else
    return {};
  auto it = parsed.fields.find("client_id");
  if (parsed.status != FormStatus::ok || it == parsed.fields.end() || !is_client_id_url(it->second)) return {};
  return it->second;
}

HandledRequest serve_issuer(AuthorizationServer& server, const http::Request& request) {
  auto path = target_path(request.target());
  auto method = request.method();
  auto wrong_method = [&](std::string_view allow) {
    HandledRequest out;
    out.response = problem_response(request, 405, "method-not-allowed",
                                    std::string(request.method_string()) + " is not allowed on " + std::string(path));
    out.response.set(bhttp::field::allow, allow);
    return out;
  };
  // A sign-in that just completed begins the browser session.
  auto answer = [&](const AuthorizationStep& step) {
    auto out = render(request, step);
    const auto* consent = std::get_if<ConsentForm>(&step);
    if (consent && !consent->new_session.empty())
      out.response.set(bhttp::field::set_cookie, session_cookie(server, consent->new_session, false));
    return out;
  };

  if (path == "/.well-known/oauth-authorization-server" || path == "/.well-known/openid-configuration") {
    if (method != bhttp::verb::get) return wrong_method("GET");
    return {json_response(request, 200, server.metadata()), {}};
  }
  if (path == "/jwks") {
    if (method != bhttp::verb::get) return wrong_method("GET");
    return {json_response(request, 200, server.jwks()), {}};
  }
  if (path == "/authorize") {
    if (method != bhttp::verb::get) return wrong_method("GET");
    auto query = parse_form(target_query(request.target()));
    if (query.status != FormStatus::ok) return error_page(request, form_problem(query));
    auto out = answer(server.authorize(query.fields, cookie_value(request, server.session_cookie_name())));
    if (auto it = query.fields.find("client_id"); it != query.fields.end()) out.facts.client_id = it->second;
    return out;
  }
  if (path == "/authorize/login" || path == "/authorize/mfa" || path == "/authorize/sso" || path == "/authorize/consent") {
    if (method != bhttp::verb::post) return wrong_method("POST");
    if (!form_content(request)) return error_page(request, "The form must be sent as application/x-www-form-urlencoded.");
    auto form = parse_form(request.body());
    if (form.status != FormStatus::ok) return error_page(request, form_problem(form));
    auto value = [&](std::string_view name) {
      auto it = form.fields.find(name);
      return it == form.fields.end() ? std::string_view{} : std::string_view(it->second);
    };
    if (path == "/authorize/login") return answer(server.login(value("txn"), value("username"), value("password")));
    if (path == "/authorize/mfa") return answer(server.second_factor(value("txn"), value("code")));
    if (path == "/authorize/sso") return answer(server.single_sign_on(value("relay_state"), value("assertion")));
    return render(request, server.consent(value("txn"), value("decision")));
  }
  if (path == "/sign-out") {
    if (method != bhttp::verb::post) return wrong_method("POST");
    return sign_out_endpoint(server, request);
  }
  if (path == "/token") {
    if (method != bhttp::verb::post) return wrong_method("POST");
    return token_endpoint(server, request);
  }
  if (path == "/revoke") {
    if (method != bhttp::verb::post) return wrong_method("POST");
    return revocation_endpoint(server, request);
  }
  if (path == "/introspect") {
    if (method != bhttp::verb::post) return wrong_method("POST");
    return introspection_endpoint(server, request);
  }
  if (path == "/register") {
    if (method != bhttp::verb::post) return wrong_method("POST");
    return registration_endpoint(server, request);
  }
  return {problem_response(request, 404, "not-found", "no such endpoint: " + std::string(path)), {}};
}

} // namespace mcpcert::backend
