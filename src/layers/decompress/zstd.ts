/**
 * zstd decoding through the fastest backend the runtime has: native
 * `node:zlib` zstd where present (Node ≥ 22.15, Deno; see
 * `src/runtime/zstd.ts`), else the TypeScript decoder. Both decode any
 * number of frames and skippable frames and reject truncation, corruption
 * and trailing bytes with a {@link DecompressError}.
 *
 * @module
 */
import type { NativeBuffers } from "../../runtime/node_zlib.ts";
import { loadNodeZstd } from "../../runtime/zstd.ts";
import { decodeStream } from "./chunk_decoder.ts";
import { deferredStream } from "./deferred_stream.ts";
import { ZstdDecoder, type ZstdDecoderOptions } from "./zstd_decoder.ts";

/**
 * The zstd decoders: native zlib, or TypeScript.
 *
 * @example
 * ```ts
 * import type { ZstdBackend } from "./zstd.ts";
 * const portable: ZstdBackend = "js";
 * ```
 */
export type ZstdBackend = "node-zlib" | "js";

/**
 * Options of {@linkcode zstdDecompress} and {@linkcode createZstdDecompress}.
 *
 * @example
 * ```ts
 * import type { ZstdOptions } from "./zstd.ts";
 * const options: ZstdOptions = { backend: "js", maxWindowSize: 1 << 30 };
 * ```
 */
export interface ZstdOptions extends ZstdDecoderOptions {
  /**
   * Use this decoder instead of the fastest available one (tests and
   * benchmarks). Asking for one the runtime lacks fails when decoding starts.
   */
  backend?: ZstdBackend;
  /** Output chunk size and queue of the `node:zlib` backend (default: the fastest). */
  buffers?: NativeBuffers;
}

/**
 * The zstd backends this runtime has, fastest first; the first is the one
 * used by default.
 *
 * @example
 * ```ts
 * import { zstdBackends } from "./zstd.ts";
 * console.log(await zstdBackends()); // Node 20: ["js"]; Node 24, Deno: ["node-zlib", "js"]
 * ```
 */
export async function zstdBackends(): Promise<ZstdBackend[]> {
  return (await loadNodeZstd()) ? ["node-zlib", "js"] : ["js"];
}

/**
 * The decompressed bytes of zstd `input`.
 *
 * @example
 * ```ts
 * import { zstdDecompress } from "./zstd.ts";
 * const zst = (await fetch("https://example.com/layer.tar.zst")).body!;
 * const tar = zstdDecompress(zst); // or zstdDecompress(zst, { backend: "js" })
 * ```
 */
export function zstdDecompress(
  input: ReadableStream<Uint8Array>,
  options: ZstdOptions = {},
): ReadableStream<Uint8Array> {
  const open = async () => {
    // Native decoders always check checksums: asking not to is a reason to
    // use ours, unless native is asked for by name.
    const tryNative = options.backend === "node-zlib" ||
      (options.backend === undefined && options.verifyChecksum !== false);
    if (tryNative) {
      const native = await loadNodeZstd();
      if (native) return native(input, options);
      if (options.backend === "node-zlib") {
        throw new Error("node:zlib has no zstd in this runtime");
      }
    }
    return decodeStream(input, new ZstdDecoder(options), "zstd");
  };
  // Choosing the backend is asynchronous (importing node:zlib is).
  return deferredStream(input, open);
}

/**
 * {@linkcode zstdDecompress} as a transform, for `pipeThrough`.
 *
 * @example
 * ```ts
 * import { createZstdDecompress } from "./zstd.ts";
 * const zst = (await fetch("https://example.com/layer.tar.zst")).body!;
 * const tar = zst.pipeThrough(createZstdDecompress({ backend: "js" }));
 * ```
 */
export function createZstdDecompress(
  options: ZstdOptions = {},
): ReadableWritablePair<Uint8Array, Uint8Array> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  return { writable, readable: zstdDecompress(readable, options) };
}
