/**
 * The stream sink: an image as a Web `ReadableStream`, for `fetch` bodies,
 * `Response`s, `CompressionStream`s and anything else that takes one.
 *
 * @module
 */
import type { ErofsImage } from "../erofs/mod.ts";
import { checkedChunks } from "./checked.ts";

/**
 * The image's bytes as a pull-based byte stream: nothing is produced until
 * the consumer reads (high-water mark 0), so a slow consumer holds at most one
 * chunk in memory. Cancelling the stream stops the image's iterator, which
 * closes any file it was reading. A compressed image is compressed twice,
 * a sizing run and then the streamed one, so that its first block comes first
 * (see `erofs/compress/compressed_image.ts`).
 *
 * @example
 * ```ts
 * import { Tree } from "../tree/mod.ts";
 * import { buildErofs } from "../erofs/mod.ts";
 * import { imageStream } from "./stream.ts";
 *
 * const image = await buildErofs(new Tree());
 * // Compressed images learn their size while streaming: no content-length then.
 * const headers = new Headers({ "content-type": "application/octet-stream" });
 * if (image.size !== undefined) headers.set("content-length", `${image.size}`);
 * const response = new Response(imageStream(image), { headers });
 * ```
 */
export function imageStream(
  image: Pick<ErofsImage, "size" | "chunks">,
): ReadableStream<Uint8Array> {
  let iterator: AsyncIterator<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      iterator ??= checkedChunks(image)[Symbol.asyncIterator]();
      // Empty chunks would wake the reader for nothing: skip them.
      while (true) {
        const { done, value } = await iterator.next();
        if (done) return controller.close();
        if (value.length > 0) return controller.enqueue(value);
      }
    },
    async cancel(reason) {
      await iterator?.return?.(reason);
    },
  }, { highWaterMark: 0 });
}
