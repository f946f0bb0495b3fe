/**
 * Cutting one file into extents: each extent is as much input as a
 * fixed-output encoder fits into one physical cluster (`-C` bytes), stored
 * right-aligned in whole blocks (LZ4_0PADDING); an extent that does not save
 * a block is stored PLAIN (one block of raw bytes) instead; the last extent
 * may go inline into the metadata (ztailpacking). The bytes are read once,
 * front to back, and every pcluster is handed out as soon as it is made.
 *
 * Two extents may not start in the same logical cluster (each has one index
 * entry), and a multi-block pcluster's HEAD must be followed by a NONHEAD
 * (where its block count is recorded). Both hold by construction: a
 * compressed extent is kept only if it covers more input than its blocks
 * (so it crosses as many lcluster boundaries as it has blocks), and a PLAIN
 * extent covers exactly one block of input.
 *
 * @module
 */
import type { FixedOutputEncoder } from "../../wasm/mod.ts";
import { ErofsError } from "../errors.ts";
import { ByteWindow } from "./byte_window.ts";
import type { Extent, WholeFileResult } from "./types.ts";

/** Input offered to the encoder at first, in pclusters' worth. */
const FIRST_WINDOW = 4;
/**
 * Most input one extent may cover: readers cap decoded extents (and deltas
 * in the index count lclusters in 11 bits).
 */
const MAX_EXTENT = 1 << 20;

/**
 * How to cut a file.
 *
 * @example
 * ```ts
 * import type { FileLayoutParams } from "./file_compressor.ts";
 * const params: FileLayoutParams = { size: 10_000, blockSize: 4096, pclusterSize: 4096, maxInline: 0 };
 * ```
 */
export interface FileLayoutParams {
  /** File size in bytes. */
  size: number;
  blockSize: number;
  /** Output capacity of one pcluster (`-C`), a multiple of the block size. */
  pclusterSize: number;
  /** Largest inline tail that fits after the index (0: no ztailpacking). */
  maxInline: number;
  /** Scratch output of `pclusterSize` bytes to reuse across files. */
  scratch?: Uint8Array;
}

/**
 * What {@link compressFile} produced.
 *
 * @example
 * ```ts
 * import type { CompressedExtents } from "./file_compressor.ts";
 * const blocks = (r: CompressedExtents) => r.blocks;
 * ```
 */
export interface CompressedExtents {
  extents: Extent[];
  /** Blocks yielded (the inline tail excluded). */
  blocks: number;
  /** The inline tail's bytes (compressed, or raw for a PLAIN tail). */
  inline: Uint8Array | undefined;
}

/**
 * Compresses the file in `window` (bytes 0 to `params.size`) into extents,
 * yielding each pcluster's blocks in order and returning the extents. The
 * window is read to EOF; reading more or less than `size` bytes throws.
 *
 * @example
 * ```ts
 * import { createEncoder } from "../../wasm/mod.ts";
 * import { ByteWindow } from "./byte_window.ts";
 * import { compressFile } from "./file_compressor.ts";
 * async function* text() { yield new TextEncoder().encode("hello ".repeat(5000)); }
 * const encoder = await createEncoder("lz4");
 * const file = compressFile(new ByteWindow(text()), encoder,
 *   { size: 30000, blockSize: 4096, pclusterSize: 4096, maxInline: 0 });
 * let step = await file.next();
 * while (!step.done) step = await file.next(); // step.value: pclusters, then the extents
 * console.log(step.value.blocks);
 * ```
 */
export async function* compressFile(
  window: ByteWindow,
  encoder: FixedOutputEncoder,
  params: FileLayoutParams,
): AsyncGenerator<Uint8Array, CompressedExtents, undefined> {
  const { size, blockSize, pclusterSize, maxInline } = params;
  const out = params.scratch ?? new Uint8Array(pclusterSize);
  const extents: Extent[] = [];
  let blocks = 0;
  let inline: Uint8Array | undefined;
  const maxExtent = Math.min(MAX_EXTENT, 1024 * blockSize);
  let pos = 0;
  /** Input the previous pcluster took: the next one likely takes as much. */
  let lastConsumed = 0;
  while (pos < size) {
    const rest = size - pos;
    // Offered input beyond what fits costs only its copy into the encoder,
    // while too little costs a whole second compression: offer twice what
    // the previous pcluster took (data that compresses better than 4:1
    // would otherwise be compressed twice for every pcluster).
    let length = Math.min(rest, Math.max(FIRST_WINDOW * pclusterSize, 2 * lastConsumed), maxExtent);
    let consumed = 0;
    let written = 0;
    for (;;) {
      await window.fill(pos + length);
      if (window.end < pos + length) {
        throw new ErofsError(`content ended early at ${window.end} (size ${size})`);
      }
      ({ consumed, written } = encoder.fill(window.view(pos, pos + length), out));
      lastConsumed = consumed;
      // All input fitted: offer more, or the pcluster would be left part-empty.
      if (consumed < length || length === rest || length === maxExtent) break;
      length = Math.min(rest, length * 4, maxExtent);
    }
    const storedBlocks = Math.ceil(written / blockSize);
    const compressedOk = consumed > 0 && written > 0 && out[0] !== 0;
    if (consumed === rest && maxInline > 0) {
      // The tail extent: inline it, compressed if that is smaller.
      if (compressedOk && written < consumed && written <= maxInline) {
        inline = out.slice(0, written);
        extents.push({ start: pos, plain: false, blocks: 0, inline: true });
        pos += consumed;
        break;
      }
      if (rest <= maxInline && rest < blockSize) {
        inline = new Uint8Array(window.view(pos, size)); // a copy, even of a Buffer
        extents.push({ start: pos, plain: true, blocks: 0, inline: true });
        pos = size;
        break;
      }
    }
    if (compressedOk && consumed > storedBlocks * blockSize) {
      // Right-aligned in its blocks, zeros before (LZ4_0PADDING).
      const pcluster = new Uint8Array(storedBlocks * blockSize);
      pcluster.set(out.subarray(0, written), pcluster.length - written);
      yield pcluster;
      extents.push({ start: pos, plain: false, blocks: storedBlocks, inline: false });
      blocks += storedBlocks;
      pos += consumed;
    } else {
      const length = Math.min(blockSize, rest);
      const pcluster = new Uint8Array(blockSize);
      pcluster.set(window.view(pos, pos + length));
      yield pcluster;
      extents.push({ start: pos, plain: true, blocks: 1, inline: false });
      blocks += 1;
      pos += length;
    }
    window.release(pos);
  }
  await window.fill(size + 1);
  if (window.end > size) throw new ErofsError(`content is longer than its size ${size}`);
  return { extents, blocks, inline };
}

/**
 * Compresses a file held in memory on this thread.
 *
 * @example
 * ```ts
 * import { createEncoder } from "../../wasm/mod.ts";
 * import { compressWhole } from "./file_compressor.ts";
 * const encoder = await createEncoder("lz4");
 * const bytes = new TextEncoder().encode("hello ".repeat(5000));
 * const result = await compressWhole(bytes, encoder,
 *   { size: bytes.length, blockSize: 4096, pclusterSize: 4096, maxInline: 0 });
 * console.log(result.blocks); // 1
 * ```
 */
export async function compressWhole(
  bytes: Uint8Array,
  encoder: FixedOutputEncoder,
  params: FileLayoutParams,
): Promise<WholeFileResult> {
  const data: Uint8Array[] = [];
  const stream = compressFile(ByteWindow.of(bytes), encoder, params);
  let step;
  while (!(step = await stream.next()).done) data.push(step.value);
  return { ...step.value, data };
}
