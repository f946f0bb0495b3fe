/**
 * gzip decoding through the fastest backend the runtime has: `node:zlib`
 * where importable (see `src/runtime/gzip.ts` for the measurements), else
 * `DecompressionStream("gzip")`, else fflate. Every backend decodes
 * multi-member input, checks each member's CRC and length, and rejects
 * truncation and bytes after the last member with a {@link DecompressError}.
 *
 * @module
 */
import { type Gunzip, loadNodeGunzip } from "../../runtime/gzip.ts";
import type { NativeBuffers } from "../../runtime/node_zlib.ts";
import { decodeStream } from "./chunk_decoder.ts";
import { deferredStream } from "./deferred_stream.ts";
import { FflateGunzipDecoder } from "./gzip_fflate.ts";
import { gunzipWithDecompressionStream } from "./gzip_decompression_stream.ts";

/**
 * The gzip decoders, fastest first.
 *
 * @example
 * ```ts
 * import type { GunzipBackend } from "./gzip.ts";
 * const portable: GunzipBackend = "fflate"; // pure JavaScript, runs anywhere
 * ```
 */
export type GunzipBackend = "node-zlib" | "decompression-stream" | "fflate";

/**
 * Options of {@linkcode createGunzip} and {@linkcode gunzip}.
 *
 * @example
 * ```ts
 * import type { GunzipOptions } from "./gzip.ts";
 * const options: GunzipOptions = { backend: "decompression-stream" };
 * ```
 */
export interface GunzipOptions {
  /**
   * Use this decoder instead of the fastest available one (tests and
   * benchmarks). Asking for one the runtime lacks fails when decoding starts.
   */
  backend?: GunzipBackend;
  /** Output chunk size and queue of the `node:zlib` backend (default: the fastest). */
  buffers?: NativeBuffers;
}

function hasDecompressionStream(): boolean {
  try {
    new DecompressionStream("gzip");
    return true;
  } catch {
    return false;
  }
}

/**
 * The gzip backends this runtime has, fastest first; the first is the one
 * used by default.
 *
 * @example
 * ```ts
 * import { gunzipBackends } from "./gzip.ts";
 * console.log(await gunzipBackends()); // Node: ["node-zlib", "decompression-stream", "fflate"]
 * ```
 */
export async function gunzipBackends(): Promise<GunzipBackend[]> {
  const backends: GunzipBackend[] = [];
  if (await loadNodeGunzip()) backends.push("node-zlib");
  if (hasDecompressionStream()) backends.push("decompression-stream");
  backends.push("fflate");
  return backends;
}

async function backendFor(name: GunzipBackend | undefined): Promise<Gunzip> {
  if (name === undefined || name === "node-zlib") {
    const native = await loadNodeGunzip();
    if (native) return native;
    if (name === "node-zlib") throw new Error("node:zlib is not available in this runtime");
  }
  if (name === undefined ? hasDecompressionStream() : name === "decompression-stream") {
    return gunzipWithDecompressionStream;
  }
  return (input) => decodeStream(input, new FflateGunzipDecoder(), "gzip");
}

/**
 * The decompressed bytes of gzip `input`.
 *
 * @example
 * ```ts
 * import { gunzip } from "./gzip.ts";
 * const gz = (await fetch("https://example.com/layer.tar.gz")).body!;
 * const tar = gunzip(gz); // or gunzip(gz, { backend: "fflate" })
 * ```
 */
export function gunzip(
  input: ReadableStream<Uint8Array>,
  options: GunzipOptions = {},
): ReadableStream<Uint8Array> {
  // Choosing the backend is asynchronous (importing node:zlib is).
  return deferredStream(
    input,
    async () => (await backendFor(options.backend))(input, options.buffers),
  );
}

/**
 * {@linkcode gunzip} as a transform, for `pipeThrough`.
 *
 * @example
 * ```ts
 * import { createGunzip } from "./gzip.ts";
 * const gz = (await fetch("https://example.com/layer.tar.gz")).body!;
 * const tar = gz.pipeThrough(createGunzip({ backend: "decompression-stream" }));
 * ```
 */
export function createGunzip(
  options: GunzipOptions = {},
): ReadableWritablePair<Uint8Array, Uint8Array> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  return { writable, readable: gunzip(readable, options) };
}
