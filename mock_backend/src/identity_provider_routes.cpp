#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

#include "http_replies.hpp"
#include "routes.hpp"

namespace mcpcert::backend {
namespace {

namespace bhttp = boost::beast::http;

std::string hidden(std::string_view name, std::string_view value) {
  return "<input type=\"hidden\" name=\"" + html_escape(name) + "\" value=\"" + html_escape(value) + "\">\n";
}

http::Response render(const http::Request& request, const IdentityProviderStep& step) {
  if (const auto* page = std::get_if<IdpErrorPage>(&step))
    return html_response(request, 400, "Sign-in error", "<h1>Sign-in error</h1>\n<p>" + html_escape(page->message) + "</p>\n");
  if (const auto* form = std::get_if<IdpLoginForm>(&step)) {
    std::string html = "<h1>" + html_escape(form->provider_name) + "</h1>\n<p>Sign in to continue.</p>\n";
    if (!form->error.empty()) html += "<p class=\"error\" role=\"alert\">" + html_escape(form->error) + "</p>\n";
    html += "<form method=\"post\" action=\"/login\">\n" + hidden("rp", form->relying_party) + hidden("nonce", form->nonce) +
            hidden("relay_state", form->relay_state) +
            "<label>User name <input name=\"username\" autocomplete=\"username\"></label>\n"
            "<label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\"></label>\n"
            "<button type=\"submit\">Sign in</button>\n</form>\n";
    return html_response(request, form->error.empty() ? 200 : 400, form->provider_name, html);
  }
  // The POST binding: the browser carries the assertion back in a form it
  // submits itself, so the assertion never appears in a URL or a log.
  const auto& post = std::get<AssertionPost>(step);
  return html_response(request, 200, "Signing in",
                       "<h1>Signing in</h1>\n<form method=\"post\" action=\"" + html_escape(post.action) + "\">\n" +
                           hidden("assertion", post.assertion) + hidden("relay_state", post.relay_state) +
                           "<button type=\"submit\">Continue</button>\n</form>\n"
                           "<script>document.forms[0].submit();</script>\n");
}

} // namespace

http::Response serve_identity_provider(IdentityProvider& provider, const http::Request& request) {
  auto path = target_path(request.target());
  if (path == "/jwks") {
    if (request.method() != bhttp::verb::get) return method_not_allowed(request, "GET");
    return json_response(request, 200, provider.jwks());
  }
  if (path == "/login") {
    if (request.method() == bhttp::verb::get) {
      auto query = parse_form(target_query(request.target()));
      if (query.status != FormStatus::ok) return render(request, IdpErrorPage{"Malformed sign-in request."});
      return render(request, provider.start(query.fields));
    }
    if (request.method() != bhttp::verb::post) return method_not_allowed(request, "GET, POST");
    auto form = parse_form(request.body());
    if (form.status != FormStatus::ok) return render(request, IdpErrorPage{"Malformed sign-in form."});
    return render(request, provider.login(form.fields));
  }
  return problem_response(request, 404, "not-found", "no such endpoint: " + std::string(path));
}

} // namespace mcpcert::backend
