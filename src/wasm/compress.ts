/**
 * Fixed-output-size compression for EROFS physical clusters: fill at most N
 * output bytes with as much input as fits, and say how much input that was
 * (the `LZ4_compress_destSize` contract), for LZ4, LZ4HC and raw DEFLATE.
 *
 * Owns the public API (algorithm names, level ranges, the encoder object) and
 * the host side of a call: copying input into the encoder's own wasm
 * instance, and copying the stream back out. The encoders themselves are in
 * `asm/lz4.ts`, `asm/lz4hc.ts` and `asm/deflate.ts`.
 *
 * Every encoder owns one wasm instance (instantiated from the shared
 * compiled module), so encoders never share scratch state and one encoder
 * per worker is the intended use.
 *
 * @module
 */
import { type WasmExports, wasmModule, type WasmSource } from "./load.ts";

/**
 * A compression algorithm EROFS can read: `lz4` (id 0), `lz4hc` (LZ4 streams
 * found with a slower, better matcher, also id 0) and `deflate` (id 2, raw
 * RFC 1951 streams, Linux ≥ 6.6).
 *
 * @example
 * ```ts
 * import type { CompressionAlgorithm } from "./compress.ts";
 * const algorithm: CompressionAlgorithm = "lz4hc";
 * ```
 */
export type CompressionAlgorithm = "lz4" | "lz4hc" | "deflate";

/**
 * The outcome of {@linkcode FixedOutputEncoder.fill}: `consumed` input bytes
 * were compressed into the first `written` bytes of the output.
 *
 * @example
 * ```ts
 * import type { FillResult } from "./compress.ts";
 * const result: FillResult = { consumed: 12_000, written: 4_090 };
 * ```
 */
export interface FillResult {
  consumed: number;
  written: number;
}

/**
 * One encoder = one wasm instance and its scratch state; not shared across
 * workers. Calls are synchronous and independent of each other.
 *
 * @example
 * ```ts
 * import { createEncoder } from "./compress.ts";
 * const encoder = await createEncoder("lz4hc", 9);
 * const cluster = new Uint8Array(4096);
 * const { consumed, written } = encoder.fill(new Uint8Array(100_000), cluster);
 * console.log(consumed > 4096, written <= 4096); // true true
 * ```
 */
export interface FixedOutputEncoder {
  readonly algorithm: CompressionAlgorithm;
  readonly level: number;
  /**
   * Compresses a prefix of `input` into `output` (written ≤ output.length),
   * consuming as much input as fits. Each call is independent (no history
   * across calls). consumed may be 0 only if input is empty.
   *
   * At most 4 MiB of input is consumed and at most 1 MiB of output written
   * per call (a larger `output` is used up to 1 MiB); `output` must hold at
   * least {@linkcode MIN_FILL_OUTPUT} bytes (else RangeError). The result
   * depends only on the bytes of `input`, `output.length`, the algorithm and
   * the level. LZ4/LZ4HC streams are raw LZ4 blocks that obey the format's
   * end-of-block rules; DEFLATE streams are one final raw block (never
   * starting with a zero byte, as EROFS's zero padding requires).
   */
  fill(input: Uint8Array, output: Uint8Array): FillResult;
}

/** Levels per algorithm; the defaults are mkfs.erofs's. */
const LEVELS: Record<CompressionAlgorithm, { min: number; max: number; default: number }> = {
  lz4: { min: 0, max: 0, default: 0 },
  lz4hc: { min: 1, max: 12, default: 9 },
  deflate: { min: 1, max: 9, default: 1 },
};

/**
 * The smallest output buffer `fill()` accepts. Below this a DEFLATE stream's
 * block header and end code could leave no room for even one input byte.
 *
 * @example
 * ```ts
 * import { MIN_FILL_OUTPUT } from "./compress.ts";
 * console.log(MIN_FILL_OUTPUT); // 16
 * ```
 */
export const MIN_FILL_OUTPUT = 16;

/**
 * The levels `algorithm` accepts and the one used when none is given. LZ4
 * has a single level, 0; LZ4HC 1–12 (default 9) and DEFLATE 1–9 (default 1)
 * follow mkfs.erofs.
 *
 * @example
 * ```ts
 * import { levelRange } from "./compress.ts";
 * console.log(levelRange("lz4hc")); // { min: 1, max: 12, default: 9 }
 * ```
 */
export function levelRange(
  algorithm: CompressionAlgorithm,
): { min: number; max: number; default: number } {
  const range = Object.hasOwn(LEVELS, algorithm) ? LEVELS[algorithm] : undefined;
  if (!range) throw new RangeError(`unknown compression algorithm ${JSON.stringify(algorithm)}`);
  return { ...range };
}

/**
 * Creates an encoder with its own wasm instance. `level` defaults to
 * {@linkcode levelRange}`(algorithm).default`; for `lz4` any level is
 * ignored. `source` is where to load `oci2erofs.wasm` from (see
 * {@linkcode wasmModule}); it only matters for the first call in a process.
 *
 * @throws RangeError for an unknown algorithm or a level out of range.
 *
 * @example
 * ```ts
 * import { createEncoder } from "./compress.ts";
 * const encoder = await createEncoder("lz4");
 * const text = new TextEncoder().encode("abcabcabcabcabcabcabcabcabcabc");
 * const out = new Uint8Array(64);
 * const { consumed, written } = encoder.fill(text, out);
 * console.log(consumed, written < consumed); // 30 true
 * ```
 */
export async function createEncoder(
  algorithm: CompressionAlgorithm,
  level?: number,
  source?: WasmSource,
): Promise<FixedOutputEncoder> {
  const range = levelRange(algorithm);
  const chosen = algorithm === "lz4" ? 0 : level ?? range.default;
  if (!Number.isInteger(chosen) || chosen < range.min || chosen > range.max) {
    throw new RangeError(
      `${algorithm} level must be an integer from ${range.min} to ${range.max}, got ${level}`,
    );
  }
  const module = await wasmModule(source);
  const instance = await WebAssembly.instantiate(module, {});
  return new WasmEncoder(algorithm, chosen, instance.exports as unknown as WasmExports);
}

/** How the host calls one algorithm's wasm entry point. */
type FillFunction = (src: number, n: number, dst: number, cap: number, level: number) => number;

function fillFunction(algorithm: CompressionAlgorithm, wasm: WasmExports): FillFunction {
  const name = algorithm === "lz4"
    ? "lz4Fill"
    : algorithm === "lz4hc"
    ? "lz4hcFill"
    : "deflateFill";
  const fn = (wasm as unknown as Record<string, unknown>)[name];
  if (typeof fn !== "function") {
    throw new Error(`not oci2erofs.wasm: missing export ${name} (needed for ${algorithm})`);
  }
  return fn as FillFunction;
}

/**
 * Host side of an encoder. Input goes in through a window that starts at 16×
 * the output size (ample for ordinary data, and it spares copying megabytes
 * for a 4 KiB cluster) and grows 8× whenever the encoder used all of it and
 * more input exists, so very compressible data still fills the cluster.
 */
class WasmEncoder implements FixedOutputEncoder {
  readonly algorithm: CompressionAlgorithm;
  readonly level: number;
  #wasm: WasmExports;
  #fill: FillFunction;
  #input: number;
  #inputSize: number;
  #output: number;
  #outputSize: number;

  constructor(algorithm: CompressionAlgorithm, level: number, wasm: WasmExports) {
    this.algorithm = algorithm;
    this.level = level;
    this.#wasm = wasm;
    this.#fill = fillFunction(algorithm, wasm);
    this.#input = wasm.fillInput();
    this.#inputSize = wasm.fillInputSize();
    this.#output = wasm.fillOutput();
    this.#outputSize = wasm.fillOutputSize();
  }

  fill(input: Uint8Array, output: Uint8Array): FillResult {
    if (output.length < MIN_FILL_OUTPUT) {
      throw new RangeError(`fill() needs at least ${MIN_FILL_OUTPUT} output bytes`);
    }
    if (input.length === 0) return { consumed: 0, written: 0 };
    const cap = Math.min(output.length, this.#outputSize);
    const heap = new Uint8Array(this.#wasm.memory.buffer);
    let window = Math.min(input.length, this.#inputSize, Math.max(cap * 16, 65_536));
    let copied = 0;
    for (;;) {
      heap.set(input.subarray(copied, window), this.#input + copied);
      copied = window;
      const written = this.#fill(this.#input, window, this.#output, cap, this.level);
      const consumed = this.#wasm.fillConsumed();
      const more = Math.min(input.length, this.#inputSize);
      if (consumed < window || window === more) {
        output.set(heap.subarray(this.#output, this.#output + written));
        return { consumed, written };
      }
      window = Math.min(more, window * 8);
    }
  }
}
