/**
 * gzip through `node:zlib`, the fastest gzip decoder wherever it can be
 * imported: Node, Deno, Bun, and edge runtimes with Node compatibility.
 * Browsers (and edge runtimes without it) fall back to
 * `DecompressionStream`, then fflate; that choice is made by
 * `src/layers/decompress/gzip.ts` from {@linkcode loadNodeGunzip}'s answer.
 *
 * Measured with `scripts/bench-decompress.ts` on a `gzip -6` layer (61.9 MB,
 * 167.8 MB of tar) on this project's 2-core machine, best of 3
 * (`gzip -dc`: 1.2 s; the Node 20 row by hand, raw streams, on a 50 MB
 * layer of 164 MB):
 *
 * | runtime  | node:zlib | DecompressionStream | fflate |
 * | -------- | --------- | ------------------- | ------ |
 * | Deno 2.9 | 0.50 s    | 0.68 s              | 2.20 s |
 * | Node 24  | 0.71 s    | 1.25 s              | 3.01 s |
 * | Node 20  | 0.72 s    | 1.03 s              |        |
 *
 * so `node:zlib` is preferred in Deno too. Deno's `DecompressionStream`
 * also rejects multi-member gzip, which the fallback has to work around.
 *
 * zlib decodes concatenated members itself but, after a member, silently
 * stops at a zero byte and drops the rest of the input (zero padding is
 * common in other contexts). A layer with bytes after its last member is
 * malformed (Go's gzip reader, which registries and containerd use, rejects
 * it), so this module compares what zlib consumed with what it was given.
 *
 * @module
 */
import { DecompressError } from "../layers/decompress/errors.ts";
import {
  drained,
  FAST_BUFFERS,
  type NativeBuffers,
  type NodeZlib,
  nodeZlibLoader,
  outputQueue,
} from "./node_zlib.ts";

/** `node:zlib` if this runtime has a working one, looked up once. */
const loadZlib = nodeZlibLoader((module) => module.createGunzip().close());

/**
 * A gzip decoder: compressed stream in, decompressed stream out.
 *
 * @example
 * ```ts
 * import type { Gunzip } from "./gzip.ts";
 * const identity: Gunzip = (input) => input; // the shape, not a real decoder
 * ```
 */
export type Gunzip = (
  input: ReadableStream<Uint8Array>,
  buffers?: NativeBuffers,
) => ReadableStream<Uint8Array>;

/**
 * The `node:zlib` gzip decoder, or `undefined` when this runtime has no
 * `node:zlib`.
 *
 * @example
 * ```ts
 * import { loadNodeGunzip } from "./gzip.ts";
 * const gunzip = await loadNodeGunzip();
 * if (gunzip) {
 *   const tar = gunzip(new Blob([]).stream()); // a gzip layer's bytes
 * }
 * ```
 */
export async function loadNodeGunzip(): Promise<Gunzip | undefined> {
  const module = await loadZlib();
  return module && ((input, buffers) => nodeGunzip(module, input, buffers ?? FAST_BUFFERS));
}

/** Runs `input` through a zlib `Gunzip`, pausing it while nobody reads. */
function nodeGunzip(
  module: NodeZlib,
  input: ReadableStream<Uint8Array>,
  buffers: NativeBuffers,
): ReadableStream<Uint8Array> {
  const reader = input.getReader();
  const gunzip = module.createGunzip({ chunkSize: buffers.chunkSize });
  /** Input bytes handed to zlib. */
  let written = 0;
  let failed = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (error: unknown) => {
        if (failed) return;
        failed = true;
        controller.error(error);
        gunzip.destroy();
        reader.cancel(error).catch(() => {});
      };
      gunzip.on("data", (chunk: Uint8Array) => {
        // Deno's zlib may still emit after cancel() destroyed it: enqueueing
        // then throws from an event handler, which kills the process.
        if (failed) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        // Stop zlib until the consumer asks for more: bounded memory.
        if ((controller.desiredSize ?? 0) <= 0) gunzip.pause();
      });
      gunzip.on("end", () => {
        if (failed) return;
        if (gunzip.bytesWritten < written) {
          fail(
            new DecompressError("gzip", "trailing data after the last member", {
              offset: gunzip.bytesWritten,
            }),
          );
          return;
        }
        controller.close();
      });
      gunzip.on("error", (error: Error) => {
        fail(
          new DecompressError("gzip", error.message, { offset: gunzip.bytesWritten, cause: error }),
        );
      });
      gunzip.pause();
      // Feed zlib as fast as it takes input; its own buffers bound memory.
      (async () => {
        for (;;) {
          const next = await reader.read();
          if (failed) return;
          if (next.done) {
            gunzip.end();
            return;
          }
          written += next.value.length;
          if (!gunzip.write(next.value)) await drained(gunzip);
        }
      })().catch(fail);
    },
    pull() {
      gunzip.resume();
    },
    cancel(reason) {
      failed = true;
      gunzip.destroy();
      return reader.cancel(reason);
    },
  }, outputQueue(buffers.queueBytes));
}
