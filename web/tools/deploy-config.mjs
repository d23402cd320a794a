// The page's config.json for a deployed stack, from `aws cloudformation describe-stacks` output
// (its Outputs and the JwtIssuer/JwtAudience parameters), checked by the page's own parser.
//
//   node tools/deploy-config.mjs STACKS.json [--client-id ID] [--scope S]
//        [--authorization-endpoint URL --token-endpoint URL]  > config.json
//
// The OIDC client is the app client whose ID tokens the API accepts: by default the stack's
// JwtAudience (a Cognito app client id is both). Endpoints are read from the issuer's discovery
// document unless both are given (for a provider whose discovery document has no CORS).
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parseConfig } from "../app/src/config.js";

/**
 * @param {any} described the `describe-stacks` answer (or its Stacks[0])
 * @param {{ clientId?: string, scope?: string, authorizationEndpoint?: string, tokenEndpoint?: string }} [options]
 */
export function deployedConfig(described, options = {}) {
  const stack = described?.Stacks?.[0] ?? described;
  /** @param {any[] | undefined} list @param {string} keyName @param {string} valueName */
  const map = (list, keyName, valueName) => Object.fromEntries((list ?? []).map((item) => [item[keyName], item[valueName]]));
  const outputs = map(stack?.Outputs, "OutputKey", "OutputValue");
  const parameters = map(stack?.Parameters, "ParameterKey", "ParameterValue");
  const endpoints =
    options.authorizationEndpoint || options.tokenEndpoint
      ? { authorizationEndpoint: options.authorizationEndpoint, tokenEndpoint: options.tokenEndpoint }
      : {};
  const config = {
    apiUrl: outputs.HttpApiUrl,
    webSocketUrl: outputs.WebSocketUrl,
    auth: {
      mode: "oidc",
      issuer: parameters.JwtIssuer,
      clientId: options.clientId ?? parameters.JwtAudience,
      ...(options.scope ? { scope: options.scope } : {}),
      ...endpoints,
      ...(outputs.WebUrl ? { redirectUri: outputs.WebUrl } : {}),
    },
  };
  parseConfig(config); // throws on what the page could not use
  return config;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      "client-id": { type: "string" },
      scope: { type: "string" },
      "authorization-endpoint": { type: "string" },
      "token-endpoint": { type: "string" },
    },
  });
  if (positionals.length !== 1) {
    console.error("usage: node tools/deploy-config.mjs STACKS.json [--client-id ID] [--scope S] [--authorization-endpoint URL --token-endpoint URL]");
    process.exit(2);
  }
  const described = JSON.parse(await readFile(positionals[0], "utf8"));
  try {
    const config = deployedConfig(described, {
      ...(values["client-id"] ? { clientId: values["client-id"] } : {}),
      ...(values.scope ? { scope: values.scope } : {}),
      ...(values["authorization-endpoint"] ? { authorizationEndpoint: values["authorization-endpoint"] } : {}),
      ...(values["token-endpoint"] ? { tokenEndpoint: values["token-endpoint"] } : {}),
    });
    process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
  } catch (error) {
    console.error(`deploy-config: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
