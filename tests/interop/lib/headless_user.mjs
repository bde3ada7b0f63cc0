// A user in a browser, without the browser: follows an authorization URL
// through our issuer's login and consent forms (or, for a single sign-on
// user, the identity provider's login page and its assertion post-back) and
// returns the redirect the issuer ends with (the client's redirect_uri with
// code, state and iss).

function decodeEntities(text) {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function attribute(tag, name) {
  const match = tag.match(new RegExp(`\\s${name}="([^"]*)"`, 'i'));
  return match ? decodeEntities(match[1]) : undefined;
}

/** Every form of a page: method, action, and its inputs and buttons. */
export function parseForms(html) {
  const forms = [];
  for (const form of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const open = form[0].slice(0, form[0].indexOf('>') + 1);
    const fields = [];
    for (const tag of form[1].matchAll(/<(input|button)\b[^>]*>/gi)) {
      fields.push({ kind: tag[1].toLowerCase(), type: attribute(tag[0], 'type') ?? '', name: attribute(tag[0], 'name'),
                    value: attribute(tag[0], 'value') ?? '' });
    }
    forms.push({ method: (attribute(open, 'method') ?? 'get').toLowerCase(), action: attribute(open, 'action'), fields });
  }
  return forms;
}

/** The first form of a page. */
export function parseForm(html) {
  return parseForms(html)[0];
}

/**
 * Signs in as username/password (or, with sso_username, as that account at
 * the tenant's identity provider) and presses `decision` (approve or deny)
 * on the consent page; resolves with the final Location URL.
 */
export async function actAsUser(authorizationUrl, { username, password, sso_username, sso_password, decision = 'approve' }) {
  let url = new URL(authorizationUrl);
  let reply = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
  let atProvider = false;
  for (let pages = 0; pages < 6 && reply.status === 200; ++pages) {
    const forms = parseForms(await reply.text());
    if (sso_username && !atProvider) {
      // "Sign in with <provider>": a GET form carrying the hand-off.
      const offer = forms.find((form) => form.method === 'get' && form.fields.some((field) => field.name === 'relay_state'));
      if (!offer) throw new Error(`the page at ${url} offers no single sign-on`);
      atProvider = true;
      url = new URL(offer.action, url);
      for (const field of offer.fields) if (field.kind === 'input' && field.name) url.searchParams.set(field.name, field.value);
      reply = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
      continue;
    }
    const form = forms[0];
    if (!form) throw new Error(`the page at ${url} has no form`);
    const body = new URLSearchParams();
    const login = form.fields.some((field) => field.type === 'password');
    for (const field of form.fields) {
      if (!field.name) continue;
      if (field.kind === 'button' || field.type === 'submit') {
        if (!login && field.value === decision) body.set(field.name, field.value);
      } else if (field.name === 'username') body.set('username', atProvider ? sso_username : username);
      else if (field.name === 'password') body.set('password', atProvider ? sso_password : password);
      else body.set(field.name, field.value);
    }
    url = new URL(form.action ?? url.href, url);
    reply = await fetch(url, {
      method: 'POST', redirect: 'manual', body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    });
  }
  const location = reply.headers.get('location');
  if (![302, 303].includes(reply.status) || !location) {
    throw new Error(`the authorization ended with HTTP ${reply.status} at ${url}, not a redirect: ${(await reply.text()).slice(0, 300)}`);
  }
  return new URL(location, url);
}
