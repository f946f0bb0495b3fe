// deno-fmt-ignore-file -- AssemblyScript: deno fmt would drop the @inline decorators.
/**
 * LZ4HC compression into a fixed-size output: hash chains over every input
 * position, searched up to a level-dependent number of candidates, with
 * one-step lazy matching (a match is deferred by a literal when the next
 * position has a longer one).
 *
 * Owns the chain match finder and its tables (a 128 KiB head table and a
 * 128 KiB chain of 16-bit distances, one slot per position in the 64 KiB
 * window); the block format is `lz4_block.ts`'s.
 *
 * @module
 */
import {
  fitMatch, lastLiterals, LAST_LITERALS, MAX_DISTANCE, MF_LIMIT, MIN_MATCH, matchLength,
  writeSequence,
} from "./lz4_block";

const HASH_LOG: u32 = 15;
/** Most recent position for each hash of 4 bytes. */
const HEAD: usize = memory.data(4 << HASH_LOG, 64);
/** Distance from each position to the previous one with the same hash (0: none). */
const CHAIN: usize = memory.data(2 << 16, 64);

/** Next position to insert into the chains. */
let nextToInsert: i32 = 0;
/** Result of the last {@link findMatch}: where the best match starts. */
let foundRef: i32 = 0;

// @ts-ignore: decorator
@inline function head(bytes: u32): usize {
  return HEAD + (<usize>((bytes * 2654435761) >>> (32 - HASH_LOG)) << 2);
}

/**
 * Candidates searched per position for `level` (LZ4HC's table for 3–9,
 * extended past 9 since levels 10–12 here are deeper chain searches, not
 * LZ4HC's optimal parser).
 */
function attemptsFor(level: i32): i32 {
  if (level <= 2) return 2;
  if (level <= 9) return 1 << (level - 1);
  if (level == 10) return 1024;
  if (level == 11) return 4096;
  return 16384;
}

/** Inserts every position before `at` into the chains. */
function insertUpTo(src: usize, at: i32): void {
  for (let p = nextToInsert; p < at; p++) {
    const h = head(load<u32>(src + <usize>p));
    const delta = p - load<i32>(h);
    store<u16>(CHAIN + (<usize>(p & 0xffff) << 1), <u16>min(delta, MAX_DISTANCE));
    store<i32>(h, p);
  }
  nextToInsert = at;
}

/**
 * Length of the longest match for position `at` (0 if none of `MIN_MATCH`
 * bytes), searching at most `attempts` candidates; sets `foundRef`. Stops
 * early at `nice` bytes, or when no longer match is possible.
 */
function findMatch(src: usize, at: i32, limit: usize, attempts: i32, nice: i32): i32 {
  insertUpTo(src, at);
  const here = src + <usize>at;
  const bytes = load<u32>(here);
  const longest = <i32>(limit - here);
  let best: i32 = 0;
  let ref = load<i32>(head(bytes));
  const lowest = at - MAX_DISTANCE;
  while (attempts-- > 0 && ref >= lowest && ref >= 0 && ref < at) {
    const there = src + <usize>ref;
    // The byte that would make this candidate beat `best` is the cheapest test.
    if (load<u8>(there + <usize>best) == load<u8>(here + <usize>best) && load<u32>(there) == bytes) {
      const length = MIN_MATCH + matchLength(here + MIN_MATCH, there + MIN_MATCH, limit);
      if (length > best) {
        best = length;
        foundRef = ref;
        if (length >= nice || length >= longest) break;
      }
    }
    const delta = <i32>load<u16>(CHAIN + (<usize>(ref & 0xffff) << 1));
    if (delta == 0) break;
    ref -= delta;
  }
  return best >= MIN_MATCH ? best : 0;
}

/**
 * Compresses a prefix of the `n` bytes at `src` into at most `cap` bytes at
 * `dst` as one raw LZ4 block at `level` (1–12), and returns the bytes
 * written; the prefix length is `blockConsumed()` (0 only when `n` is 0).
 *
 * @example
 * ```ts
 * const written = lz4hcCompress(src, n, dst, 4096, 9);
 * const consumed = blockConsumed();
 * ```
 */
export function lz4hcCompress(src: usize, n: i32, dst: usize, cap: i32, level: i32): i32 {
  const end = dst + <usize>cap;
  let op = dst;
  let anchor: i32 = 0;
  if (n > MF_LIMIT) {
    memory.fill(HEAD, 0xff, 4 << HASH_LOG); // -1: no position yet
    nextToInsert = 0;
    const attempts = attemptsFor(level);
    const nice = level >= 10 ? 65536 : 256 << (level >> 2);
    // A match this long is not deferred for a longer one a byte later: in
    // repetitive data that step recurs byte after byte, each a full chain
    // search. Below level 10 it cost a quarter of the time and gained no
    // block on a 177 MB tree (levels 10–12 keep searching, for size).
    const lazyLimit = level >= 10 ? nice : min(nice, 128);
    const mfLimit = n - MF_LIMIT;
    const limit = src + <usize>(n - LAST_LITERALS);
    let at: i32 = 0;
    while (at <= mfLimit && <usize>(at - anchor) <= end - op) {
      let length = findMatch(src, at, limit, attempts, nice);
      if (length == 0) {
        at++;
        continue;
      }
      let ref = foundRef;
      // Lazy step: a longer match one byte later is worth one literal.
      while (at + 1 <= mfLimit && length < lazyLimit) {
        const next = findMatch(src, at + 1, limit, attempts, nice);
        if (next <= length) break;
        at++;
        length = next;
        ref = foundRef;
      }
      length = fitMatch(at - anchor, length, op, end);
      if (length == 0) break;
      op = writeSequence(src, anchor, at, at - ref, length, op);
      at += length;
      anchor = at;
    }
  }
  op = lastLiterals(src, anchor, n, op, end);
  return <i32>(op - dst);
}
