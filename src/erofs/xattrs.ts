/**
 * Extended attributes in EROFS terms: mapping names onto prefix ids (short
 * and long), encoding entries, and deciding which name+value pairs are
 * stored once in the shared area instead of inline in every inode.
 *
 * @module
 */
import { ErofsError } from "./errors.ts";
import {
  MAX_LONG_PREFIXES,
  XATTR_ENTRY_HEADER_SIZE,
  XATTR_HEADER_SIZE,
  XATTR_INDEX_POSIX_ACL_ACCESS,
  XATTR_INDEX_POSIX_ACL_DEFAULT,
  XATTR_INDEX_SECURITY,
  XATTR_INDEX_TRUSTED,
  XATTR_INDEX_USER,
  XATTR_LONG_PREFIX,
} from "./format.ts";

const encoder = new TextEncoder();

/** Prefixes stored as a one-byte id; ACL names are whole-name prefixes. */
const SHORT_PREFIXES: ReadonlyArray<readonly [string, number]> = [
  ["system.posix_acl_access", XATTR_INDEX_POSIX_ACL_ACCESS],
  ["system.posix_acl_default", XATTR_INDEX_POSIX_ACL_DEFAULT],
  ["user.", XATTR_INDEX_USER],
  ["trusted.", XATTR_INDEX_TRUSTED],
  ["security.", XATTR_INDEX_SECURITY],
];

/** One xattr ready to encode: prefix id, name suffix and value. */
export interface XattrEntry {
  readonly index: number;
  readonly suffix: Uint8Array;
  readonly value: Uint8Array;
  /** Bytes the entry takes, header and 4-byte padding included. */
  readonly size: number;
  /** Identity of name+value, for sharing. */
  readonly key: string;
}

/** A long prefix record: base short id plus the infix after it. */
export interface LongPrefix {
  readonly base: number;
  readonly infix: Uint8Array;
  readonly name: string;
}

/** Maps full xattr names onto entries, knowing the image's long prefixes. */
export class XattrNamer {
  readonly longPrefixes: readonly LongPrefix[];
  /** Long prefixes by full name, longest first so the best match wins. */
  #byLength: { name: string; id: number }[];

  constructor(longPrefixNames: readonly string[]) {
    if (longPrefixNames.length > MAX_LONG_PREFIXES) {
      throw new ErofsError(
        `at most ${MAX_LONG_PREFIXES} xattr prefixes, got ${longPrefixNames.length}`,
      );
    }
    this.longPrefixes = longPrefixNames.map((name) => {
      const short = SHORT_PREFIXES.find(([p]) => p.endsWith(".") && name.startsWith(p));
      if (!short || name.length === short[0].length) {
        throw new ErofsError(
          `xattr prefix ${JSON.stringify(name)} must extend user., trusted. or security.`,
        );
      }
      const infix = encoder.encode(name.slice(short[0].length));
      if (infix.length > 255) {
        throw new ErofsError(`xattr prefix ${JSON.stringify(name)} is too long`);
      }
      return { base: short[1], infix, name };
    });
    this.#byLength = this.longPrefixes
      .map((p, id) => ({ name: p.name, id }))
      .sort((a, b) => b.name.length - a.name.length);
  }

  /** Encodes one xattr; throws {@link ErofsError} naming `path` if it cannot be stored. */
  entry(path: string, name: string, value: Uint8Array): XattrEntry {
    let index = -1;
    let rest = "";
    const long = this.#byLength.find((p) => name.startsWith(p.name));
    if (long) {
      index = XATTR_LONG_PREFIX | long.id;
      rest = name.slice(long.name.length);
    } else {
      for (const [prefix, id] of SHORT_PREFIXES) {
        if (
          prefix.endsWith(".")
            ? name.startsWith(prefix) && name.length > prefix.length
            : name === prefix
        ) {
          index = id;
          rest = name.slice(prefix.length);
          break;
        }
      }
    }
    if (index < 0) {
      throw new ErofsError(
        `xattr ${
          JSON.stringify(name)
        }: EROFS stores only user.*, trusted.*, security.* and POSIX ACLs`,
        path,
      );
    }
    const suffix = encoder.encode(rest);
    if (suffix.length > 255) {
      throw new ErofsError(
        `xattr name ${
          JSON.stringify(name)
        } is too long (suffix ${suffix.length} bytes; at most 255)`,
        path,
      );
    }
    if (value.length > 0xffff) {
      throw new ErofsError(
        `xattr ${JSON.stringify(name)} value is ${value.length} bytes; at most 65535`,
        path,
      );
    }
    const size = align4(XATTR_ENTRY_HEADER_SIZE + suffix.length + value.length);
    return { index, suffix, value, size, key: `${name}\0${latin1(value)}` };
  }
}

/** Rounds up to a multiple of 4. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** Writes one entry at `pos` of `out`; returns the position after it. */
export function writeXattrEntry(out: Uint8Array, pos: number, entry: XattrEntry): number {
  out[pos] = entry.suffix.length;
  out[pos + 1] = entry.index;
  out[pos + 2] = entry.value.length & 0xff;
  out[pos + 3] = entry.value.length >>> 8;
  out.set(entry.suffix, pos + 4);
  out.set(entry.value, pos + 4 + entry.suffix.length);
  return pos + entry.size;
}

/**
 * Whether storing an entry once in the shared area (plus a 4-byte id in each
 * of `uses` inodes) is smaller than repeating it inline.
 */
export function sharingSaves(entrySize: number, uses: number): boolean {
  return uses >= 2 && entrySize * uses > entrySize + 4 * uses;
}

/** An inode's xattr area: shared ids first, then inline entries. */
export interface XattrArea {
  readonly shared: readonly XattrEntry[];
  readonly inline: readonly XattrEntry[];
  /** `xattr_isize`: 0 when there are no xattrs. */
  readonly size: number;
}

/** The xattr area of an inode holding `entries`, given which keys are shared. */
export function xattrArea(
  entries: readonly XattrEntry[],
  sharedKeys: ReadonlySet<string>,
  path: string,
): XattrArea {
  if (entries.length === 0) return { shared: [], inline: [], size: 0 };
  const shared: XattrEntry[] = [];
  const inline: XattrEntry[] = [];
  for (const e of entries) {
    // h_shared_count is one byte: past 255 ids the rest stay inline.
    if (sharedKeys.has(e.key) && shared.length < 255) shared.push(e);
    else inline.push(e);
  }
  const size = XATTR_HEADER_SIZE + 4 * shared.length + inline.reduce((n, e) => n + e.size, 0);
  // i_xattr_icount is 16 bits: size = 12 + 4 × (icount − 1).
  if ((size - XATTR_HEADER_SIZE) / 4 + 1 > 0xffff) {
    throw new ErofsError(
      `xattrs take ${size} bytes; EROFS allows at most ${12 + 4 * 0xfffe}`,
      path,
    );
  }
  return { shared, inline, size };
}
