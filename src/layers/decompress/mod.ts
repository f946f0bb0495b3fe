/**
 * Streaming decompression of layer blobs for the layers stage: format
 * detection from magic bytes, gzip through the fastest decoder the runtime
 * has (`node:zlib`, `DecompressionStream`, fflate), zstd through native
 * `node:zlib` where present or a TypeScript decoder. Memory stays bounded by
 * the format's window however large the layer, and truncated, corrupt or
 * trailing input fails with a {@link DecompressError}.
 *
 * @example
 * ```ts
 * import { readTar } from "../tar/mod.ts";
 * import { decompressedStream } from "./mod.ts";
 *
 * const blob = (await fetch("https://example.com/layer")).body!;
 * for await (const { entry } of readTar(decompressedStream(blob))) console.log(entry.path);
 * ```
 *
 * @module
 */
export {
  type Compression,
  compressionFromMediaType,
  detectCompression,
  MAGIC_LENGTH,
} from "./detect.ts";
export {
  type CompressionInfo,
  decompressedStream,
  type DecompressOptions,
} from "./decompressed.ts";
export { type CompressedFormat, DecompressError } from "./errors.ts";
export {
  createGunzip,
  gunzip,
  type GunzipBackend,
  gunzipBackends,
  type GunzipOptions,
} from "./gzip.ts";
export {
  createZstdDecompress,
  type ZstdBackend,
  zstdBackends,
  zstdDecompress,
  type ZstdOptions,
} from "./zstd.ts";
export type { ZstdDecoderOptions } from "./zstd_decoder.ts";
