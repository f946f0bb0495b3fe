/**
 * Writer options, named after `mkfs.erofs`'s, and their validation into a
 * fully resolved record the rest of the writer trusts.
 *
 * @module
 */
import { ErofsError } from "./errors.ts";

/** How to build the image. Every field is optional. */
export interface ErofsOptions {
  /** Block size in bytes: a power of two from 512 to 4096 (`-b`); default 4096. */
  blockSize?: number;
  /**
   * Volume UUID (`-U`): 16 bytes, a UUID string, `"clear"` (all zero) or
   * `"random"`. Default: derived from the image's metadata, so the same input
   * gives the same image.
   */
  uuid?: Uint8Array | string;
  /** Volume label (`-L`), at most 15 bytes of UTF-8. */
  label?: string;
  /** Give every inode this mtime in seconds, nanoseconds 0 (`-T`). */
  fixedTime?: number;
  /** Make every inode owned by 0:0 (`--all-root`). */
  allRoot?: boolean;
  /** Give every inode this uid (`--force-uid`). */
  forceUid?: number;
  /** Give every inode this gid (`--force-gid`). */
  forceGid?: number;
  /**
   * Long xattr name prefixes (`--xattr-prefix`), e.g. `"trusted.overlay."`:
   * names under them are stored without the prefix. Needs Linux ≥ 6.4.
   */
  xattrPrefixes?: string[];
  /** Share an xattr (name and value) among inodes when it saves space; default true. */
  sharedXattrs?: boolean;
}

/** {@link ErofsOptions} after validation, with defaults applied. */
export interface ResolvedOptions {
  blockSize: number;
  blockBits: number;
  /** `undefined`: derive from the metadata. */
  uuid: Uint8Array | undefined;
  label: Uint8Array;
  fixedTime: number | undefined;
  forceUid: number | undefined;
  forceGid: number | undefined;
  xattrPrefixes: string[];
  sharedXattrs: boolean;
}

const UUID_TEXT = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Parses `-U`'s argument into 16 bytes (`random` draws fresh ones). */
export function parseUuid(text: string): Uint8Array {
  if (text === "clear") return new Uint8Array(16);
  if (text === "random") {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    return bytes;
  }
  if (!UUID_TEXT.test(text)) throw new ErofsError(`invalid UUID ${JSON.stringify(text)}`);
  const hex = text.replaceAll("-", "");
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

function checkId(what: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new ErofsError(`${what} must be an integer from 0 to 4294967295, got ${value}`);
  }
  return value;
}

/**
 * Validates options and applies defaults; throws {@link ErofsError} on the
 * first bad one, before any work starts.
 *
 * @example
 * ```ts
 * import { resolveOptions } from "./options.ts";
 * const opts = resolveOptions({ blockSize: 4096, label: "rootfs" });
 * console.log(opts.blockBits); // 12
 * ```
 */
export function resolveOptions(options: ErofsOptions = {}): ResolvedOptions {
  const blockSize = options.blockSize ?? 4096;
  const blockBits = Math.log2(blockSize);
  if (!Number.isInteger(blockBits) || blockBits < 9 || blockBits > 12) {
    throw new ErofsError(`block size must be a power of two from 512 to 4096, got ${blockSize}`);
  }
  let uuid: Uint8Array | undefined;
  if (typeof options.uuid === "string") uuid = parseUuid(options.uuid);
  else if (options.uuid !== undefined) {
    if (options.uuid.length !== 16) throw new ErofsError("UUID must be 16 bytes");
    uuid = options.uuid;
  }
  const label = new TextEncoder().encode(options.label ?? "");
  if (label.length > 15) throw new ErofsError(`label is ${label.length} bytes; at most 15 allowed`);
  const fixedTime = options.fixedTime;
  if (fixedTime !== undefined && !Number.isSafeInteger(fixedTime)) {
    throw new ErofsError(`fixed time must be whole seconds, got ${fixedTime}`);
  }
  const xattrPrefixes = [...new Set(options.xattrPrefixes ?? [])];
  return {
    blockSize,
    blockBits,
    uuid,
    label,
    fixedTime,
    forceUid: checkId("uid", options.allRoot ? options.forceUid ?? 0 : options.forceUid),
    forceGid: checkId("gid", options.allRoot ? options.forceGid ?? 0 : options.forceGid),
    xattrPrefixes,
    sharedXattrs: options.sharedXattrs ?? true,
  };
}
