/**
 * Which upstream hosts a proxy (or the edge handler) may talk to, in three
 * roles: registries (`/v2/…` only), token realms (one exact path each), and
 * blob hosts (CDNs and object stores a registry redirects blob downloads to;
 * reachable only as a redirect hop). The defaults cover the big public
 * registries and the hosts they redirect to.
 *
 * Entries are `host`, `host:port` or `*.domain` (any subdomain, not the
 * domain itself); without a port an entry matches the scheme's default
 * port only. Realm entries are `host[:port]/path`.
 *
 * @module
 */

/**
 * The upstream hosts allowed, by role.
 *
 * @example
 * ```ts
 * import type { AllowListOptions } from "./allow_list.ts";
 * const local: AllowListOptions = {
 *   registries: ["127.0.0.1:5000"],
 *   realms: ["127.0.0.1:5001/token"],
 *   blobHosts: [],
 * };
 * ```
 */
export interface AllowListOptions {
  /** Registry API hosts, reachable at `/{host}/v2/…`. */
  registries: readonly string[];
  /** Token endpoints (`host[:port]/path`), reachable at `/token/{host}/{path}`. */
  realms: readonly string[];
  /** Hosts reachable only as the target of a redirect (blob CDNs, object stores). */
  blobHosts: readonly string[];
}

/**
 * The default allow-list: Docker Hub, GHCR, Quay, GCR and Artifact
 * Registry, registry.k8s.io, Amazon ECR Public, MCR, GitLab, and the
 * storage hosts their blob downloads redirect to.
 *
 * @example
 * ```ts
 * import { DEFAULT_ALLOW_LIST } from "./allow_list.ts";
 * console.log(DEFAULT_ALLOW_LIST.registries.includes("ghcr.io")); // true
 * ```
 */
export const DEFAULT_ALLOW_LIST: AllowListOptions = {
  registries: [
    "registry-1.docker.io",
    "index.docker.io",
    "ghcr.io",
    "quay.io",
    "gcr.io",
    "*.gcr.io",
    "*.pkg.dev",
    "registry.k8s.io",
    "public.ecr.aws",
    "mcr.microsoft.com",
    "registry.gitlab.com",
  ],
  realms: [
    "auth.docker.io/token",
    "ghcr.io/token",
    "quay.io/v2/auth",
    "gcr.io/v2/token",
    "*.gcr.io/v2/token",
    "*.pkg.dev/v2/token",
    "public.ecr.aws/token",
    "gitlab.com/jwt/auth",
  ],
  blobHosts: [
    "production.cloudflare.docker.com",
    "*.r2.cloudflarestorage.com",
    "pkg-containers.githubusercontent.com",
    "*.quay.io",
    "quay-registry.s3.amazonaws.com",
    "storage.googleapis.com",
    "*.storage.googleapis.com",
    "*.amazonaws.com",
    "*.cloudfront.net",
    "*.data.mcr.microsoft.com",
    "*.blob.core.windows.net",
    "cdn.registry.gitlab-static.net",
  ],
};

/**
 * `host[:port]` as the URL parser writes it (lowercase, IPv4 spellings and
 * IPv6 compressed, a default port dropped), so lists and URLs compare
 * equal; text that is no host is returned lowercased.
 *
 * @example
 * ```ts
 * import { normalizeHost } from "./allow_list.ts";
 * console.log(normalizeHost("[::FFFF:127.0.0.1]:5000")); // "[::ffff:7f00:1]:5000"
 * ```
 */
export function normalizeHost(host: string): string {
  try {
    return new URL(`https://${host}`).host;
  } catch {
    return host.toLowerCase();
  }
}

function hostMatches(entry: string, url: URL): boolean {
  const entryLower = entry.toLowerCase();
  if (entryLower.startsWith("*.")) {
    // Wildcards name default-port hosts only.
    return url.port === "" && url.hostname.endsWith(entryLower.slice(1));
  }
  // https: so that an entry without a port means 443 and one with :443 matches too.
  return (url.protocol === "http:" ? normalizeHttpHost(entry) : normalizeHost(entry)) === url.host;
}

function normalizeHttpHost(host: string): string {
  try {
    return new URL(`http://${host}`).host;
  } catch {
    return host.toLowerCase();
  }
}

/**
 * An allow-list, asked per URL and role.
 *
 * @example
 * ```ts
 * import { AllowList, DEFAULT_ALLOW_LIST } from "./allow_list.ts";
 * const allow = new AllowList(DEFAULT_ALLOW_LIST);
 * console.log(allow.registry(new URL("https://ghcr.io/v2/"))); // true
 * console.log(allow.realm(new URL("https://auth.docker.io/token?scope=x"))); // true
 * console.log(allow.redirect(new URL("https://evil.example/"))); // false
 * ```
 */
export class AllowList {
  #options: AllowListOptions;

  constructor(options: AllowListOptions) {
    this.#options = options;
  }

  /** Whether `url`'s host is an allowed registry (the path is the caller's business). */
  registry(url: URL): boolean {
    return this.#options.registries.some((entry) => hostMatches(entry, url));
  }

  /** Whether `url` (query ignored) is an allowed token endpoint. */
  realm(url: URL): boolean {
    return this.#options.realms.some((entry) => {
      const slash = entry.indexOf("/");
      const host = slash < 0 ? entry : entry.slice(0, slash);
      const path = slash < 0 ? "/" : entry.slice(slash);
      return hostMatches(host, url) && url.pathname === path;
    });
  }

  /** Whether a redirect may lead to `url`: any host the list names, in any role. */
  redirect(url: URL): boolean {
    return this.registry(url) || this.#options.blobHosts.some((e) => hostMatches(e, url)) ||
      this.#options.realms.some((e) => hostMatches(e.split("/")[0], url));
  }
}
