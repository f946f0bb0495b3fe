/**
 * A layer blob's tar bytes, whatever it is compressed with: peeks at the
 * first bytes, picks the decoder from the magic number (not the media type,
 * which is only reported alongside), and streams the decompressed bytes.
 *
 * @module
 */
import {
  type Compression,
  compressionFromMediaType,
  detectCompression,
  MAGIC_LENGTH,
} from "./detect.ts";
import { deferredStream } from "./deferred_stream.ts";
import { gunzip, type GunzipOptions } from "./gzip.ts";
import { zstdDecompress, type ZstdOptions } from "./zstd.ts";

/**
 * What {@linkcode decompressedStream} found out about its input.
 *
 * @example
 * ```ts
 * import type { CompressionInfo } from "./decompressed.ts";
 * const mislabelled: CompressionInfo = { detected: "zstd", declared: "gzip" };
 * ```
 */
export interface CompressionInfo {
  /** The compression the first bytes show, which decides the decoder. */
  detected: Compression;
  /** The compression the media type declares, if one was given and known. */
  declared: Compression | undefined;
}

/**
 * Options of {@linkcode decompressedStream}.
 *
 * @example
 * ```ts
 * import type { DecompressOptions } from "./decompressed.ts";
 * const options: DecompressOptions = {
 *   mediaType: "application/vnd.oci.image.layer.v1.tar+zstd",
 *   zstd: { maxWindowSize: 512 << 20 }, // accept `--long=29` layers
 * };
 * ```
 */
export interface DecompressOptions {
  /**
   * The layer's media type. It never overrides the magic bytes (layers are
   * mislabelled in the wild); it is passed to `onDetected` for comparison.
   */
  mediaType?: string;
  /**
   * Called once the format is known, before any output: a caller can log a
   * media type that disagrees with the bytes (never fatal here).
   */
  onDetected?: (info: CompressionInfo) => void;
  /** Options for gzip input (e.g. forcing a backend). */
  gzip?: GunzipOptions;
  /** Options for zstd input (backend, window limit, checksum). */
  zstd?: ZstdOptions;
}

/**
 * The decompressed bytes of `input`: gunzipped, zstd-decoded, or passed
 * through unchanged when it is not compressed. Decoding errors surface as a
 * {@link DecompressError} from the returned stream.
 *
 * @example
 * ```ts
 * import { decompressedStream } from "./decompressed.ts";
 * const blob = (await fetch("https://example.com/v2/library/alpine/blobs/sha256:…")).body!;
 * const tar = decompressedStream(blob, {
 *   mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
 *   onDetected: ({ detected, declared }) => {
 *     if (declared && declared !== detected) console.warn(`layer is ${detected}, not ${declared}`);
 *   },
 * });
 * ```
 */
export function decompressedStream(
  input: ReadableStream<Uint8Array>,
  options: DecompressOptions = {},
): ReadableStream<Uint8Array> {
  return deferredStream(input, async () => {
    // Read until the magic can be judged; keep what was read to replay it.
    const reader = input.getReader();
    const peeked: Uint8Array[] = [];
    let length = 0;
    let done = false;
    while (length < MAGIC_LENGTH) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        break;
      }
      peeked.push(next.value);
      length += next.value.length;
    }
    const head = new Uint8Array(Math.min(length, MAGIC_LENGTH));
    let filled = 0;
    for (const chunk of peeked) {
      if (filled === head.length) break;
      const part = chunk.subarray(0, head.length - filled);
      head.set(part, filled);
      filled += part.length;
    }
    const detected = detectCompression(head);
    const declared = options.mediaType === undefined
      ? undefined
      : compressionFromMediaType(options.mediaType);
    options.onDetected?.({ detected, declared });
    const replay = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const chunk = peeked.shift();
        if (chunk) return controller.enqueue(chunk);
        if (done) return controller.close();
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel: (reason) => reader.cancel(reason),
    }, { highWaterMark: 0 });
    if (detected === "gzip") return gunzip(replay, options.gzip);
    if (detected === "zstd") return zstdDecompress(replay, options.zstd);
    return replay;
  });
}
