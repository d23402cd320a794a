// The page's configuration (local and deployed) and the OIDC sign-in a deployed page uses,
// against a provider stand-in: PKCE S256, state and nonce checked, the ID token kept.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";

import { parseConfig } from "../../app/src/config.js";
import { deployedConfig } from "../../tools/deploy-config.mjs";

const described = {
  Stacks: [
    {
      StackName: "narratix",
      Parameters: [
        { ParameterKey: "JwtIssuer", ParameterValue: "https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_Example" },
        { ParameterKey: "JwtAudience", ParameterValue: "client123" },
        { ParameterKey: "AllowedOrigins", ParameterValue: "*" },
      ],
      Outputs: [
        { OutputKey: "HttpApiUrl", OutputValue: "https://abc.execute-api.ap-northeast-2.amazonaws.com" },
        { OutputKey: "WebSocketUrl", OutputValue: "wss://def.execute-api.ap-northeast-2.amazonaws.com/live" },
        { OutputKey: "WebUrl", OutputValue: "https://d111.cloudfront.net/" },
      ],
    },
  ],
};

test("the deployed config comes from the stack's outputs and parameters", () => {
  assert.deepEqual(deployedConfig(described), {
    apiUrl: "https://abc.execute-api.ap-northeast-2.amazonaws.com",
    webSocketUrl: "wss://def.execute-api.ap-northeast-2.amazonaws.com/live",
    auth: {
      mode: "oidc",
      issuer: "https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_Example",
      clientId: "client123",
      redirectUri: "https://d111.cloudfront.net/",
    },
  });
  const explicit = deployedConfig(described, {
    clientId: "other",
    scope: "openid email",
    authorizationEndpoint: "https://login.example/oauth2/authorize",
    tokenEndpoint: "https://login.example/oauth2/token",
  });
  assert.equal(explicit.auth.clientId, "other");
  assert.equal(explicit.auth.tokenEndpoint, "https://login.example/oauth2/token");
  assert.throws(() => deployedConfig({ Stacks: [{ Outputs: [], Parameters: [] }] }), /apiUrl is missing/);
});

test("config.json is refused with a named field when it cannot be used", () => {
  assert.throws(() => parseConfig({ apiUrl: "x", webSocketUrl: "y", auth: { mode: "saml" } }), /auth.mode/);
  assert.throws(
    () => parseConfig({ apiUrl: "x", webSocketUrl: "y", auth: { mode: "oidc", issuer: "i", clientId: "c", tokenEndpoint: "t" } }),
    /both auth.authorizationEndpoint and auth.tokenEndpoint/,
  );
  assert.deepEqual(parseConfig({ apiUrl: "a", webSocketUrl: "w", auth: { mode: "local", tokenUrl: "/_identity/token" } }).auth, {
    mode: "local",
    tokenUrl: "/_identity/token",
  });
});

/** An unsigned JWT with these claims (the page never verifies; the API does). */
function jwt(claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "RS256" })}.${part(claims)}.signature`;
}

test("OIDC sign-in: authorization code with PKCE, state and nonce checked, the ID token kept", async (t) => {
  const storage = new Map();
  /** @type {string[]} */
  const assigned = [];
  const location = {
    origin: "https://d111.cloudfront.net",
    pathname: "/",
    search: "",
    assign: (/** @type {string} */ url) => assigned.push(url),
  };
  // What a browser has and Node does not (node 20's mock has no property()).
  Object.assign(globalThis, {
    location,
    sessionStorage: {
      getItem: (/** @type {string} */ key) => storage.get(key) ?? null,
      setItem: (/** @type {string} */ key, /** @type {string} */ value) => storage.set(key, String(value)),
      removeItem: (/** @type {string} */ key) => storage.delete(key),
    },
  });
  t.after(() => {
    delete (/** @type {any} */ (globalThis)).location;
    delete (/** @type {any} */ (globalThis)).sessionStorage;
  });
  const issuer = "https://login.example";
  /** @type {URLSearchParams | null} */
  let exchanged = null;
  let idToken = "";
  t.mock.method(globalThis, "fetch", async (/** @type {string} */ url, /** @type {any} */ init) => {
    if (url === `${issuer}/.well-known/openid-configuration`) {
      return Response.json({ authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token` });
    }
    if (url === `${issuer}/token`) {
      exchanged = new URLSearchParams(init.body);
      return Response.json({ id_token: idToken, access_token: "a", token_type: "Bearer" });
    }
    return new Response("", { status: 404 });
  });
  const { beginOidcSignIn, completeOidcSignIn } = await import("../../app/src/auth.js");
  const auth = /** @type {const} */ ({ mode: "oidc", issuer, clientId: "client123" });

  await beginOidcSignIn(auth, "?job=abc");
  const redirect = new URL(assigned[0]);
  assert.equal(redirect.origin + redirect.pathname, `${issuer}/authorize`);
  const asked = redirect.searchParams;
  assert.equal(asked.get("response_type"), "code");
  assert.equal(asked.get("client_id"), "client123");
  assert.equal(asked.get("redirect_uri"), "https://d111.cloudfront.net/");
  assert.equal(asked.get("code_challenge_method"), "S256");
  const pending = JSON.parse(storage.get("narratix.oidc"));
  assert.equal(asked.get("code_challenge"), createHash("sha256").update(pending.verifier).digest("base64url"));

  // The provider comes back with a forged state: refused, nothing kept.
  location.search = `?code=c1&state=forged`;
  await assert.rejects(completeOidcSignIn(auth), /state does not match/);

  // A real round trip: the code is exchanged with the verifier, the ID token kept.
  await beginOidcSignIn(auth, "?job=abc");
  const again = JSON.parse(storage.get("narratix.oidc"));
  const exp = Math.floor(Date.now() / 1000) + 3600;
  idToken = jwt({ sub: "u-1", email: "applicant@example.com", nonce: again.nonce, exp, aud: "client123" });
  location.search = `?code=c2&state=${again.state}`;
  const completed = await completeOidcSignIn(auth);
  assert.ok(completed);
  assert.equal(exchanged?.get("code"), "c2");
  assert.equal(exchanged?.get("code_verifier"), again.verifier);
  assert.equal(completed.session.token, idToken);
  assert.equal(completed.session.user, "applicant@example.com");
  assert.equal(completed.session.expiresAt, exp * 1000);
  assert.equal(completed.returnTo, "?job=abc");
  assert.equal(storage.has("narratix.oidc"), false, "the pending sign-in is used once");

  // An ID token for another sign-in (nonce) is refused.
  await beginOidcSignIn(auth, "");
  const third = JSON.parse(storage.get("narratix.oidc"));
  idToken = jwt({ sub: "u-1", nonce: "replayed", exp });
  location.search = `?code=c3&state=${third.state}`;
  await assert.rejects(completeOidcSignIn(auth), /nonce does not match/);
});
