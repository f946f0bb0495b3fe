// deno-fmt-ignore-file -- AssemblyScript: deno fmt would drop the @inline decorators.
/**
 * SHA-256 block compression (FIPS 180-4 §6.2.2) over many 64-byte blocks.
 *
 * Owns only the compression function: buffering, padding and the length
 * trailer live in the TypeScript wrapper, which hands over whole blocks in
 * large batches so the JS↔wasm boundary is crossed once per batch.
 *
 * The 64 rounds are fully unrolled with the round constants as immediates and
 * the message schedule in 16 rolling locals; instead of shuffling the eight
 * working variables each round, each round renames them (a..h rotate one
 * place), which makes every round two additions into existing locals.
 * Maj(a,b,c) is computed as `b ^ ((a ^ b) & (b ^ c))`, where `b ^ c` is the
 * previous round's `a ^ b` (kept in `x`/`y`, alternately), saving one
 * operation per round.
 *
 * @module
 */

// @ts-ignore: decorator
@inline function S0(x: u32): u32 {
  return rotr<u32>(x, 2) ^ rotr<u32>(x, 13) ^ rotr<u32>(x, 22);
}
// @ts-ignore: decorator
@inline function S1(x: u32): u32 {
  return rotr<u32>(x, 6) ^ rotr<u32>(x, 11) ^ rotr<u32>(x, 25);
}
// @ts-ignore: decorator
@inline function s0(x: u32): u32 {
  return rotr<u32>(x, 7) ^ rotr<u32>(x, 18) ^ (x >>> 3);
}
// @ts-ignore: decorator
@inline function s1(x: u32): u32 {
  return rotr<u32>(x, 17) ^ rotr<u32>(x, 19) ^ (x >>> 10);
}
/** Ch(e,f,g) with one fewer operation than `(e & f) ^ (~e & g)`. */
// @ts-ignore: decorator
@inline function ch(e: u32, f: u32, g: u32): u32 {
  return g ^ (e & (f ^ g));
}

/**
 * Compresses `blocks` consecutive 64-byte blocks at `data` into the eight
 * u32 words H0..H7 at `state` (stored as wasm stores any u32: little-endian).
 *
 * @example
 * ```ts
 * // From the host, after copying `64 * k` bytes to the I/O buffer:
 * wasm.sha256Blocks(wasm.sha256State(), wasm.ioBuffer(), k);
 * ```
 */
export function sha256Blocks(state: usize, data: usize, blocks: i32): void {
  let a = load<u32>(state, 0);
  let b = load<u32>(state, 4);
  let c = load<u32>(state, 8);
  let d = load<u32>(state, 12);
  let e = load<u32>(state, 16);
  let f = load<u32>(state, 20);
  let g = load<u32>(state, 24);
  let h = load<u32>(state, 28);
  let w0: u32, w1: u32, w2: u32, w3: u32, w4: u32, w5: u32, w6: u32, w7: u32;
  let w8: u32, w9: u32, w10: u32, w11: u32, w12: u32, w13: u32, w14: u32, w15: u32;
  let p = data;
  for (let i = 0; i < blocks; i++) {
    const a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, h0 = h;
    // One line pair per round i: the schedule word W[i] (read big-endian
    // for i < 16, extended in place over W[i-16] after that), then the round
    // with the working variables renamed by i places.
    let y = b ^ c;
    let x: u32;
    w0 = bswap<u32>(load<u32>(p, 0));
    h += S1(e) + ch(e, f, g) + 0x428a2f98 + w0; d += h; x = a ^ b; h += S0(a) + (b ^ (x & y));
    w1 = bswap<u32>(load<u32>(p, 4));
    g += S1(d) + ch(d, e, f) + 0x71374491 + w1; c += g; y = h ^ a; g += S0(h) + (a ^ (y & x));
    w2 = bswap<u32>(load<u32>(p, 8));
    f += S1(c) + ch(c, d, e) + 0xb5c0fbcf + w2; b += f; x = g ^ h; f += S0(g) + (h ^ (x & y));
    w3 = bswap<u32>(load<u32>(p, 12));
    e += S1(b) + ch(b, c, d) + 0xe9b5dba5 + w3; a += e; y = f ^ g; e += S0(f) + (g ^ (y & x));
    w4 = bswap<u32>(load<u32>(p, 16));
    d += S1(a) + ch(a, b, c) + 0x3956c25b + w4; h += d; x = e ^ f; d += S0(e) + (f ^ (x & y));
    w5 = bswap<u32>(load<u32>(p, 20));
    c += S1(h) + ch(h, a, b) + 0x59f111f1 + w5; g += c; y = d ^ e; c += S0(d) + (e ^ (y & x));
    w6 = bswap<u32>(load<u32>(p, 24));
    b += S1(g) + ch(g, h, a) + 0x923f82a4 + w6; f += b; x = c ^ d; b += S0(c) + (d ^ (x & y));
    w7 = bswap<u32>(load<u32>(p, 28));
    a += S1(f) + ch(f, g, h) + 0xab1c5ed5 + w7; e += a; y = b ^ c; a += S0(b) + (c ^ (y & x));
    w8 = bswap<u32>(load<u32>(p, 32));
    h += S1(e) + ch(e, f, g) + 0xd807aa98 + w8; d += h; x = a ^ b; h += S0(a) + (b ^ (x & y));
    w9 = bswap<u32>(load<u32>(p, 36));
    g += S1(d) + ch(d, e, f) + 0x12835b01 + w9; c += g; y = h ^ a; g += S0(h) + (a ^ (y & x));
    w10 = bswap<u32>(load<u32>(p, 40));
    f += S1(c) + ch(c, d, e) + 0x243185be + w10; b += f; x = g ^ h; f += S0(g) + (h ^ (x & y));
    w11 = bswap<u32>(load<u32>(p, 44));
    e += S1(b) + ch(b, c, d) + 0x550c7dc3 + w11; a += e; y = f ^ g; e += S0(f) + (g ^ (y & x));
    w12 = bswap<u32>(load<u32>(p, 48));
    d += S1(a) + ch(a, b, c) + 0x72be5d74 + w12; h += d; x = e ^ f; d += S0(e) + (f ^ (x & y));
    w13 = bswap<u32>(load<u32>(p, 52));
    c += S1(h) + ch(h, a, b) + 0x80deb1fe + w13; g += c; y = d ^ e; c += S0(d) + (e ^ (y & x));
    w14 = bswap<u32>(load<u32>(p, 56));
    b += S1(g) + ch(g, h, a) + 0x9bdc06a7 + w14; f += b; x = c ^ d; b += S0(c) + (d ^ (x & y));
    w15 = bswap<u32>(load<u32>(p, 60));
    a += S1(f) + ch(f, g, h) + 0xc19bf174 + w15; e += a; y = b ^ c; a += S0(b) + (c ^ (y & x));
    w0 += s1(w14) + w9 + s0(w1);
    h += S1(e) + ch(e, f, g) + 0xe49b69c1 + w0; d += h; x = a ^ b; h += S0(a) + (b ^ (x & y));
    w1 += s1(w15) + w10 + s0(w2);
    g += S1(d) + ch(d, e, f) + 0xefbe4786 + w1; c += g; y = h ^ a; g += S0(h) + (a ^ (y & x));
    w2 += s1(w0) + w11 + s0(w3);
    f += S1(c) + ch(c, d, e) + 0x0fc19dc6 + w2; b += f; x = g ^ h; f += S0(g) + (h ^ (x & y));
    w3 += s1(w1) + w12 + s0(w4);
    e += S1(b) + ch(b, c, d) + 0x240ca1cc + w3; a += e; y = f ^ g; e += S0(f) + (g ^ (y & x));
    w4 += s1(w2) + w13 + s0(w5);
    d += S1(a) + ch(a, b, c) + 0x2de92c6f + w4; h += d; x = e ^ f; d += S0(e) + (f ^ (x & y));
    w5 += s1(w3) + w14 + s0(w6);
    c += S1(h) + ch(h, a, b) + 0x4a7484aa + w5; g += c; y = d ^ e; c += S0(d) + (e ^ (y & x));
    w6 += s1(w4) + w15 + s0(w7);
    b += S1(g) + ch(g, h, a) + 0x5cb0a9dc + w6; f += b; x = c ^ d; b += S0(c) + (d ^ (x & y));
    w7 += s1(w5) + w0 + s0(w8);
    a += S1(f) + ch(f, g, h) + 0x76f988da + w7; e += a; y = b ^ c; a += S0(b) + (c ^ (y & x));
    w8 += s1(w6) + w1 + s0(w9);
    h += S1(e) + ch(e, f, g) + 0x983e5152 + w8; d += h; x = a ^ b; h += S0(a) + (b ^ (x & y));
    w9 += s1(w7) + w2 + s0(w10);
    g += S1(d) + ch(d, e, f) + 0xa831c66d + w9; c += g; y = h ^ a; g += S0(h) + (a ^ (y & x));
    w10 += s1(w8) + w3 + s0(w11);
    f += S1(c) + ch(c, d, e) + 0xb00327c8 + w10; b += f; x = g ^ h; f += S0(g) + (h ^ (x & y));
    w11 += s1(w9) + w4 + s0(w12);
    e += S1(b) + ch(b, c, d) + 0xbf597fc7 + w11; a += e; y = f ^ g; e += S0(f) + (g ^ (y & x));
    w12 += s1(w10) + w5 + s0(w13);
    d += S1(a) + ch(a, b, c) + 0xc6e00bf3 + w12; h += d; x = e ^ f; d += S0(e) + (f ^ (x & y));
    w13 += s1(w11) + w6 + s0(w14);
    c += S1(h) + ch(h, a, b) + 0xd5a79147 + w13; g += c; y = d ^ e; c += S0(d) + (e ^ (y & x));
    w14 += s1(w12) + w7 + s0(w15);
    b += S1(g) + ch(g, h, a) + 0x06ca6351 + w14; f += b; x = c ^ d; b += S0(c) + (d ^ (x & y));
    w15 += s1(w13) + w8 + s0(w0);
    a += S1(f) + ch(f, g, h) + 0x14292967 + w15; e += a; y = b ^ c; a += S0(b) + (c ^ (y & x));
    w0 += s1(w14) + w9 + s0(w1);
    h += S1(e) + ch(e, f, g) + 0x27b70a85 + w0; d += h; x = a ^ b; h += S0(a) + (b ^ (x & y));
    w1 += s1(w15) + w10 + s0(w2);
    g += S1(d) + ch(d, e, f) + 0x2e1b2138 + w1; c += g; y = h ^ a; g += S0(h) + (a ^ (y & x));
    w2 += s1(w0) + w11 + s0(w3);
    f += S1(c) + ch(c, d, e) + 0x4d2c6dfc + w2; b += f; x = g ^ h; f += S0(g) + (h ^ (x & y));
    w3 += s1(w1) + w12 + s0(w4);
    e += S1(b) + ch(b, c, d) + 0x53380d13 + w3; a += e; y = f ^ g; e += S0(f) + (g ^ (y & x));
    w4 += s1(w2) + w13 + s0(w5);
    d += S1(a) + ch(a, b, c) + 0x650a7354 + w4; h += d; x = e ^ f; d += S0(e) + (f ^ (x & y));
    w5 += s1(w3) + w14 + s0(w6);
    c += S1(h) + ch(h, a, b) + 0x766a0abb + w5; g += c; y = d ^ e; c += S0(d) + (e ^ (y & x));
    w6 += s1(w4) + w15 + s0(w7);
    b += S1(g) + ch(g, h, a) + 0x81c2c92e + w6; f += b; x = c ^ d; b += S0(c) + (d ^ (x & y));
    w7 += s1(w5) + w0 + s0(w8);
    a += S1(f) + ch(f, g, h) + 0x92722c85 + w7; e += a; y = b ^ c; a += S0(b) + (c ^ (y & x));
    w8 += s1(w6) + w1 + s0(w9);
    h += S1(e) + ch(e, f, g) + 0xa2bfe8a1 + w8; d += h; x = a ^ b; h += S0(a) + (b ^ (x & y));
    w9 += s1(w7) + w2 + s0(w10);
    g += S1(d) + ch(d, e, f) + 0xa81a664b + w9; c += g; y = h ^ a; g += S0(h) + (a ^ (y & x));
    w10 += s1(w8) + w3 + s0(w11);
    f += S1(c) + ch(c, d, e) + 0xc24b8b70 + w10; b += f; x = g ^ h; f += S0(g) + (h ^ (x & y));
    w11 += s1(w9) + w4 + s0(w12);
    e += S1(b) + ch(b, c, d) + 0xc76c51a3 + w11; a += e; y = f ^ g; e += S0(f) + (g ^ (y & x));
    w12 += s1(w10) + w5 + s0(w13);
    d += S1(a) + ch(a, b, c) + 0xd192e819 + w12; h += d; x = e ^ f; d += S0(e) + (f ^ (x & y));
    w13 += s1(w11) + w6 + s0(w14);
    c += S1(h) + ch(h, a, b) + 0xd6990624 + w13; g += c; y = d ^ e; c += S0(d) + (e ^ (y & x));
    w14 += s1(w12) + w7 + s0(w15);
    b += S1(g) + ch(g, h, a) + 0xf40e3585 + w14; f += b; x = c ^ d; b += S0(c) + (d ^ (x & y));
    w15 += s1(w13) + w8 + s0(w0);
    a += S1(f) + ch(f, g, h) + 0x106aa070 + w15; e += a; y = b ^ c; a += S0(b) + (c ^ (y & x));
    w0 += s1(w14) + w9 + s0(w1);
    h += S1(e) + ch(e, f, g) + 0x19a4c116 + w0; d += h; x = a ^ b; h += S0(a) + (b ^ (x & y));
    w1 += s1(w15) + w10 + s0(w2);
    g += S1(d) + ch(d, e, f) + 0x1e376c08 + w1; c += g; y = h ^ a; g += S0(h) + (a ^ (y & x));
    w2 += s1(w0) + w11 + s0(w3);
    f += S1(c) + ch(c, d, e) + 0x2748774c + w2; b += f; x = g ^ h; f += S0(g) + (h ^ (x & y));
    w3 += s1(w1) + w12 + s0(w4);
    e += S1(b) + ch(b, c, d) + 0x34b0bcb5 + w3; a += e; y = f ^ g; e += S0(f) + (g ^ (y & x));
    w4 += s1(w2) + w13 + s0(w5);
    d += S1(a) + ch(a, b, c) + 0x391c0cb3 + w4; h += d; x = e ^ f; d += S0(e) + (f ^ (x & y));
    w5 += s1(w3) + w14 + s0(w6);
    c += S1(h) + ch(h, a, b) + 0x4ed8aa4a + w5; g += c; y = d ^ e; c += S0(d) + (e ^ (y & x));
    w6 += s1(w4) + w15 + s0(w7);
    b += S1(g) + ch(g, h, a) + 0x5b9cca4f + w6; f += b; x = c ^ d; b += S0(c) + (d ^ (x & y));
    w7 += s1(w5) + w0 + s0(w8);
    a += S1(f) + ch(f, g, h) + 0x682e6ff3 + w7; e += a; y = b ^ c; a += S0(b) + (c ^ (y & x));
    w8 += s1(w6) + w1 + s0(w9);
    h += S1(e) + ch(e, f, g) + 0x748f82ee + w8; d += h; x = a ^ b; h += S0(a) + (b ^ (x & y));
    w9 += s1(w7) + w2 + s0(w10);
    g += S1(d) + ch(d, e, f) + 0x78a5636f + w9; c += g; y = h ^ a; g += S0(h) + (a ^ (y & x));
    w10 += s1(w8) + w3 + s0(w11);
    f += S1(c) + ch(c, d, e) + 0x84c87814 + w10; b += f; x = g ^ h; f += S0(g) + (h ^ (x & y));
    w11 += s1(w9) + w4 + s0(w12);
    e += S1(b) + ch(b, c, d) + 0x8cc70208 + w11; a += e; y = f ^ g; e += S0(f) + (g ^ (y & x));
    w12 += s1(w10) + w5 + s0(w13);
    d += S1(a) + ch(a, b, c) + 0x90befffa + w12; h += d; x = e ^ f; d += S0(e) + (f ^ (x & y));
    w13 += s1(w11) + w6 + s0(w14);
    c += S1(h) + ch(h, a, b) + 0xa4506ceb + w13; g += c; y = d ^ e; c += S0(d) + (e ^ (y & x));
    w14 += s1(w12) + w7 + s0(w15);
    b += S1(g) + ch(g, h, a) + 0xbef9a3f7 + w14; f += b; x = c ^ d; b += S0(c) + (d ^ (x & y));
    w15 += s1(w13) + w8 + s0(w0);
    a += S1(f) + ch(f, g, h) + 0xc67178f2 + w15; e += a; y = b ^ c; a += S0(b) + (c ^ (y & x));
    a += a0;
    b += b0;
    c += c0;
    d += d0;
    e += e0;
    f += f0;
    g += g0;
    h += h0;
    p += 64;
  }
  store<u32>(state, a, 0);
  store<u32>(state, b, 4);
  store<u32>(state, c, 8);
  store<u32>(state, d, 12);
  store<u32>(state, e, 16);
  store<u32>(state, f, 20);
  store<u32>(state, g, 24);
  store<u32>(state, h, 28);
}
