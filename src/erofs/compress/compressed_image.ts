/**
 * Compressed images (`-z`): the layout stays superblock → data in data
 * order → metadata, and every file is read once, front to back, and
 * compressed once. What changes is *when* things are known: a compressed
 * file's size on disk, its index and (with ztailpacking) its inline tail
 * exist only after its bytes went through the encoder, and they decide the
 * nids, so the metadata area and block 0 (whose superblock holds
 * `meta_blkaddr`, the block count and the checksum) are encoded after the
 * last data block.
 *
 * So a compressed image streams its data behind a placeholder block 0, then
 * its metadata, and only then knows its real block 0 and its size:
 *
 * - seekable sinks (files, block devices) use {@link SeekableImage.seekable}:
 *   they write the stream and then overwrite block 0 with `head()` before
 *   syncing — one read of every file, one compression pass, no spool;
 * - `chunks()` (the `ReadableStream` sink: stdout, HTTP bodies) must emit
 *   block 0 first, so it compresses twice: a sizing run learns block 0 and
 *   drops its output, a second run streams the image behind it. Memory stays
 *   bounded whatever the image size (what edge functions need), at the cost
 *   of reading every file, and compressing it, twice.
 *
 * Per file, the decision "compress or not" needs the whole file: files up to
 * {@link WHOLE_FILE_LIMIT} (4 MiB) are read into memory, compressed, and
 * stored uncompressed (FLAT) when compression does not save a block
 * (compressed blocks < ⌈size / block⌉), as mkfs.erofs decides. Larger files
 * are always compressed, as they stream, in {@link SEGMENT}s (4 MiB) that
 * each start a new extent (an incompressible file then costs at most a
 * block more than FLAT, its extents being PLAIN). Directories and symlinks
 * are never compressed; their blocks (which hold nids) follow the file data.
 *
 * Compression runs on worker threads when a pool is given: files and
 * segments are read in data order, handed out a few at a time, and their
 * results committed (given their blocks) strictly in that order, so the
 * image does not depend on the number of workers.
 *
 * @module
 */
import type { FixedOutputEncoder } from "../../wasm/mod.ts";
import { ErofsError } from "../errors.ts";
import {
  ADVISE_BIG_PCLUSTER_1,
  ADVISE_BIG_PCLUSTER_2,
  ADVISE_COMPACTED_2B,
  ADVISE_INLINE_PCLUSTER,
  ALGORITHM_DEFLATE,
  ALGORITHM_LZ4,
  INCOMPAT_COMPR_CFGS,
  INCOMPAT_LZ4_0PADDING,
  INCOMPAT_ZTAILPACKING,
  LAYOUT_COMPRESSED_COMPACT,
} from "../format.ts";
import { encodeHead, encodeMetadata, type ErofsImage, smallData } from "../image.ts";
import type { ResolvedCompression } from "../options.ts";
import {
  checkBlocks,
  type ImagePlan,
  inodeHeadSize,
  type NodePlan,
  placeMetadata,
  planDataOrder,
  planHead,
  type PlannedInode,
  setFlatLayout,
} from "../plan.ts";
import { ByteWindow } from "./byte_window.ts";
import { compactIndexBytes, encodeCompactIndex, indexStart } from "./compact_index.ts";
import { type CompressedExtents, compressWhole } from "./file_compressor.ts";
import type {
  Extent,
  SuperblockCompression,
  WholeFileCompressor,
  WholeFileResult,
} from "./types.ts";

/** Files up to this size are read whole, so they can still be stored uncompressed. */
export const WHOLE_FILE_LIMIT = 4 << 20;
/**
 * Larger files are compressed in segments of this size, each starting a new
 * extent: independent jobs for the workers, at a cost of at most one
 * partly filled block per segment.
 */
export const SEGMENT = 4 << 20;
/** Input of the jobs queued for workers, at most (see `limit`). */
const QUEUE_BYTES = 32 << 20;

/** Largest piece handed to a sink at once from the in-memory metadata. */
const PIECE = 1 << 20;

/**
 * A compressed image's bytes for a sink that can seek back: `chunks` is the
 * image with block 0 (and any other head block) zeroed; once it has been
 * consumed to the end, `head()` returns the real head bytes for offset 0.
 *
 * @example
 * ```ts
 * import type { SeekableChunks } from "./compressed_image.ts";
 * const write = async (s: SeekableChunks) => { for await (const c of s.chunks) void c; return s.head(); };
 * ```
 */
export interface SeekableChunks {
  readonly chunks: AsyncIterable<Uint8Array>;
  head(): Uint8Array;
}

/**
 * Makes one fixed-output encoder for an image build.
 *
 * @example
 * ```ts
 * import { createEncoder } from "../../wasm/mod.ts";
 * import type { EncoderFactory } from "./compressed_image.ts";
 * const factory: EncoderFactory = (c) => createEncoder(c.algorithm, c.level);
 * ```
 */
export type EncoderFactory = (compression: ResolvedCompression) => Promise<FixedOutputEncoder>;

/** Superblock fields and configuration records for these options (erofs-format.md §13.10). */
function superblockCompression(
  compression: ResolvedCompression,
  blockSize: number,
): SuperblockCompression {
  const id = compression.algorithm === "deflate" ? ALGORITHM_DEFLATE : ALGORITHM_LZ4;
  const big = compression.pclusterSize > blockSize;
  let incompat = INCOMPAT_LZ4_0PADDING;
  if (compression.ztailpacking) incompat |= INCOMPAT_ZTAILPACKING;
  if (id === ALGORITHM_LZ4 && !big) return { incompat, algorithms: 0, records: new Uint8Array() };
  incompat |= INCOMPAT_COMPR_CFGS;
  let records: Uint8Array;
  if (id === ALGORITHM_LZ4) {
    // le16 length 14; le16 max_distance (0: default); le16 max_pclusterblks; 10 reserved.
    records = new Uint8Array(16);
    const view = new DataView(records.buffer);
    view.setUint16(0, 14, true);
    view.setUint16(4, compression.pclusterSize / blockSize, true);
  } else {
    // le16 length 6; u8 windowbits; 5 reserved (then padding to 4).
    records = new Uint8Array(8);
    records[0] = 6;
    records[2] = 15;
  }
  return { incompat, algorithms: 1 << id, records };
}

/**
 * Compresses the tree planned in `plan` as it streams (see the module
 * comment). `plan` must come from {@link planNodes} with compression options.
 *
 * @example
 * ```ts
 * import { Tree } from "../../tree/mod.ts";
 * import { createEncoder } from "../../wasm/mod.ts";
 * import { resolveOptions } from "../options.ts";
 * import { planNodes } from "../plan.ts";
 * import { compressedImage } from "./compressed_image.ts";
 * const options = resolveOptions({ compression: { algorithm: "lz4" } });
 * const image = compressedImage(planNodes(new Tree(), options), (c) => createEncoder(c.algorithm, c.level));
 * const parts: Uint8Array[] = [];
 * for await (const chunk of image.chunks()) parts.push(chunk);
 * ```
 */
export function compressedImage(
  plan: NodePlan,
  encoders: EncoderFactory,
  pool?: PoolFactory,
): SeekableImage {
  return new SeekableImage(plan, encoders, pool);
}

/**
 * Starts the workers of one image build (or gives `undefined`: compress on
 * this thread).
 *
 * @example
 * ```ts
 * import type { PoolFactory } from "./compressed_image.ts";
 * const none: PoolFactory = () => Promise.resolve(undefined);
 * ```
 */
export type PoolFactory = (
  compression: ResolvedCompression,
  /** Whether most bytes to compress lie in local files, which workers read themselves. */
  fileBacked: boolean,
) => Promise<WholeFileCompressor | undefined>;

/**
 * An {@link ErofsImage} whose size and block 0 are known once its data has
 * been streamed. It can be streamed again (the same bytes), but not twice at
 * the same time.
 *
 * @example
 * ```ts
 * import type { SeekableImage } from "./compressed_image.ts";
 * const size = (image: SeekableImage) => image.size ?? "not known yet";
 * ```
 */
export class SeekableImage implements ErofsImage {
  #plan: NodePlan;
  #encoders: EncoderFactory;
  #pool: PoolFactory | undefined;
  #size: number | undefined;
  #running = false;
  readonly blockSize: number;
  readonly inodes: number;

  constructor(plan: NodePlan, encoders: EncoderFactory, pool?: PoolFactory) {
    this.#plan = plan;
    this.#encoders = encoders;
    this.#pool = pool;
    this.blockSize = plan.options.blockSize;
    this.inodes = plan.nodes.length;
  }

  /** Image length in bytes: `undefined` until the image has been streamed once. */
  get size(): number | undefined {
    return this.#size;
  }

  /**
   * The bytes in order, in bounded memory: a first run reads and compresses
   * everything only to learn block 0 (its output is dropped), a second run
   * streams the image behind it. Compression is deterministic, so the second
   * run gives the same bytes; its own block 0 is checked against the first.
   * Costs a second read of every file (for registry images, another
   * download of each layer) and a second compression.
   */
  async *chunks(): AsyncGenerator<Uint8Array> {
    const sizing = this.seekable();
    for await (const _ of sizing.chunks) {
      // Dropped: only block 0, known at the end, is wanted from this run.
    }
    const head = sizing.head();
    const streaming = this.seekable();
    let first = true;
    for await (const chunk of streaming.chunks) {
      if (first) {
        first = false; // the placeholder block 0
        yield head;
      } else yield chunk;
    }
    if (!sameBytes(streaming.head(), head)) {
      throw new ErofsError(
        "the image changed between its sizing and streaming runs (a source changed while read?)",
      );
    }
  }

  /** The bytes with a zeroed head, then the real head (see {@link SeekableChunks}). */
  seekable(): SeekableChunks {
    let head: Uint8Array | undefined;
    const run = this.#run((bytes, size) => {
      head = bytes;
      this.#size = size;
    });
    return {
      chunks: run,
      head() {
        if (!head) throw new Error("image head asked for before its data was streamed");
        return head;
      },
    };
  }

  async *#run(done: (head: Uint8Array, size: number) => void): AsyncGenerator<Uint8Array> {
    // Runs lay out the shared plan's inodes: one at a time.
    if (this.#running) throw new Error("a compressed image streams one copy at a time");
    this.#running = true;
    try {
      yield* this.#layOut(done);
    } finally {
      this.#running = false;
    }
  }

  async *#layOut(done: (head: Uint8Array, size: number) => void): AsyncGenerator<Uint8Array> {
    const plan = this.#plan;
    const { options, nodes } = plan;
    const compression = options.compression!;
    const { blockSize } = options;
    const encoder = await this.#encoders(compression);
    const sb = superblockCompression(compression, blockSize);
    const recordBytes = Math.ceil(sb.records.length / 4) * 4;
    const { prefixOffset, headBlocks } = planHead(plan, recordBytes);
    const big = compression.pclusterSize > blockSize;
    const twoB = options.blockBits === 12;
    const algorithm = compression.algorithm === "deflate" ? ALGORITHM_DEFLATE : ALGORITHM_LZ4;

    for (const node of nodes) setFlatLayout(node, blockSize); // a fresh start on every run
    const dataOrder = planDataOrder(nodes);
    const fileTails = new Map<PlannedInode, Uint8Array>();
    const scratch = new Uint8Array(compression.pclusterSize);
    yield new Uint8Array(headBlocks * blockSize);
    let cursor = headBlocks;

    let fileBytes = 0;
    let allBytes = 0;
    for (const node of dataOrder) {
      if (node.inode.kind !== "file") continue;
      allBytes += node.size;
      if (node.inode.content.file) fileBytes += node.size;
    }
    const pool = this.#pool ? await this.#pool(compression, 2 * fileBytes >= allBytes) : undefined;
    const inThread: WholeFileCompressor = {
      size: 1,
      compress: (bytes, params) => compressWhole(bytes, encoder, { ...params, scratch }),
      close() {},
    };
    const compressor = pool ?? inThread;
    // Files are read in data order and compressed up to `limit` at a time;
    // results are committed (given blocks) strictly in that order, so the
    // image is the same whatever the number of workers.
    // Up to 16 jobs per worker and QUEUE_BYTES of their input: a large
    // file's segments at the head of the queue must not leave the other
    // workers idle (4 per worker left them a quarter idle).
    const limit = pool ? pool.size * 16 : 1;
    const queue: Job[] = [];
    let queuedBytes = 0;
    const fileParams = (node: PlannedInode) => {
      const headSize = inodeHeadSize(node);
      const indexBytes = compactIndexBytes(node.size, blockSize, headSize, twoB);
      const before = indexStart(headSize) + indexBytes;
      return {
        indexBytes,
        layout: {
          size: node.size,
          blockSize,
          pclusterSize: compression.pclusterSize,
          maxInline: compression.ztailpacking ? Math.max(0, blockSize - before) : 0,
        },
      };
    };
    const useCompressed = (
      node: PlannedInode,
      result: CompressedExtents,
      indexBytes: number,
      start: number,
    ) => {
      node.compressed = {
        extents: result.extents,
        blocks: result.blocks,
        inline: result.inline,
        advise: (twoB ? ADVISE_COMPACTED_2B : 0) |
          (big ? ADVISE_BIG_PCLUSTER_1 | ADVISE_BIG_PCLUSTER_2 : 0) |
          (result.inline ? ADVISE_INLINE_PCLUSTER : 0),
        algorithm,
        indexBytes,
      };
      node.layout = LAYOUT_COMPRESSED_COMPACT;
      node.tail = result.inline?.length ?? 0;
      node.dataBlocks = result.blocks;
      node.startBlock = start;
    };
    const commit = async function* (job: Job): AsyncGenerator<Uint8Array> {
      const { node } = job;
      queuedBytes -= job.bytes;
      const result = await job.result;
      if (job.segment) {
        // A piece of a large file: always compressed, pieces in order.
        const { state, offset, last } = job.segment;
        if (offset === 0) state.start = cursor;
        for (const extent of result!.extents) {
          state.extents.push({ ...extent, start: extent.start + offset });
        }
        state.blocks += result!.blocks;
        state.inline = result!.inline;
        yield* result!.data;
        cursor += result!.blocks;
        if (last) useCompressed(node, state, job.indexBytes, state.start);
        return;
      }
      // Compressed only when that saves a block, as mkfs.erofs decides.
      if (result && result.blocks < Math.ceil(node.size / blockSize)) {
        useCompressed(node, result, job.indexBytes, cursor);
        yield* result.data;
        cursor += result.blocks;
        return;
      }
      const raw = job.raw ?? result?.raw;
      if (!raw) throw new ErofsError("no bytes came back to store the file plain", node.path);
      yield* flatFile(node, raw, fileTails, cursor, blockSize);
      cursor += node.dataBlocks;
    };
    const enqueue = (job: Job) => {
      job.result.catch(() => {}); // awaited (and thrown) in order by commit
      queue.push(job);
      queuedBytes += job.bytes;
      return queue.length >= limit || queuedBytes >= QUEUE_BYTES;
    };

    try {
      for (const node of dataOrder) {
        const inode = node.inode;
        if (inode.kind !== "file") continue;
        // As mkfs.erofs: try every file that could save a block (with
        // ztailpacking, even a one-block file can move into the metadata).
        const tryCompress = node.size > blockSize ||
          (compression.ztailpacking && node.size > 0);
        const { indexBytes, layout } = fileParams(node);
        if (tryCompress && node.size > WHOLE_FILE_LIMIT) {
          // Large files are read as they stream, in segments that are
          // compressed independently (in parallel with workers): each
          // segment starts a new extent on an lcluster boundary.
          const state: SegmentState = { extents: [], blocks: 0, inline: undefined, start: 0 };
          // Workers that read files take each segment from the file itself.
          const file = compressor.compressFile ? inode.content.file : undefined;
          const window = file ? undefined : new ByteWindow(inode.content.stream(0, node.size));
          try {
            for (let offset = 0; offset < node.size; offset += SEGMENT) {
              const end = Math.min(node.size, offset + SEGMENT);
              const last = end === node.size;
              const params = {
                ...layout,
                size: end - offset,
                maxInline: last ? layout.maxInline : 0,
              };
              let raw: Uint8Array | undefined;
              let result: Promise<WholeFileResult>;
              if (file) {
                const region = { path: file.path, offset: file.offset + offset, plain: false };
                result = compressor.compressFile!(region, params);
              } else {
                await window!.fill(end);
                if (window!.end < end) {
                  throw new ErofsError(`content ended early (size ${node.size})`, node.path);
                }
                // A copy (not `slice()`, a view on a Node `Buffer`): the
                // window reuses its memory once released.
                raw = new Uint8Array(window!.view(offset, end));
                window!.release(end);
                result = compressor.compress(raw, params);
              }
              const full = enqueue({
                node,
                bytes: end - offset,
                raw,
                indexBytes,
                segment: { state, offset, last },
                result: result.catch((e) => {
                  throw withPath(e, node.path);
                }),
              });
              if (full) yield* commit(queue.shift()!);
            }
            if (window) {
              await window.fill(node.size + 1);
              if (window.end > node.size) {
                throw new ErofsError(`content is longer than its size ${node.size}`, node.path);
              }
            }
          } catch (error) {
            await window?.close();
            throw error;
          }
          continue;
        }
        const file = inode.content.file;
        if (tryCompress && file && compressor.compressFile) {
          // The worker reads the file; nothing of it passes through here.
          const full = enqueue({
            node,
            bytes: node.size,
            raw: undefined,
            indexBytes,
            result: compressor.compressFile({ ...file, plain: true }, layout).catch((e) => {
              throw withPath(e, node.path);
            }),
          });
          if (full) yield* commit(queue.shift()!);
          continue;
        }
        const raw = await readWhole(inode.content.stream(0, node.size), node.size, node.path);
        const result = tryCompress ? compressor.compress(raw, layout) : Promise.resolve(undefined);
        const full = enqueue({
          node,
          bytes: node.size,
          raw,
          indexBytes,
          result: result.catch((e) => {
            throw withPath(e, node.path);
          }),
        });
        if (full) yield* commit(queue.shift()!);
      }
      while (queue.length > 0) yield* commit(queue.shift()!);
    } finally {
      pool?.close();
    }

    // Directory and symlink blocks hold nids, known only once the metadata
    // is placed: they go after the file data (their i_u does not move a nid).
    const small = dataOrder.filter((node) => node.inode.kind !== "file");
    for (const node of small) {
      node.startBlock = cursor;
      cursor += node.dataBlocks;
    }
    const metaBlock = cursor;
    const placed = placeMetadata(plan, (node) => {
      if (!node.compressed) return node.tail;
      const headSize = inodeHeadSize(node);
      return indexStart(headSize) - headSize + node.compressed.indexBytes + node.tail;
    });
    const blocks = metaBlock + placed.metaBlocks;
    checkBlocks(blocks);
    const imagePlan: ImagePlan = {
      options,
      inodes: nodes,
      dataOrder,
      epoch: plan.epoch,
      longPrefixes: plan.namer.longPrefixes,
      prefixOffset,
      ...placed,
      headBlocks,
      metaBlock,
      blocks,
      compression: sb,
    };
    const nidOf = (i: number) => nodes[i].offset / 32;
    for (const node of small) {
      const bytes = smallData(imagePlan, node, nidOf);
      const full = node.size - node.tail;
      yield bytes.subarray(0, full);
      const pad = node.dataBlocks * blockSize - full;
      if (pad > 0) yield new Uint8Array(pad);
    }

    const { meta, tails } = encodeMetadata(imagePlan);
    for (const node of nodes) {
      const at = tails.get(node);
      if (at === undefined) continue;
      if (node.compressed) {
        encodeCompressedMap(meta, at, node, blockSize);
      } else if (node.tail > 0) {
        meta.set(fileTails.get(node)!, at);
      }
    }
    const head = await encodeHead(imagePlan, meta);
    for (let at = 0; at < meta.length; at += PIECE) yield meta.subarray(at, at + PIECE);
    done(head, blocks * blockSize);
  }
}

/**
 * One file read whole and being compressed (or not: `result` undefined), or
 * one segment of a large file.
 */
interface Job {
  node: PlannedInode;
  /** Bytes of input (the file, or the segment). */
  bytes: number;
  /** The bytes read; `undefined` when a worker read them (it sends them back if needed). */
  raw: Uint8Array | undefined;
  indexBytes: number;
  result: Promise<(WholeFileResult & { raw?: Uint8Array }) | undefined>;
  segment?: { state: SegmentState; offset: number; last: boolean };
}

/** A large file's extents so far, gathered segment by segment. */
interface SegmentState {
  extents: Extent[];
  blocks: number;
  inline: Uint8Array | undefined;
  /** Its first block. */
  start: number;
}

/** The error, naming the file when it does not yet. */
function withPath(error: unknown, path: string): unknown {
  if (error instanceof ErofsError && error.path === undefined) {
    return new ErofsError(error.message, path);
  }
  return error;
}

/** Writes a compressed file's map header, compact index and inline tail after its xattrs. */
function encodeCompressedMap(
  meta: Uint8Array,
  xattrEnd: number,
  node: PlannedInode,
  blockSize: number,
): void {
  const file = node.compressed!;
  const header = Math.ceil(xattrEnd / 8) * 8;
  const view = new DataView(meta.buffer, meta.byteOffset, meta.byteLength);
  if (file.inline) view.setUint16(header + 2, file.inline.length, true);
  view.setUint16(header + 4, file.advise, true);
  meta[header + 6] = file.algorithm;
  meta[header + 7] = 0; // lclusterbits = block size bits
  const headSize = inodeHeadSize(node);
  const index = node.offset + indexStart(headSize);
  encodeCompactIndex(meta, index, {
    size: node.size,
    blockSize,
    headSize,
    twoB: (file.advise & ADVISE_COMPACTED_2B) !== 0,
    big: (file.advise & ADVISE_BIG_PCLUSTER_1) !== 0,
    startBlock: node.startBlock,
    extents: file.extents,
  });
  if (file.inline) meta.set(file.inline, index + file.indexBytes);
}

/** Stores a file uncompressed: full blocks (zero-padded) now, the inline tail kept for later. */
function* flatFile(
  node: PlannedInode,
  raw: Uint8Array,
  fileTails: Map<PlannedInode, Uint8Array>,
  cursor: number,
  blockSize: number,
): Generator<Uint8Array> {
  const full = node.size - node.tail;
  if (node.dataBlocks > 0) node.startBlock = cursor;
  if (full > 0) yield raw.subarray(0, full);
  const pad = node.dataBlocks * blockSize - full;
  if (node.dataBlocks > 0 && pad > 0) yield new Uint8Array(pad);
  // A copy: the tail waits for the metadata, at the end of the image, and a
  // view would keep the whole chunk it came in alive until then. (Not
  // `slice()`: on a Node `Buffer` that is a view too.)
  if (node.tail > 0) fileTails.set(node, new Uint8Array(raw.subarray(full)));
}

/** Reads exactly `size` bytes of content into one array. */
async function readWhole(
  chunks: AsyncIterable<Uint8Array>,
  size: number,
  path: string,
): Promise<Uint8Array> {
  let bytes: Uint8Array | undefined;
  let seen = 0;
  for await (const chunk of chunks) {
    if (seen === 0 && chunk.length === size && !bytes) {
      // The usual case for small files: one chunk, no copy.
      bytes = chunk;
      seen = size;
      continue;
    }
    bytes ??= new Uint8Array(size);
    if (seen + chunk.length > size) {
      throw new ErofsError(`content is longer than its size ${size}`, path);
    }
    bytes.set(chunk, seen);
    seen += chunk.length;
  }
  if (seen !== size) throw new ErofsError(`content ended early (size ${size})`, path);
  return bytes ?? new Uint8Array(0);
}

/** Whether two byte arrays are equal. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
