// deno-fmt-ignore-file -- AssemblyScript: deno fmt would drop the @inline decorators.
/**
 * Entry point of `oci2erofs.wasm`: the memory layout shared with the
 * TypeScript wrappers, and the exports.
 *
 * Nothing here allocates. The module owns one fixed I/O buffer and one
 * SHA-256 state slot; wrappers copy input into the buffer in large batches
 * and call one export per batch. The compressors own a 4 MiB input and a
 * 1 MiB output buffer plus their tables (about 10 MiB of static memory in
 * all, zero-filled, so it costs nothing in the binary). Memory therefore
 * never grows, so views on `memory.buffer` held by the host stay valid.
 *
 * @module
 */

import { blockConsumed } from "./lz4_block";
import { lz4Compress } from "./lz4";
import { lz4hcCompress } from "./lz4hc";
import { deflateCompress, deflateConsumed } from "./deflate";

export { crc32cUpdate } from "./crc32c";
export { sha256Blocks } from "./sha256";

/** Size of the I/O buffer: large enough to amortise the call, small enough to stay in L2. */
const IO_SIZE: i32 = 64 * 1024;
const IO: usize = memory.data(IO_SIZE, 64);
const STATE: usize = memory.data(32, 32);

/**
 * Byte offset of the I/O buffer in `memory`.
 *
 * @example
 * ```ts
 * // From the host:
 * new Uint8Array(wasm.memory.buffer, wasm.ioBuffer(), wasm.ioBufferSize())
 * ```
 */
export function ioBuffer(): usize {
  return IO;
}

/**
 * Length in bytes of the I/O buffer (a multiple of 64).
 *
 * @example
 * ```ts
 * // From the host:
 * const batch = Math.min(bytes.length, wasm.ioBufferSize());
 * ```
 */
export function ioBufferSize(): i32 {
  return IO_SIZE;
}

/**
 * Byte offset of the 32-byte SHA-256 state slot in `memory`.
 *
 * @example
 * ```ts
 * // From the host:
 * new Uint8Array(wasm.memory.buffer).set(state32, wasm.sha256State());
 * ```
 */
export function sha256State(): usize {
  return STATE;
}

/**
 * Most input one compression call reads: 4 MiB, ample for a 1 MiB cluster
 * (readers cap a decoded extent at 12 MiB; mkfs.erofs feeds similar windows).
 */
const FILL_INPUT_SIZE: i32 = 4 << 20;
/** Largest cluster: EROFS pclusters are at most 1 MiB. */
const FILL_OUTPUT_SIZE: i32 = 1 << 20;
const FILL_INPUT: usize = memory.data(FILL_INPUT_SIZE, 64);
// 64 bytes of slack past the largest cluster for encoders that store whole words.
const FILL_OUTPUT: usize = memory.data(FILL_OUTPUT_SIZE + 64, 64);

/** Input consumed by the last `*Fill` call. */
let consumed: i32 = 0;

/**
 * Byte offset of the compressors' input buffer in `memory`.
 *
 * @example
 * ```ts
 * // From the host:
 * new Uint8Array(wasm.memory.buffer).set(input, wasm.fillInput());
 * ```
 */
export function fillInput(): usize {
  return FILL_INPUT;
}

/**
 * Length in bytes of the compressors' input buffer.
 *
 * @example
 * ```ts
 * // From the host:
 * const n = Math.min(input.length, wasm.fillInputSize());
 * ```
 */
export function fillInputSize(): i32 {
  return FILL_INPUT_SIZE;
}

/**
 * Byte offset of the compressors' output buffer in `memory`.
 *
 * @example
 * ```ts
 * // From the host:
 * const out = new Uint8Array(wasm.memory.buffer, wasm.fillOutput(), written);
 * ```
 */
export function fillOutput(): usize {
  return FILL_OUTPUT;
}

/**
 * Largest output capacity a `*Fill` call accepts (1 MiB).
 *
 * @example
 * ```ts
 * // From the host:
 * const cap = Math.min(cluster.length, wasm.fillOutputSize());
 * ```
 */
export function fillOutputSize(): i32 {
  return FILL_OUTPUT_SIZE;
}

/**
 * Input bytes the last `*Fill` call compressed.
 *
 * @example
 * ```ts
 * // From the host:
 * const written = wasm.lz4Fill(wasm.fillInput(), n, wasm.fillOutput(), 4096, 0);
 * const used = wasm.fillConsumed();
 * ```
 */
export function fillConsumed(): i32 {
  return consumed;
}

/**
 * LZ4 (fast) into a fixed-size output: compresses a prefix of the `n` bytes
 * at `src` into at most `cap` (2 … 1 MiB) bytes at `dst` as one raw LZ4
 * block; returns the bytes written, {@link fillConsumed} the prefix length.
 * `level` is ignored.
 *
 * @example
 * ```ts
 * // From the host:
 * const written = wasm.lz4Fill(wasm.fillInput(), n, wasm.fillOutput(), 4096, 0);
 * ```
 */
export function lz4Fill(src: usize, n: i32, dst: usize, cap: i32, _level: i32): i32 {
  const written = lz4Compress(src, n, dst, cap);
  consumed = blockConsumed();
  return written;
}

/**
 * LZ4HC into a fixed-size output: like {@link lz4Fill} (same raw LZ4 block
 * format), with a deeper match search at `level` 1–12.
 *
 * @example
 * ```ts
 * // From the host:
 * const written = wasm.lz4hcFill(wasm.fillInput(), n, wasm.fillOutput(), 4096, 9);
 * ```
 */
export function lz4hcFill(src: usize, n: i32, dst: usize, cap: i32, level: i32): i32 {
  const written = lz4hcCompress(src, n, dst, cap, level);
  consumed = blockConsumed();
  return written;
}

/**
 * Raw DEFLATE into a fixed-size output: compresses a prefix of the `n` bytes
 * at `src` into at most `cap` (16 … 1 MiB) bytes at `dst` as one final
 * block at `level` 1–9; returns the bytes written, {@link fillConsumed} the
 * prefix length.
 *
 * @example
 * ```ts
 * // From the host:
 * const written = wasm.deflateFill(wasm.fillInput(), n, wasm.fillOutput(), 4096, 1);
 * ```
 */
export function deflateFill(src: usize, n: i32, dst: usize, cap: i32, level: i32): i32 {
  const written = deflateCompress(src, n, dst, cap, level);
  consumed = deflateConsumed();
  return written;
}
