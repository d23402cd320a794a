// The page's runtime configuration: `config.json` beside index.html, so the same files serve the
// local stack (whose gateway answers config.json with its own URLs) and a deployed stack (where
// scripts/deploy-web writes it from the stack's outputs).

/**
 * @typedef {{ mode: "local", tokenUrl: string, defaultUser?: string }} LocalAuth
 *   the local stack's dev identity: "sign in as" any name
 * @typedef {{ mode: "oidc", issuer: string, clientId: string, scope?: string, redirectUri?: string,
 *   authorizationEndpoint?: string, tokenEndpoint?: string }} OidcAuth
 *   an OpenID Connect provider: authorization code flow with PKCE; the ID token is the bearer.
 *   The endpoints come from the issuer's discovery document unless both are given.
 * @typedef {{ apiUrl: string, webSocketUrl: string, auth: LocalAuth | OidcAuth }} PageConfig
 */

/**
 * @param {string} [url]
 * @returns {Promise<PageConfig>}
 */
export async function loadConfig(url = "config.json") {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return parseConfig(await response.json());
}

/**
 * @param {any} raw
 * @returns {PageConfig}
 */
export function parseConfig(raw) {
  const text = (/** @type {unknown} */ value, /** @type {string} */ name) => {
    if (typeof value !== "string" || value === "") throw new Error(`config.json: ${name} is missing`);
    return value;
  };
  const apiUrl = text(raw?.apiUrl, "apiUrl");
  const webSocketUrl = text(raw?.webSocketUrl, "webSocketUrl");
  const auth = raw?.auth;
  if (auth?.mode === "local") {
    return {
      apiUrl,
      webSocketUrl,
      auth: {
        mode: "local",
        tokenUrl: text(auth.tokenUrl, "auth.tokenUrl"),
        ...(typeof auth.defaultUser === "string" ? { defaultUser: auth.defaultUser } : {}),
      },
    };
  }
  if (auth?.mode === "oidc") {
    const endpoints = [auth.authorizationEndpoint, auth.tokenEndpoint].filter((value) => value !== undefined);
    if (endpoints.length === 1) {
      throw new Error("config.json: give both auth.authorizationEndpoint and auth.tokenEndpoint, or neither");
    }
    return {
      apiUrl,
      webSocketUrl,
      auth: {
        mode: "oidc",
        issuer: text(auth.issuer, "auth.issuer"),
        clientId: text(auth.clientId, "auth.clientId"),
        ...(typeof auth.scope === "string" ? { scope: auth.scope } : {}),
        ...(typeof auth.redirectUri === "string" ? { redirectUri: auth.redirectUri } : {}),
        ...(endpoints.length === 2
          ? {
              authorizationEndpoint: text(auth.authorizationEndpoint, "auth.authorizationEndpoint"),
              tokenEndpoint: text(auth.tokenEndpoint, "auth.tokenEndpoint"),
            }
          : {}),
      },
    };
  }
  throw new Error('config.json: auth.mode must be "local" or "oidc"');
}
