// deno-fmt-ignore-file -- AssemblyScript: deno fmt would drop the @inline decorators.
/**
 * LZ4 fast compression into a fixed-size output (`LZ4_compress_destSize`
 * semantics): a single-probe hash table finds matches greedily, and the
 * block ends as soon as the output is full.
 *
 * Owns the match finder of the fast level and its 16 KiB hash table; the
 * block format and its end-of-block rules are `lz4_block.ts`'s.
 *
 * @module
 */
import {
  fitMatch, lastLiterals, LAST_LITERALS, MAX_DISTANCE, MF_LIMIT, MIN_MATCH,
  matchLength, writeSequence,
} from "./lz4_block";

const HASH_LOG: u32 = 12;
/** Last position seen for each hash of 4 input bytes (u32 offsets from `src`). */
const TABLE: usize = memory.data(4 << HASH_LOG, 64);

// @ts-ignore: decorator
@inline function slot(bytes: u32): usize {
  return TABLE + (<usize>((bytes * 2654435761) >>> (32 - HASH_LOG)) << 2);
}

/**
 * Compresses a prefix of the `n` bytes at `src` into at most `cap` bytes at
 * `dst` as one raw LZ4 block, and returns the bytes written. The prefix
 * length is {@link blockConsumed}; it is 0 only when `n` is 0. `cap` must be
 * at least 2.
 *
 * Like LZ4's fast mode, the search steps further ahead the longer it goes
 * without a match (1 byte per probe at first, one more every 64 probes), so
 * incompressible input costs little.
 *
 * @example
 * ```ts
 * const written = lz4Compress(src, n, dst, 4096);
 * const consumed = blockConsumed();
 * ```
 */
export function lz4Compress(src: usize, n: i32, dst: usize, cap: i32): i32 {
  const end = dst + <usize>cap;
  let op = dst;
  let anchor: i32 = 0;
  if (n > MF_LIMIT) {
    memory.fill(TABLE, 0, 4 << HASH_LOG);
    const mfLimit = n - MF_LIMIT; // last position a match may start at
    const matchLimit = src + <usize>(n - LAST_LITERALS);
    let at: i32 = 1;
    while (true) {
      let probes: i32 = 1 << 6;
      let ref: i32 = -1;
      while (true) {
        // Past the last legal match start, or the pending literals alone no
        // longer fit: the block ends here.
        if (at > mfLimit || <usize>(at - anchor) > end - op) {
          ref = -1;
          break;
        }
        const bytes = load<u32>(src + <usize>at);
        const p = slot(bytes);
        ref = load<i32>(p);
        store<i32>(p, at);
        if (at - ref <= MAX_DISTANCE && load<u32>(src + <usize>ref) == bytes) break;
        at += probes++ >> 6;
      }
      if (ref < 0) break;
      while (at > anchor && ref > 0 && load<u8>(src + <usize>(at - 1)) == load<u8>(src + <usize>(ref - 1))) {
        at--;
        ref--;
      }
      let length = MIN_MATCH + matchLength(
        src + <usize>(at + MIN_MATCH), src + <usize>(ref + MIN_MATCH), matchLimit,
      );
      length = fitMatch(at - anchor, length, op, end);
      if (length == 0) break;
      op = writeSequence(src, anchor, at, at - ref, length, op);
      at += length;
      anchor = at;
      // Seed the table inside the match so the next search has a recent candidate.
      if (at - 2 <= mfLimit) store<i32>(slot(load<u32>(src + <usize>(at - 2))), at - 2);
    }
  }
  op = lastLiterals(src, anchor, n, op, end);
  return <i32>(op - dst);
}


