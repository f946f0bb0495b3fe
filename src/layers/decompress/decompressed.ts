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
import { gunzip, type GunzipOptions } from "./gzip.ts";
import { zstdDecompress, type ZstdOptions } from "./zstd.ts";

/** What {@linkcode decompressedStream} found out about its input. */
export interface CompressionInfo {
  /** The compression the first bytes show, which decides the decoder. */
  detected: Compression;
  /** The compression the media type declares, if one was given and known. */
  declared: Compression | undefined;
}

/** Options of {@linkcode decompressedStream}. */
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
  const reader = input.getReader();
  let output: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const open = async () => {
    // Read until the magic can be judged; keep what was read to replay it.
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
    if (detected === "gzip") return gunzip(replay, options.gzip).getReader();
    if (detected === "zstd") return zstdDecompress(replay, options.zstd).getReader();
    return replay.getReader();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await (output ??= await open()).read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel(reason) {
      if (output) await output.cancel(reason);
      else await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
