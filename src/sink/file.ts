/**
 * The file sink: an image written to a path on this machine, all or nothing.
 *
 * @module
 */
import type { ErofsImage } from "../erofs/mod.ts";
import { writeFileAtomic } from "../runtime/fs.ts";
import { checkedChunks } from "./checked.ts";

/**
 * Options for {@link writeImageFile}.
 *
 * @example
 * ```ts
 * import { writeImageFile, type WriteImageOptions } from "./file.ts";
 * declare const image: { size: number; chunks(): AsyncIterable<Uint8Array> };
 * const options: WriteImageOptions = { signal: AbortSignal.timeout(60_000) };
 * await writeImageFile(image, "out.erofs", options);
 * ```
 */
export interface WriteImageOptions {
  /** Abandons the write; nothing is left behind. */
  signal?: AbortSignal;
}

/**
 * Writes `image` to `path` atomically: a temporary file in the same
 * directory is filled, fsynced and renamed over `path`, so `path` is never
 * seen half-written and any failure leaves it as it was. (An existing device
 * or FIFO at `path` is written in place.) Images that offer
 * {@link ErofsImage.seekable} (compressed ones) are written in one pass with
 * block 0 rewritten last; on a FIFO they are compressed twice instead
 * (a sizing run, then the written one).
 *
 * @example
 * ```ts
 * import { Tree } from "../tree/mod.ts";
 * import { buildErofs } from "../erofs/mod.ts";
 * import { writeImageFile } from "./file.ts";
 *
 * const image = await buildErofs(new Tree());
 * await writeImageFile(image, "empty.erofs");
 * ```
 */
export function writeImageFile(
  image: Pick<ErofsImage, "size" | "chunks" | "seekable">,
  path: string,
  options: WriteImageOptions = {},
): Promise<void> {
  // A compressed image knows block 0 last: a seekable target takes the
  // bytes as they are made and gets block 0 rewritten at the end (no spool).
  const seekable = image.seekable?.();
  return writeFileAtomic(path, checkedChunks(image), {
    signal: options.signal,
    seekable: seekable && {
      chunks: checkedChunks({
        get size() {
          return image.size;
        },
        chunks: () => seekable.chunks,
      }),
      head: () => seekable.head(),
    },
  });
}
