/**
 * Loads `oci2erofs.wasm` once per process, the same way in Deno, Node,
 * browsers and edge runtimes.
 *
 * By default the binary is found next to this file through
 * `new URL("./oci2erofs.wasm", import.meta.url)`: `file:` URLs are read with
 * `node:fs/promises` (Node and Deno), anything else is fetched. Callers whose
 * runtime forbids compiling bytes at run time (some edge platforms) pass an
 * already compiled `WebAssembly.Module` instead; bundlers that inline assets
 * can pass the raw bytes.
 *
 * @module
 */

/**
 * The exports of `oci2erofs.wasm` (see `asm/index.ts`). Most code uses the
 * wrappers (`crc32c`, `Sha256`) rather than these raw functions.
 *
 * @example
 * ```ts
 * import { initWasm } from "./load.ts";
 * const wasm = await initWasm();
 * const input = new Uint8Array(wasm.memory.buffer, wasm.ioBuffer(), 3);
 * input.set([0x61, 0x62, 0x63]);
 * console.log((~wasm.crc32cUpdate(~0, wasm.ioBuffer(), 3) >>> 0).toString(16)); // "364b3fb7"
 * ```
 */
export interface WasmExports {
  /** The module's only memory. It never grows: nothing in the module allocates. */
  readonly memory: WebAssembly.Memory;
  /** Byte offset of the I/O buffer that inputs are copied into. */
  ioBuffer(): number;
  /** Length in bytes of the I/O buffer (a multiple of 64). */
  ioBufferSize(): number;
  /** Byte offset of the 32-byte SHA-256 state slot. */
  sha256State(): number;
  /** Compresses `blocks` 64-byte blocks at `data` into the state at `state`. */
  sha256Blocks(state: number, data: number, blocks: number): void;
  /** Raw (uninverted) CRC-32C register update; the result is signed. */
  crc32cUpdate(crc: number, data: number, length: number): number;
  /** Byte offset of the compressors' input buffer. */
  fillInput(): number;
  /** Length in bytes of the compressors' input buffer (the most one call consumes). */
  fillInputSize(): number;
  /** Byte offset of the compressors' output buffer. */
  fillOutput(): number;
  /** Length in bytes of the compressors' output buffer (the largest cluster). */
  fillOutputSize(): number;
  /** Input bytes the last `*Fill` call consumed. */
  fillConsumed(): number;
  /** LZ4 (fast) fixed-output compression; returns the bytes written. `level` is ignored. */
  lz4Fill(src: number, length: number, dst: number, capacity: number, level: number): number;
  /** LZ4HC fixed-output compression at `level` (1–12); returns the bytes written. */
  lz4hcFill(src: number, length: number, dst: number, capacity: number, level: number): number;
  /** Raw DEFLATE fixed-output compression at `level` (1–9); returns the bytes written. */
  deflateFill(src: number, length: number, dst: number, capacity: number, level: number): number;
}

/**
 * Where to get the module from: a compiled module, its bytes, or the URL of
 * the `.wasm` file (`file:`, `http(s):`, `data:` or `blob:`).
 *
 * @example
 * ```ts
 * import type { WasmSource } from "./load.ts";
 * const fromCdn: WasmSource = "https://example.com/oci2erofs.wasm";
 * const local: WasmSource = new URL("./oci2erofs.wasm", import.meta.url);
 * ```
 */
export type WasmSource =
  | WebAssembly.Module
  | ArrayBuffer
  | ArrayBufferView<ArrayBuffer>
  | URL
  | string;

const FUNCTIONS = [
  "ioBuffer",
  "ioBufferSize",
  "sha256State",
  "sha256Blocks",
  "crc32cUpdate",
  "fillInput",
  "fillInputSize",
  "fillOutput",
  "fillOutputSize",
  "fillConsumed",
  "lz4Fill",
  "lz4hcFill",
  "deflateFill",
] as const;

let ready: WasmExports | undefined;
let pending: Promise<WasmExports> | undefined;
let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * The compiled module, compiled once per process from `source` (default: the
 * file next to this module) and shared by everything that needs an instance
 * of its own (each compression encoder, each worker). `source` is ignored
 * once compiling has started; a failed compile is forgotten.
 *
 * @example
 * ```ts
 * import { wasmModule } from "./load.ts";
 * const module = await wasmModule();
 * const { exports } = await WebAssembly.instantiate(module, {});
 * ```
 */
export function wasmModule(source?: WasmSource): Promise<WebAssembly.Module> {
  // A module handed in (workerd imports it; compiling bytes is forbidden
  // there) becomes the shared one, so later calls without a source use it.
  if (source instanceof WebAssembly.Module) return (compiled ??= Promise.resolve(source));
  compiled ??= compile(source ?? new URL("./oci2erofs.wasm", import.meta.url)).catch(
    (error: unknown) => {
      compiled = undefined;
      throw error;
    },
  );
  return compiled;
}

async function compile(
  source: ArrayBuffer | ArrayBufferView<ArrayBuffer> | URL | string,
): Promise<WebAssembly.Module> {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return await WebAssembly.compile(source);
  }
  const url = new URL(source);
  if (url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    return await WebAssembly.compile(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url.href}: HTTP ${response.status}`);
  return await WebAssembly.compile(await response.arrayBuffer());
}

/**
 * Instantiates `oci2erofs.wasm` from `source` (default: the file next to this
 * module) and returns its exports. Every call makes a new instance; most code
 * wants {@linkcode initWasm}, which shares one.
 *
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises";
 * import { instantiateWasm } from "./load.ts";
 * const bytes = await readFile("src/wasm/oci2erofs.wasm");
 * const wasm = await instantiateWasm(await WebAssembly.compile(bytes));
 * console.log(wasm.ioBufferSize()); // 65536
 * ```
 */
export async function instantiateWasm(
  source: WasmSource = new URL("./oci2erofs.wasm", import.meta.url),
): Promise<WasmExports> {
  return checkExports(await instantiate(source));
}

/**
 * Loads the shared instance, once: concurrent and later callers get the same
 * promise, and `source` is ignored once loading has started. A failed load
 * is forgotten so a later call can retry (e.g. with an explicit `source`).
 *
 * @example
 * ```ts
 * import { initWasm } from "./load.ts";
 * await initWasm(); // finds oci2erofs.wasm next to load.ts
 * ```
 */
export function initWasm(source?: WasmSource): Promise<WasmExports> {
  if (source instanceof WebAssembly.Module) void wasmModule(source); // shared with the encoders
  if (ready) return Promise.resolve(ready);
  pending ??= instantiateWasm(source).then(
    (exports) => (ready = exports),
    (error: unknown) => {
      pending = undefined;
      throw error;
    },
  );
  return pending;
}

/**
 * The shared instance, for synchronous code that runs after
 * {@linkcode initWasm} has resolved. Throws if it has not.
 *
 * @example
 * ```ts
 * import { initWasm, wasmExports } from "./load.ts";
 * await initWasm();
 * const wasm = wasmExports(); // synchronous from here on
 * ```
 */
export function wasmExports(): WasmExports {
  if (!ready) throw new Error("oci2erofs wasm is not loaded: await initWasm() first");
  return ready;
}

async function instantiate(source: WasmSource): Promise<WebAssembly.Instance> {
  if (source instanceof WebAssembly.Module) return await WebAssembly.instantiate(source, {});
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return (await WebAssembly.instantiate(source, {})).instance;
  }
  const url = new URL(source);
  if (url.protocol === "file:") {
    // Node and Deno both provide node:fs; fetch() of file: URLs works in Deno
    // only. Imported lazily so browsers never see the specifier resolved.
    const { readFile } = await import("node:fs/promises");
    const bytes = await readFile(url);
    return (await WebAssembly.instantiate(bytes, {})).instance;
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url.href}: HTTP ${response.status}`);
  // Streaming compilation insists on the application/wasm media type; servers
  // that send something else still get served, just without streaming.
  const type = response.headers.get("content-type")?.split(";")[0]?.trim();
  if (type === "application/wasm" && typeof WebAssembly.instantiateStreaming === "function") {
    return (await WebAssembly.instantiateStreaming(response, {})).instance;
  }
  return (await WebAssembly.instantiate(await response.arrayBuffer(), {})).instance;
}

function checkExports(instance: WebAssembly.Instance): WasmExports {
  const exports = instance.exports;
  const missing: string[] = FUNCTIONS.filter((name) => typeof exports[name] !== "function");
  if (!(exports.memory instanceof WebAssembly.Memory)) missing.unshift("memory");
  if (missing.length > 0) {
    throw new Error(`not oci2erofs.wasm: missing exports ${missing.join(", ")}`);
  }
  return exports as unknown as WasmExports;
}
