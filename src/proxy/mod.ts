/**
 * The CORS registry proxy: lets a web page (or any client) pull from
 * registries that send no CORS headers, without becoming an open proxy.
 * See `proxy.ts` for the URL scheme and `upstream.ts` for the SSRF guard.
 *
 * @module
 */
export {
  type ConnectionInfo,
  createRegistryProxy,
  type ProxyLogEvent,
  type RegistryProxyOptions,
  rewriteRealms,
} from "./proxy.ts";
export { AllowList, type AllowListOptions, DEFAULT_ALLOW_LIST } from "./allow_list.ts";
export { type AllowedOrigins, EXPOSED_HEADERS } from "./cors.ts";
export { type RateLimitOptions } from "./rate_limit.ts";
export {
  checkUpstream,
  guardedFetch,
  type Resolver,
  type UpstreamOptions,
  UpstreamRefusal,
} from "./upstream.ts";
export { classifyAddress } from "./address.ts";
