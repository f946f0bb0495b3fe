/**
 * CRC-32C (Castagnoli) over byte arrays, computed in `oci2erofs.wasm`.
 *
 * @module
 */
import { type WasmExports, wasmExports } from "./load.ts";

/**
 * The standard CRC-32C of `bytes` (reflected polynomial 0x82F63B78, initial
 * value and final XOR 0xFFFFFFFF), as an unsigned 32-bit number.
 *
 * `seed` is a previous result, so a long input can be fed in pieces:
 * `crc32c(b, crc32c(a))` equals `crc32c(a + b)`. (The EROFS superblock
 * checksum is the Linux `crc32c(~0, ...)`, which omits the final XOR: that is
 * `(crc32c(range) ^ 0xFFFFFFFF) >>> 0`.)
 *
 * Requires the shared wasm instance ({@linkcode initWasm}) unless `wasm` is
 * given.
 *
 * @example
 * ```ts
 * import { initWasm } from "./load.ts";
 * import { crc32c } from "./crc32c.ts";
 * await initWasm();
 * const digits = new TextEncoder().encode("123456789");
 * console.log(crc32c(digits).toString(16)); // "e3069283"
 * const split = crc32c(digits.subarray(4), crc32c(digits.subarray(0, 4)));
 * console.log(split === crc32c(digits)); // true
 * ```
 */
export function crc32c(bytes: Uint8Array, seed = 0, wasm: WasmExports = wasmExports()): number {
  const io = wasm.ioBuffer();
  const size = wasm.ioBufferSize();
  const heap = new Uint8Array(wasm.memory.buffer);
  let crc = ~seed;
  for (let at = 0; at < bytes.length; at += size) {
    const piece = bytes.subarray(at, at + size);
    heap.set(piece, io);
    crc = wasm.crc32cUpdate(crc, io, piece.length);
  }
  return ~crc >>> 0;
}
