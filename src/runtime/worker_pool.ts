/**
 * Compression on worker threads: a small pool of workers (Web Workers in
 * Deno and browsers, `worker_threads` in Node) that compress whole files in
 * parallel. Each file is compressed independently and results are handed
 * back by request, so the image does not depend on which worker ran what
 * or on how many there are.
 *
 * Node cannot start a worker from TypeScript sources (it runs the built
 * `.js`), so there — e.g. under a test runner — the pool is not started and
 * compression stays on the calling thread.
 *
 * @module
 */
import type { WholeFileCompressor, WholeFileResult } from "../erofs/compress/types.ts";
import type { ResolvedCompression } from "../erofs/options.ts";
import type { CompressRequest, CompressResponse } from "./worker_compress.ts";

/** The transport to one worker, whatever the runtime. */
interface Port {
  post(message: CompressRequest): void;
  terminate(): void;
}

/**
 * Worker threads used when the options do not say: the machine's cores on
 * Node and Deno, or none (compress on the calling thread) on a single core.
 * Browsers and edge runtimes get none unless asked, or unless the page says
 * where its bundler put the worker module (`served`): the module must be
 * served somewhere, which depends on how the page is built.
 *
 * @example
 * ```ts
 * import { defaultWorkers } from "./worker_pool.ts";
 * console.log(await defaultWorkers() >= 0); // true
 * ```
 */
export async function defaultWorkers(served = false): Promise<number> {
  const runtime = globalThis as {
    Deno?: unknown;
    process?: { versions?: { node?: string } };
    navigator?: { hardwareConcurrency?: number };
  };
  let cores: number | undefined;
  if (runtime.Deno !== undefined || served) cores = runtime.navigator?.hardwareConcurrency;
  else if (typeof runtime.process?.versions?.node === "string") {
    // Node 20 has no navigator.
    cores = (await import("node:os")).availableParallelism();
  }
  cores ??= 1;
  return cores > 1 ? Math.min(cores, 16) : 0;
}

/**
 * Starts `workers` compression workers for `compression`, or gives
 * `undefined` when there is nothing to start (0 workers, or a runtime that
 * cannot run them from here). Default: {@link defaultWorkers}, except for
 * LZ4 when the data is not `fileBacked`: its encoder is cheaper than
 * sending a file's bytes to a worker and back (127 MB image from an OCI
 * layout, 2 cores: Deno 2.3 s on the calling thread vs 3.3 s with two
 * workers, Node 2.7 vs 3.2 s), while workers that read files themselves
 * win (177 MB `dir:` tree: Deno 1.6–1.8 s vs 2.0–2.4 s, Node 1.7–2.1 vs
 * 1.9–2.3 s).
 *
 * @example
 * ```ts
 * import { startCompressionPool } from "./worker_pool.ts";
 * const pool = await startCompressionPool(2, { algorithm: "lz4", level: 0, pclusterSize: 4096, ztailpacking: false, workers: 2 }, true);
 * pool?.close();
 * ```
 */
export async function startCompressionPool(
  workers: number | undefined,
  compression: ResolvedCompression,
  fileBacked = false,
): Promise<WholeFileCompressor | undefined> {
  workers ??= compression.algorithm === "lz4" && !fileBacked
    ? 0
    : await defaultWorkers(compression.workerUrl !== undefined);
  if (workers < 1) return undefined;
  const source = import.meta.url.endsWith(".ts") ? "./worker_compress.ts" : "./worker_compress.js";
  const url = compression.workerUrl === undefined
    ? new URL(source, import.meta.url)
    : new URL(compression.workerUrl, import.meta.url);
  const pending = new Map<number, {
    resolve: (result: WholeFileResult & { raw?: Uint8Array }) => void;
    reject: (error: Error) => void;
  }>();
  const onResponse = (response: CompressResponse) => {
    const waiting = pending.get(response.id);
    if (!waiting) return;
    pending.delete(response.id);
    if ("error" in response) waiting.reject(new Error(`compression worker: ${response.error}`));
    else {
      waiting.resolve({
        extents: response.extents,
        blocks: response.blocks,
        inline: response.inline,
        data: response.data.length > 0 ? [response.data] : [],
        raw: response.raw,
      });
    }
  };
  const onFailure = (error: unknown) => {
    for (const waiting of pending.values()) {
      waiting.reject(new Error(`compression worker failed: ${String(error)}`));
    }
    pending.clear();
  };

  let spawn: () => Port;
  const WebWorker = (globalThis as {
    Worker?: new (url: URL, options: { type: "module" }) => {
      postMessage(message: unknown): void;
      terminate(): void;
      onmessage: ((event: { data: CompressResponse }) => void) | null;
      onerror: ((event: { message?: string }) => void) | null;
    };
  }).Worker;
  if (typeof WebWorker === "function") {
    spawn = () => {
      const worker = new WebWorker(url, { type: "module" });
      worker.onmessage = (event) => onResponse(event.data);
      worker.onerror = (event) => onFailure(event.message);
      return { post: (m) => worker.postMessage(m), terminate: () => worker.terminate() };
    };
  } else {
    // Node 20 cannot start a worker from TypeScript sources.
    if (url.pathname.endsWith(".ts")) return undefined;
    const { Worker } = await import("node:worker_threads");
    spawn = () => {
      const worker = new Worker(url);
      worker.on("message", onResponse);
      worker.on("error", onFailure);
      return { post: (m) => worker.postMessage(m), terminate: () => void worker.terminate() };
    };
  }

  const ports = Array.from({ length: workers }, spawn);
  const load = new Array<number>(workers).fill(0);
  let nextId = 0;
  /**
   * Sends a request to the least busy worker (ties: the lowest index), busy
   * meaning bytes queued: files differ in size by orders of magnitude.
   */
  const send = (request: Omit<CompressRequest, "id" | "algorithm" | "level">) => {
    const id = nextId++;
    const index = load.indexOf(Math.min(...load));
    const weight = request.params.size + 4096; // a little for the hand-over itself
    load[index] += weight;
    return new Promise<WholeFileResult & { raw?: Uint8Array }>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      ports[index].post({
        id,
        algorithm: compression.algorithm,
        level: compression.level,
        ...request,
      });
    }).finally(() => load[index] -= weight);
  };
  // Reading files in the workers saves the calling thread the reads and the
  // copies to the workers (Node: 1.3 of its 2.6 s on a 177 MB tree); only
  // where workers have `node:fs` too, i.e. not in browsers.
  const workersReadFiles = typeof WebWorker !== "function" ||
    typeof (globalThis as { Deno?: unknown }).Deno === "object";
  return {
    size: workers,
    compress(bytes, params) {
      // A view into a larger buffer would be cloned whole: send a tight copy.
      // (Not `slice()`: on a Node `Buffer`, which file reads and node:zlib
      // give, it returns a view, and a 1 MiB read-ahead window was cloned
      // for every small file.)
      const tight = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? bytes
        : new Uint8Array(bytes);
      return send({ bytes: tight, params });
    },
    compressFile: workersReadFiles
      ? (file, params) =>
        send({ file: { path: file.path, offset: file.offset, plain: file.plain }, params })
      : undefined,
    close() {
      for (const port of ports) port.terminate();
      onFailure("pool closed");
    },
  };
}
