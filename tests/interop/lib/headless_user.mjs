// A user in a browser, without the browser: follows an authorization URL
// through our issuer's login and consent forms and returns the redirect the
// issuer ends with (the client's redirect_uri with code, state and iss).

function decodeEntities(text) {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function attribute(tag, name) {
  const match = tag.match(new RegExp(`\\s${name}="([^"]*)"`, 'i'));
  return match ? decodeEntities(match[1]) : undefined;
}

/** The first form of a page: action, and its inputs and buttons. */
export function parseForm(html) {
  const form = html.match(/<form\b[^>]*>([\s\S]*?)<\/form>/i);
  if (!form) return undefined;
  const action = attribute(form[0].slice(0, form[0].indexOf('>') + 1), 'action');
  const fields = [];
  for (const tag of form[1].matchAll(/<(input|button)\b[^>]*>/gi)) {
    fields.push({ kind: tag[1].toLowerCase(), type: attribute(tag[0], 'type') ?? '', name: attribute(tag[0], 'name'),
                  value: attribute(tag[0], 'value') ?? '' });
  }
  return { action, fields };
}

/**
 * Signs in as username/password and presses `decision` (approve or deny) on
 * the consent page; resolves with the final Location URL.
 */
export async function actAsUser(authorizationUrl, { username, password, decision = 'approve' }) {
  let url = new URL(authorizationUrl);
  let reply = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
  for (let pages = 0; pages < 4 && reply.status === 200; ++pages) {
    const form = parseForm(await reply.text());
    if (!form) throw new Error(`the page at ${url} has no form`);
    const body = new URLSearchParams();
    const login = form.fields.some((field) => field.type === 'password');
    for (const field of form.fields) {
      if (!field.name) continue;
      if (field.kind === 'button' || field.type === 'submit') {
        if (!login && field.value === decision) body.set(field.name, field.value);
      } else if (field.name === 'username') body.set('username', username);
      else if (field.name === 'password') body.set('password', password);
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
