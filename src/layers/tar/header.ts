/**
 * Decoding one 512-byte tar header block (v7, ustar, GNU): checksum
 * verification, octal and base-256 numbers, and the NUL-terminated strings.
 * Extension records (PAX, GNU long names) are folded in by the reader.
 *
 * @module
 */
import { TarError } from "./entry.ts";

/**
 * Size of every header and data block.
 *
 * @example
 * ```ts
 * import { BLOCK_SIZE } from "./header.ts";
 * const padding = (size: number) => (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
 * ```
 */
export const BLOCK_SIZE = 512;

/**
 * Which header layout a block uses; decides whether `prefix` is a name prefix.
 *
 * @example
 * ```ts
 * import { type HeaderFormat, parseHeader } from "./header.ts";
 * declare const block: Uint8Array;
 * const format: HeaderFormat = parseHeader(block, 0).format;
 * ```
 */
export type HeaderFormat = "v7" | "ustar" | "gnu";

/**
 * The fields of one header block, decoded but not yet interpreted.
 *
 * @example
 * ```ts
 * import { parseHeader, type RawHeader } from "./header.ts";
 * declare const block: Uint8Array;
 * const header: RawHeader = parseHeader(block, 0);
 * console.log(header.typeflag === "5" ? "directory" : "other");
 * ```
 */
export interface RawHeader {
  readonly format: HeaderFormat;
  /** `name`, joined with the ustar `prefix` when there is one. */
  readonly name: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  /** The type flag character; `"\0"` for old-style regular files. */
  readonly typeflag: string;
  readonly linkname: string;
  readonly uname: string;
  readonly gname: string;
  readonly devmajor: number;
  readonly devminor: number;
}

// Lenient: names are bytes on the archiving system; invalid UTF-8 becomes U+FFFD
// rather than failing the whole archive.
const utf8 = new TextDecoder("utf-8");

/**
 * Decodes a NUL-terminated (or field-filling) string.
 *
 * @example
 * ```ts
 * import { cString } from "./header.ts";
 * cString(new Uint8Array([104, 105, 0, 0])); // "hi"
 * ```
 */
export function cString(field: Uint8Array): string {
  const end = field.indexOf(0);
  return utf8.decode(end < 0 ? field : field.subarray(0, end));
}

/**
 * Whether a block is all zero bytes: the end-of-archive marker.
 *
 * @example
 * ```ts
 * import { isZeroBlock } from "./header.ts";
 * isZeroBlock(new Uint8Array(512)); // true
 * ```
 */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * Parses a numeric header field: octal digits (leading spaces, trailing
 * spaces or NULs), or GNU/star base-256 when the top bit of the first byte is
 * set (`0x80` positive, `0xff` negative two's complement). All-blank is 0.
 * Returns `undefined` for anything unparseable or beyond a safe integer.
 *
 * @example
 * ```ts
 * import { parseNumber } from "./header.ts";
 * parseNumber(new TextEncoder().encode("0000644\0")); // 420
 * parseNumber(new Uint8Array([0x80, 0, 0, 0, 0, 0, 0, 1])); // 1
 * ```
 */
export function parseNumber(field: Uint8Array): number | undefined {
  if (field.length === 0) return 0;
  if (field[0] & 0x80) {
    // Base-256: the top bit of the first byte is the marker and the rest is a
    // big-endian two's complement number whose sign is bit 0x40 (so GNU's
    // 0xff prefix is negative, 0x80 positive).
    let value = BigInt(field[0] & 0x7f) - (field[0] & 0x40 ? 0x80n : 0n);
    for (let i = 1; i < field.length; i++) value = (value << 8n) | BigInt(field[i]);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      return undefined;
    }
    return Number(value);
  }
  let i = 0;
  while (i < field.length && field[i] === 0x20) i++;
  let value = 0;
  let digits = 0;
  for (; i < field.length; i++) {
    const c = field[i];
    if (c < 0x30 || c > 0x37) break;
    value = value * 8 + (c - 0x30);
    digits++;
  }
  // Only spaces and NULs may follow the digits.
  for (; i < field.length; i++) if (field[i] !== 0 && field[i] !== 0x20) return undefined;
  if (!Number.isSafeInteger(value)) return undefined;
  return digits === 0 ? 0 : value;
}

/**
 * Checks the header checksum: the stored octal value must equal the sum of
 * the block's bytes with the checksum field counted as spaces, taking bytes
 * either unsigned (POSIX) or signed (some historic tars).
 */
function checksumMatches(block: Uint8Array): boolean {
  const stored = parseNumber(block.subarray(148, 156));
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 0x100 : byte;
  }
  return stored === unsigned || stored === signed;
}

function formatOf(block: Uint8Array): HeaderFormat {
  const magic = String.fromCharCode(...block.subarray(257, 265));
  if (magic === "ustar\x0000") return "ustar";
  if (magic === "ustar  \x00") return "gnu";
  // Some writers put "ustar\0" with a blank version; still ustar.
  if (magic.startsWith("ustar\x00")) return "ustar";
  return "v7";
}

/**
 * Decodes and verifies one non-zero header block found at `offset`.
 * Throws {@link TarError} for a bad checksum or a malformed number field.
 *
 * @example
 * ```ts
 * import { parseHeader } from "./header.ts";
 * declare const block: Uint8Array; // 512 bytes read from an archive
 * const header = parseHeader(block, 0);
 * console.log(header.name, header.typeflag, header.size);
 * ```
 */
export function parseHeader(block: Uint8Array, offset: number): RawHeader {
  const format = formatOf(block);
  let name = cString(block.subarray(0, 100));
  if (!checksumMatches(block)) {
    throw new TarError("bad header checksum (not a tar archive, or corrupted)", {
      offset,
      path: name === "" ? undefined : name,
    });
  }
  if (format === "ustar") {
    // GNU reuses this area for atime/ctime, so only ustar has a name prefix.
    const prefix = cString(block.subarray(345, 500));
    if (prefix !== "") name = `${prefix}/${name}`;
  }
  const number = (field: string, start: number, length: number): number => {
    const value = parseNumber(block.subarray(start, start + length));
    if (value === undefined) throw new TarError(`invalid ${field} field`, { offset, path: name });
    return value;
  };
  const hasOwnerNames = format !== "v7";
  const typeflag = String.fromCharCode(block[156]);
  return {
    format,
    name,
    mode: number("mode", 100, 8),
    uid: number("uid", 108, 8),
    gid: number("gid", 116, 8),
    size: number("size", 124, 12),
    mtime: number("mtime", 136, 12),
    typeflag,
    linkname: cString(block.subarray(157, 257)),
    uname: hasOwnerNames ? cString(block.subarray(265, 297)) : "",
    gname: hasOwnerNames ? cString(block.subarray(297, 329)) : "",
    devmajor: hasOwnerNames ? number("devmajor", 329, 8) : 0,
    devminor: hasOwnerNames ? number("devminor", 337, 8) : 0,
  };
}
