/**
 * GNU sparse files: the maps that say which parts of a file an archive
 * stores (old GNU `S` headers, PAX `GNU.sparse.*` formats 0.0, 0.1 and 1.0),
 * their validation, and expansion back into the full file with its holes as
 * zeros — from a stream (the tar reader's bodies) or from stored bytes that
 * can be re-read (file regions of a local archive).
 *
 * A sparse member stores only its data segments, one after another with no
 * padding between them; everything outside the segments reads as zeros.
 *
 * @module
 */
import type { FileContent } from "../../tree/mod.ts";

/**
 * One stretch of a sparse file that holds data: `length` bytes at `offset`
 * of the file. The stretches of a map are ascending and do not overlap.
 *
 * @example
 * ```ts
 * import type { SparseSegment } from "./sparse.ts";
 * // A 1 MiB file with 5 bytes of data at 100000 and holes elsewhere.
 * const map: SparseSegment[] = [{ offset: 100000, length: 5 }];
 * ```
 */
export interface SparseSegment {
  /** Byte offset in the (expanded) file. */
  readonly offset: number;
  /** Bytes of data stored for this stretch (> 0). */
  readonly length: number;
}

/** Largest piece of zeros (or stored data) handed out at once. */
const PIECE = 1 << 20;

/**
 * Checks a decoded map against the file's real size and the bytes the
 * archive stores for it, and drops empty segments (GNU tar ends maps with a
 * zero-length segment at the end of the file). Returns an error message
 * instead of throwing so that the caller can name the entry.
 *
 * @example
 * ```ts
 * import { checkSparseMap } from "./sparse.ts";
 * const map = checkSparseMap([{ offset: 4096, length: 10 }, { offset: 8192, length: 0 }], 8192, 10);
 * // [{ offset: 4096, length: 10 }]
 * ```
 */
export function checkSparseMap(
  map: readonly SparseSegment[],
  realSize: number,
  storedSize: number,
): SparseSegment[] | string {
  const kept: SparseSegment[] = [];
  let end = 0;
  let stored = 0;
  for (const { offset, length } of map) {
    if (
      !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0
    ) {
      return `invalid sparse segment ${offset},${length}`;
    }
    // Hostile maps could make the expansion go backwards or past the end.
    if (offset < end) return `sparse segments overlap or are out of order at offset ${offset}`;
    if (offset + length > realSize) {
      return `sparse segment ${offset},${length} ends past the real size ${realSize}`;
    }
    if (length === 0) continue;
    kept.push({ offset, length });
    end = offset + length;
    stored += length;
  }
  if (stored !== storedSize) {
    return `sparse map covers ${stored} bytes but the archive stores ${storedSize}`;
  }
  return kept;
}

/**
 * Parses a PAX 0.1 `GNU.sparse.map` value: `offset,length,offset,length,…`.
 *
 * @example
 * ```ts
 * import { parseSparseMapText } from "./sparse.ts";
 * parseSparseMapText("98304,4096,1048576,0");
 * // [{ offset: 98304, length: 4096 }, { offset: 1048576, length: 0 }]
 * ```
 */
export function parseSparseMapText(text: string): SparseSegment[] | string {
  if (text === "") return [];
  const numbers = text.split(",");
  if (numbers.length % 2 !== 0) return "GNU.sparse.map has an odd number of values";
  const map: SparseSegment[] = [];
  for (let i = 0; i < numbers.length; i += 2) {
    const offset = decimal(numbers[i]);
    const length = decimal(numbers[i + 1]);
    if (offset === undefined || length === undefined) {
      return `invalid GNU.sparse.map value ${JSON.stringify(`${numbers[i]},${numbers[i + 1]}`)}`;
    }
    map.push({ offset, length });
  }
  return map;
}

/**
 * Parses a non-negative decimal number of at most 16 digits.
 *
 * @example
 * ```ts
 * import { decimal } from "./sparse.ts";
 * decimal("4096"); // 4096
 * decimal("-1"); // undefined
 * ```
 */
export function decimal(text: string): number | undefined {
  if (!/^[0-9]{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * Incremental parser of the PAX 1.0 map that opens a sparse member's data
 * area: decimal numbers one per line — the segment count, then an offset and
 * a length per segment — padded with NULs to whole 512-byte blocks. Feed it
 * blocks until {@link SparseMapParser.done}.
 *
 * @example
 * ```ts
 * import { SparseMapParser } from "./sparse.ts";
 * const block = new Uint8Array(512);
 * block.set(new TextEncoder().encode("1\n4096\n10\n"));
 * const parser = new SparseMapParser();
 * parser.push(block);
 * console.log(parser.done, parser.map); // true [{ offset: 4096, length: 10 }]
 * ```
 */
export class SparseMapParser {
  #numbers: number[] = [];
  #partial = "";
  #count: number | undefined;
  #error: string | undefined;

  /** Whether the whole map has been read. */
  get done(): boolean {
    return this.#error !== undefined ||
      (this.#count !== undefined && this.#numbers.length === 1 + 2 * this.#count);
  }

  /** Why the map is malformed, if it is. */
  get error(): string | undefined {
    return this.#error;
  }

  /** The segments, once {@link done} without an error. */
  get map(): SparseSegment[] {
    const map: SparseSegment[] = [];
    for (let i = 1; i + 1 < this.#numbers.length; i += 2) {
      map.push({ offset: this.#numbers[i], length: this.#numbers[i + 1] });
    }
    return map;
  }

  /** Consumes one block (or any piece) of the data area. */
  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length && !this.done; i++) {
      const c = bytes[i];
      if (c === 0x0a) {
        const value = decimal(this.#partial);
        if (value === undefined) {
          this.#error = `invalid number ${JSON.stringify(this.#partial)} in the sparse map`;
          return;
        }
        this.#numbers.push(value);
        this.#partial = "";
        if (this.#numbers.length === 1) this.#count = value;
      } else if (c >= 0x30 && c <= 0x39 && this.#partial.length < 17) {
        this.#partial += String.fromCharCode(c);
      } else {
        this.#error = `unexpected byte 0x${c.toString(16).padStart(2, "0")} in the sparse map`;
        return;
      }
    }
  }
}

/**
 * Expands a sparse member from its stored bytes, read in order through
 * `read(max)` (which returns up to `max` > 0 bytes, or an empty array at a
 * premature end), into `size` bytes with zeros in the holes. Pieces are at
 * most 1 MiB; zero pieces are fresh arrays so consumers may keep them.
 *
 * @example
 * ```ts
 * import { expandSparse } from "./sparse.ts";
 * const stored = new TextEncoder().encode("HELLO");
 * let at = 0;
 * const read = async (max: number) => stored.subarray(at, (at += Math.min(max, stored.length - at)));
 * for await (const piece of expandSparse(10, [{ offset: 3, length: 5 }], read)) console.log(piece);
 * // 0,0,0 then HELLO then 0,0
 * ```
 */
export async function* expandSparse(
  size: number,
  map: readonly SparseSegment[],
  read: (max: number) => Promise<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const { offset, length } of map) {
    yield* zeros(offset - at);
    let left = length;
    while (left > 0) {
      const piece = await read(Math.min(left, PIECE));
      if (piece.length === 0) throw new RangeError("sparse data ends early");
      left -= piece.length;
      yield piece;
    }
    at = offset + length;
  }
  yield* zeros(size - at);
}

function* zeros(count: number): Generator<Uint8Array> {
  for (let left = count; left > 0; left -= PIECE) yield new Uint8Array(Math.min(left, PIECE));
}

/**
 * A sparse file as tree content: `size` bytes, data from `stored` (the
 * segments' bytes back to back, e.g. a region of a local archive) and zeros
 * elsewhere. Any range can be streamed; only the stored bytes it overlaps
 * are read.
 *
 * @example
 * ```ts
 * import { bytesContent } from "../../tree/mod.ts";
 * import { sparseContent } from "./sparse.ts";
 * const content = sparseContent(1 << 20, [{ offset: 4096, length: 5 }], bytesContent(new TextEncoder().encode("HELLO")));
 * console.log(content.size); // 1048576
 * ```
 */
export function sparseContent(
  size: number,
  map: readonly SparseSegment[],
  stored: FileContent,
): FileContent {
  return {
    size,
    async *stream(start = 0, end = size) {
      if (start < 0 || end > size || start > end) {
        throw new RangeError(`range [${start}, ${end}) outside 0…${size}`);
      }
      let at = start;
      let storedAt = 0;
      for (const { offset, length } of map) {
        const segmentEnd = offset + length;
        if (segmentEnd > at && offset < end) {
          yield* zeros(Math.max(0, offset - at));
          const from = Math.max(at, offset);
          const to = Math.min(end, segmentEnd);
          yield* stored.stream(storedAt + from - offset, storedAt + to - offset);
          at = to;
        }
        storedAt += length;
        if (offset >= end) break;
      }
      yield* zeros(end - at);
    },
  };
}
