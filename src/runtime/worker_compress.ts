/**
 * Worker entry of the compression pool (`./worker_pool.ts`): compresses
 * whole files, one message at a time, with one encoder (one wasm instance)
 * per worker. Runs as a Web Worker (Deno, browsers) or a Node
 * `worker_threads` worker; the protocol is the same.
 *
 * @module
 */
import { compressWhole } from "../erofs/compress/file_compressor.ts";
import type { CompressionAlgorithm, FixedOutputEncoder } from "../wasm/mod.ts";
import { createEncoder } from "../wasm/mod.ts";

/**
 * A request: compress `bytes` (a whole file) with these parameters.
 *
 * @example
 * ```ts
 * import type { CompressRequest } from "./worker_compress.ts";
 * const request: CompressRequest = { id: 1, algorithm: "lz4", level: 0, bytes: new Uint8Array(9000),
 *   params: { size: 9000, blockSize: 4096, pclusterSize: 4096, maxInline: 0 } };
 * ```
 */
export interface CompressRequest {
  id: number;
  algorithm: CompressionAlgorithm;
  level: number;
  /** The file's bytes; or, instead, `file`: where the worker reads them itself. */
  bytes?: Uint8Array;
  /** With `plain`: send the bytes back when compression would not save a block. */
  file?: { path: string; offset: number; plain: boolean };
  params: { size: number; blockSize: number; pclusterSize: number; maxInline: number };
}

/**
 * The answer: extents and the pclusters' bytes in one array, or an error.
 *
 * @example
 * ```ts
 * import type { CompressResponse } from "./worker_compress.ts";
 * const failed: CompressResponse = { id: 1, error: "boom" };
 * ```
 */
export type CompressResponse =
  | {
    id: number;
    extents: { start: number; plain: boolean; blocks: number; inline: boolean }[];
    blocks: number;
    inline: Uint8Array | undefined;
    data: Uint8Array;
    /** For a `file` request that compression would not shrink by a block: the bytes read. */
    raw?: Uint8Array;
  }
  | { id: number; error: string };

let encoder: Promise<FixedOutputEncoder> | undefined;
let encoderKey = "";
let scratch = new Uint8Array(0);
/** Where `file` requests are read into, grown to the largest file so far. */
let input = new Uint8Array(0);
let fs: Promise<typeof import("node:fs")> | undefined;

/** `size` bytes at `offset` of `path`, into `input` (reused: the caller copies what it keeps). */
async function readRegion(path: string, offset: number, size: number): Promise<Uint8Array> {
  const { closeSync, openSync, readSync } = await (fs ??= import("node:fs"));
  if (input.length < size) input = new Uint8Array(Math.max(size, input.length * 2, 1 << 16));
  const bytes = input.subarray(0, size);
  const fd = openSync(path, "r");
  try {
    let filled = 0;
    while (filled < size) {
      const n = readSync(fd, bytes, filled, size - filled, offset + filled);
      if (n === 0) {
        throw new Error(
          `${path}: ends at byte ${offset + filled}, before ${
            offset + size
          } (did it change while being read?)`,
        );
      }
      filled += n;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}
/** Requests run one after another: they share the encoder and the scratch buffer. */
let previous: Promise<unknown> = Promise.resolve();

async function handle(request: CompressRequest): Promise<[CompressResponse, ArrayBuffer[]]> {
  const key = `${request.algorithm}/${request.level}`;
  if (!encoder || key !== encoderKey) {
    encoder = createEncoder(request.algorithm, request.level);
    encoderKey = key;
  }
  if (scratch.length !== request.params.pclusterSize) {
    scratch = new Uint8Array(request.params.pclusterSize);
  }
  const { params, file } = request;
  const bytes = file ? await readRegion(file.path, file.offset, params.size) : request.bytes!;
  const result = await compressWhole(bytes, await encoder, { ...params, scratch });
  const data = new Uint8Array(result.data.reduce((n, d) => n + d.length, 0));
  let at = 0;
  for (const part of result.data) {
    data.set(part, at);
    at += part.length;
  }
  const inline = result.inline && new Uint8Array(result.inline);
  const transfer = [data.buffer as ArrayBuffer];
  if (inline) transfer.push(inline.buffer as ArrayBuffer);
  // The caller stores such a file plain; only here are its bytes.
  const raw = file?.plain && result.blocks >= Math.ceil(params.size / params.blockSize)
    ? new Uint8Array(bytes)
    : undefined;
  if (raw) transfer.push(raw.buffer as ArrayBuffer);
  return [{
    id: request.id,
    extents: result.extents,
    blocks: result.blocks,
    inline,
    data,
    raw,
  }, transfer];
}

function serve(
  request: CompressRequest,
  reply: (response: CompressResponse, transfer: ArrayBuffer[]) => void,
): void {
  const run = previous.then(() => handle(request)).then(
    ([response, transfer]) => reply(response, transfer),
    (error) => reply({ id: request.id, error: String(error?.stack ?? error) }, []),
  );
  previous = run;
}

type WebScope = {
  onmessage: ((event: { data: CompressRequest }) => void) | null;
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
};
const scope = globalThis as unknown as Partial<WebScope> & { WorkerGlobalScope?: unknown };
if (scope.WorkerGlobalScope !== undefined && typeof scope.postMessage === "function") {
  scope.onmessage = (event) => serve(event.data, (r, t) => scope.postMessage!(r, t));
} else {
  const { parentPort } = await import("node:worker_threads");
  parentPort?.on("message", (request: CompressRequest) => {
    serve(request, (response, transfer) => parentPort.postMessage(response, transfer));
  });
}
