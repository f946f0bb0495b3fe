/**
 * Where a regular file's bytes are. The tree never requires holding them in
 * memory: a content object only knows its size and how to stream a range.
 *
 * @module
 */

/**
 * A regular file's bytes, streamed on demand.
 *
 * @example
 * ```ts
 * import type { FileContent } from "./content.ts";
 * const zeros: FileContent = {
 *   size: 4096,
 *   async *stream(start = 0, end = 4096) {
 *     yield new Uint8Array(end - start);
 *   },
 * };
 * ```
 */
export interface FileContent {
  /** Exact length in bytes. */
  readonly size: number;
  /**
   * Where the bytes come in their source's natural order (e.g. a counter
   * over the entries of successive layers). The writer lays data out in
   * this order and reads it in this order, once, so a source that can only
   * replay its streams front to back can serve it. Without it, files come
   * first, in tree order.
   */
  readonly sequence?: number;
  /**
   * Where the bytes lie in a local file, when they do (`dir:` and `tar:`
   * sources): compression workers then read them themselves instead of
   * being sent copies. The bytes are `size` bytes from `offset`.
   */
  readonly file?: FileRegion;
  /**
   * Streams bytes `[start, end)` (defaults: the whole file). The total yielded
   * must equal `end − start`; the writer checks this and fails otherwise.
   */
  stream(start?: number, end?: number): AsyncIterable<Uint8Array>;
}

/**
 * A place in a local file: its path and a byte offset.
 *
 * @example
 * ```ts
 * import type { FileRegion } from "./content.ts";
 * const member: FileRegion = { path: "rootfs.tar", offset: 1536 };
 * ```
 */
export interface FileRegion {
  readonly path: string;
  readonly offset: number;
}

/**
 * Content held in memory.
 *
 * @example
 * ```ts
 * import { bytesContent } from "./content.ts";
 * const hello = bytesContent(new TextEncoder().encode("hi\n"));
 * console.log(hello.size); // 3
 * ```
 */
export function bytesContent(bytes: Uint8Array): FileContent {
  return {
    size: bytes.length,
    async *stream(start = 0, end = bytes.length) {
      if (end > start) yield bytes.subarray(start, end);
    },
  };
}

/**
 * Content produced by a function of the byte offset, in pieces of at most
 * `pieceSize` bytes — for synthetic large files (tests, benchmarks) that
 * should never exist in memory whole.
 *
 * @example
 * ```ts
 * import { generatedContent } from "./content.ts";
 * // 5 GiB of a repeating byte pattern.
 * const big = generatedContent(5 * 2 ** 30, (offset, out) => out.fill(offset % 251));
 * ```
 */
export function generatedContent(
  size: number,
  fill: (offset: number, out: Uint8Array) => void,
  pieceSize = 1 << 20,
): FileContent {
  return {
    size,
    async *stream(start = 0, end = size) {
      for (let at = start; at < end; at += pieceSize) {
        const out = new Uint8Array(Math.min(pieceSize, end - at));
        fill(at, out);
        yield out;
      }
    },
  };
}
