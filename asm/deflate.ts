// deno-fmt-ignore-file -- AssemblyScript: deno fmt would drop the @inline decorators.
/**
 * Raw DEFLATE (RFC 1951) into a fixed-size output: one final block holding
 * the longest prefix of the input whose encoding fits.
 *
 * Owns the whole encoder: a hash-chain LZ77 parser (32 KiB window, optional
 * one-step lazy matching) that records symbols, the exact bit cost of a
 * block for a symbol prefix (dynamic Huffman or fixed, whichever is
 * smaller), the search for the longest prefix that fits, and the bit writer.
 *
 * Fitting: the parser stops once a checkpoint (every 1024 symbols) costs
 * more than the output holds; a search over the symbols since the last
 * checkpoint that fitted then finds the exact longest prefix. Symbol
 * frequencies at that checkpoint are kept, so each probe only adds at most
 * 1024 symbols and builds three small Huffman codes (none while the fixed
 * code alone fits).
 *
 * @module
 */

const HASH_LOG: u32 = 15;
const WINDOW: i32 = 32768;
const MIN_MATCH: i32 = 3;
const MAX_MATCH: i32 = 258;
/** A 3-byte match further back than this costs more than three literals. */
const TOO_FAR: i32 = 4096;
const CHECKPOINT: i32 = 1024;
/** Symbols one call can record: at least 1 MiB of input, usually much more. */
const SYMBOL_CAP: i32 = 1 << 20;

const HEAD: usize = memory.data(4 << HASH_LOG, 64);
const CHAIN: usize = memory.data(2 * WINDOW, 64);
/** Literal: the byte. Match: 0x80000000 | distance << 8 | (length - 3). */
const SYMBOLS: usize = memory.data(4 * SYMBOL_CAP, 64);

const LIT_FREQ: usize = memory.data(4 * 288, 16);
const DIST_FREQ: usize = memory.data(4 * 32, 16);
const LIT_SAVED: usize = memory.data(4 * 288, 16);
const DIST_SAVED: usize = memory.data(4 * 32, 16);
const CL_FREQ: usize = memory.data(4 * 19, 16);
const LIT_LEN: usize = memory.data(288, 16);
const DIST_LEN: usize = memory.data(32, 16);
const CL_LEN: usize = memory.data(19, 16);
const LIT_CODE: usize = memory.data(2 * 288, 16);
const DIST_CODE: usize = memory.data(2 * 32, 16);
const CL_CODE: usize = memory.data(2 * 19, 16);
/** Run-length coded code lengths: symbol | extra << 5. */
const RLE: usize = memory.data(2 * 320, 16);
const ALL_LENS: usize = memory.data(320, 16);
/** Scratch for Huffman construction: symbols sorted by weight, and weights. */
const SORTED: usize = memory.data(4 * 288, 16);
const WEIGHTS: usize = memory.data(4 * 288, 16);
const COUNTS: usize = memory.data(4 * 16, 16);
const NEXT: usize = memory.data(4 * 16, 16);

const LEN_BASE: usize = memory.data<u16>([
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
  163, 195, 227, 258,
]);
const DIST_BASE: usize = memory.data<u16>([
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
  3073, 4097, 6145, 8193, 12289, 16385, 24577,
]);
const CL_ORDER: usize = memory.data<u8>([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

let consumedBytes: i32 = 0;
let rleCount: i32 = 0;
let hlit: i32 = 0;
let hdist: i32 = 0;
let hclen: i32 = 0;

// @ts-ignore: decorator
@inline function u32At(base: usize, i: i32): u32 { return load<u32>(base + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function setU32(base: usize, i: i32, v: u32): void { store<u32>(base + (<usize>i << 2), v); }

/** Length symbol index (0–28, i.e. code − 257) of a match length − 3. */
// @ts-ignore: decorator
@inline function lengthSlot(x: i32): i32 {
  if (x < 8) return x;
  if (x == 255) return 28;
  const l = 31 - clz(x);
  return 4 * (l - 1) + ((x >> (l - 2)) & 3);
}
// @ts-ignore: decorator
@inline function lengthExtra(slot: i32): i32 { return slot < 8 || slot == 28 ? 0 : (slot - 4) >> 2; }
/** Distance code (0–29) of a distance. */
// @ts-ignore: decorator
@inline function distSlot(d: i32): i32 {
  const x = d - 1;
  if (x < 4) return x;
  const l = 31 - clz(x);
  return 2 * l + ((x >> (l - 1)) & 1);
}
// @ts-ignore: decorator
@inline function distExtra(slot: i32): i32 { return slot < 4 ? 0 : (slot >> 1) - 1; }


/** Adds symbols `[from, to)` to the frequency tables; returns their extra bits. */
function count(from: i32, to: i32): i32 {
  let extra = 0;
  for (let i = from; i < to; i++) {
    const s = u32At(SYMBOLS, i);
    if (s < 0x80000000) {
      setU32(LIT_FREQ, <i32>s, u32At(LIT_FREQ, <i32>s) + 1);
    } else {
      const ls = lengthSlot(<i32>(s & 0xff));
      const ds = distSlot(<i32>((s >> 8) & 0xffff));
      setU32(LIT_FREQ, 257 + ls, u32At(LIT_FREQ, 257 + ls) + 1);
      setU32(DIST_FREQ, ds, u32At(DIST_FREQ, ds) + 1);
      extra += lengthExtra(ls) + distExtra(ds);
    }
  }
  return extra;
}

/**
 * Huffman code lengths ≤ `limit` for the `n` frequencies at `freq` into
 * `lens` (bytes). Always a complete code: a lone symbol gets a partner.
 * Over-long codes are avoided by flattening the weights and rebuilding.
 */
function buildLengths(freq: usize, n: i32, lens: usize, limit: i32): void {
  memory.fill(lens, 0, <usize>n);
  // Sort (weight, symbol) pairs as u64 keys, ties by symbol so the result is
  // deterministic; Shell sort, since n ≤ 288 and this runs on every probe.
  let m = 0;
  for (let i = 0; i < n; i++) {
    const w = u32At(freq, i);
    if (w == 0) continue;
    store<u64>(KEYS + (<usize>m << 3), (<u64>w << 16) | <u64>i);
    m++;
  }
  for (let g = 0; g < 6; g++) {
    const gap = <i32>load<u8>(GAPS + g);
    for (let i = gap; i < m; i++) {
      const key = load<u64>(KEYS + (<usize>i << 3));
      let j = i;
      while (j >= gap && load<u64>(KEYS + (<usize>(j - gap) << 3)) > key) {
        store<u64>(KEYS + (<usize>j << 3), load<u64>(KEYS + (<usize>(j - gap) << 3)));
        j -= gap;
      }
      store<u64>(KEYS + (<usize>j << 3), key);
    }
  }
  for (let i = 0; i < m; i++) {
    const key = load<u64>(KEYS + (<usize>i << 3));
    setU32(WEIGHTS, i, <u32>(key >> 16));
    setU32(SORTED, i, <u32>(key & 0xffff));
  }
  if (m == 0) {
    store<u8>(lens, 1);
    store<u8>(lens + 1, 1);
    return;
  }
  if (m == 1) {
    const s = u32At(SORTED, 0);
    store<u8>(lens + s, 1);
    store<u8>(lens + (s == 0 ? 1 : 0), 1);
    return;
  }
  while (true) {
    // Moffat & Katajainen's in-place minimum-redundancy lengths, on a copy
    // of the sorted weights.
    for (let i = 0; i < m; i++) setU32(SCRATCH, i, u32At(WEIGHTS, i));
    inPlaceLengths(SCRATCH, m);
    if (<i32>u32At(SCRATCH, 0) <= limit) break;
    for (let i = 0; i < m; i++) setU32(WEIGHTS, i, (u32At(WEIGHTS, i) >> 1) | 1);
  }
  for (let i = 0; i < m; i++) store<u8>(lens + u32At(SORTED, i), <u8>u32At(SCRATCH, i));
}

const SCRATCH: usize = memory.data(4 * 288, 16);
const KEYS: usize = memory.data(8 * 288, 16);
/** Shell sort gaps (Ciura). */
const GAPS: usize = memory.data<u8>([132, 57, 23, 10, 4, 1]);

/** Minimum-redundancy code lengths for ascending weights `A[0..n)`, in place (n ≥ 2). */
function inPlaceLengths(A: usize, n: i32): void {
  setU32(A, 0, u32At(A, 0) + u32At(A, 1));
  let root = 0;
  let leaf = 2;
  for (let next = 1; next < n - 1; next++) {
    if (leaf >= n || u32At(A, root) < u32At(A, leaf)) {
      setU32(A, next, u32At(A, root));
      setU32(A, root++, next);
    } else {
      setU32(A, next, u32At(A, leaf++));
    }
    if (leaf >= n || (root < next && u32At(A, root) < u32At(A, leaf))) {
      setU32(A, next, u32At(A, next) + u32At(A, root));
      setU32(A, root++, next);
    } else {
      setU32(A, next, u32At(A, next) + u32At(A, leaf++));
    }
  }
  setU32(A, n - 2, 0);
  for (let next = n - 3; next >= 0; next--) setU32(A, next, u32At(A, u32At(A, next)) + 1);
  let avail = 1;
  let used = 0;
  let depth: u32 = 0;
  let r = n - 2;
  let next = n - 1;
  while (avail > 0) {
    while (r >= 0 && u32At(A, r) == depth) {
      used++;
      r--;
    }
    while (avail > used) {
      setU32(A, next--, depth);
      avail--;
    }
    avail = 2 * used;
    depth++;
    used = 0;
  }
}

/** Canonical codes, bit-reversed for LSB-first output, for `n` lengths. */
function buildCodes(lens: usize, n: i32, codes: usize): void {
  memory.fill(COUNTS, 0, 64);
  for (let i = 0; i < n; i++) {
    const l = <i32>load<u8>(lens + i);
    if (l) setU32(COUNTS, l, u32At(COUNTS, l) + 1);
  }
  let code: u32 = 0;
  for (let l = 1; l < 16; l++) {
    code = (code + u32At(COUNTS, l - 1)) << 1;
    setU32(NEXT, l, code);
  }
  // COUNTS[0] must not count unused symbols.
  for (let i = 0; i < n; i++) {
    const l = <i32>load<u8>(lens + i);
    if (!l) continue;
    let c = u32At(NEXT, l);
    setU32(NEXT, l, c + 1);
    let r: u32 = 0;
    for (let k = 0; k < l; k++) {
      r = (r << 1) | (c & 1);
      c >>= 1;
    }
    store<u16>(codes + (<usize>i << 1), <u16>r);
  }
}

/**
 * Builds the dynamic codes for the current frequencies (plus end-of-block)
 * and returns the block's size in bits without the symbols' extra bits.
 */
function dynamicBits(): i32 {
  setU32(LIT_FREQ, 256, 1);
  buildLengths(LIT_FREQ, 286, LIT_LEN, 15);
  buildLengths(DIST_FREQ, 30, DIST_LEN, 15);
  hlit = 286;
  while (hlit > 257 && load<u8>(LIT_LEN + hlit - 1) == 0) hlit--;
  hdist = 30;
  while (hdist > 1 && load<u8>(DIST_LEN + hdist - 1) == 0) hdist--;
  memory.copy(ALL_LENS, LIT_LEN, hlit);
  memory.copy(ALL_LENS + hlit, DIST_LEN, hdist);
  const total = hlit + hdist;
  memory.fill(CL_FREQ, 0, 4 * 19);
  rleCount = 0;
  let i = 0;
  while (i < total) {
    const v = <i32>load<u8>(ALL_LENS + i);
    let run = 1;
    while (i + run < total && <i32>load<u8>(ALL_LENS + i + run) == v) run++;
    i += run;
    if (v == 0) {
      while (run >= 11) {
        const r = min(run, 138);
        rle(18, r - 11);
        run -= r;
      }
      if (run >= 3) {
        rle(17, run - 3);
        run = 0;
      }
    } else {
      rle(v, 0);
      run--;
      while (run >= 3) {
        const r = min(run, 6);
        rle(16, r - 3);
        run -= r;
      }
    }
    while (run-- > 0) rle(v, 0);
  }
  buildLengths(CL_FREQ, 19, CL_LEN, 7);
  hclen = 19;
  while (hclen > 4 && load<u8>(CL_LEN + load<u8>(CL_ORDER + hclen - 1)) == 0) hclen--;
  let bits = 3 + 5 + 5 + 4 + 3 * hclen;
  for (let k = 0; k < rleCount; k++) {
    const e = <i32>load<u16>(RLE + (<usize>k << 1));
    const s = e & 31;
    bits += <i32>load<u8>(CL_LEN + s) + (s == 16 ? 2 : s == 17 ? 3 : s == 18 ? 7 : 0);
  }
  for (let k = 0; k < 286; k++) bits += <i32>u32At(LIT_FREQ, k) * <i32>load<u8>(LIT_LEN + k);
  for (let k = 0; k < 30; k++) bits += <i32>u32At(DIST_FREQ, k) * <i32>load<u8>(DIST_LEN + k);
  return bits;
}

function rle(symbol: i32, extra: i32): void {
  store<u16>(RLE + (<usize>rleCount << 1), <u16>(symbol | (extra << 5)));
  rleCount++;
  setU32(CL_FREQ, symbol, u32At(CL_FREQ, symbol) + 1);
}

// @ts-ignore: decorator
@inline function fixedLitLen(s: i32): i32 { return s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8; }

/** Fixed-code block size in bits for the current frequencies, without extra bits. */
function fixedBits(): i32 {
  setU32(LIT_FREQ, 256, 1);
  let bits = 3;
  for (let k = 0; k < 286; k++) bits += <i32>u32At(LIT_FREQ, k) * fixedLitLen(k);
  for (let k = 0; k < 30; k++) bits += <i32>u32At(DIST_FREQ, k) * 5;
  return bits;
}

/**
 * Bits of the smaller block (fixed or dynamic) for the current frequencies,
 * or just the fixed block's if that already fits in `cap` bytes: then the
 * block fits either way, and building three Huffman codes is skipped.
 */
function blockBits(extra: i32, cap: i32): i32 {
  const fixed = fixedBits() + extra;
  if ((fixed + 7) >> 3 <= cap) return fixed;
  return min(fixed, dynamicBits() + extra);
}

/** Frequencies = saved checkpoint + symbols `[from, to)`; returns their block size in bytes. */
function prefixBytes(from: i32, to: i32, savedExtra: i32, cap: i32): i32 {
  memory.copy(LIT_FREQ, LIT_SAVED, 4 * 288);
  memory.copy(DIST_FREQ, DIST_SAVED, 4 * 32);
  const extra = savedExtra + count(from, to);
  return (blockBits(extra, cap) + 7) >> 3;
}

// ---- LZ77 parsing ----------------------------------------------------------

let nextToInsert: i32 = 0;
let foundDist: i32 = 0;

// @ts-ignore: decorator
@inline function head3(src: usize, p: i32): usize {
  return HEAD + (<usize>(((load<u32>(src + <usize>p) & 0xffffff) * 2654435761) >>> (32 - HASH_LOG)) << 2);
}

function insertUpTo(src: usize, at: i32): void {
  for (let p = nextToInsert; p < at; p++) {
    const h = head3(src, p);
    store<u16>(CHAIN + (<usize>(p & (WINDOW - 1)) << 1), <u16>min(p - load<i32>(h), 65535));
    store<i32>(h, p);
  }
  nextToInsert = at;
}

/** How many of the first `longest` bytes at `a` and `b` are equal. */
function commonLength(a: usize, b: usize, longest: i32): i32 {
  let l = 0;
  while (l + 8 <= longest) {
    const diff = load<u64>(a + <usize>l) ^ load<u64>(b + <usize>l);
    if (diff != 0) return l + <i32>(ctz(diff) >> 3);
    l += 8;
  }
  while (l < longest && load<u8>(a + <usize>l) == load<u8>(b + <usize>l)) l++;
  return l;
}

function findMatch(src: usize, at: i32, n: i32, attempts: i32, nice: i32): i32 {
  insertUpTo(src, at);
  const here = src + <usize>at;
  const longest = min(MAX_MATCH, n - at);
  let best = MIN_MATCH - 1;
  let ref = load<i32>(head3(src, at));
  const lowest = at - WINDOW;
  while (attempts-- > 0 && ref >= 0 && ref > lowest && ref < at) {
    const there = src + <usize>ref;
    if (load<u8>(there + <usize>best) == load<u8>(here + <usize>best)) {
      const l = commonLength(here, there, longest);
      if (l > best) {
        best = l;
        foundDist = at - ref;
        if (l >= nice || l >= longest) break;
      }
    }
    const delta = <i32>load<u16>(CHAIN + (<usize>(ref & (WINDOW - 1)) << 1));
    if (delta == 0 || delta >= WINDOW) break;
    ref -= delta;
  }
  if (best < MIN_MATCH || (best == MIN_MATCH && foundDist > TOO_FAR)) return 0;
  return best;
}

/**
 * Compresses a prefix of the `n` bytes at `src` into at most `cap` (≥ 16)
 * bytes at `dst` as one final raw DEFLATE block at `level` (1–9) and
 * returns the bytes written; the prefix length is {@link deflateConsumed}.
 *
 * @example
 * ```ts
 * const written = deflateCompress(src, n, dst, 4096, 1);
 * const consumed = deflateConsumed();
 * ```
 */
export function deflateCompress(src: usize, n: i32, dst: usize, cap: i32, level: i32): i32 {
  const attempts = level <= 1 ? 4 : level == 2 ? 8 : level <= 4 ? 16 : level == 5 ? 32
    : level == 6 ? 128 : level == 7 ? 256 : level == 8 ? 1024 : 4096;
  const nice = level <= 1 ? 16 : level <= 3 ? 32 : level <= 5 ? 64 : level <= 7 ? 128 : MAX_MATCH;
  const lazy = level >= 4;
  memory.fill(HEAD, 0xff, 4 << HASH_LOG);
  memory.fill(LIT_FREQ, 0, 4 * 288);
  memory.fill(DIST_FREQ, 0, 4 * 32);
  memory.fill(LIT_SAVED, 0, 4 * 288);
  memory.fill(DIST_SAVED, 0, 4 * 32);
  nextToInsert = 0;
  let symbols = 0;
  let at = 0;
  let savedSymbols = 0;
  let savedAt = 0;
  let savedExtra = 0;
  let savedBytes = 0;
  let extra = 0;
  let counted = 0;
  let overBytes = 0;
  while (at < n && symbols < SYMBOL_CAP - 1) {
    let length = at + MIN_MATCH <= n ? findMatch(src, at, n, attempts, nice) : 0;
    let dist = foundDist;
    if (length > 0 && lazy && length < nice && at + 1 + MIN_MATCH <= n) {
      const next = findMatch(src, at + 1, n, attempts, nice);
      if (next > length) {
        setU32(SYMBOLS, symbols++, load<u8>(src + <usize>at));
        at++;
        length = next;
        dist = foundDist;
      }
    }
    if (length > 0) {
      setU32(SYMBOLS, symbols++, 0x80000000 | (<u32>dist << 8) | <u32>(length - MIN_MATCH));
      at += length;
    } else {
      setU32(SYMBOLS, symbols++, load<u8>(src + <usize>at));
      at++;
    }
    if (symbols - counted >= CHECKPOINT) {
      extra += count(counted, symbols);
      counted = symbols;
      const bytes = (blockBits(extra, cap) + 7) >> 3;
      if (bytes > cap) {
        overBytes = bytes;
        break;
      }
      memory.copy(LIT_SAVED, LIT_FREQ, 4 * 288);
      memory.copy(DIST_SAVED, DIST_FREQ, 4 * 32);
      savedSymbols = symbols;
      savedAt = at;
      savedExtra = extra;
      savedBytes = bytes;
    }
  }
  // Longest symbol prefix in (savedSymbols, symbols] that fits; if the whole
  // parse fits, that is all of it.
  let k = symbols;
  if (overBytes == 0) overBytes = prefixBytes(savedSymbols, symbols, savedExtra, cap);
  if (overBytes > cap) k = longestFit(savedSymbols, savedBytes, symbols, overBytes, savedExtra, cap);
  // Final frequencies and the input the k symbols cover.
  memory.copy(LIT_FREQ, LIT_SAVED, 4 * 288);
  memory.copy(DIST_FREQ, DIST_SAVED, 4 * 32);
  let consumed = savedAt;
  count(savedSymbols, k);
  for (let i = savedSymbols; i < k; i++) {
    const s = u32At(SYMBOLS, i);
    consumed += s < 0x80000000 ? 1 : <i32>(s & 0xff) + MIN_MATCH;
  }
  consumedBytes = consumed;
  return writeBlock(dst, k);
}

/**
 * The largest symbol count in `[lo, hi)` whose block fits `cap` bytes, given
 * that `lo` symbols (block of `loBytes`) fit and `hi` (`hiBytes`) do not.
 * Block size grows nearly linearly with the symbol count, so one
 * interpolated probe lands within a few symbols of the answer; galloping
 * from there brackets it and bisection finishes: typically 4–6 probes
 * where plain bisection over a checkpoint interval takes 10.
 */
function longestFit(lo: i32, loBytes: i32, hi: i32, hiBytes: i32, extra: i32, cap: i32): i32 {
  const base = lo;
  let guess = lo + <i32>((<i64>(hi - lo) * <i64>(cap - loBytes)) / <i64>max(1, hiBytes - loBytes));
  guess = max(lo + 1, min(hi - 1, guess));
  if (guess > lo && guess < hi) {
    if (prefixBytes(base, guess, extra, cap) <= cap) {
      lo = guess;
      for (let step = 1; lo + step < hi; step <<= 1) {
        if (prefixBytes(base, lo + step, extra, cap) > cap) {
          hi = lo + step;
          break;
        }
        lo += step;
      }
    } else {
      hi = guess;
      for (let step = 1; hi - step > lo; step <<= 1) {
        if (prefixBytes(base, hi - step, extra, cap) <= cap) {
          lo = hi - step;
          break;
        }
        hi -= step;
      }
    }
  }
  while (hi - lo > 1) {
    const mid = lo + ((hi - lo) >> 1);
    if (prefixBytes(base, mid, extra, cap) <= cap) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Input bytes covered by the last {@link deflateCompress} call.
 *
 * @example
 * ```ts
 * const consumed = deflateConsumed();
 * ```
 */
export function deflateConsumed(): i32 {
  return consumedBytes;
}

// ---- Bit writer ------------------------------------------------------------

let acc: u64 = 0;
let accBits: i32 = 0;
let out: usize = 0;

// @ts-ignore: decorator
@inline function put(value: u32, bits: i32): void {
  acc |= <u64>value << <u64>accBits;
  accBits += bits;
  if (accBits >= 32) {
    store<u32>(out, <u32>acc);
    out += 4;
    acc >>= 32;
    accBits -= 32;
  }
}

/** Writes the block for symbols `[0, k)` with the current frequencies; returns its bytes. */
function writeBlock(dst: usize, k: i32): i32 {
  acc = 0;
  accBits = 0;
  out = dst;
  const fixed = fixedBits() <= dynamicBits();
  if (fixed) {
    for (let i = 0; i < 288; i++) store<u8>(LIT_LEN + i, <u8>fixedLitLen(i));
    for (let i = 0; i < 30; i++) store<u8>(DIST_LEN + i, 5);
    put(1 | (1 << 1), 3);
  } else {
    put(1 | (2 << 1), 3);
    put(hlit - 257, 5);
    put(hdist - 1, 5);
    put(hclen - 4, 4);
    buildCodes(CL_LEN, 19, CL_CODE);
    for (let i = 0; i < hclen; i++) put(load<u8>(CL_LEN + load<u8>(CL_ORDER + i)), 3);
    for (let i = 0; i < rleCount; i++) {
      const e = <i32>load<u16>(RLE + (<usize>i << 1));
      const s = e & 31;
      put(load<u16>(CL_CODE + (<usize>s << 1)), load<u8>(CL_LEN + s));
      if (s == 16) put(e >> 5, 2);
      else if (s == 17) put(e >> 5, 3);
      else if (s == 18) put(e >> 5, 7);
    }
  }
  buildCodes(LIT_LEN, fixed ? 288 : 286, LIT_CODE);
  buildCodes(DIST_LEN, 30, DIST_CODE);
  for (let i = 0; i < k; i++) {
    const s = u32At(SYMBOLS, i);
    if (s < 0x80000000) {
      put(load<u16>(LIT_CODE + (<usize>s << 1)), load<u8>(LIT_LEN + s));
      continue;
    }
    const x = <i32>(s & 0xff);
    const d = <i32>((s >> 8) & 0xffff);
    const ls = lengthSlot(x);
    const ds = distSlot(d);
    put(load<u16>(LIT_CODE + (<usize>(257 + ls) << 1)), load<u8>(LIT_LEN + 257 + ls));
    const le = lengthExtra(ls);
    if (le) put(<u32>(x + MIN_MATCH - <i32>load<u16>(LEN_BASE + (<usize>ls << 1))), le);
    put(load<u16>(DIST_CODE + (<usize>ds << 1)), load<u8>(DIST_LEN + ds));
    const de = distExtra(ds);
    if (de) put(<u32>(d - <i32>load<u16>(DIST_BASE + (<usize>ds << 1))), de);
  }
  put(load<u16>(LIT_CODE + (256 << 1)), load<u8>(LIT_LEN + 256));
  while (accBits > 0) {
    store<u8>(out++, <u8>acc);
    acc >>= 8;
    accBits -= 8;
  }
  return <i32>(out - dst);
}
