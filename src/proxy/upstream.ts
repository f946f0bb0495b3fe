/**
 * Requests to upstream registries, guarded against server-side request
 * forgery: before every hop (the first request and each redirect, which are
 * followed here, never by `fetch`) the URL must be HTTPS (or HTTP for hosts
 * named as plain-HTTP), on the allow-list for its role, and its host must
 * not be or resolve to a private, loopback, link-local, CGNAT, reserved or
 * metadata address. `Authorization` is dropped when a redirect changes the
 * origin (object stores reject it; it would leak the token).
 *
 * Limits: the check resolves the name, then `fetch` resolves it again, so a
 * DNS server that answers differently the second time (rebinding) is not
 * caught; where no resolver exists (edge runtimes, browsers) only IP
 * literals are checked — those platforms do not route to private networks.
 *
 * @module
 */
import { type AddressClass, classifyAddress, isIpLiteral } from "./address.ts";
import { type AllowList, normalizeHost } from "./allow_list.ts";

/**
 * Resolves a host name to its IP addresses (see `src/runtime/dns.ts`).
 *
 * @example
 * ```ts
 * import type { Resolver } from "./upstream.ts";
 * const fixed: Resolver = async (name) => (name === "registry.test" ? ["127.0.0.1"] : []);
 * ```
 */
export type Resolver = (hostname: string) => Promise<string[]>;

/**
 * How upstream requests are guarded.
 *
 * @example
 * ```ts
 * import { AllowList, DEFAULT_ALLOW_LIST } from "./allow_list.ts";
 * import type { UpstreamOptions } from "./upstream.ts";
 * const options: UpstreamOptions = { allowList: new AllowList(DEFAULT_ALLOW_LIST) };
 * ```
 */
export interface UpstreamOptions {
  allowList: AllowList;
  /** Hosts (`host:port`) reached over plain HTTP (loopback test registries). */
  plainHttp?: readonly string[];
  /**
   * Allow private, loopback, link-local and CGNAT addresses (local testing).
   * Metadata endpoints (169.254.169.254, fd00:ec2::254, …) stay refused.
   */
  allowPrivateAddresses?: boolean;
  /** Name resolution for the address check; without one only IP literals are checked. */
  resolve?: Resolver;
  /** The fetch that reaches upstreams; `globalThis.fetch` by default. */
  fetch?: typeof fetch;
  /** Redirects followed per request (default 5). */
  maxRedirects?: number;
  /** Longest wait for an upstream's response headers (default 30 s); bodies are not timed. */
  headersTimeoutMs?: number;
}

/**
 * What the first hop of a request must be: a registry API path, an
 * allow-listed token realm, or either (the edge handler's registry client).
 *
 * @example
 * ```ts
 * import type { UpstreamRole } from "./upstream.ts";
 * const role: UpstreamRole = "registry";
 * ```
 */
export type UpstreamRole = "registry" | "realm" | "registry-or-realm";

/**
 * An upstream request the guard refused; `status` is the HTTP status to answer.
 *
 * @example
 * ```ts
 * import { UpstreamRefusal } from "./upstream.ts";
 * const refusal = new UpstreamRefusal("10.0.0.1 is a private address");
 * console.log(refusal.status); // 403
 * ```
 */
export class UpstreamRefusal extends Error {
  readonly status: number;
  constructor(message: string, status = 403) {
    super(message);
    this.name = "UpstreamRefusal";
    this.status = status;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Checks one hop's URL: scheme, allow-list for `role` (`"redirect"` for a
 * redirect target), and the addresses its host is or resolves to. Throws
 * {@link UpstreamRefusal}.
 *
 * @example
 * ```ts
 * import { AllowList, DEFAULT_ALLOW_LIST } from "./allow_list.ts";
 * import { checkUpstream } from "./upstream.ts";
 * const allowList = new AllowList(DEFAULT_ALLOW_LIST);
 * await checkUpstream(new URL("https://169.254.169.254/v2/"), "registry", { allowList })
 *   .catch((e) => console.log(e.message)); // "169.254.169.254 is not an allowed registry"
 * ```
 */
export async function checkUpstream(
  url: URL,
  role: UpstreamRole | "redirect",
  options: UpstreamOptions,
): Promise<void> {
  if (url.username || url.password) throw new UpstreamRefusal("URLs with credentials refused");
  const plain = options.plainHttp?.some((h) => normalizeHost(h) === normalizeHost(url.host)) ??
    false;
  if (!(url.protocol === "https:" || (url.protocol === "http:" && plain))) {
    throw new UpstreamRefusal(`${url.protocol}//${url.host} refused: HTTPS only`);
  }
  const allow = options.allowList;
  const allowed = role === "registry"
    ? allow.registry(url) && url.pathname.startsWith("/v2/")
    : role === "realm"
    ? allow.realm(url)
    : role === "registry-or-realm"
    ? (allow.registry(url) && url.pathname.startsWith("/v2/")) || allow.realm(url)
    : allow.redirect(url);
  if (!allowed) {
    const what = role === "redirect"
      ? "redirect target"
      : role === "realm"
      ? "token realm"
      : "registry";
    throw new UpstreamRefusal(
      `${url.host}${role === "realm" ? url.pathname : ""} is not an allowed ${what}`,
    );
  }
  await checkAddresses(url.hostname, options);
}

async function checkAddresses(hostname: string, options: UpstreamOptions): Promise<void> {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  const refuse = (why: Exclude<AddressClass, undefined>, address?: string) => {
    if (why !== "metadata" && options.allowPrivateAddresses) return;
    const via = address && address !== name ? ` (resolves to ${address})` : "";
    throw new UpstreamRefusal(`${name}${via} is a ${why} address`);
  };
  if (isIpLiteral(name)) {
    const why = classifyAddress(name);
    if (why) refuse(why);
    return;
  }
  if (name === "localhost" || name.endsWith(".localhost")) return refuse("loopback");
  if (!options.resolve) return;
  let addresses: string[];
  try {
    addresses = await options.resolve(name);
  } catch {
    throw new UpstreamRefusal(`${name} does not resolve`, 502);
  }
  if (addresses.length === 0) throw new UpstreamRefusal(`${name} does not resolve`, 502);
  for (const address of addresses) {
    const why = classifyAddress(address);
    if (why) refuse(why, address);
  }
}

/**
 * GETs or HEADs `url` upstream, first checked for `role`, following
 * redirects (each target checked, `Authorization` dropped across origins).
 * Returns the first non-redirect response; throws {@link UpstreamRefusal}
 * for a refused hop, a redirect loop or too many redirects, and rethrows
 * network errors.
 *
 * @example
 * ```ts
 * import { AllowList, DEFAULT_ALLOW_LIST } from "./allow_list.ts";
 * import { fetchUpstream } from "./upstream.ts";
 * const response = await fetchUpstream(
 *   new URL("https://ghcr.io/v2/"),
 *   { method: "GET", headers: new Headers() },
 *   "registry",
 *   { allowList: new AllowList(DEFAULT_ALLOW_LIST) },
 * );
 * console.log(response.status); // 401
 * ```
 */
export async function fetchUpstream(
  url: URL,
  init: { method: string; headers: Headers; signal?: AbortSignal },
  role: UpstreamRole,
  options: UpstreamOptions,
): Promise<Response> {
  if (init.method !== "GET" && init.method !== "HEAD") {
    throw new UpstreamRefusal(`method ${init.method} refused`, 405);
  }
  const doFetch = options.fetch ?? ((input, requestInit) => globalThis.fetch(input, requestInit));
  const maxRedirects = options.maxRedirects ?? 5;
  const headers = new Headers(init.headers);
  const seen = new Set<string>();
  let hopRole: UpstreamRole | "redirect" = role;
  for (let hop = 0;; hop++) {
    await checkUpstream(url, hopRole, options);
    if (seen.has(url.href)) throw new UpstreamRefusal(`redirect loop at ${url.host}`, 502);
    seen.add(url.href);
    const timeout = new AbortController();
    const timeoutMs = options.headersTimeoutMs ?? 30_000;
    const timer = setTimeout(
      () =>
        timeout.abort(new UpstreamRefusal(`${url.host}: no response within ${timeoutMs} ms`, 504)),
      timeoutMs,
    );
    const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
    let response: Response;
    try {
      response = await doFetch(url, { method: init.method, headers, redirect: "manual", signal });
    } catch (error) {
      if (timeout.signal.aborted && !init.signal?.aborted) throw timeout.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
    }
    const location = response.headers.get("location");
    if (!REDIRECTS.has(response.status) || location === null) return response;
    await response.body?.cancel();
    if (hop >= maxRedirects) throw new UpstreamRefusal(`more than ${maxRedirects} redirects`, 502);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new UpstreamRefusal(`${url.host} redirected to an invalid URL`, 502);
    }
    if (next.origin !== url.origin) headers.delete("authorization");
    url = next;
    hopRole = "redirect";
  }
}

/**
 * A `fetch` for the registry client that goes through the guard: every
 * request (GET/HEAD to an allowed registry's `/v2/` or an allowed token
 * realm) and every redirect hop is checked. Redirects are followed here
 * whatever the caller asked; a refusal becomes a 403 response with a
 * registry-style error body, so the client reports "access denied: …".
 *
 * @example
 * ```ts
 * import { AllowList, DEFAULT_ALLOW_LIST } from "./allow_list.ts";
 * import { guardedFetch } from "./upstream.ts";
 * const safeFetch = guardedFetch({ allowList: new AllowList(DEFAULT_ALLOW_LIST) });
 * const response = await safeFetch("http://169.254.169.254/latest/meta-data/");
 * console.log(response.status); // 403
 * ```
 */
export function guardedFetch(options: UpstreamOptions): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    try {
      return await fetchUpstream(
        new URL(request.url),
        { method: request.method, headers: request.headers, signal: init?.signal ?? undefined },
        "registry-or-realm",
        options,
      );
    } catch (error) {
      if (!(error instanceof UpstreamRefusal)) throw error;
      return refusalResponse(error);
    }
  };
}

/**
 * A refusal as a registry-style JSON error response (`{"errors":[…]}`),
 * which registry clients parse and report.
 *
 * @example
 * ```ts
 * import { refusalResponse, UpstreamRefusal } from "./upstream.ts";
 * const response = refusalResponse(new UpstreamRefusal("no"));
 * console.log(response.status); // 403
 * ```
 */
export function refusalResponse(refusal: UpstreamRefusal, headers?: HeadersInit): Response {
  const code = refusal.status === 403
    ? "DENIED"
    : refusal.status === 405
    ? "UNSUPPORTED"
    : "UNAVAILABLE";
  const out = new Headers(headers);
  out.set("content-type", "application/json");
  return new Response(
    JSON.stringify({ errors: [{ code, message: `proxy: ${refusal.message}` }] }),
    { status: refusal.status, headers: out },
  );
}
