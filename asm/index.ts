// deno-fmt-ignore-file -- AssemblyScript: deno fmt would drop the @inline decorators.
/**
 * Entry point of `oci2erofs.wasm`: the memory layout shared with the
 * TypeScript wrappers, and the exports.
 *
 * Nothing here allocates. The module owns one fixed I/O buffer and one
 * SHA-256 state slot; wrappers copy input into the buffer in large batches
 * and call one export per batch. Memory therefore never grows, so views on
 * `memory.buffer` held by the host stay valid.
 *
 * @module
 */

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
