/**
 * One conversion in the worker, through the library's `convert` — the same
 * pipeline as the CLI: registry source → tree (pass 1) → EROFS layout →
 * chunks (pass 2). The registry is reached through the CORS proxy,
 * credentials are given explicitly (browsers have no auth files), and the
 * library's progress events become {@link WorkerEvent}s.
 *
 * @module
 */
import {
  type Conversion as Converted,
  convert,
  type ProgressEvent,
} from "../../src/convert/mod.ts";
import { coalesce } from "../../src/sink/coalesce.ts";
import type { CompressionAlgorithm } from "../../src/wasm/compress.ts";
import type { ConvertRequest, WorkerEvent } from "./protocol.ts";
import { treeEntries } from "./tree_entries.ts";
import compressWorkerUrl from "../../src/runtime/worker_compress.ts?worker&url";

/** Layer progress is posted at most this often (ms), besides starts and ends. */
const PROGRESS_INTERVAL = 100;

/**
 * A conversion: {@link Conversion.read} reads the image and posts its tree;
 * {@link Conversion.next} then hands out the image's bytes one batch at a time.
 *
 * @example
 * ```ts
 * import { Conversion } from "./conversion.ts";
 * const conversion = new Conversion((message) => postMessage(message));
 * await conversion.read({ type: "convert", reference: "alpine", platform: "linux/amd64", proxy: "https://proxy.example/" });
 * for (let chunk = await conversion.next(); chunk; chunk = await conversion.next()) {
 *   // write chunk
 * }
 * ```
 */
export class Conversion {
  #post: (event: WorkerEvent) => void;
  #abort = new AbortController();
  #converted: Converted | undefined;
  #chunks: AsyncIterator<Uint8Array> | undefined;
  #written = 0;
  #lastLayerPost = 0;

  constructor(post: (event: WorkerEvent) => void) {
    this.#post = post;
  }

  /** Stops downloads and the image stream; pending calls reject with an `AbortError`. */
  cancel(): void {
    this.#abort.abort(new DOMException("cancelled", "AbortError"));
    void this.#chunks?.return?.();
  }

  /** Pass 1: resolves the image, reads every layer, plans the EROFS image, posts the tree. */
  async read(request: ConvertRequest): Promise<void> {
    const started = performance.now();
    const proxy = new URL(request.proxy);
    this.#post({ type: "stage", stage: "resolving" });
    const reference = request.reference.replace(/^docker:\/\//, "");
    // Always a registry image: the file-based sources have nothing to read here.
    const converted = await convert(`docker://${reference}`, {
      signal: this.#abort.signal,
      platform: request.platform,
      // Every registry request goes to `${proxy}/${host}/v2/…`, and the
      // proxy's origin is the one credentials are sent to.
      proxy: proxy.href,
      ...(request.credentials ? { credentials: request.credentials } : { anonymous: true }),
      ...(request.compression
        ? {
          compression: {
            algorithm: request.compression as CompressionAlgorithm,
            // Vite bundles the compression worker under its own name; the
            // pool starts one per core from it for LZ4HC and DEFLATE (nested in
            // this worker); LZ4 compresses here.
            workerUrl: compressWorkerUrl,
          },
        }
        : {}),
      onProgress: (event) => this.#progress(event),
      onWarning: (message) => console.warn(message),
    });
    this.#abort.signal.throwIfAborted();
    this.#converted = converted;
    this.#post({
      type: "tree",
      entries: treeEntries(converted.tree),
      imageSize: converted.size,
      inodes: converted.inodes,
      blockSize: converted.blockSize,
      elapsedMs: performance.now() - started,
    });
  }

  /**
   * Pass 2: the next batch of image bytes (about 1 MiB), or `undefined` at
   * the end. Layers are read again while this runs.
   */
  async next(): Promise<Uint8Array | undefined> {
    if (!this.#converted) throw new Error("nothing to save: the image has not been read");
    this.#chunks ??= coalesce(this.#converted.chunks())[Symbol.asyncIterator]();
    const { done, value } = await this.#chunks.next();
    if (done) return undefined;
    this.#written += value.length;
    return value;
  }

  /** Image bytes handed out so far. */
  get written(): number {
    return this.#written;
  }

  #progress(event: ProgressEvent): void {
    switch (event.type) {
      case "resolve":
        this.#post({
          type: "resolved",
          reference: event.reference,
          digest: event.digest,
          platform: event.platform,
          layers: event.layers,
        });
        this.#post({ type: "stage", stage: "reading" });
        break;
      case "layer": {
        // Starts and ends always; the bytes in between at a bounded rate.
        const now = performance.now();
        const edge = event.done || event.read === 0;
        if (!edge && now - this.#lastLayerPost < PROGRESS_INTERVAL) return;
        this.#lastLayerPost = now;
        this.#post({
          type: "layer",
          index: event.index,
          digest: event.digest,
          read: event.read,
          size: event.size,
          entries: event.entries,
          done: event.done,
        });
        break;
      }
      case "plan":
        this.#post({ type: "stage", stage: "planning" });
        break;
      case "write":
        break;
    }
  }
}
