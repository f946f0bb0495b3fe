/**
 * Test helper: an image's bytes gathered into one buffer (small images only).
 *
 * @module
 */
import type { ErofsImage } from "../../src/erofs/mod.ts";

/**
 * Concatenates `image.chunks()`; checks the length matches `image.size`
 * (known after streaming for compressed images).
 */
export async function imageBytes(image: ErofsImage): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let at = 0;
  for await (const chunk of image.chunks()) {
    parts.push(chunk);
    at += chunk.length;
  }
  if (at !== image.size) throw new Error(`image streamed ${at} bytes, size says ${image.size}`);
  const out = new Uint8Array(at);
  at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
