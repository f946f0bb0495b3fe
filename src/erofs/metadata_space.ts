/**
 * Placement of inodes in the metadata area. Inodes sit on 32-byte slots; an
 * inline tail must not cross a block boundary, so an inode with a tail that
 * does not fit where the cursor is starts the next block, and the skipped
 * bytes are remembered as a gap later inodes can fill.
 *
 * @module
 */
import { SLOT_SIZE } from "./format.ts";

/** Gaps remembered at most; older ones are given up (a bounded search per inode). */
const MAX_GAPS = 128;

function alignSlot(n: number): number {
  return Math.ceil(n / SLOT_SIZE) * SLOT_SIZE;
}

/**
 * A first-fit allocator of 32-byte-aligned metadata ranges.
 *
 * @example
 * ```ts
 * import { MetadataSpace } from "./metadata_space.ts";
 * const space = new MetadataSpace(4096, 1152);
 * const root = space.allocate(32 + 27, 27); // compact inode with a 27-byte inline tail
 * console.log(root / 32); // nid 36
 * ```
 */
export class MetadataSpace {
  #blockSize: number;
  #cursor: number;
  #gaps: { start: number; end: number }[] = [];

  constructor(blockSize: number, start: number) {
    this.#blockSize = blockSize;
    this.#cursor = alignSlot(start);
  }

  /** First byte after everything allocated. */
  get end(): number {
    return this.#cursor;
  }

  /**
   * Reserves `length` bytes whose last `tail` bytes are an inline tail that
   * must stay within one block (and not start one: mkfs.erofs avoids that
   * too). `length` must be at most one block when `tail > 0`. Returns the
   * byte offset.
   */
  allocate(length: number, tail: number): number {
    const slots = alignSlot(length);
    for (let i = 0; i < this.#gaps.length; i++) {
      const gap = this.#gaps[i];
      if (gap.start + slots <= gap.end && this.#tailFits(gap.start, length, tail)) {
        const at = gap.start;
        gap.start += slots;
        if (gap.start >= gap.end) this.#gaps.splice(i, 1);
        return at;
      }
    }
    if (!this.#tailFits(this.#cursor, length, tail)) {
      const next = Math.ceil((this.#cursor + 1) / this.#blockSize) * this.#blockSize;
      this.#remember(this.#cursor, next);
      this.#cursor = next;
    }
    const at = this.#cursor;
    this.#cursor += slots;
    return at;
  }

  /**
   * Reserves `length` bytes at the end, aligned to `align` (records that are
   * not inodes: shared xattrs, long prefixes).
   */
  append(length: number, align: number): number {
    const at = Math.ceil(this.#cursor / align) * align;
    this.#cursor = alignSlot(at + length);
    return at;
  }

  #tailFits(at: number, length: number, tail: number): boolean {
    if (tail === 0) return true;
    const offset = (at + length - tail) % this.#blockSize;
    return offset !== 0 && offset + tail <= this.#blockSize;
  }

  #remember(start: number, end: number): void {
    if (end - start < SLOT_SIZE) return;
    if (this.#gaps.length === MAX_GAPS) this.#gaps.shift();
    this.#gaps.push({ start, end });
  }
}
