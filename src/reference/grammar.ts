/**
 * The pieces of the distribution reference grammar, one validator each:
 * registry host, repository path, tag, digest. Each returns a reason string
 * when its input is wrong (undefined when right) so that the parser can name
 * the part at fault.
 *
 * @module
 */

/** The longest repository name (registry included, as written) the distribution grammar allows. */
export const NAME_MAX_LENGTH = 255;

// `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-` (distribution/reference).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DOMAIN_COMPONENT = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/;
const PORT = /^[0-9]{1,5}$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]+$/;
const DIGEST = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):(.*)$/;

/** Hex digits each supported digest algorithm needs. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

/**
 * Why `registry` (`host`, `host:port`, `[v6]`, `[v6]:port`) is not a valid
 * registry, or undefined when it is.
 *
 * @example
 * ```ts
 * import { registryProblem } from "./grammar.ts";
 * registryProblem("localhost:5000"); // undefined
 * registryProblem("foo.com:99999"); // "port 99999 is out of range"
 * ```
 */
export function registryProblem(registry: string): string | undefined {
  let host = registry;
  let port: string | undefined;
  if (registry.startsWith("[")) {
    const close = registry.indexOf("]");
    if (close < 0) return "IPv6 address is missing its closing ]";
    host = registry.slice(1, close);
    const rest = registry.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return `unexpected ${JSON.stringify(rest)} after IPv6 address`;
      port = rest.slice(1);
    }
    // The URL parser is the authority on IPv6 syntax; the character check
    // keeps zone ids and other URL-only forms out.
    if (!IPV6_CHARS.test(host) || !isUrlHost(`[${host}]`)) return `invalid IPv6 address [${host}]`;
  } else {
    const colon = registry.lastIndexOf(":");
    if (colon >= 0) {
      host = registry.slice(0, colon);
      port = registry.slice(colon + 1);
    }
    if (host === "") return "registry host is empty";
    for (const component of host.split(".")) {
      if (!DOMAIN_COMPONENT.test(component)) return `invalid registry host ${JSON.stringify(host)}`;
    }
  }
  if (port !== undefined) {
    if (!PORT.test(port)) return `invalid port ${JSON.stringify(port)}`;
    if (Number(port) > 65535) return `port ${port} is out of range`;
  }
  return undefined;
}

function isUrlHost(host: string): boolean {
  try {
    new URL(`http://${host}/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why `path` (`library/alpine`) is not a valid repository path, or undefined.
 *
 * @example
 * ```ts
 * import { pathProblem } from "./grammar.ts";
 * pathProblem("library/alpine"); // undefined
 * pathProblem("Library/alpine"); // "repository name must be lowercase"
 * ```
 */
export function pathProblem(path: string): string | undefined {
  if (path === "") return "repository name is empty";
  for (const component of path.split("/")) {
    if (component === "") return "repository name has an empty path component";
    if (PATH_COMPONENT.test(component)) continue;
    if (PATH_COMPONENT.test(component.toLowerCase())) return "repository name must be lowercase";
    return `invalid path component ${
      JSON.stringify(component)
    }: use [a-z0-9] separated by ".", "_", "__" or "-"`;
  }
  return undefined;
}

/**
 * Why `tag` is not a valid tag, or undefined.
 *
 * @example
 * ```ts
 * import { tagProblem } from "./grammar.ts";
 * tagProblem("3.20"); // undefined
 * tagProblem(".hidden"); // 'invalid tag ".hidden": …'
 * ```
 */
export function tagProblem(tag: string): string | undefined {
  if (tag === "") return "tag is empty";
  if (TAG.test(tag)) return undefined;
  if (tag.length > 128) return "tag is longer than 128 characters";
  return `invalid tag ${JSON.stringify(tag)}: use [A-Za-z0-9_.-], not starting with "." or "-"`;
}

/**
 * Why `digest` is not a supported digest (sha256 with 64 or sha512 with 128
 * lowercase hex digits), or undefined.
 *
 * @example
 * ```ts
 * import { digestProblem } from "./grammar.ts";
 * digestProblem(`sha256:${"a".repeat(64)}`); // undefined
 * digestProblem("sha256:abc"); // "sha256 digest needs 64 lowercase hex digits"
 * ```
 */
export function digestProblem(digest: string): string | undefined {
  const match = DIGEST.exec(digest);
  if (!match) return `invalid digest ${JSON.stringify(digest)}: expected algorithm:hex`;
  const [, algorithm, hex] = match as unknown as [string, string, string];
  const length = DIGEST_HEX_LENGTH[algorithm];
  if (length === undefined || !Object.hasOwn(DIGEST_HEX_LENGTH, algorithm)) {
    return `unsupported digest algorithm ${JSON.stringify(algorithm)} (sha256 and sha512 are)`;
  }
  if (hex.length !== length || !/^[0-9a-f]+$/.test(hex)) {
    return `${algorithm} digest needs ${length} lowercase hex digits`;
  }
  return undefined;
}
