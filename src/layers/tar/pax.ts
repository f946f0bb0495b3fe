/**
 * PAX extended headers (POSIX.1-2001 `x` and `g` records): splitting the
 * `"%d %s=%s\n"` records, and interpreting the keywords that override header
 * fields or carry xattrs.
 *
 * @module
 */
import type { Timestamp } from "../../tree/mod.ts";

/**
 * One `keyword=value` record; values stay bytes because xattr values are binary.
 *
 * @example
 * ```ts
 * import { parsePaxRecords, type PaxRecords } from "./pax.ts";
 * const records = parsePaxRecords(new TextEncoder().encode("12 uid=1000\n")) as PaxRecords;
 * console.log(new TextDecoder().decode(records.get("uid"))); // 1000
 * ```
 */
export type PaxRecords = Map<string, Uint8Array>;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const SPACE = 0x20;
const EQUALS = 0x3d;
const NEWLINE = 0x0a;

/**
 * Splits the data of a PAX header into records, in order; later duplicates
 * win. Returns an error message (rather than throwing) so the caller can name
 * the entry.
 *
 * @example
 * ```ts
 * import { parsePaxRecords } from "./pax.ts";
 * const records = parsePaxRecords(new TextEncoder().encode("16 path=a/b/c.d\n"));
 * if (typeof records !== "string") console.log(records.get("path")); // bytes of "a/b/c.d"
 * ```
 */
export function parsePaxRecords(data: Uint8Array): PaxRecords | string {
  const list = paxRecordList(data);
  return typeof list === "string" ? list : new Map(list);
}

/**
 * Splits the data of a PAX header into records, in order, duplicates kept:
 * GNU sparse format 0.0 repeats `GNU.sparse.offset` and `GNU.sparse.numbytes`
 * once per segment, so their order is the map. Returns an error message
 * (rather than throwing) so the caller can name the entry.
 *
 * @example
 * ```ts
 * import { paxRecordList } from "./pax.ts";
 * const list = paxRecordList(new TextEncoder().encode("22 GNU.sparse.offset=0\n22 GNU.sparse.offset=9\n"));
 * if (typeof list !== "string") console.log(list.length); // 2
 * ```
 */
export function paxRecordList(data: Uint8Array): [string, Uint8Array][] | string {
  const records: [string, Uint8Array][] = [];
  let at = 0;
  while (at < data.length) {
    // Some writers pad the header data with NULs; nothing may follow them.
    if (data[at] === 0) {
      for (let i = at; i < data.length; i++) {
        if (data[i] !== 0) return `malformed PAX record at data offset ${at}`;
      }
      break;
    }
    let length = 0;
    let i = at;
    while (i < data.length && data[i] >= 0x30 && data[i] <= 0x39 && i - at < 12) {
      length = length * 10 + (data[i] - 0x30);
      i++;
    }
    if (i === at || data[i] !== SPACE) return `malformed PAX record length at data offset ${at}`;
    const end = at + length;
    if (length < i - at + 3 || end > data.length || data[end - 1] !== NEWLINE) {
      return `malformed PAX record at data offset ${at} (length ${length})`;
    }
    const record = data.subarray(i + 1, end - 1);
    const eq = record.indexOf(EQUALS);
    if (eq <= 0) return `PAX record without keyword at data offset ${at}`;
    let keyword: string;
    try {
      keyword = utf8.decode(record.subarray(0, eq));
    } catch {
      return `PAX keyword is not UTF-8 at data offset ${at}`;
    }
    // Copy: the caller's buffer may be a window that is reused or large.
    records.push([keyword, record.slice(eq + 1)]);
    at = end;
  }
  return records;
}

/**
 * Decodes a PAX value as UTF-8 text (as POSIX requires for the standard keywords).
 *
 * @example
 * ```ts
 * import { paxText } from "./pax.ts";
 * paxText(new TextEncoder().encode("résumé")); // "résumé"
 * paxText(new Uint8Array([0xff])); // undefined
 * ```
 */
export function paxText(value: Uint8Array): string | undefined {
  try {
    return utf8.decode(value);
  } catch {
    return undefined;
  }
}

/**
 * Parses a non-negative decimal PAX number (`size`, `uid`, …).
 *
 * @example
 * ```ts
 * import { paxInteger } from "./pax.ts";
 * paxInteger("1000"); // 1000
 * paxInteger("-1"); // undefined
 * ```
 */
export function paxInteger(value: string): number | undefined {
  if (!/^[0-9]{1,16}$/.test(value)) return undefined;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : undefined;
}

/**
 * Parses a PAX time: decimal seconds with an optional fraction, possibly
 * negative (`-1.5` is 1.5 s before the epoch, i.e. sec −2, nsec 5e8).
 * Digits past nanoseconds round toward negative infinity.
 *
 * @example
 * ```ts
 * import { paxTime } from "./pax.ts";
 * paxTime("1700000000.25"); // { sec: 1700000000, nsec: 250000000 }
 * paxTime("-1.5"); // { sec: -2, nsec: 500000000 }
 * ```
 */
export function paxTime(value: string): Timestamp | undefined {
  const match = /^(-?)([0-9]{1,16})(?:\.([0-9]*))?$/.exec(value);
  if (!match) return undefined;
  const [, sign, whole, fraction = ""] = match;
  const seconds = Number(whole);
  if (!Number.isSafeInteger(seconds)) return undefined;
  const nanos = Number(fraction.slice(0, 9).padEnd(9, "0"));
  const beyond = /[1-9]/.test(fraction.slice(9));
  if (sign === "") return { sec: seconds, nsec: nanos };
  // −(s + f) = (−s − 1) + (1 − f): floor for the seconds, the rest as nanoseconds.
  if (nanos === 0 && !beyond) return { sec: seconds === 0 ? 0 : -seconds, nsec: 0 };
  return { sec: -seconds - 1, nsec: 1e9 - nanos - (beyond ? 1 : 0) };
}

/**
 * Decodes GNU tar's escaping of `SCHILY.xattr.` names: `%3D` is `=` and `%25`
 * is `%` (a bare `=` would end the keyword). libarchive writes the same.
 *
 * @example
 * ```ts
 * import { decodeSchilyXattrName } from "./pax.ts";
 * decodeSchilyXattrName("user.a%3Db%25c"); // "user.a=b%c"
 * ```
 */
export function decodeSchilyXattrName(name: string): string {
  return name.replace(/%(25|3D)/g, (_, code: string) => (code === "25" ? "%" : "="));
}

/**
 * Decodes libarchive's `LIBARCHIVE.xattr.` names: URL percent-encoding.
 *
 * @example
 * ```ts
 * import { decodeLibarchiveXattrName } from "./pax.ts";
 * decodeLibarchiveXattrName("user.sp%20ace"); // "user.sp ace"
 * ```
 */
export function decodeLibarchiveXattrName(name: string): string | undefined {
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}

/**
 * Decodes base64 with or without `=` padding (libarchive omits it).
 *
 * @example
 * ```ts
 * import { decodeBase64 } from "./pax.ts";
 * decodeBase64("AAEC"); // Uint8Array [0, 1, 2]
 * decodeBase64("YQ"); // Uint8Array [97] (padding optional)
 * ```
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bare = text.replace(/=+$/, "");
  if (bare.length % 4 === 1) return undefined;
  const binary = atob(bare + "=".repeat((4 - (bare.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
