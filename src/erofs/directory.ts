/**
 * Directory data: entries sorted the way EROFS lookups binary-search them,
 * packed into blocks (an entry never straddles two), and encoded once the
 * target nids are known.
 *
 * @module
 */
import { DIRENT_SIZE } from "./format.ts";

/** One name in a directory, before nids are known. */
export interface DirentName {
  readonly name: Uint8Array;
  /** Index of the target in the writer's node list. */
  readonly target: number;
}

/** Unsigned byte-wise order; a prefix sorts before its extensions. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

/**
 * Splits sorted entries into blocks; returns the entry count of each block
 * and the directory's `i_size` (full blocks plus the bytes used in the last).
 */
export function packDirents(
  sorted: readonly DirentName[],
  blockSize: number,
): { counts: number[]; size: number } {
  const counts: number[] = [];
  let used = 0;
  let count = 0;
  for (const entry of sorted) {
    const need = DIRENT_SIZE + entry.name.length;
    if (used + need > blockSize) {
      counts.push(count);
      used = 0;
      count = 0;
    }
    used += need;
    count++;
  }
  counts.push(count);
  return { counts, size: (counts.length - 1) * blockSize + used };
}

/**
 * Encodes directory data: `out` receives `size` bytes (every block but the
 * last full, zero-filled after its names).
 */
export function encodeDirents(
  out: Uint8Array,
  sorted: readonly DirentName[],
  counts: readonly number[],
  blockSize: number,
  nidOf: (target: number) => number,
  typeOf: (target: number) => number,
): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let index = 0;
  for (let block = 0; block < counts.length; block++) {
    const base = block * blockSize;
    let nameOff = counts[block] * DIRENT_SIZE;
    for (let i = 0; i < counts[block]; i++, index++) {
      const entry = sorted[index];
      const at = base + i * DIRENT_SIZE;
      const nid = nidOf(entry.target);
      // Two 32-bit halves: BigInt conversions cost more than the rest of the loop.
      view.setUint32(at, nid >>> 0, true);
      view.setUint32(at + 4, Math.floor(nid / 0x1_0000_0000), true);
      view.setUint16(at + 8, nameOff, true);
      out[at + 10] = typeOf(entry.target);
      out.set(entry.name, base + nameOff);
      nameOff += entry.name.length;
    }
  }
}
