/**
 * Keeping file data from pass 1, so that writing the image does not read the
 * layers a second time.
 *
 * Without a spool, pass 1 skips file data and the writer's pass 2 downloads,
 * checks and decompresses every layer again ({@link LayerReplay}): bounded
 * memory and no disk, at twice the network and decompression work. With a
 * {@link ContentSpool}, pass 1 appends each regular file's bytes to it as the
 * tar goes by, and the tree's contents become {@link SpooledContent} regions
 * of it. The data of files a later layer deletes stays in the spool unread.
 *
 * The spool is storage the runtime provides (a file that is unlinked as soon
 * as it is opened, see `openFileSpool` in `src/runtime/`); this module only
 * says what the layer pipeline needs of it.
 *
 * @module
 */
import type { FileContent } from "../tree/mod.ts";

/**
 * Append-only byte storage read back at any offset: where pass 1 keeps file
 * data. Its owner closes it once the image has been written.
 *
 * @example
 * ```ts
 * import type { ContentSpool } from "./spool.ts";
 * async function copyOut(spool: ContentSpool, offset: number, length: number): Promise<number> {
 *   let bytes = 0;
 *   for await (const chunk of spool.read(offset, length)) bytes += chunk.length;
 *   return bytes;
 * }
 * ```
 */
export interface ContentSpool {
  /** Bytes appended so far: the offset the next append starts at. */
  readonly size: number;
  /**
   * Appends a copy of `chunk` (the caller may reuse it at once). May finish
   * later: wait for a returned promise before the next append.
   */
  append(chunk: Uint8Array): void | Promise<void>;
  /**
   * Bytes `[offset, offset + length)` of what was appended, in chunks the
   * caller may keep. Throws if the range goes past {@link size}.
   */
  read(offset: number, length: number): AsyncIterable<Uint8Array>;
  /** Frees the storage; reading afterwards throws. Idempotent. */
  close(): Promise<void>;
}

/**
 * A regular file's bytes kept in a {@link ContentSpool}: the region
 * `[offset, offset + size)`. `sequence` is the same counter over layers and
 * members that {@link ReplayContent} carries, so the writer lays data out
 * identically with or without a spool.
 *
 * @example
 * ```ts
 * import { SpooledContent, type ContentSpool } from "./spool.ts";
 * declare const spool: ContentSpool;
 * const content = new SpooledContent(spool, 0, 5, 0);
 * for await (const chunk of content.stream(1, 3)) console.log(chunk); // bytes 1 and 2
 * ```
 */
export class SpooledContent implements FileContent {
  readonly size: number;
  readonly sequence: number;
  /** Where the bytes start in the spool. */
  readonly offset: number;
  #spool: ContentSpool;

  constructor(spool: ContentSpool, offset: number, size: number, sequence: number) {
    this.#spool = spool;
    this.offset = offset;
    this.size = size;
    this.sequence = sequence;
  }

  stream(start = 0, end = this.size): AsyncIterable<Uint8Array> {
    if (
      !(Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start <= end &&
        end <= this.size)
    ) {
      throw new RangeError(`range [${start}, ${end}) outside 0…${this.size}`);
    }
    return this.#spool.read(this.offset + start, end - start);
  }
}
