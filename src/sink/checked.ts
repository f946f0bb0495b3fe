/**
 * Guarding sinks against a writer bug: an image must stream exactly the
 * number of bytes it announced, or the sink fails instead of publishing it.
 *
 * @module
 */
import type { ErofsImage } from "../erofs/mod.ts";

/**
 * The image's chunks, throwing if they add up to more or less than
 * `image.size` (before the last chunk is released for a shortfall, at the
 * first excess byte for an overrun). An image whose size is known only once
 * streamed (compressed) is checked against it at the end.
 *
 * @example
 * ```ts
 * import { checkedChunks } from "./checked.ts";
 * const image = { size: 2, async *chunks() { yield new Uint8Array(2); } };
 * for await (const chunk of checkedChunks(image)) console.log(chunk.length); // 2
 * ```
 */
export async function* checkedChunks(
  image: Pick<ErofsImage, "size" | "chunks">,
): AsyncGenerator<Uint8Array, void, undefined> {
  let total = 0;
  const announced = image.size;
  for await (const chunk of image.chunks()) {
    total += chunk.length;
    if (announced !== undefined && total > announced) {
      throw new Error(`image streamed more than its size of ${announced} bytes`);
    }
    yield chunk;
  }
  if (total !== image.size) {
    throw new Error(`image streamed ${total} bytes but its size is ${image.size}`);
  }
}
