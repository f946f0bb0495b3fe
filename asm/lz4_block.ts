// deno-fmt-ignore-file -- AssemblyScript: deno fmt would drop the @inline decorators.
/**
 * The LZ4 block format seen from a fixed-size output: writing sequences and
 * the closing literal run, and deciding whether a sequence still fits.
 *
 * Both LZ4 matchers (`lz4.ts`, `lz4hc.ts`) only find matches; this module
 * owns the format rules. A block that the reference decoder accepts must end
 * in at least 5 literals (LASTLITERALS) and its last match must start at
 * least 12 bytes (MFLIMIT) before the end — relative to the bytes actually
 * consumed, which here can be fewer than the input. So every sequence is
 * only written if the output still has room for a final literal run long
 * enough to satisfy both rules after it.
 *
 * Positions (`anchor`, `at`, ...) are offsets from `src`; `op`/`end` are
 * addresses in the output.
 *
 * @module
 */

/**
 * Bytes at the end of a block that must be literals.
 *
 * @example
 * ```ts
 * const usable = n - LAST_LITERALS;
 * ```
 */
export const LAST_LITERALS: i32 = 5;
/**
 * A match must start at least this many bytes before the end of the block.
 *
 * @example
 * ```ts
 * const usable = n - MF_LIMIT;
 * ```
 */
export const MF_LIMIT: i32 = 12;
/**
 * Shortest match the format can express.
 *
 * @example
 * ```ts
 * const usable = n - MIN_MATCH;
 * ```
 */
export const MIN_MATCH: i32 = 4;
/**
 * Largest back-reference distance.
 *
 * @example
 * ```ts
 * const usable = n - MAX_DISTANCE;
 * ```
 */
export const MAX_DISTANCE: i32 = 65535;

/** Input consumed by the last `lastLiterals` call. */
let consumedBytes: i32 = 0;

/**
 * Input bytes the block finished by the last {@link lastLiterals} covers.
 *
 * @example
 * ```ts
 * op = lastLiterals(src, anchor, n, op, end);
 * const consumed = blockConsumed();
 * ```
 */
export function blockConsumed(): i32 {
  return consumedBytes;
}

/**
 * Extra length bytes for a 4-bit field holding `x` (15 = "more bytes follow").
 *
 * @example
 * ```ts
 * const cost = 1 + lengthBytes(literals) + literals;
 * ```
 */
// @ts-ignore: decorator
@inline export function lengthBytes(x: i32): i32 {
  return x < 15 ? 0 : (x - 15) / 255 + 1;
}

/** Shortest closing literal run allowed after a match of `length` bytes. */
// @ts-ignore: decorator
@inline function tailAfter(length: i32): i32 {
  return max(LAST_LITERALS, MF_LIMIT - length);
}

/** Writes the continuation bytes of a length `x` ≥ 15 and returns the new `op`. */
function writeLength(op: usize, x: i32): usize {
  let rest = x - 15;
  if (rest >= 255) {
    const runs = rest / 255;
    memory.fill(op, 255, runs);
    op += runs;
    rest -= runs * 255;
  }
  store<u8>(op, <u8>rest);
  return op + 1;
}

/**
 * The length to which a match of `length` bytes, preceded by `literals`
 * literals, must be cut so that it and the shortest legal closing literal
 * run fit between `op` and `end`; 0 if no match fits at all.
 *
 * @example
 * ```ts
 * const ml = fitMatch(at - anchor, ml, op, end);
 * if (ml == 0) return lastLiterals(src, anchor, n, op, end);
 * ```
 */
export function fitMatch(literals: i32, length: i32, op: usize, end: usize): i32 {
  const fixed = 1 + lengthBytes(literals) + literals + 2;
  const room = <i32>(end - op) - fixed;
  if (lengthBytes(length - MIN_MATCH) + 1 + tailAfter(length) <= room) return length;
  // Matches of 7 bytes or more need only LAST_LITERALS after them, so only
  // their continuation bytes can be traded for room.
  if (length < MF_LIMIT - LAST_LITERALS || room < 1 + LAST_LITERALS) return 0;
  const extra = room - 1 - LAST_LITERALS;
  return min(length, 255 * extra + 18);
}

/**
 * Writes one sequence — the literals `[anchor, at)`, then a match of
 * `length` bytes `distance` back — and returns the new `op`. The caller has
 * checked with {@link fitMatch} that it fits.
 *
 * @example
 * ```ts
 * op = writeSequence(src, anchor, at, at - ref, ml, op);
 * anchor = at + ml;
 * ```
 */
export function writeSequence(
  src: usize, anchor: i32, at: i32, distance: i32, length: i32, op: usize,
): usize {
  const literals = at - anchor;
  const code = length - MIN_MATCH;
  const token = op++;
  if (literals >= 15) op = writeLength(op, literals);
  memory.copy(op, src + <usize>anchor, <usize>literals);
  op += <usize>literals;
  store<u16>(op, <u16>distance);
  op += 2;
  if (code >= 15) op = writeLength(op, code);
  store<u8>(token, <u8>((min(literals, 15) << 4) | min(code, 15)));
  return op;
}

/**
 * Ends the block with as many of the literals `[anchor, n)` as fit between
 * `op` and `end`, records how much input the block covers (see
 * {@link blockConsumed}) and returns the new `op`.
 *
 * @example
 * ```ts
 * op = lastLiterals(src, anchor, n, op, end);
 * return <i32>(op - dst);
 * ```
 */
export function lastLiterals(src: usize, anchor: i32, n: i32, op: usize, end: usize): usize {
  const room = <i32>(end - op);
  let literals = n - anchor;
  if (1 + lengthBytes(literals) + literals > room) {
    // Largest count whose token, length bytes and literals fit in `room`.
    literals = room - 1;
    if (literals >= 15) literals -= (literals - 15) / 256 + 1;
    while (1 + lengthBytes(literals + 1) + literals + 1 <= room) literals++;
    while (1 + lengthBytes(literals) + literals > room) literals--;
  }
  const token = op++;
  if (literals >= 15) op = writeLength(op, literals);
  store<u8>(token, <u8>(min(literals, 15) << 4));
  memory.copy(op, src + <usize>anchor, <usize>literals);
  consumedBytes = anchor + literals;
  return op + <usize>literals;
}

/**
 * How many bytes from `a` equal those from `b`, comparing up to (not
 * including) address `limit` on the `a` side.
 *
 * @example
 * ```ts
 * const ml = MIN_MATCH + matchLength(src + at + 4, src + ref + 4, src + matchLimit);
 * ```
 */
export function matchLength(a: usize, b: usize, limit: usize): i32 {
  const start = a;
  while (a + 8 <= limit) {
    const diff = load<u64>(a) ^ load<u64>(b);
    if (diff != 0) return <i32>(a - start) + <i32>(ctz(diff) >> 3);
    a += 8;
    b += 8;
  }
  while (a < limit && load<u8>(a) == load<u8>(b)) {
    a++;
    b++;
  }
  return <i32>(a - start);
}
