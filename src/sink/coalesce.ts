/**
 * Batching of small chunks into larger ones before they reach a sink: an
 * image of many small files streams as many small pieces (a tail here, a
 * block of padding there), and each write costs a system call or a stream
 * round trip of its own.
 *
 * @module
 */

/** Default size of a batch. */
export const BATCH_SIZE = 1 << 20;

/**
 * Yields the same bytes as `chunks`, with runs of small chunks copied into
 * batches of about `size` bytes; a chunk of at least `size / 4` bytes passes
 * through uncopied (after the pending batch). Yielded batches are never
 * reused, so a consumer may hold on to them.
 *
 * @example
 * ```ts
 * import { coalesce } from "./coalesce.ts";
 * async function* pieces() { for (let i = 0; i < 1000; i++) yield new Uint8Array(100); }
 * for await (const batch of coalesce(pieces(), 64 * 1024)) console.log(batch.length);
 * // 65536, 34464
 * ```
 */
export async function* coalesce(
  chunks: AsyncIterable<Uint8Array>,
  size: number = BATCH_SIZE,
): AsyncGenerator<Uint8Array, void, undefined> {
  let batch = new Uint8Array(size);
  let used = 0;
  for await (const chunk of chunks) {
    if (chunk.length >= size / 4) {
      if (used > 0) {
        yield batch.subarray(0, used);
        batch = new Uint8Array(size);
        used = 0;
      }
      yield chunk;
      continue;
    }
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(size - used, chunk.length - at);
      batch.set(chunk.subarray(at, at + n), used);
      used += n;
      at += n;
      if (used === size) {
        yield batch;
        batch = new Uint8Array(size);
        used = 0;
      }
    }
  }
  if (used > 0) yield batch.subarray(0, used);
}
