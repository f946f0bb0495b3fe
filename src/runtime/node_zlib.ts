/**
 * What the `node:zlib` backends (`gzip.ts`, `zstd.ts`) share: importing
 * `node:zlib` once and checking it really works, the stream sizes that keep
 * it fast, and waiting for a full zlib stream to drain.
 *
 * @module
 */

/** The `node:zlib` module's type. */
export type NodeZlib = typeof import("node:zlib");

/**
 * Output chunk size. zlib's 16 KiB default costs ~10% more per-chunk work,
 * and on Node every chunk is a thread-pool round trip: 64 KiB left a 3.1 s
 * layered conversion 40% idle; 256 KiB took it to 2.3 s (1 MiB: no better).
 */
export const CHUNK_SIZE = 256 * 1024;

/**
 * Decoded bytes queued before zlib is paused. Pausing at every chunk (the
 * default queue holds one) stalled zlib between chunks and doubled Node
 * 24's decoding time; 1 MiB lets it run ahead while memory stays bounded.
 */
export const QUEUE_BYTES = 1 << 20;

/**
 * How much a `node:zlib` decoder buffers: its output chunk size and the
 * decoded bytes queued before it is paused.
 *
 * @example
 * ```ts
 * import type { NativeBuffers } from "./node_zlib.ts";
 * const lean: NativeBuffers = { chunkSize: 64 * 1024, queueBytes: 256 * 1024 };
 * ```
 */
export interface NativeBuffers {
  readonly chunkSize: number;
  readonly queueBytes: number;
}

/**
 * The default buffers: fastest (see {@link CHUNK_SIZE} and {@link QUEUE_BYTES}).
 *
 * @example
 * ```ts
 * import { FAST_BUFFERS } from "./node_zlib.ts";
 * console.log(FAST_BUFFERS.chunkSize); // 262144
 * ```
 */
export const FAST_BUFFERS: NativeBuffers = { chunkSize: CHUNK_SIZE, queueBytes: QUEUE_BYTES };

/**
 * Buffers for low memory: 64 KiB chunks, 256 KiB queued. With the layer
 * prefetch off, they took the edge benchmark's peak RSS down by about
 * 20 MiB, at about 10% of Node's time (none on Deno).
 *
 * @example
 * ```ts
 * import { SMALL_BUFFERS } from "./node_zlib.ts";
 * console.log(SMALL_BUFFERS.queueBytes); // 262144
 * ```
 */
export const SMALL_BUFFERS: NativeBuffers = { chunkSize: 64 * 1024, queueBytes: 256 * 1024 };

/**
 * The output queue of a decoder stream holding `bytes`.
 *
 * @example
 * ```ts
 * import { outputQueue } from "./node_zlib.ts";
 * const stream = new ReadableStream<Uint8Array>({}, outputQueue(1 << 20));
 * ```
 */
export function outputQueue(bytes: number): QueuingStrategy<Uint8Array> {
  return { highWaterMark: bytes, size: (chunk) => chunk.byteLength };
}

/**
 * A loader that imports `node:zlib` on first call and resolves to it if
 * `probe` accepts it, else to `undefined`; later calls reuse the answer.
 * `probe` rejects by returning `false` or throwing: bundlers may replace
 * the module with a stub whose properties throw on access (Vite does), so
 * the probe should touch what its caller will use.
 *
 * @example
 * ```ts
 * import { nodeZlibLoader } from "./node_zlib.ts";
 * const loadZlib = nodeZlibLoader((zlib) => zlib.createGunzip().close());
 * const zlib = await loadZlib(); // undefined in a browser
 * ```
 */
export function nodeZlibLoader(
  probe: (module: NodeZlib) => unknown,
): () => Promise<NodeZlib | undefined> {
  let zlib: Promise<NodeZlib | undefined> | undefined;
  return () =>
    zlib ??= import("node:zlib").then(
      (module) => {
        try {
          return probe(module) === false ? undefined : module;
        } catch {
          return undefined;
        }
      },
      () => undefined,
    );
}

/** The events of a Node stream that {@link drained} listens to. */
interface Drainable {
  on(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/**
 * Resolves when `stream` (whose `write` just returned `false`) emits
 * `drain`, or `close` if it is destroyed first, so a writer never waits
 * forever on a failed decoder.
 *
 * @example
 * ```ts
 * import { drained } from "./node_zlib.ts";
 * const gunzip = (await import("node:zlib")).createGunzip();
 * if (!gunzip.write(new Uint8Array(1 << 20))) await drained(gunzip);
 * ```
 */
export function drained(stream: Drainable): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
