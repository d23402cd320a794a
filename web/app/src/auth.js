// Who the user is: a bearer token kept for this tab (sessionStorage). Locally the stack's dev
// identity mints one for any name ("sign in as"); deployed, an OpenID Connect provider issues an
// ID token through the authorization code flow with PKCE (no client secret in the page).

/** @typedef {import("./config.js").LocalAuth} LocalAuth */
/** @typedef {import("./config.js").OidcAuth} OidcAuth */
/** @typedef {{ token: string, user: string, expiresAt: number }} Session expiresAt in ms */

const SESSION_KEY = "narratix.session";
const PENDING_KEY = "narratix.oidc";
/** A token this close to its expiry is treated as expired (clock skew, a slow request). */
const EXPIRY_MARGIN_MS = 15_000;

/**
 * A JWT's claims (unverified: the API verifies; the page only reads `exp` and a name).
 * @param {string} token
 * @returns {Record<string, unknown> | null}
 */
export function jwtClaims(token) {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** @param {string} token @returns {Session | null} */
export function sessionFromToken(token) {
  const claims = jwtClaims(token);
  if (!claims || typeof claims.exp !== "number") return null;
  const user = [claims.name, claims.email, claims.preferred_username, claims.sub].find(
    (value) => typeof value === "string" && value !== "",
  );
  return { token, user: /** @type {string} */ (user ?? "?"), expiresAt: claims.exp * 1000 };
}

/** @param {Session} session @param {number} [now] */
export function isExpired(session, now = Date.now()) {
  return session.expiresAt - EXPIRY_MARGIN_MS <= now;
}

/** @returns {Session | null} */
export function loadSession() {
  const stored = sessionStorage.getItem(SESSION_KEY);
  if (!stored) return null;
  return sessionFromToken(stored);
}

/** @param {Session} session */
export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, session.token);
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

/**
 * The local stack's dev identity: a token for `user`.
 * @param {LocalAuth} auth
 * @param {string} user
 * @returns {Promise<Session>}
 */
export async function signInLocal(auth, user) {
  const response = await fetch(auth.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user }),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok || typeof body?.token !== "string") {
    throw new Error(typeof body?.message === "string" ? body.message : `HTTP ${response.status}`);
  }
  const session = sessionFromToken(body.token);
  if (!session) throw new Error("the identity answered a token without exp");
  return session;
}

/** @param {Uint8Array} bytes */
function base64Url(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText() {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** @param {OidcAuth} auth */
async function discover(auth) {
  if (auth.authorizationEndpoint && auth.tokenEndpoint) {
    return { authorization_endpoint: auth.authorizationEndpoint, token_endpoint: auth.tokenEndpoint };
  }
  const response = await fetch(`${auth.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`OIDC discovery: HTTP ${response.status}`);
  const document = await response.json();
  if (typeof document.authorization_endpoint !== "string" || typeof document.token_endpoint !== "string") {
    throw new Error("OIDC discovery: no authorization or token endpoint");
  }
  return /** @type {{ authorization_endpoint: string, token_endpoint: string }} */ (document);
}

/** @param {OidcAuth} auth */
function redirectUri(auth) {
  return auth.redirectUri ?? `${location.origin}${location.pathname}`;
}

/**
 * Sends the browser to the provider's sign-in page; it comes back with `?code=…&state=…`.
 * @param {OidcAuth} auth
 * @param {string} returnTo the page's own query (e.g. `?job=…`) to restore afterwards
 */
export async function beginOidcSignIn(auth, returnTo) {
  const { authorization_endpoint } = await discover(auth);
  const verifier = randomText();
  const state = randomText();
  const nonce = randomText();
  const challenge = base64Url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, returnTo }));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: auth.clientId,
    redirect_uri: redirectUri(auth),
    scope: auth.scope ?? "openid",
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

/**
 * Finishes a sign-in the provider redirected back from, if this page load is one: exchanges the
 * code for tokens and keeps the ID token. Returns the session and the query to restore.
 * @param {OidcAuth} auth
 * @returns {Promise<{ session: Session, returnTo: string } | null>}
 */
export async function completeOidcSignIn(auth) {
  const query = new URLSearchParams(location.search);
  const code = query.get("code");
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? "null");
  if (!code || !pending) return null;
  sessionStorage.removeItem(PENDING_KEY);
  if (query.get("state") !== pending.state) throw new Error("OIDC: the state does not match");
  const { token_endpoint } = await discover(auth);
  const response = await fetch(token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri(auth),
      client_id: auth.clientId,
      code_verifier: pending.verifier,
    }).toString(),
  });
  const tokens = await response.json().catch(() => null);
  if (!response.ok || typeof tokens?.id_token !== "string") {
    throw new Error(`OIDC token exchange: HTTP ${response.status}`);
  }
  if (jwtClaims(tokens.id_token)?.nonce !== pending.nonce) throw new Error("OIDC: the nonce does not match");
  const session = sessionFromToken(tokens.id_token);
  if (!session) throw new Error("OIDC: the ID token has no exp");
  return { session, returnTo: typeof pending.returnTo === "string" ? pending.returnTo : "" };
}
