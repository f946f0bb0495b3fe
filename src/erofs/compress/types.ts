/**
 * The records the compressed writer passes between its parts: one file's
 * extents as compressed, and what the superblock must announce.
 *
 * @module
 */

/**
 * One extent of a compressed file: the logical bytes from `start` to the
 * next extent's start (or EOF), stored in one physical cluster.
 *
 * @example
 * ```ts
 * import type { Extent } from "./types.ts";
 * const first: Extent = { start: 0, plain: false, blocks: 1, inline: false };
 * ```
 */
export interface Extent {
  /** Logical byte offset where the extent starts. */
  readonly start: number;
  /** Stored uncompressed (a PLAIN lcluster) rather than compressed (HEAD1). */
  readonly plain: boolean;
  /** Blocks of its pcluster in the data area (0 when inline). */
  readonly blocks: number;
  /** The file's last extent, stored in the metadata after the index (ztailpacking). */
  readonly inline: boolean;
}

/**
 * How a regular file is stored when compression pays (COMPRESSED_COMPACT).
 *
 * @example
 * ```ts
 * import type { CompressedFile } from "./types.ts";
 * const show = (file: CompressedFile) => console.log(file.blocks, file.extents.length);
 * ```
 */
export interface CompressedFile {
  /** Extents in logical order; their pclusters are contiguous from the inode's start block. */
  readonly extents: readonly Extent[];
  /** Blocks of data (`i_u`), the inline tail excluded. */
  readonly blocks: number;
  /** The inline tail extent's stored bytes (ztailpacking), if any. */
  readonly inline: Uint8Array | undefined;
  /** Map header `h_advise`. */
  readonly advise: number;
  /** Map header `h_algorithmtype` (the HEAD1 algorithm id in the low nibble). */
  readonly algorithm: number;
  /** Bytes of the compact index array. */
  readonly indexBytes: number;
}

/**
 * Superblock fields of a compressed image.
 *
 * @example
 * ```ts
 * import type { SuperblockCompression } from "./types.ts";
 * const lz4: SuperblockCompression = { incompat: 0x1, algorithms: 0, records: new Uint8Array() };
 * ```
 */
export interface SuperblockCompression {
  /** `feature_incompat` bits to add. */
  readonly incompat: number;
  /** Offset 84: the algorithm bitmap with COMPR_CFGS, else `lz4_max_distance` (0). */
  readonly algorithms: number;
  /** The configuration records that follow the superblock (empty without COMPR_CFGS). */
  readonly records: Uint8Array;
}

/**
 * One file compressed whole: its extents and its pclusters' bytes in order.
 *
 * @example
 * ```ts
 * import type { WholeFileResult } from "./types.ts";
 * const bytes = (r: WholeFileResult) => r.data.reduce((n, d) => n + d.length, 0);
 * ```
 */
export interface WholeFileResult {
  extents: Extent[];
  /** Blocks of `data`. */
  blocks: number;
  inline: Uint8Array | undefined;
  /** The pclusters, in order (whole blocks). */
  data: Uint8Array[];
}

/**
 * Something that compresses whole files, possibly several at once (a pool of
 * workers); each call is independent, so results do not depend on which
 * worker ran it.
 *
 * @example
 * ```ts
 * import type { WholeFileCompressor } from "./types.ts";
 * const run = (c: WholeFileCompressor, bytes: Uint8Array) =>
 *   c.compress(bytes, { size: bytes.length, blockSize: 4096, pclusterSize: 4096, maxInline: 0 });
 * ```
 */
export interface WholeFileCompressor {
  /** How many files it compresses at once. */
  readonly size: number;
  compress(
    bytes: Uint8Array,
    params: { size: number; blockSize: number; pclusterSize: number; maxInline: number },
  ): Promise<WholeFileResult>;
  /**
   * Like {@link compress}, for `params.size` bytes at `file.offset` of the
   * local file `file.path`, which the compressor reads itself (workers on
   * Node and Deno: the bytes then never pass through the calling thread).
   * With `file.plain`, when compression would not save a block (`blocks` ≥
   * the file's blocks) the result also carries the bytes read, as `raw`, to
   * store them plain.
   */
  compressFile?(
    file: { path: string; offset: number; plain: boolean },
    params: { size: number; blockSize: number; pclusterSize: number; maxInline: number },
  ): Promise<WholeFileResult & { raw?: Uint8Array }>;
  /** Stops the workers. */
  close(): void;
}
