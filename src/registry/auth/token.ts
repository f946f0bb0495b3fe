/**
 * The Docker/OCI token protocol: exchanging a Bearer challenge (realm,
 * service, scopes) and optional credentials for a short-lived registry
 * token, and caching tokens until shortly before they expire.
 *
 * Where credentials go: username and password travel as HTTP Basic to the
 * token realm, and an identity token in a POST body to the realm; that is
 * the protocol (the registry names its own token service, which may be on
 * another host). They are never sent on a redirect to another origin: token
 * requests with credentials do not follow redirects automatically, a
 * same-origin redirect is followed by hand, a cross-origin one is refused.
 *
 * @module
 */
import { basicAuthorization, type Credentials } from "./credentials.ts";
import { AuthError } from "./errors.ts";

/** Who asks for tokens; registries log it, some require one for OAuth2. */
export const DEFAULT_CLIENT_ID = "oci2erofs";
/** The lifetime assumed when a token answer has no `expires_in` (the distribution token spec's default). */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;
/** The most a token answer may weigh; Docker Hub's are a few KiB. */
export const MAX_TOKEN_RESPONSE_BYTES = 1 << 20;
const MAX_REDIRECTS = 5;

/**
 * What to ask a token service for.
 *
 * @example
 * ```ts
 * import type { TokenRequest } from "./token.ts";
 * const request: TokenRequest = {
 *   realm: "https://auth.docker.io/token",
 *   service: "registry.docker.io",
 *   scopes: ["repository:library/alpine:pull"],
 * };
 * ```
 */
export interface TokenRequest {
  /** The token endpoint (the challenge's `realm`), an absolute http(s) URL. */
  readonly realm: string;
  /** The challenge's `service`, if any. */
  readonly service?: string | undefined;
  /** Scopes, each sent as its own `scope` parameter. */
  readonly scopes: readonly string[];
  /** Basic credentials or an identity token; anonymous when absent. */
  readonly credentials?: Credentials | undefined;
}

/**
 * A token and when to stop using it.
 *
 * @example
 * ```ts
 * import type { Token } from "./token.ts";
 * declare const token: Token;
 * const header = `Bearer ${token.token}`;
 * ```
 */
export interface Token {
  /** The bearer token. */
  readonly token: string;
  /** When the cache drops it (ms since the epoch): the lifetime minus a margin, counted from when it was asked for. */
  readonly expiresAt: number;
  /** The server's `issued_at`, if it sent a valid one (informational: clocks differ). */
  readonly issuedAt?: Date | undefined;
}

/**
 * Options for {@link TokenClient}.
 *
 * @example
 * ```ts
 * import type { TokenClientOptions } from "./token.ts";
 * const options: TokenClientOptions = { fetch: globalThis.fetch, clientId: "my-tool" };
 * ```
 */
export interface TokenClientOptions {
  /** The fetch to use; `globalThis.fetch` by default. */
  fetch?: typeof fetch;
  /** `client_id` for identity-token exchanges; {@link DEFAULT_CLIENT_ID} by default. */
  clientId?: string;
  /** The clock (ms since the epoch); `Date.now` by default. */
  now?: () => number;
}

/**
 * Gets and caches registry tokens. Tokens are cached per (realm, service,
 * scopes, who): "who" is the username, `<identity token>` or anonymous, so
 * one client can serve several identities without mixing their tokens.
 *
 * @example
 * ```ts
 * import { TokenClient } from "./token.ts";
 * const tokens = new TokenClient();
 * const request = {
 *   realm: "https://auth.docker.io/token",
 *   service: "registry.docker.io",
 *   scopes: ["repository:library/alpine:pull"],
 * };
 * const { token } = await tokens.get(request);
 * // …on a 401 despite the token:
 * tokens.invalidate(request);
 * ```
 */
export class TokenClient {
  #fetch: typeof fetch;
  #clientId: string;
  #now: () => number;
  #cache = new Map<string, Token>();
  #pending = new Map<string, Flight>();

  constructor(options: TokenClientOptions = {}) {
    // Bound: calling an unbound global fetch throws "Illegal invocation" in browsers.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    this.#now = options.now ?? Date.now;
  }

  /**
   * A valid token for `request`: from the cache while it lasts, else from
   * the realm. Concurrent callers share one request; `signal` abandons
   * this caller's wait, and the request itself is aborted only once every
   * caller waiting for it has given up. Throws {@link AuthError} when the
   * realm refuses or answers garbage.
   */
  async get(request: TokenRequest, signal?: AbortSignal): Promise<Token> {
    const key = cacheKey(request);
    const cached = this.#cache.get(key);
    if (cached && cached.expiresAt > this.#now()) return cached;
    this.#cache.delete(key);
    signal?.throwIfAborted();
    let flight = this.#pending.get(key);
    if (!flight) {
      const controller = new AbortController();
      const promise = this.#fetchToken(request, controller.signal);
      const started: Flight = { promise, controller, waiters: 0 };
      const forget = () => {
        if (this.#pending.get(key) === started) this.#pending.delete(key);
      };
      // Handled here so that a request every caller abandoned does not surface as unhandled.
      promise.then(forget, forget);
      this.#pending.set(key, started);
      flight = started;
    }
    flight.waiters++;
    try {
      const token = await waitFor(flight.promise, signal);
      this.#cache.set(key, token);
      return token;
    } finally {
      if (--flight.waiters === 0 && signal?.aborted) {
        if (this.#pending.get(key) === flight) this.#pending.delete(key);
        flight.controller.abort(signal.reason);
      }
    }
  }

  /** Forgets the cached token for `request` (the registry answered 401 despite it). */
  invalidate(request: TokenRequest): void {
    this.#cache.delete(cacheKey(request));
  }

  async #fetchToken(request: TokenRequest, signal: AbortSignal | undefined): Promise<Token> {
    const realm = parseRealm(request.realm);
    const started = this.#now();
    const credentials = request.credentials;
    let response: Response;
    if (credentials && "identityToken" in credentials) {
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: credentials.identityToken,
        client_id: this.#clientId,
      });
      if (request.service !== undefined) form.set("service", request.service);
      // OAuth2 scopes are one space-separated parameter.
      if (request.scopes.length > 0) form.set("scope", request.scopes.join(" "));
      response = await this.#send(
        realm,
        {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: form.toString(),
        },
        true,
        signal,
      );
    } else {
      const url = new URL(realm);
      if (request.service !== undefined) url.searchParams.set("service", request.service);
      for (const scope of request.scopes) url.searchParams.append("scope", scope);
      const headers: Record<string, string> = {};
      if (credentials) headers.authorization = basicAuthorization(credentials);
      response = await this.#send(
        url,
        { method: "GET", headers },
        credentials !== undefined,
        signal,
      );
    }
    return parseTokenResponse(response, realm, started);
  }

  /** Sends a token request; with secrets aboard, redirects are followed by hand and only within the origin. */
  async #send(
    url: URL,
    init: RequestInit,
    secret: boolean,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const where = url.origin + url.pathname;
    for (let hops = 0;; hops++) {
      let response: Response;
      try {
        response = await this.#fetch(url, {
          ...init,
          redirect: secret ? "manual" : "follow",
          signal,
        });
      } catch (cause) {
        if (signal?.aborted) throw signal.reason;
        throw new AuthError(`token endpoint ${where}: request failed`, { cause });
      }
      if (!secret || !isRedirect(response)) return response;
      await response.body?.cancel();
      const location = response.headers.get("location");
      const target = location === null ? undefined : new URL(location, url);
      if (
        !target || target.origin !== url.origin || hops >= MAX_REDIRECTS || init.method === "POST"
      ) {
        throw new AuthError(
          `token endpoint ${where} redirected${target ? ` to ${target.origin}` : ""}; ` +
            "not following it with credentials",
          { status: response.status },
        );
      }
      url = target;
    }
  }
}

/** One token request in progress and how many callers wait for it. */
interface Flight {
  readonly promise: Promise<Token>;
  readonly controller: AbortController;
  waiters: number;
}

function waitFor<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function isRedirect(response: Response): boolean {
  // Browsers hide manual redirects behind an opaque status-0 response.
  return response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400);
}

function cacheKey(request: TokenRequest): string {
  const c = request.credentials;
  const who = c === undefined ? "" : "identityToken" in c ? "\0identity" : `user:${c.username}`;
  return JSON.stringify([request.realm, request.service ?? null, [...request.scopes].sort(), who]);
}

function parseRealm(realm: string): URL {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new AuthError(`token realm ${JSON.stringify(realm)} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new AuthError(`token realm ${JSON.stringify(realm)} is not an http(s) URL`);
  }
  if (url.username || url.password) throw new AuthError("token realm must not embed credentials");
  return url;
}

async function parseTokenResponse(response: Response, realm: URL, started: number): Promise<Token> {
  const where = realm.origin + realm.pathname;
  if (!response.ok) {
    await response.body?.cancel();
    const why = response.status === 401 || response.status === 403 ? " (credentials refused)" : "";
    throw new AuthError(`token endpoint ${where} answered ${response.status}${why}`, {
      status: response.status,
    });
  }
  const text = await readCapped(response, where);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AuthError(`token endpoint ${where} answered something that is not JSON`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new AuthError(`token endpoint ${where} answered JSON that is not an object`);
  }
  const answer = json as Record<string, unknown>;
  const token = [answer.token, answer.access_token].find((t) => typeof t === "string" && t !== "");
  if (typeof token !== "string") {
    throw new AuthError(
      `token endpoint ${where} answered without a "token" or "access_token" string`,
    );
  }
  // deno-lint-ignore no-control-regex -- control characters are exactly what a token must not hold
  if (/[\s\0-\x1f\x7f]/.test(token)) {
    throw new AuthError(`token endpoint ${where} answered a malformed token`);
  }
  let lifetime = DEFAULT_TOKEN_LIFETIME_SECONDS;
  if (answer.expires_in !== undefined && answer.expires_in !== null) {
    if (
      typeof answer.expires_in !== "number" || !Number.isFinite(answer.expires_in) ||
      answer.expires_in < 0
    ) {
      throw new AuthError(`token endpoint ${where} answered an invalid "expires_in"`);
    }
    if (answer.expires_in > 0) lifetime = answer.expires_in;
  }
  let issuedAt: Date | undefined;
  if (typeof answer.issued_at === "string") {
    const date = new Date(answer.issued_at);
    if (!Number.isNaN(date.getTime())) issuedAt = date;
  }
  // Counted from when we asked, not from `issued_at`: the server's clock may
  // differ from ours, and the token cannot have been issued earlier than the
  // request. The margin covers the time a request spends in flight.
  const lifetimeMs = lifetime * 1000;
  const margin = Math.min(10_000, lifetimeMs / 10);
  return { token, expiresAt: started + lifetimeMs - margin, issuedAt };
}

async function readCapped(response: Response, where: string): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > MAX_TOKEN_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw new AuthError(
      `token endpoint ${where} answered more than ${MAX_TOKEN_RESPONSE_BYTES} bytes`,
    );
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_TOKEN_RESPONSE_BYTES) {
      await reader.cancel();
      throw new AuthError(
        `token endpoint ${where} answered more than ${MAX_TOKEN_RESPONSE_BYTES} bytes`,
      );
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
