/**
 * The CORS registry proxy as a `fetch`-style handler (`Request` in,
 * `Response` out, Web APIs only), so the same code serves from Deno, from
 * Node (through `src/runtime/http_server.ts`) and as an edge function.
 *
 * URL scheme (the web page relies on it):
 *
 * - `{proxy}/{host[:port]}/v2/…` → `https://{host}/v2/…` (`http:` for hosts
 *   in `plainHttp`), `host` an allowed registry;
 * - `{proxy}/token/{host[:port]}/{path}?…` → `https://{host}/{path}?…`, an
 *   allowed token realm. Registries' `WWW-Authenticate` realms are rewritten
 *   to this form, so a client's token requests come back through the proxy.
 *
 * Only GET and HEAD are forwarded (OPTIONS preflights are answered here);
 * redirects are followed by the proxy, each hop checked (see
 * `upstream.ts`); only a fixed set of request headers is forwarded
 * (`Authorization`, `Accept`, `Range`, …: never cookies). Manifests, token
 * answers and other small documents are capped in size; blobs are not. The
 * logger gets one event per request with the path but never the query
 * string or any header, so credentials and tokens (in `Authorization`, and
 * in token requests' queries) never reach a log.
 *
 * @module
 */
import {
  AllowList,
  type AllowListOptions,
  DEFAULT_ALLOW_LIST,
  normalizeHost,
} from "./allow_list.ts";
import { type AllowedOrigins, corsHeaders, FORWARDED_REQUEST_HEADERS, preflight } from "./cors.ts";
import { RateLimiter, type RateLimitOptions } from "./rate_limit.ts";
import {
  fetchUpstream,
  refusalResponse,
  type Resolver,
  type UpstreamOptions,
  UpstreamRefusal,
} from "./upstream.ts";

/**
 * One request as the proxy logs it. Never holds headers, query strings or
 * bodies: those are where credentials and tokens travel.
 *
 * @example
 * ```ts
 * import type { ProxyLogEvent } from "./proxy.ts";
 * const log = (e: ProxyLogEvent) => console.error(JSON.stringify(e));
 * ```
 */
export interface ProxyLogEvent {
  /** Client key (peer address by default). */
  client: string;
  method: string;
  /** Which route the request took. */
  route: "registry" | "token" | "preflight" | "none";
  /** Upstream host, when the path named one. */
  upstream?: string;
  /** Upstream path, without the query string. */
  path: string;
  status: number;
  /** Milliseconds until the response headers. */
  ms: number;
  /** Why the proxy refused or failed, when it did. */
  reason?: string;
}

/**
 * Where a request came from, as the server adapter knows it.
 *
 * @example
 * ```ts
 * import type { ConnectionInfo } from "./proxy.ts";
 * const info: ConnectionInfo = { remoteAddress: "203.0.113.7" };
 * ```
 */
export interface ConnectionInfo {
  remoteAddress?: string;
}

/**
 * Options of {@link createRegistryProxy}; everything has a default.
 *
 * @example
 * ```ts
 * import type { RegistryProxyOptions } from "./proxy.ts";
 * const local: RegistryProxyOptions = {
 *   allowList: { registries: ["127.0.0.1:5000"], realms: [], blobHosts: [] },
 *   plainHttp: ["127.0.0.1:5000"],
 *   allowPrivateAddresses: true,
 * };
 * ```
 */
export interface RegistryProxyOptions {
  /** Upstreams allowed, by role; {@link DEFAULT_ALLOW_LIST} by default. */
  allowList?: AllowListOptions;
  /** Hosts (`host:port`) reached over plain HTTP (loopback test registries). */
  plainHttp?: readonly string[];
  /** Allow private and loopback upstream addresses (local testing); metadata stays refused. */
  allowPrivateAddresses?: boolean;
  /** Name resolution for the address check (`systemResolver()` from `src/runtime/dns.ts`). */
  resolve?: Resolver;
  /** The fetch that reaches upstreams. */
  fetch?: typeof fetch;
  /** Page origins allowed (default `"*"`). */
  allowedOrigins?: AllowedOrigins;
  /** Requests per client (default 1200 per minute); `false` disables the limit. */
  rateLimit?: RateLimitOptions | false;
  /** Largest manifest, tag list or other non-blob registry answer forwarded (default 4 MiB). */
  maxDocumentBytes?: number;
  /** Largest token answer forwarded (default 1 MiB). */
  maxTokenBytes?: number;
  /** Longest request URL accepted (default 8 KiB). */
  maxUrlLength?: number;
  /**
   * The proxy's public base URL (e.g. `https://example.com/registry-proxy`),
   * for rewritten realms and a path prefix; default: the request's origin.
   */
  publicUrl?: string;
  /** Gets one event per request. */
  logger?: (event: ProxyLogEvent) => void;
  /** The rate-limit key of a request; default the peer address. */
  clientKey?: (request: Request, info?: ConnectionInfo) => string;
}

/** Response headers never passed on: per-connection, cookies, and what the proxy re-decides. */
const DROPPED_RESPONSE_HEADERS = [
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "proxy-authenticate",
  "set-cookie",
  "location",
  "strict-transport-security",
  "alt-svc",
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-expose-headers",
];

interface Route {
  kind: "registry" | "token";
  upstream: URL;
  host: string;
}

/**
 * Creates the proxy handler.
 *
 * @example
 * ```ts
 * import { createRegistryProxy } from "./proxy.ts";
 * const proxy = createRegistryProxy({ logger: (e) => console.error(JSON.stringify(e)) });
 * const response = await proxy(new Request("http://localhost:8787/ghcr.io/v2/"));
 * console.log(response.status, response.headers.get("www-authenticate"));
 * // 401 Bearer realm="http://localhost:8787/token/ghcr.io/token",service="ghcr.io",…
 * ```
 */
export function createRegistryProxy(
  options: RegistryProxyOptions = {},
): (request: Request, info?: ConnectionInfo) => Promise<Response> {
  const upstream: UpstreamOptions = {
    allowList: new AllowList(options.allowList ?? DEFAULT_ALLOW_LIST),
    plainHttp: options.plainHttp,
    allowPrivateAddresses: options.allowPrivateAddresses,
    resolve: options.resolve,
    fetch: options.fetch,
  };
  const allowedOrigins = options.allowedOrigins ?? "*";
  const limiter = options.rateLimit === false
    ? undefined
    : new RateLimiter(options.rateLimit ?? { requests: 1200, windowMs: 60_000 });
  const maxUrl = options.maxUrlLength ?? 8192;
  const maxDocument = options.maxDocumentBytes ?? 4 << 20;
  const maxToken = options.maxTokenBytes ?? 1 << 20;
  const log = options.logger ?? (() => {});

  return async (request, info) => {
    const started = performance.now();
    const client = options.clientKey?.(request, info) ?? info?.remoteAddress ?? "unknown";
    const event: ProxyLogEvent = {
      client,
      method: request.method,
      route: "none",
      path: "",
      status: 0,
      ms: 0,
    };
    const finish = (response: Response, reason?: string): Response => {
      event.status = response.status;
      event.ms = Math.round(performance.now() - started);
      if (reason !== undefined) event.reason = reason;
      try {
        log(event);
      } catch {
        // A failing logger must not fail requests.
      }
      return response;
    };
    const cors = corsHeaders(request.headers.get("origin"), allowedOrigins);
    if (!cors) {
      return finish(
        refusalResponse(new UpstreamRefusal("origin not allowed")),
        "origin not allowed",
      );
    }
    const refuse = (refusal: UpstreamRefusal) =>
      finish(refusalResponse(refusal, cors), refusal.message);
    try {
      if (request.url.length > maxUrl) return refuse(new UpstreamRefusal("URL too long", 414));
      const base = publicBase(options.publicUrl, request);
      const route = parseRoute(new URL(request.url), base, upstream.plainHttp ?? []);
      if (route) {
        event.route = route.kind;
        event.upstream = route.host;
        event.path = route.upstream.pathname;
      }
      if (request.method === "OPTIONS") {
        event.route = "preflight";
        if (!route) return refuse(new UpstreamRefusal("not a proxied path"));
        return finish(preflight(request, cors));
      }
      if (request.method !== "GET" && request.method !== "HEAD") {
        const headers = new Headers(cors);
        headers.set("allow", "GET, HEAD, OPTIONS");
        return finish(
          refusalResponse(new UpstreamRefusal(`method ${request.method} refused`, 405), headers),
          `method ${request.method} refused`,
        );
      }
      if (!route) {
        return refuse(
          new UpstreamRefusal("not a proxied path: /{registry}/v2/… or /token/{realm host}/…"),
        );
      }
      if (Number(request.headers.get("content-length") ?? 0) > 0 || request.body !== null) {
        return refuse(new UpstreamRefusal("request bodies are refused", 413));
      }
      const wait = limiter?.take(client) ?? 0;
      if (wait > 0) {
        const headers = new Headers(cors);
        headers.set("retry-after", String(Math.ceil(wait / 1000)));
        return finish(
          refusalResponse(new UpstreamRefusal("too many requests", 429), headers),
          "rate limited",
        );
      }
      const headers = new Headers();
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const value = request.headers.get(name);
        if (value !== null) headers.set(name, value);
      }
      // Bodies pass through as sent: no decoding here, no mismatched Content-Length.
      headers.set("accept-encoding", "identity");
      const response = await fetchUpstream(
        route.upstream,
        { method: request.method, headers, signal: request.signal },
        route.kind === "token" ? "realm" : "registry",
        upstream,
      );
      const cap = route.kind === "token"
        ? maxToken
        : /\/blobs\/[^/]+$/.test(route.upstream.pathname)
        ? undefined
        : maxDocument;
      return finish(answer(response, request.method, cors, base, cap));
    } catch (error) {
      if (error instanceof UpstreamRefusal) return refuse(error);
      if (error instanceof TooLarge) return refuse(new UpstreamRefusal(error.message, 502));
      const reason = request.signal?.aborted
        ? "client went away"
        : `upstream failed: ${error instanceof Error ? error.name : "error"}`;
      return finish(refusalResponse(new UpstreamRefusal(reason, 502), cors), reason);
    }
  };
}

class TooLarge extends Error {}

/** The proxy's base URL (origin and path prefix, no trailing slash). */
function publicBase(publicUrl: string | undefined, request: Request): URL {
  const base = new URL(publicUrl ?? new URL(request.url).origin);
  base.pathname = base.pathname.replace(/\/+$/, "");
  base.search = "";
  base.hash = "";
  return base;
}

const HOST_SEGMENT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/;

/** The upstream a request path names, or undefined when it names none allowed by the scheme. */
function parseRoute(url: URL, base: URL, plainHttp: readonly string[]): Route | undefined {
  const prefix = base.pathname.replace(/\/+$/, "");
  if (!url.pathname.startsWith(`${prefix}/`)) return undefined;
  const rest = url.pathname.slice(prefix.length + 1);
  const token = rest.startsWith("token/");
  const afterKind = token ? rest.slice("token/".length) : rest;
  const slash = afterKind.indexOf("/");
  if (slash <= 0) return undefined;
  const segment = afterKind.slice(0, slash);
  let path = afterKind.slice(slash);
  if (!HOST_SEGMENT.test(segment)) return undefined;
  const host = normalizeHost(segment);
  if (!token) {
    if (path === "/v2") path = "/v2/";
    if (!path.startsWith("/v2/")) return undefined;
  }
  const scheme = plainHttp.some((h) => normalizeHost(h) === host) ? "http" : "https";
  let upstream: URL;
  try {
    upstream = new URL(`${scheme}://${host}${path}${url.search}`);
  } catch {
    return undefined;
  }
  return { kind: token ? "token" : "registry", upstream, host: upstream.host };
}

/** The upstream response as the client gets it: filtered headers, rewritten realm, capped body. */
function answer(
  response: Response,
  method: string,
  cors: Headers,
  base: URL,
  cap: number | undefined,
): Response {
  const headers = new Headers(response.headers);
  for (const name of DROPPED_RESPONSE_HEADERS) headers.delete(name);
  if (headers.has("content-encoding")) {
    // Some fetch implementations decode despite identity: the length no longer holds.
    headers.delete("content-encoding");
    headers.delete("content-length");
  }
  const challenge = headers.get("www-authenticate");
  if (challenge !== null) headers.set("www-authenticate", rewriteRealms(challenge, base));
  for (const [name, value] of cors) headers.set(name, value);
  // HEAD, 204 and 304 answers have no body (a Response refuses one for these statuses).
  const bodiless = method === "HEAD" || [204, 205, 304].includes(response.status);
  let body: ReadableStream<Uint8Array> | null = bodiless ? null : response.body;
  if (bodiless) void response.body?.cancel();
  if (body && cap !== undefined) {
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > cap) {
      void response.body?.cancel();
      throw new TooLarge(`upstream answer is ${declared} bytes; at most ${cap} forwarded`);
    }
    body = body.pipeThrough(capBytes(cap));
  }
  return new Response(body as BodyInit | null, { status: response.status, headers });
}

/** Passes at most `limit` bytes, then errors the stream (the client sees a cut body). */
function capBytes(limit: number): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > limit) controller.error(new TooLarge(`upstream answer exceeds ${limit} bytes`));
      else controller.enqueue(chunk);
    },
  });
}

const REALM = /\brealm\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s,]+)/gi;

/**
 * Rewrites every `realm` of a `WWW-Authenticate` value that is an http(s)
 * URL to `{base}/token/{host}{path}{query}`; other realms (Basic's
 * free-text realm) are left alone.
 *
 * @example
 * ```ts
 * import { rewriteRealms } from "./proxy.ts";
 * const value = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"';
 * console.log(rewriteRealms(value, new URL("https://p.example")));
 * // Bearer realm="https://p.example/token/auth.docker.io/token",service="registry.docker.io"
 * ```
 */
export function rewriteRealms(value: string, base: URL): string {
  return value.replace(REALM, (whole, raw: string, quoted: string | undefined) => {
    const realm = quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : raw;
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      return whole;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return whole;
    const target = `${base.href.replace(/\/+$/, "")}/token/${url.host}${url.pathname}${url.search}`;
    return `realm="${target.replace(/["\\]/g, "\\$&")}"`;
  });
}
