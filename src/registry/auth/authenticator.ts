/**
 * Authentication for one registry, as the HTTP client sees it: add what is
 * known to a request; on a 401, learn from its `WWW-Authenticate` and say
 * whether one retry is worth it.
 *
 * ```
 * const sent = await auth.authorize(request, repository);
 * let response = await fetch(sent);
 * if (response.status === 401 && (await auth.handleChallenge(sent, response, repository))) {
 *   response = await fetch(await auth.authorize(sent, repository));
 * }
 * ```
 *
 * `handleChallenge` is given the request as sent (with its `Authorization`)
 * so it can tell a refused token or password from a first challenge.
 *
 * Credentials never leave for another host: an {@link Authenticator} is
 * bound to one registry origin and adds nothing to requests for any other
 * (a blob redirect to a CDN, say); the only other host that sees them is
 * the token realm the registry itself names (see `token.ts`), and never
 * over plain HTTP when the registry was reached over HTTPS. The
 * `Authorization` header {@link Authenticator.authorize} adds is for the
 * request's origin only: the HTTP client must follow redirects itself and
 * drop it when the origin changes.
 *
 * @module
 */
import { type Challenge, parseChallenges, selectChallenge } from "./challenge.ts";
import { basicAuthorization, type Credentials } from "./credentials.ts";
import { AuthError } from "./errors.ts";
import { TokenClient, type TokenRequest } from "./token.ts";

/**
 * Credentials for the registry, or a function that finds them (called at
 * most once, and only when the registry asks for authentication, so
 * credential helpers do not run for public images).
 *
 * @example
 * ```ts
 * import type { CredentialsInput } from "./authenticator.ts";
 * const lazy: CredentialsInput = async () => ({ username: "u", password: "p" });
 * ```
 */
export type CredentialsInput = Credentials | (() => Promise<Credentials | undefined>) | undefined;

/**
 * Options for {@link Authenticator}.
 *
 * @example
 * ```ts
 * import type { AuthenticatorOptions } from "./authenticator.ts";
 * const options: AuthenticatorOptions = { origin: "https://ghcr.io", credentials: { identityToken: "t" } };
 * ```
 */
export interface AuthenticatorOptions {
  /** The registry API origin, e.g. `https://registry-1.docker.io`; requests elsewhere get nothing added. */
  origin: string;
  /** The user's credentials for this registry; anonymous when absent. */
  credentials?: CredentialsInput;
  /** A shared token client; a private one (using `fetch`) by default. */
  tokens?: TokenClient;
  /** The fetch for token requests when no `tokens` is given; `globalThis.fetch` by default. */
  fetch?: typeof fetch;
}

type Scheme =
  | { readonly kind: "basic" }
  | { readonly kind: "bearer"; readonly realm: string; readonly service: string | undefined };

/**
 * The authentication state for one registry: the scheme it asked for, the
 * scope its last challenge named per repository, and the credentials.
 *
 * @example
 * ```ts
 * import { Authenticator } from "./authenticator.ts";
 * const auth = new Authenticator({ origin: "https://registry-1.docker.io" });
 * const url = "https://registry-1.docker.io/v2/library/alpine/manifests/latest";
 * const sent = await auth.authorize(new Request(url), "library/alpine");
 * let response = await fetch(sent);
 * if (response.status === 401 && (await auth.handleChallenge(sent, response, "library/alpine"))) {
 *   response = await fetch(await auth.authorize(sent, "library/alpine"));
 * }
 * ```
 */
export class Authenticator {
  #origin: string;
  #credentialsInput: CredentialsInput;
  #credentials: Promise<Credentials | undefined> | undefined;
  #tokens: TokenClient;
  #scheme: Scheme | undefined;
  #scopes = new Map<string, readonly string[]>();

  constructor(options: AuthenticatorOptions) {
    this.#origin = new URL(options.origin).origin;
    this.#credentialsInput = options.credentials;
    this.#tokens = options.tokens ?? new TokenClient({ fetch: options.fetch });
  }

  /** The registry origin this authenticator serves. */
  get origin(): string {
    return this.#origin;
  }

  /**
   * `request` with its `Authorization` header set (replaced) for what the
   * registry asked before (a Bearer token, fetched or cached, or Basic
   * credentials), or `request` itself when nothing is known yet or it goes
   * to another origin. Throws {@link AuthError} when a token cannot be had.
   */
  async authorize(request: Request, repository: string, signal?: AbortSignal): Promise<Request> {
    const value = await this.authorization(request.url, repository, signal);
    if (value === undefined) return request;
    const headers = new Headers(request.headers);
    headers.set("authorization", value);
    return new Request(request, { headers });
  }

  /**
   * The `Authorization` value for a request to `url` in `repository`, or
   * undefined; for HTTP clients that build their own requests.
   */
  async authorization(
    url: string | URL,
    repository: string,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    if (new URL(url).origin !== this.#origin || !this.#scheme) return undefined;
    const credentials = await this.#resolveCredentials();
    if (this.#scheme.kind === "basic") {
      return credentials && "username" in credentials ? basicAuthorization(credentials) : undefined;
    }
    const { token } = await this.#tokens.get(this.#tokenRequest(repository, credentials), signal);
    return `Bearer ${token}`;
  }

  /**
   * Learns from a 401 `response` to `request` (as sent, `Authorization`
   * included) and resolves true when retrying (after {@link authorize}) may
   * succeed: a Bearer challenge (a token sent and refused is dropped from
   * the cache first), or a Basic challenge with credentials not yet sent.
   * False for other origins, no usable challenge, or credentials already
   * refused. Throws {@link AuthError} when the challenge is unusable (no
   * realm, an HTTP realm for an HTTPS registry). Callers retry at most once
   * per request: a registry that refuses every token must not loop.
   */
  async handleChallenge(
    request: Request,
    response: Response,
    repository: string,
  ): Promise<boolean> {
    if (response.status !== 401 || new URL(request.url).origin !== this.#origin) return false;
    const { challenges, errors } = parseChallenges(response.headers);
    const challenge = selectChallenge(challenges);
    if (!challenge) {
      if (errors.length > 0) {
        throw new AuthError(
          `${this.#origin} sent a WWW-Authenticate header that cannot be parsed: ${errors[0]}`,
        );
      }
      return false;
    }
    const sent = request.headers.get("authorization");
    if (challenge.scheme === "basic") {
      const credentials = await this.#resolveCredentials();
      this.#scheme = { kind: "basic" };
      // Basic credentials already refused: asking again will not help.
      return credentials !== undefined && "username" in credentials && !/^basic /i.test(sent ?? "");
    }
    const next = this.#bearer(challenge);
    const credentials = await this.#resolveCredentials();
    const scope = challenge.params.get("scope");
    if (sent !== null && /^bearer /i.test(sent) && this.#scheme?.kind === "bearer") {
      // The token we sent was refused (expired early, revoked): forget it.
      this.#tokens.invalidate(this.#tokenRequest(repository, credentials));
    }
    this.#scheme = next;
    if (scope !== undefined && scope !== "") this.#scopes.set(repository, [scope]);
    return true;
  }

  #bearer(challenge: Challenge): Scheme {
    const realm = challenge.params.get("realm");
    if (realm === undefined || realm === "") {
      throw new AuthError(`${this.#origin} sent a Bearer challenge without a realm`);
    }
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new AuthError(`${this.#origin} sent a Bearer realm that is not a URL`);
    }
    if (url.protocol === "http:" && this.#origin.startsWith("https:")) {
      throw new AuthError(
        `${this.#origin} names a plain-HTTP token realm (${url.origin}); refusing to downgrade`,
      );
    }
    return { kind: "bearer", realm, service: challenge.params.get("service") };
  }

  #tokenRequest(repository: string, credentials: Credentials | undefined): TokenRequest {
    const scheme = this.#scheme as Extract<Scheme, { kind: "bearer" }>;
    const scopes = this.#scopes.get(repository) ?? [`repository:${repository}:pull`];
    return { realm: scheme.realm, service: scheme.service, scopes, credentials };
  }

  /**
   * Whether any credentials apply to this registry (explicit, from auth
   * files or helpers) — so a refusal can be reported as "credentials
   * refused" or as "anonymous access refused".
   */
  async hasCredentials(): Promise<boolean> {
    return (await this.#resolveCredentials()) !== undefined;
  }

  #resolveCredentials(): Promise<Credentials | undefined> {
    const input = this.#credentialsInput;
    this.#credentials ??= typeof input === "function" ? input() : Promise.resolve(input);
    return this.#credentials;
  }
}
