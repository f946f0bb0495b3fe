/**
 * Streaming XXH64 (seed 0), the hash behind zstd's optional content
 * checksum, whose low 32 bits end a frame.
 *
 * JavaScript has no 64-bit integer arithmetic short of `BigInt` (an
 * allocation per operation, ~50× slower), so every 64-bit value here is a
 * pair of unsigned 32-bit halves (see `laneRound` for the products). Results of the helpers travel through a two-slot typed array: a
 * returned object would allocate, and so would module variables (V8 boxes
 * numbers past 2^30 stored outside a function's own locals), which made a
 * first version 10× slower.
 *
 * @module
 */

// The five XXH64 primes as [high, low] halves.
const P1H = 0x9e3779b1, P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d, P2L = 0x27d4eb4f;
const P3H = 0x165667b1, P3L = 0x9e3779f9;
const P4H = 0x85ebca77, P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f, P5L = 0x165667c5;

/** The result of the last {@link mul}, {@link add} or {@link round}: high, low. */
const R = new Uint32Array(2);

/** (ah:al) × (bh:bl) mod 2^64 into R. */
function mul(ah: number, al: number, bh: number, bl: number): void {
  // See laneRound for the high word.
  const low = Math.imul(al, bl) >>> 0;
  R[1] = low;
  R[0] = Math.round((al * bl - low) * TWO_M32) + Math.imul(ah, bl) + Math.imul(al, bh);
}

/** (ah:al) + (bh:bl) mod 2^64 into R. */
function add(ah: number, al: number, bh: number, bl: number): void {
  const low = al + bl;
  R[1] = low;
  R[0] = ah + bh + (low > 0xffffffff ? 1 : 0);
}

/** XXH64's round: rotl(acc + lane × P2, 31) × P1, into R. */
function round(acch: number, accl: number, laneh: number, lanel: number): void {
  mul(laneh, lanel, P2H, P2L);
  add(acch, accl, R[0]!, R[1]!);
  // Rotate left by 31.
  const h = R[0]!, l = R[1]!;
  mul(((h << 31) | (l >>> 1)) >>> 0, ((l << 31) | (h >>> 1)) >>> 0, P1H, P1L);
}

/** h = (h ^ round(0, v)) × P1 + P4, into R. */
function mergeRound(hh: number, hl: number, vh: number, vl: number): void {
  round(0, 0, vh, vl);
  mul((hh ^ R[0]!) >>> 0, (hl ^ R[1]!) >>> 0, P1H, P1L);
  add(R[0]!, R[1]!, P4H, P4L);
}

/** 2^-32. */
const TWO_M32 = 1 / 4294967296;

/**
 * {@link round} of the accumulator at `v[k]` (high), `v[k + 1]` (low) with
 * the lane at `bytes[at]`, written out in full: this is the hot loop, and
 * locals stay in registers where the helpers' shared slots do not.
 *
 * The high word of a 32×32-bit product comes from the double product: it
 * is within 2^12 of exact, so after taking away the exact low word
 * (`Math.imul`) and scaling by 2^-32 it is within 2^-19 of the integer it
 * should be, and rounding gives it exactly. Three times faster than
 * assembling it from 16-bit limbs.
 */
function laneRound(v: Uint32Array, k: number, bytes: Uint8Array, at: number): void {
  const lh = bytes[at + 4]! | bytes[at + 5]! << 8 | bytes[at + 6]! << 16 | bytes[at + 7]! << 24;
  const ll = (bytes[at]! | bytes[at + 1]! << 8 | bytes[at + 2]! << 16 | bytes[at + 3]! << 24) >>> 0;
  // m = lane × P2
  let low = Math.imul(ll, P2L) >>> 0;
  const mh = Math.round((ll * P2L - low) * TWO_M32) + Math.imul(lh, P2L) + Math.imul(ll, P2H);
  // s = acc + m
  const sum = v[k + 1]! + low;
  const sh = (v[k]! + mh + (sum > 0xffffffff ? 1 : 0)) >>> 0;
  const sl = sum >>> 0;
  // r = rotl(s, 31)
  const rh = ((sh << 31) | (sl >>> 1)) >>> 0;
  const rl = ((sl << 31) | (sh >>> 1)) >>> 0;
  // acc = r × P1
  low = Math.imul(rl, P1L) >>> 0;
  v[k + 1] = low;
  v[k] = Math.round((rl * P1L - low) * TWO_M32) + Math.imul(rh, P1L) + Math.imul(rl, P1H);
}

function rotlHigh(h: number, l: number, r: number): number {
  return ((h << r) | (l >>> (32 - r))) >>> 0;
}

function rotlLow(h: number, l: number, r: number): number {
  return ((l << r) | (h >>> (32 - r))) >>> 0;
}

function le32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | bytes[at + 1]! << 8 | bytes[at + 2]! << 16 | bytes[at + 3]! << 24) >>> 0;
}

/**
 * An incremental XXH64 with seed 0.
 *
 * @example
 * ```ts
 * import { Xxh64 } from "./xxhash64.ts";
 * const hash = new Xxh64();
 * hash.update(new TextEncoder().encode("abc"));
 * hash.digestHex(); // "44bc2cf5ad770999"
 * ```
 */
export class Xxh64 {
  // Four accumulators as high/low halves, laid out v1h v1l v2h v2l ….
  #v = new Uint32Array(8);
  /** Bytes of an incomplete 32-byte stripe. */
  #stripe = new Uint8Array(32);
  #stripeLength = 0;
  /** Total length; a double counts exactly up to 2^53 bytes. */
  #length = 0;

  constructor() {
    this.reset();
  }

  /** Starts over, as if new. */
  reset(): void {
    const v = this.#v;
    add(P1H, P1L, P2H, P2L);
    v[0] = R[0]!, v[1] = R[1]!;
    v[2] = P2H, v[3] = P2L;
    v[4] = 0, v[5] = 0;
    add(0, 0, (~P1H) >>> 0, (~P1L) >>> 0); // -P1 = ~P1 + 1
    add(R[0]!, R[1]!, 0, 1);
    v[6] = R[0]!, v[7] = R[1]!;
    this.#stripeLength = 0;
    this.#length = 0;
  }

  /** Feeds `bytes`; chunk boundaries do not matter. */
  update(bytes: Uint8Array): void {
    this.#length += bytes.length;
    let at = 0;
    if (this.#stripeLength > 0) {
      const take = Math.min(32 - this.#stripeLength, bytes.length);
      this.#stripe.set(bytes.subarray(0, take), this.#stripeLength);
      this.#stripeLength += take;
      at = take;
      if (this.#stripeLength < 32) return;
      this.#stripes(this.#stripe, 0, 32);
      this.#stripeLength = 0;
    }
    const whole = at + ((bytes.length - at) & ~31);
    this.#stripes(bytes, at, whole);
    if (whole < bytes.length) {
      this.#stripe.set(bytes.subarray(whole));
      this.#stripeLength = bytes.length - whole;
    }
  }

  #stripes(bytes: Uint8Array, from: number, to: number): void {
    const v = this.#v;
    for (let i = from; i < to; i += 32) {
      laneRound(v, 0, bytes, i);
      laneRound(v, 2, bytes, i + 8);
      laneRound(v, 4, bytes, i + 16);
      laneRound(v, 6, bytes, i + 24);
    }
  }

  /** The digest as [high, low] 32-bit halves. Does not end the hash. */
  digest(): [number, number] {
    const v = this.#v;
    let hh: number, hl: number;
    if (this.#length >= 32) {
      const v1h = v[0]!, v1l = v[1]!, v2h = v[2]!, v2l = v[3]!;
      const v3h = v[4]!, v3l = v[5]!, v4h = v[6]!, v4l = v[7]!;
      add(rotlHigh(v1h, v1l, 1), rotlLow(v1h, v1l, 1), rotlHigh(v2h, v2l, 7), rotlLow(v2h, v2l, 7));
      add(R[0]!, R[1]!, rotlHigh(v3h, v3l, 12), rotlLow(v3h, v3l, 12));
      add(R[0]!, R[1]!, rotlHigh(v4h, v4l, 18), rotlLow(v4h, v4l, 18));
      mergeRound(R[0]!, R[1]!, v1h, v1l);
      mergeRound(R[0]!, R[1]!, v2h, v2l);
      mergeRound(R[0]!, R[1]!, v3h, v3l);
      mergeRound(R[0]!, R[1]!, v4h, v4l);
      hh = R[0]!, hl = R[1]!;
    } else {
      hh = P5H, hl = P5L;
    }
    add(hh, hl, Math.floor(this.#length / 0x100000000) >>> 0, this.#length >>> 0);
    hh = R[0]!, hl = R[1]!;
    const tail = this.#stripe;
    const n = this.#stripeLength;
    let i = 0;
    for (; i + 8 <= n; i += 8) {
      round(0, 0, le32(tail, i + 4), le32(tail, i));
      const xh = (hh ^ R[0]!) >>> 0, xl = (hl ^ R[1]!) >>> 0;
      mul(rotlHigh(xh, xl, 27), rotlLow(xh, xl, 27), P1H, P1L);
      add(R[0]!, R[1]!, P4H, P4L);
      hh = R[0]!, hl = R[1]!;
    }
    if (i + 4 <= n) {
      mul(0, le32(tail, i), P1H, P1L);
      const xh = (hh ^ R[0]!) >>> 0, xl = (hl ^ R[1]!) >>> 0;
      mul(rotlHigh(xh, xl, 23), rotlLow(xh, xl, 23), P2H, P2L);
      add(R[0]!, R[1]!, P3H, P3L);
      hh = R[0]!, hl = R[1]!;
      i += 4;
    }
    for (; i < n; i++) {
      mul(0, tail[i]!, P5H, P5L);
      const xh = (hh ^ R[0]!) >>> 0, xl = (hl ^ R[1]!) >>> 0;
      mul(rotlHigh(xh, xl, 11), rotlLow(xh, xl, 11), P1H, P1L);
      hh = R[0]!, hl = R[1]!;
    }
    // Avalanche.
    hl = (hl ^ (hh >>> 1)) >>> 0;
    mul(hh, hl, P2H, P2L);
    hh = R[0]!, hl = R[1]!;
    hl = (hl ^ ((hl >>> 29) | (hh << 3))) >>> 0;
    hh = (hh ^ (hh >>> 29)) >>> 0;
    mul(hh, hl, P3H, P3L);
    hh = R[0]!, hl = R[1]!;
    hl = (hl ^ hh) >>> 0;
    return [hh, hl];
  }

  /** The digest as 16 lowercase hex digits. Does not end the hash. */
  digestHex(): string {
    const [h, l] = this.digest();
    return h.toString(16).padStart(8, "0") + l.toString(16).padStart(8, "0");
  }
}
