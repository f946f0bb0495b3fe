/**
 * Which IP addresses an open proxy must never connect to: private,
 * loopback, link-local, CGNAT, multicast, reserved and documentation
 * ranges, and the cloud metadata endpoints. An address is judged by its
 * bytes, so every spelling the URL parser accepts (`0x7f.1`, `[::ffff:7f00:1]`)
 * is caught once parsed.
 *
 * @module
 */

/**
 * Why an address is refused, or undefined when it is a public unicast address.
 *
 * @example
 * ```ts
 * import type { AddressClass } from "./address.ts";
 * const refused: AddressClass = "metadata";
 * ```
 */
export type AddressClass =
  | "loopback"
  | "private"
  | "link-local"
  | "cgnat"
  | "metadata"
  | "reserved"
  | "multicast"
  | undefined;

/** Cloud metadata services: refused even when private addresses are allowed. */
const METADATA = new Set(["169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"]);

/**
 * Parses a dotted-quad IPv4 address (as the URL parser normalises every
 * IPv4 host to) into its 4 bytes, or undefined.
 *
 * @example
 * ```ts
 * import { parseIPv4 } from "./address.ts";
 * console.log(parseIPv4("10.0.0.1")); // [10, 0, 0, 1]
 * ```
 */
export function parseIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined;
}

/**
 * Parses an IPv6 address (brackets allowed, embedded IPv4 tail allowed)
 * into its 16 bytes, or undefined.
 *
 * @example
 * ```ts
 * import { parseIPv6 } from "./address.ts";
 * console.log(parseIPv6("[::1]")?.[15]); // 1
 * ```
 */
export function parseIPv6(text: string): number[] | undefined {
  let s = text.replace(/^\[|\]$/g, "").toLowerCase();
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (!/^[0-9a-f:.]+$/.test(s) || !s.includes(":")) return undefined;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    s = s.slice(0, lastColon + 1) + "0:0";
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const bytes: number[] = [];
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined;
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

function classifyIPv4(b: number[]): AddressClass {
  const [a, c] = [b[0], b[1]];
  if (METADATA.has(b.join("."))) return "metadata";
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && c >= 16 && c < 32) || (a === 192 && c === 168)) return "private";
  if (a === 169 && c === 254) return "link-local";
  if (a === 100 && c >= 64 && c < 128) return "cgnat";
  if (a >= 224 && a < 240) return "multicast";
  if (
    a === 0 || a >= 240 || // "this network", reserved, broadcast
    (a === 192 && c === 0 && (b[2] === 0 || b[2] === 2)) || // IETF protocol assignments, TEST-NET-1
    (a === 198 && (c === 18 || c === 19)) || // benchmarking
    (a === 198 && c === 51 && b[2] === 100) || // TEST-NET-2
    (a === 203 && c === 0 && b[2] === 113) // TEST-NET-3
  ) return "reserved";
  return undefined;
}

function classifyIPv6(b: number[]): AddressClass {
  const hex = (i: number) => (b[i] << 8) | b[i + 1];
  const zeroUpTo = (n: number) => b.slice(0, n).every((x) => x === 0);
  const compact = Array.from({ length: 8 }, (_, i) => hex(2 * i).toString(16)).join(":")
    .replace(/(^|:)0(:0)+(:|$)/, "::");
  if (METADATA.has(compact)) return "metadata";
  if (zeroUpTo(15) && b[15] === 1) return "loopback";
  if (zeroUpTo(16)) return "reserved";
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d):
  // judged by the IPv4 address they carry.
  if (zeroUpTo(10) && hex(10) === 0xffff) return classifyIPv4(b.slice(12));
  if (zeroUpTo(12)) return classifyIPv4(b.slice(12));
  if (hex(0) === 0x64 && hex(2) === 0xff9b && b.slice(4, 12).every((x) => x === 0)) {
    return classifyIPv4(b.slice(12));
  }
  if (hex(0) === 0x2002) return classifyIPv4(b.slice(2, 6)); // 6to4
  if ((b[0] & 0xfe) === 0xfc) return "private"; // fc00::/7 unique local
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return "link-local"; // fe80::/10
  if (b[0] === 0xfe && (b[1] & 0xc0) === 0xc0) return "private"; // fec0::/10 site-local
  if (b[0] === 0xff) return "multicast";
  if (hex(0) === 0x2001 && hex(2) === 0x0db8) return "reserved"; // documentation
  if (hex(0) === 0x0100 && b.slice(2, 8).every((x) => x === 0)) return "reserved"; // discard
  if (hex(0) === 0x2001 && hex(2) < 0x0200 && hex(2) !== 0) return "reserved"; // IETF special
  return undefined;
}

/**
 * Classifies an IP address (IPv4 dotted quad or IPv6, brackets allowed):
 * undefined for a public unicast address, else why it is not one. Text that
 * is not an address is `"reserved"` (refused), so callers cannot be fooled
 * by a spelling this parser does not know.
 *
 * @example
 * ```ts
 * import { classifyAddress } from "./address.ts";
 * console.log(classifyAddress("169.254.169.254")); // "metadata"
 * console.log(classifyAddress("::ffff:127.0.0.1")); // "loopback"
 * console.log(classifyAddress("140.82.112.33")); // undefined
 * ```
 */
export function classifyAddress(address: string): AddressClass {
  const v4 = parseIPv4(address);
  if (v4) return classifyIPv4(v4);
  const v6 = parseIPv6(address);
  if (v6) return classifyIPv6(v6);
  return "reserved";
}

/**
 * Whether `hostname` (as in `URL.hostname`) is an IP literal rather than a name.
 *
 * @example
 * ```ts
 * import { isIpLiteral } from "./address.ts";
 * console.log(isIpLiteral("[::1]"), isIpLiteral("ghcr.io")); // true false
 * ```
 */
export function isIpLiteral(hostname: string): boolean {
  return parseIPv4(hostname) !== undefined || parseIPv6(hostname) !== undefined;
}
