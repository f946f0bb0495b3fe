/**
 * Test helper: an image's bytes gathered into one buffer (small images only).
 *
 * @module
 */
import type { ErofsImage } from "../../src/erofs/mod.ts";

/** Concatenates `image.chunks()`; checks the length matches `image.size`. */
export async function imageBytes(image: ErofsImage): Promise<Uint8Array> {
  const out = new Uint8Array(image.size);
  let at = 0;
  for await (const chunk of image.chunks()) {
    out.set(chunk, at);
    at += chunk.length;
  }
  if (at !== image.size) throw new Error(`image streamed ${at} bytes, size says ${image.size}`);
  return out;
}
