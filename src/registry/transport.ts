/**
 * HTTP for registries: authentication hook, retries with backoff, and
 * redirects followed by hand so that `Authorization` never leaves the
 * registry's origin (blob downloads are commonly redirected to a CDN or
 * object store). Web `fetch` only.
 *
 * @module
 */
import { RegistryError, registryErrorDetail } from "./errors.ts";

/**
 * Supplies `Authorization` for a registry (`auth/authenticator.ts` is the
 * implementation): the header for a request, and what to do about a 401 —
 * `handleChallenge` gets the request as sent and returns whether a retry
 * may succeed (a token was fetched, a refused one dropped).
 */
export interface Authorizer {
  authorization(url: URL, repository: string, signal?: AbortSignal): Promise<string | undefined>;
  handleChallenge(request: Request, response: Response, repository: string): Promise<boolean>;
  /** Whether the user has credentials for this registry (for the wording of a 401). */
  hasCredentials?(): Promise<boolean>;
}

/** How a {@link RegistryTransport} talks to one registry. */
export interface TransportOptions {
  /** `host[:port]` of the registry API. */
  host: string;
  /** Use `http:` instead of `https:` (loopback registries). */
  plainHttp?: boolean;
  /**
   * Where the API is, when not at `http(s)://host`: a CORS proxy's
   * `${proxy}/${host}` (see `src/proxy/`). Request paths are appended to it.
   */
  baseUrl?: string;
  authorizer?: Authorizer;
  /** Injected for tests and runtimes; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Attempts per request on network errors, 429 and 5xx (default 5). */
  attempts?: number;
  /** First backoff delay in ms, doubled each retry (default 500). */
  backoffMs?: number;
  /** Longest wait for response headers in ms (default 60 s). */
  headersTimeoutMs?: number;
}

const MAX_REDIRECTS = 10;

/** The request (URL and headers) each response answered: a 401 is judged against it. */
const sentRequests = new WeakMap<Response, Request>();

/** Aborts the request behind a response (its body included): for stall detection. */
const aborters = new WeakMap<Response, (reason: unknown) => void>();

/**
 * Aborts the request behind `response`, ending its body with `reason`.
 * Used by readers that see no bytes for too long.
 */
export function abortResponse(response: Response, reason: unknown): void {
  aborters.get(response)?.(reason);
}
const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

/** `Retry-After` as milliseconds (seconds or an HTTP date), capped at a minute. */
function retryAfter(response: Response): number | undefined {
  const value = response.headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 60_000) : undefined;
}

/**
 * Sends requests to one registry.
 *
 * @example
 * ```ts
 * import { RegistryTransport } from "./transport.ts";
 * const transport = new RegistryTransport({ host: "localhost:5000", plainHttp: true });
 * const response = await transport.get("/v2/", { repository: undefined });
 * console.log(response.status);
 * ```
 */
export class RegistryTransport {
  readonly host: string;
  readonly base: string;
  #options: Required<Omit<TransportOptions, "authorizer" | "plainHttp" | "baseUrl">> & {
    authorizer?: Authorizer;
  };

  constructor(options: TransportOptions) {
    this.host = options.host;
    this.base = (options.baseUrl ?? `${options.plainHttp ? "http" : "https"}://${options.host}`)
      .replace(/\/+$/, "");
    this.#options = {
      host: options.host,
      authorizer: options.authorizer,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      attempts: options.attempts ?? 5,
      backoffMs: options.backoffMs ?? 500,
      headersTimeoutMs: options.headersTimeoutMs ?? 60_000,
    };
  }

  /**
   * GETs `path` (under the registry) and returns a successful response;
   * anything else becomes a {@link RegistryError}. Retries network errors,
   * 408/429/5xx (honouring `Retry-After`), re-authenticates once on 401.
   */
  async get(
    path: string,
    options: {
      repository: string | undefined;
      headers?: Record<string, string>;
      signal?: AbortSignal;
      digest?: string;
    },
  ): Promise<Response> {
    const { attempts, backoffMs } = this.#options;
    let challenged = false;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      options.signal?.throwIfAborted();
      let response: Response;
      try {
        response = await this.#follow(new URL(this.base + path), options);
      } catch (error) {
        if (options.signal?.aborted || error instanceof RegistryError) throw error;
        lastError = error;
        if (attempt < attempts) await sleep(backoffMs * 2 ** (attempt - 1), options.signal);
        continue;
      }
      if (response.ok) return response;
      if (response.status === 401 && !challenged && this.#options.authorizer) {
        challenged = true;
        const sent = sentRequests.get(response)!;
        const retry = await this.#options.authorizer.handleChallenge(
          sent,
          response,
          options.repository ?? "",
        );
        await response.body?.cancel();
        if (retry) {
          attempt--; // a fresh token is not a retry of a failure
          continue;
        }
        return this.#fail(await this.#refetch(path, options), options);
      }
      if (RETRY_STATUS.has(response.status) && attempt < attempts) {
        const wait = retryAfter(response) ?? backoffMs * 2 ** (attempt - 1);
        await response.body?.cancel();
        await sleep(wait, options.signal);
        continue;
      }
      return this.#fail(response, options);
    }
    throw new RegistryError(
      `request for ${path} failed after ${attempts} attempts: ${String(lastError)}`,
      {
        registry: this.host,
        repository: options.repository,
        digest: options.digest,
        cause: lastError,
      },
    );
  }

  /** One more plain attempt, only to read the final error body. */
  #refetch(
    path: string,
    options: {
      repository: string | undefined;
      headers?: Record<string, string>;
      signal?: AbortSignal;
    },
  ) {
    return this.#follow(new URL(this.base + path), options);
  }

  async #fail(
    response: Response,
    options: { repository: string | undefined; digest?: string },
  ): Promise<never> {
    const detail = await registryErrorDetail(response);
    const sentCredentials = (await this.#options.authorizer?.hasCredentials?.()) ??
      sentRequests.get(response)?.headers.has("authorization") ?? false;
    const what = response.status === 401
      ? sentCredentials
        ? "credentials refused"
        : "authentication required (no credentials given: --creds, --authfile or a docker login)"
      : response.status === 403
      ? "access denied"
      : response.status === 404
      ? "not found"
      : "request failed";
    throw new RegistryError(detail.message ? `${what}: ${detail.message}` : what, {
      registry: this.host,
      repository: options.repository,
      status: response.status,
      code: detail.code,
      digest: options.digest,
    });
  }

  /** One request, redirects followed by hand; `Authorization` only on the registry's origin. */
  async #follow(
    url: URL,
    options: {
      repository: string | undefined;
      headers?: Record<string, string>;
      signal?: AbortSignal;
    },
  ): Promise<Response> {
    const origin = new URL(this.base).origin;
    const seen = new Set<string>();
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      if (seen.has(url.href)) {
        throw new RegistryError(`redirect loop at ${url.origin}${url.pathname}`, {
          registry: this.host,
          repository: options.repository,
        });
      }
      seen.add(url.href);
      const headers = new Headers(options.headers);
      if (url.origin === origin && this.#options.authorizer) {
        let authorization: string | undefined;
        try {
          authorization = await this.#options.authorizer.authorization(
            url,
            options.repository ?? "",
            options.signal,
          );
        } catch (error) {
          if (options.signal?.aborted) throw error;
          // A refused token request is an answer, not a network failure: no retries.
          throw new RegistryError(
            `authentication failed: ${error instanceof Error ? error.message : String(error)}`,
            {
              registry: this.host,
              repository: options.repository,
              status: (error as { status?: number }).status,
              cause: error,
            },
          );
        }
        if (authorization) headers.set("authorization", authorization);
      }
      // The timeout covers the wait for headers only; the body is watched for
      // stalls by the reader (see `stall`), so a long healthy download is never cut.
      const controller = new AbortController();
      const timer = setTimeout(
        () =>
          controller.abort(new Error(`no response within ${this.#options.headersTimeoutMs} ms`)),
        this.#options.headersTimeoutMs,
      );
      const signal = options.signal
        ? AbortSignal.any([options.signal, controller.signal])
        : controller.signal;
      let response: Response;
      try {
        response = await this.#options.fetch(url, { headers, redirect: "manual", signal });
      } finally {
        clearTimeout(timer);
      }
      aborters.set(response, (reason) => controller.abort(reason));
      sentRequests.set(response, new Request(url, { headers }));
      if (![301, 302, 303, 307, 308].includes(response.status)) return response;
      const location = response.headers.get("location");
      await response.body?.cancel();
      if (!location) {
        throw new RegistryError(`redirect without a Location`, {
          registry: this.host,
          repository: options.repository,
          status: response.status,
        });
      }
      url = new URL(location, url);
    }
    throw new RegistryError(`more than ${MAX_REDIRECTS} redirects`, {
      registry: this.host,
      repository: options.repository,
    });
  }
}
