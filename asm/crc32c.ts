// deno-fmt-ignore-file -- AssemblyScript: deno fmt would drop the @inline decorators.
/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8.
 *
 * Owns the eight 256-entry lookup tables and the raw register update. The
 * pre/post inversion that makes the "standard" CRC-32C is left to the caller
 * so one register can be carried across many calls (chunked input).
 *
 * @module
 */

/** Reflected Castagnoli polynomial. */
const POLY: u32 = 0x82f63b78;

/**
 * Eight tables of 256 u32 each: table k maps a byte to its contribution after
 * k further zero bytes, so eight input bytes fold into eight independent loads
 * per step instead of a serial chain of eight.
 */
const TABLES: usize = memory.data(8 * 256 * 4, 64);

// Filled at instantiation (the wasm start function) rather than shipped as
// data: 8 KiB of tables would be most of the binary, and filling them costs
// microseconds.
for (let n: u32 = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  store<u32>(TABLES + (<usize>n << 2), c);
}
for (let n: u32 = 0; n < 256; n++) {
  let c = load<u32>(TABLES + (<usize>n << 2));
  for (let k: usize = 1; k < 8; k++) {
    c = load<u32>(TABLES + ((<usize>c & 0xff) << 2)) ^ (c >>> 8);
    store<u32>(TABLES + (k << 10) + (<usize>n << 2), c);
  }
}

/** Entry `i` (0–255) of table `k`. */
// @ts-ignore: decorator
@inline function t(k: usize, i: u32): u32 {
  return load<u32>(TABLES + (k << 10) + (<usize>i << 2));
}

/**
 * Advances the raw CRC register `crc` over `len` bytes at `ptr` and returns
 * it. No pre/post inversion: callers pass `~seed` and invert the result.
 *
 * @example
 * ```ts
 * // From the host, after copying `n` bytes to the I/O buffer:
 * const crc = ~wasm.crc32cUpdate(~0, wasm.ioBuffer(), n) >>> 0;
 * ```
 */
export function crc32cUpdate(crc: u32, ptr: usize, len: usize): u32 {
  // Unaligned 4-byte loads are legal in wasm and cheap on every host CPU, so
  // there is no alignment prologue.
  while (len >= 8) {
    const lo = load<u32>(ptr) ^ crc;
    const hi = load<u32>(ptr, 4);
    crc =
      t(7, lo & 0xff) ^
      t(6, (lo >>> 8) & 0xff) ^
      t(5, (lo >>> 16) & 0xff) ^
      t(4, lo >>> 24) ^
      t(3, hi & 0xff) ^
      t(2, (hi >>> 8) & 0xff) ^
      t(1, (hi >>> 16) & 0xff) ^
      t(0, hi >>> 24);
    ptr += 8;
    len -= 8;
  }
  while (len > 0) {
    crc = t(0, (crc ^ <u32>load<u8>(ptr)) & 0xff) ^ (crc >>> 8);
    ptr++;
    len--;
  }
  return crc;
}
