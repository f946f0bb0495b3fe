/**
 * Test helper: a small, slow, greedy LZ4 block encoder with the
 * fixed-output contract (`LZ4_compress_destSize`), written from the LZ4
 * block format description. It lets the writer's layout be checked by the
 * kernel independently of the WASM encoders.
 *
 * @module
 */
import type { FillResult, FixedOutputEncoder } from "../../src/wasm/mod.ts";

const MIN_MATCH = 4;
/** The block's last literals and the last match's distance from the end (LZ4 format rules). */
const LAST_LITERALS = 5;
const MF_LIMIT = 12;

function lengthBytes(n: number): number {
  return n < 15 ? 0 : Math.floor((n - 15) / 255) + 1;
}

function writeLength(out: Uint8Array, at: number, n: number): number {
  if (n < 15) return at;
  n -= 15;
  while (n >= 255) {
    out[at++] = 255;
    n -= 255;
  }
  out[at++] = n;
  return at;
}

/**
 * A greedy LZ4 encoder (hash of 4 bytes, 64 KiB window) as a {@link FixedOutputEncoder}.
 *
 * @example
 * ```ts
 * import { referenceLz4 } from "./compressed_lz4_reference.ts";
 * const out = new Uint8Array(4096);
 * console.log(referenceLz4().fill(new Uint8Array(100_000), out).consumed > 4096); // true
 * ```
 */
export function referenceLz4(): FixedOutputEncoder {
  return {
    algorithm: "lz4",
    level: 0,
    fill(input: Uint8Array, output: Uint8Array): FillResult {
      const cap = output.length;
      const table = new Int32Array(1 << 14).fill(-1);
      const hash = (i: number) => (Math.imul(
        input[i] | (input[i + 1] << 8) | (input[i + 2] << 16) | (input[i + 3] << 24),
        2654435761,
      ) >>> 18);
      let op = 0;
      let anchor = 0;
      let ip = 0;
      const n = input.length;
      const matchLimit = n - LAST_LITERALS;
      while (ip + MF_LIMIT <= n) {
        const h = hash(ip);
        const ref = table[h];
        table[h] = ip;
        if (
          ref < 0 || ip - ref > 65535 || input[ref] !== input[ip] ||
          input[ref + 1] !== input[ip + 1] || input[ref + 2] !== input[ip + 2] ||
          input[ref + 3] !== input[ip + 3]
        ) {
          ip++;
          continue;
        }
        let len = MIN_MATCH;
        while (ip + len < matchLimit && input[ref + len] === input[ip + len]) len++;
        const lits = ip - anchor;
        const cost = 1 + lengthBytes(lits) + lits + 2 + lengthBytes(len - MIN_MATCH);
        // Keep room for a final literal run of at least MF_LIMIT bytes after this match.
        if (op + cost + 1 + lengthBytes(MF_LIMIT) + MF_LIMIT > cap || ip + len + MF_LIMIT > n) {
          break;
        }
        const token = op++;
        output[token] = (Math.min(lits, 15) << 4) | Math.min(len - MIN_MATCH, 15);
        op = writeLength(output, op, lits);
        output.set(input.subarray(anchor, ip), op);
        op += lits;
        output[op++] = (ip - ref) & 0xff;
        output[op++] = (ip - ref) >> 8;
        op = writeLength(output, op, len - MIN_MATCH);
        ip += len;
        anchor = ip;
      }
      // Final literals: as many as fit.
      const room = cap - op;
      let lits = Math.min(n - anchor, Math.max(0, room - 1));
      while (lits > 0 && 1 + lengthBytes(lits) + lits > room) lits--;
      output[op++] = Math.min(lits, 15) << 4;
      op = writeLength(output, op, lits);
      output.set(input.subarray(anchor, anchor + lits), op);
      op += lits;
      return { consumed: anchor + lits, written: op };
    },
  };
}
