/**
 * Registry authentication: `WWW-Authenticate` parsing, the token protocol,
 * HTTP Basic, and the Web-only half of credential lookup (auth-file
 * parsing). An {@link Authenticator} per registry ties them together for
 * the HTTP client.
 *
 * @example
 * ```ts
 * import { Authenticator } from "./mod.ts";
 * const auth = new Authenticator({ origin: "https://ghcr.io", credentials: { username: "u", password: "p" } });
 * const sent = await auth.authorize(new Request("https://ghcr.io/v2/o/r/manifests/latest"), "o/r");
 * let response = await fetch(sent);
 * if (response.status === 401 && (await auth.handleChallenge(sent, response, "o/r"))) {
 *   response = await fetch(await auth.authorize(sent, "o/r"));
 * }
 * ```
 *
 * @module
 */
export { AuthError } from "./errors.ts";
export {
  type Challenge,
  parseChallenges,
  type ParsedChallenges,
  selectChallenge,
} from "./challenge.ts";
export {
  type AuthFile,
  basicAuthorization,
  type Credentials,
  type CredentialSource,
  DOCKER_HUB_AUTH_KEY,
  findCredentialSource,
  helperServerUrl,
  normalizeAuthKey,
  parseAuthFile,
  parseHelperOutput,
} from "./credentials.ts";
export {
  DEFAULT_CLIENT_ID,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  MAX_TOKEN_RESPONSE_BYTES,
  type Token,
  TokenClient,
  type TokenClientOptions,
  type TokenRequest,
} from "./token.ts";
export {
  Authenticator,
  type AuthenticatorOptions,
  type CredentialsInput,
} from "./authenticator.ts";
