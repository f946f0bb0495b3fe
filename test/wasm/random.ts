/**
 * Reproducible pseudo-random bytes and chunkings for the wasm tests: a
 * failing size or split can be replayed from its seed.
 *
 * @module
 */

/**
 * A xorshift32 generator of unsigned 32-bit numbers.
 *
 * @example
 * ```ts
 * const next = xorshift(1);
 * console.log(next() !== next()); // true
 * ```
 */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/**
 * `length` pseudo-random bytes determined by `seed`.
 *
 * @example
 * ```ts
 * console.log(randomBytes(4, 7).length); // 4
 * ```
 */
export function randomBytes(length: number, seed: number): Uint8Array {
  const next = xorshift(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = next() & 0xff;
  return out;
}

/**
 * Splits `bytes` into consecutive pieces of random lengths (including empty
 * ones and ones that straddle the 64-byte and 64 KiB boundaries).
 *
 * @example
 * ```ts
 * const pieces = randomChunks(new Uint8Array(100), 3);
 * console.log(pieces.reduce((n, p) => n + p.length, 0)); // 100
 * ```
 */
export function randomChunks(bytes: Uint8Array, seed: number): Uint8Array[] {
  const next = xorshift(seed);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const kind = next() % 4;
    const length = kind === 0 ? next() % 4 : kind === 1 ? next() % 130 : next() % 150_000;
    pieces.push(bytes.subarray(at, at + length));
    at += length;
  }
  return pieces;
}

/**
 * Sizes around every boundary the implementations care about: the 55/56/64
 * byte padding cases, 8-byte CRC strides and the 64 KiB I/O buffer.
 *
 * @example
 * ```ts
 * for (const size of SIZES) console.log(randomBytes(size, size).length === size);
 * ```
 */
export const SIZES = [
  0,
  1,
  2,
  3,
  7,
  8,
  9,
  15,
  16,
  31,
  55,
  56,
  57,
  63,
  64,
  65,
  119,
  120,
  127,
  128,
  129,
  1000,
  4095,
  4096,
  65_471,
  65_535,
  65_536,
  65_537,
  65_600,
  131_072 + 13,
  3 * 2 ** 20 + 17,
  5 * 2 ** 20,
];

/**
 * `length` bytes of words, numbers and some binary noise determined by
 * `seed`: compresses about like source code or logs.
 *
 * @example
 * ```ts
 * console.log(textLike(100, 1).length); // 100
 * ```
 */
export function textLike(length: number, seed: number): Uint8Array {
  const next = xorshift(seed);
  const words = Array.from(
    { length: 300 },
    (_, i) =>
      Array.from({ length: 2 + (i % 9) }, () => String.fromCharCode(97 + (next() % 26))).join(""),
  );
  const out = new Uint8Array(length);
  let at = 0;
  while (at < length) {
    const kind = next() % 50;
    const piece = kind === 0 ? randomBytes(next() % 40, next()) : new TextEncoder().encode(
      kind < 5 ? `${next() % 100000}\n` : `${words[next() % words.length]} `,
    );
    out.set(piece.subarray(0, length - at), at);
    at += piece.length;
  }
  return out;
}
