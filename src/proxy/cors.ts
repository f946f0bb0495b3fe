/**
 * The CORS side of the proxy: which origins may use it, the headers every
 * answer carries, and preflight answers. Registry responses carry
 * headers a client must read (`WWW-Authenticate` to log in,
 * `Docker-Content-Digest`, `Content-Range` to resume, `Retry-After` to back
 * off); browsers hide them unless exposed.
 *
 * @module
 */

/**
 * Response headers a registry client reads, exposed to pages.
 *
 * @example
 * ```ts
 * import { EXPOSED_HEADERS } from "./cors.ts";
 * console.log(EXPOSED_HEADERS.includes("Docker-Content-Digest")); // true
 * ```
 */
export const EXPOSED_HEADERS: string = [
  "WWW-Authenticate",
  "Docker-Content-Digest",
  "Docker-Distribution-API-Version",
  "Content-Length",
  "Content-Range",
  "Content-Type",
  "Accept-Ranges",
  "ETag",
  "Link",
  "Retry-After",
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
  "Docker-RateLimit-Source",
].join(", ");

/**
 * Request headers a page may send through the proxy (and that are forwarded upstream).
 *
 * @example
 * ```ts
 * import { FORWARDED_REQUEST_HEADERS } from "./cors.ts";
 * console.log(FORWARDED_REQUEST_HEADERS.includes("cookie")); // false
 * ```
 */
export const FORWARDED_REQUEST_HEADERS = [
  "accept",
  "authorization",
  "range",
  "if-range",
  "if-none-match",
  "if-modified-since",
  "docker-distribution-api-version",
];

/**
 * Which page origins may use the proxy: `"*"` (any), or a list of origins.
 * Requests without an `Origin` header (command-line clients) are not
 * affected: CORS only binds browsers.
 *
 * @example
 * ```ts
 * import type { AllowedOrigins } from "./cors.ts";
 * const only: AllowedOrigins = ["https://oci2erofs.example"];
 * ```
 */
export type AllowedOrigins = "*" | readonly string[];

/**
 * The CORS response headers for a request from `origin` (null: no
 * `Origin` header), or undefined when that origin is not allowed.
 *
 * @example
 * ```ts
 * import { corsHeaders } from "./cors.ts";
 * const headers = corsHeaders("https://page.example", "*");
 * console.log(headers?.get("access-control-allow-origin")); // "*"
 * ```
 */
export function corsHeaders(origin: string | null, allowed: AllowedOrigins): Headers | undefined {
  const headers = new Headers({ "access-control-expose-headers": EXPOSED_HEADERS });
  if (allowed === "*") {
    headers.set("access-control-allow-origin", "*");
    return headers;
  }
  headers.set("vary", "Origin");
  if (origin === null) return headers;
  if (!allowed.includes(origin)) return undefined;
  headers.set("access-control-allow-origin", origin);
  return headers;
}

/**
 * The answer to an `OPTIONS` preflight: 204 allowing GET and HEAD with the
 * forwarded request headers, or 403 for a method other than GET/HEAD or a
 * header that would not be forwarded.
 *
 * @example
 * ```ts
 * import { corsHeaders, preflight } from "./cors.ts";
 * const request = new Request("https://proxy.example/ghcr.io/v2/", {
 *   method: "OPTIONS",
 *   headers: { origin: "https://page.example", "access-control-request-method": "GET" },
 * });
 * console.log(preflight(request, corsHeaders("https://page.example", "*")!).status); // 204
 * ```
 */
export function preflight(request: Request, cors: Headers): Response {
  const method = request.headers.get("access-control-request-method");
  const wanted = (request.headers.get("access-control-request-headers") ?? "")
    .split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
  if (method !== "GET" && method !== "HEAD") {
    return new Response(null, { status: 403, headers: cors });
  }
  if (wanted.some((h) => !FORWARDED_REQUEST_HEADERS.includes(h))) {
    return new Response(null, { status: 403, headers: cors });
  }
  const headers = new Headers(cors);
  headers.set("access-control-allow-methods", "GET, HEAD");
  headers.set("access-control-allow-headers", FORWARDED_REQUEST_HEADERS.join(", "));
  headers.set("access-control-max-age", "600");
  return new Response(null, { status: 204, headers });
}
