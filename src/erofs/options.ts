/**
 * Writer options, named after `mkfs.erofs`'s, and their validation into a
 * fully resolved record the rest of the writer trusts.
 *
 * @module
 */
import { ErofsError } from "./errors.ts";
import { type CompressionAlgorithm, levelRange } from "../wasm/compress.ts";

/**
 * How to compress regular files (`-z`, `-C`, `-E ztailpacking`).
 *
 * @example
 * ```ts
 * import type { CompressionOptions } from "./options.ts";
 * const options: CompressionOptions = { algorithm: "lz4hc", level: 12, pclusterSize: 65536 };
 * ```
 */
export interface CompressionOptions {
  /** `lz4`, `lz4hc` or `deflate` (Linux ≥ 6.6 reads DEFLATE). */
  algorithm: CompressionAlgorithm;
  /** Level: LZ4HC 1–12 (default 9), DEFLATE 1–9 (default 1); LZ4 has none. */
  level?: number;
  /**
   * Largest physical cluster in bytes (`-C`): a multiple of the block size,
   * at most 1 MiB; default one block. Above one block needs Linux ≥ 5.13.
   */
  pclusterSize?: number;
  /** Store each compressed file's last extent inline in its metadata (Linux ≥ 5.17). */
  ztailpacking?: boolean;
  /**
   * Worker threads that compress files in parallel (`--workers`); 0 keeps
   * compression on the calling thread. Default: one per core (0 on a
   * single core); for LZ4 only when most data lies in local files, which
   * workers read themselves (otherwise its encoder costs less than handing
   * the bytes over). The image is the same whatever the number.
   */
  workers?: number;
  /**
   * Where the compression worker module is served, for bundled pages whose
   * bundler emits it under its own name (Vite:
   * `import url from "oci2erofs/src/runtime/worker_compress.ts?worker&url"`).
   * Default: `worker_compress.{ts,js}` next to the worker pool module.
   */
  workerUrl?: string | URL;
}

/** {@link CompressionOptions} after validation. */
export interface ResolvedCompression {
  algorithm: CompressionAlgorithm;
  level: number;
  pclusterSize: number;
  ztailpacking: boolean;
  /** `undefined`: the runtime's default. */
  workers: number | undefined;
  /** `undefined`: next to the worker pool module. */
  workerUrl: string | URL | undefined;
}

/** Largest pcluster readers accept. */
const MAX_PCLUSTER = 1 << 20;
/** Largest block count a compact index entry can record (11 bits). */
const MAX_PCLUSTER_BLOCKS = 0x7ff;

/**
 * Validates compression options for `blockSize`; throws {@link ErofsError}.
 *
 * @example
 * ```ts
 * import { resolveCompression } from "./options.ts";
 * console.log(resolveCompression({ algorithm: "lz4hc" }, 4096).level); // 9
 * ```
 */
export function resolveCompression(
  options: CompressionOptions,
  blockSize: number,
): ResolvedCompression {
  const { algorithm } = options;
  let range;
  try {
    range = levelRange(algorithm);
  } catch {
    throw new ErofsError(
      `unknown compression algorithm ${JSON.stringify(algorithm)} (expected lz4, lz4hc or deflate)`,
    );
  }
  const level = algorithm === "lz4" ? 0 : options.level ?? range.default;
  if (algorithm === "lz4" && options.level !== undefined && options.level !== 0) {
    throw new ErofsError(`lz4 takes no level (got ${options.level}); use lz4hc,LEVEL`);
  }
  if (!Number.isInteger(level) || level < range.min || level > range.max) {
    throw new ErofsError(
      `${algorithm} level must be from ${range.min} to ${range.max}, got ${options.level}`,
    );
  }
  const pclusterSize = options.pclusterSize ?? blockSize;
  if (
    !Number.isInteger(pclusterSize) || pclusterSize < blockSize || pclusterSize % blockSize !== 0
  ) {
    throw new ErofsError(
      `physical cluster size must be a multiple of the block size ${blockSize}, got ${pclusterSize}`,
    );
  }
  if (pclusterSize > MAX_PCLUSTER) {
    throw new ErofsError(`physical cluster size must be at most 1 MiB, got ${pclusterSize}`);
  }
  if (pclusterSize / blockSize > MAX_PCLUSTER_BLOCKS) {
    throw new ErofsError(
      `physical cluster size ${pclusterSize} is ${pclusterSize / blockSize} blocks; ` +
        `EROFS indexes record at most ${MAX_PCLUSTER_BLOCKS}`,
    );
  }
  const workers = options.workers;
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 0 || workers > 256)) {
    throw new ErofsError(`workers must be a whole number from 0 to 256, got ${workers}`);
  }
  return {
    algorithm,
    level,
    pclusterSize,
    ztailpacking: options.ztailpacking ?? false,
    workers,
    workerUrl: options.workerUrl,
  };
}

/**
 * How to build the image. Every field is optional.
 *
 * @example
 * ```ts
 * import type { ErofsOptions } from "./options.ts";
 * const options: ErofsOptions = { blockSize: 4096, fixedTime: 0, label: "rootfs", allRoot: true };
 * ```
 */
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
  /** Compress regular files (`-z`); default: no compression. */
  compression?: CompressionOptions;
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
  compression: ResolvedCompression | undefined;
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
    compression: options.compression && resolveCompression(options.compression, blockSize),
  };
}
