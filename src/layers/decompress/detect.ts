/**
 * Which compression a layer blob uses, from its first bytes — and, only as a
 * second opinion, from its media type. Registries and tools mislabel layers
 * (a `+gzip` media type on a zstd blob happens), while magic bytes cannot
 * lie about the decoder that is needed, so the bytes win.
 *
 * @module
 */

/**
 * A layer's compression: `"none"` means a plain tar.
 *
 * @example
 * ```ts
 * import type { Compression } from "./detect.ts";
 * const formats: Compression[] = ["gzip", "zstd", "none"];
 * ```
 */
export type Compression = "gzip" | "zstd" | "none";

/**
 * How many leading bytes {@linkcode detectCompression} looks at.
 *
 * @example
 * ```ts
 * import { detectCompression, MAGIC_LENGTH } from "./detect.ts";
 * const blob = new Blob([]); // a layer
 * const head = new Uint8Array(await blob.slice(0, MAGIC_LENGTH).arrayBuffer());
 * console.log(detectCompression(head));
 * ```
 */
export const MAGIC_LENGTH = 4;

/**
 * The compression the bytes start with: gzip (`1f 8b`), zstd (a zstd frame
 * `28 b5 2f fd`, or a skippable frame `5? 2a 4d 18`, which only zstd streams
 * contain), otherwise `"none"`. Needs {@linkcode MAGIC_LENGTH} bytes for
 * zstd; fewer bytes than a magic can only be `"none"`.
 *
 * @example
 * ```ts
 * import { detectCompression } from "./detect.ts";
 * detectCompression(new Uint8Array([0x1f, 0x8b, 0x08, 0x00])); // "gzip"
 * detectCompression(new Uint8Array([0x28, 0xb5, 0x2f, 0xfd])); // "zstd"
 * detectCompression(new Uint8Array([0x52, 0x2a, 0x4d, 0x18])); // "zstd" (skippable frame)
 * detectCompression(new TextEncoder().encode("etc/")); // "none"
 * ```
 */
export function detectCompression(firstBytes: Uint8Array): Compression {
  if (firstBytes.length >= 2 && firstBytes[0] === 0x1f && firstBytes[1] === 0x8b) return "gzip";
  if (firstBytes.length >= 4) {
    const magic = (firstBytes[0]! | firstBytes[1]! << 8 | firstBytes[2]! << 16 |
      firstBytes[3]! << 24) >>> 0;
    if (magic === 0xfd2fb528 || (magic & 0xfffffff0) === 0x184d2a50) return "zstd";
  }
  return "none";
}

/**
 * The compression an OCI or Docker layer media type declares, or `undefined`
 * when the media type says nothing about it (an unknown type). Parameters
 * after `;` are ignored.
 *
 * @example
 * ```ts
 * import { compressionFromMediaType } from "./detect.ts";
 * compressionFromMediaType("application/vnd.oci.image.layer.v1.tar+zstd"); // "zstd"
 * compressionFromMediaType("application/vnd.docker.image.rootfs.diff.tar.gzip"); // "gzip"
 * compressionFromMediaType("application/vnd.oci.image.layer.v1.tar"); // "none"
 * compressionFromMediaType("application/json"); // undefined
 * ```
 */
export function compressionFromMediaType(mediaType: string): Compression | undefined {
  const type = mediaType.split(";", 1)[0]!.trim().toLowerCase();
  if (/[+.]gzip$/.test(type)) return "gzip";
  if (/[+.]zstd$/.test(type)) return "zstd";
  if (/[+.]tar$/.test(type)) return "none";
  return undefined;
}
