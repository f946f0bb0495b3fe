/**
 * Byte input for the tar reader: a position-tracking cursor over a stream
 * (Web `ReadableStream` or any async iterable of chunks) or over random-access
 * bytes (a `Blob`, or anything with `size` and `read(offset, length)`), so the
 * reader can skip entry data without reading it when the input allows.
 *
 * @module
 */

/**
 * Seekable bytes, read by offset. A `Blob`/`File` fits via
 * {@link blobRandomAccess}; a runtime can back it with a file handle.
 *
 * @example
 * ```ts
 * import type { RandomAccessInput } from "./input.ts";
 * const bytes = new Uint8Array(1024);
 * const input: RandomAccessInput = {
 *   size: bytes.length,
 *   read: async (offset, length) => bytes.slice(offset, offset + length),
 * };
 * ```
 */
export interface RandomAccessInput {
  /** Total length in bytes. */
  readonly size: number;
  /**
   * Reads `[offset, offset + length)`; may return fewer bytes only at the end.
   * The returned array must stay valid after later reads.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/**
 * Anything the tar reader accepts.
 *
 * @example
 * ```ts
 * import type { TarInput } from "./input.ts";
 * const fromFetch: TarInput = (await fetch("https://example.com/rootfs.tar")).body!;
 * const fromMemory: TarInput = new Blob([new Uint8Array(1024)]);
 * ```
 */
export type TarInput =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Blob
  | RandomAccessInput;

/**
 * Random access to a `Blob` (a browser `File`, `fetch`'s `response.blob()`, …).
 *
 * @example
 * ```ts
 * import { blobRandomAccess } from "./input.ts";
 * const input = blobRandomAccess(new Blob([new Uint8Array(1024)]));
 * const first = await input.read(0, 512);
 * ```
 */
export function blobRandomAccess(blob: Blob): RandomAccessInput {
  return {
    size: blob.size,
    async read(offset, length) {
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/**
 * A forward-only cursor the reader pulls bytes through.
 *
 * @example
 * ```ts
 * import { type ByteCursor, openCursor } from "./input.ts";
 * const cursor: ByteCursor = openCursor(new Blob([new Uint8Array(1024)]));
 * await cursor.skip(512);
 * console.log(cursor.position); // 512
 * ```
 */
export interface ByteCursor {
  /** Bytes consumed so far: the archive offset of the next byte. */
  readonly position: number;
  /**
   * Exactly `length` bytes, or fewer only if the input ends first (the
   * caller decides whether that is a truncation). May alias input buffers.
   */
  readExact(length: number): Promise<Uint8Array>;
  /** Up to `max` (> 0) bytes, at least one unless the input has ended. */
  readSome(max: number): Promise<Uint8Array>;
  /** Skips up to `length` bytes; returns how many were skipped. */
  skip(length: number): Promise<number>;
  /**
   * The total length if known up front (random access), so sizes past the
   * end can be rejected before any data is read.
   */
  readonly size: number | undefined;
  /** Releases the input (cancels a stream). Idempotent. */
  close(): Promise<void>;
}

function isReadableStream(input: TarInput): input is ReadableStream<Uint8Array> {
  return typeof (input as ReadableStream).getReader === "function";
}

function isRandomAccess(input: TarInput): input is RandomAccessInput {
  return typeof (input as RandomAccessInput).read === "function" &&
    typeof (input as RandomAccessInput).size === "number";
}

/**
 * Opens a cursor over any {@link TarInput}.
 *
 * @example
 * ```ts
 * import { openCursor } from "./input.ts";
 * const cursor = openCursor(new Blob([new Uint8Array(1536)]));
 * const header = await cursor.readExact(512);
 * await cursor.close();
 * ```
 */
export function openCursor(input: TarInput): ByteCursor {
  if (typeof Blob !== "undefined" && input instanceof Blob) {
    return new RandomAccessCursor(blobRandomAccess(input));
  }
  if (isReadableStream(input)) return new StreamCursor(readerChunks(input.getReader()));
  if (isRandomAccess(input)) return new RandomAccessCursor(input);
  return new StreamCursor((input as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]());
}

/**
 * Adapts a stream reader to an iterator; `return()` cancels the stream.
 * (Not every runtime makes `ReadableStream` async-iterable yet.)
 */
function readerChunks(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncIterator<Uint8Array> {
  return {
    async next() {
      const { done, value } = await reader.read();
      return done ? { done: true, value: undefined } : { done: false, value };
    },
    async return() {
      await reader.cancel().catch(() => {});
      reader.releaseLock();
      return { done: true, value: undefined };
    },
  };
}

class StreamCursor implements ByteCursor {
  readonly size = undefined;
  #chunks: AsyncIterator<Uint8Array>;
  #chunk: Uint8Array = new Uint8Array(0);
  #at = 0;
  #position = 0;
  #ended = false;

  constructor(chunks: AsyncIterator<Uint8Array>) {
    this.#chunks = chunks;
  }

  get position(): number {
    return this.#position;
  }

  /** Makes sure some unread bytes are buffered; false at the end of input. */
  async #fill(): Promise<boolean> {
    while (this.#at >= this.#chunk.length) {
      if (this.#ended) return false;
      const { done, value } = await this.#chunks.next();
      if (done) {
        this.#ended = true;
        return false;
      }
      this.#chunk = value;
      this.#at = 0;
    }
    return true;
  }

  async readSome(max: number): Promise<Uint8Array> {
    if (!(await this.#fill())) return new Uint8Array(0);
    const piece = this.#chunk.subarray(this.#at, this.#at + max);
    this.#at += piece.length;
    this.#position += piece.length;
    return piece;
  }

  async readExact(length: number): Promise<Uint8Array> {
    // Common case: the bytes sit in one chunk and need no copy.
    if (this.#at + length <= this.#chunk.length) return this.readSome(length);
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const piece = await this.readSome(length - filled);
      if (piece.length === 0) return out.subarray(0, filled);
      out.set(piece, filled);
      filled += piece.length;
    }
    return out;
  }

  async skip(length: number): Promise<number> {
    let skipped = 0;
    while (skipped < length) {
      const piece = await this.readSome(length - skipped);
      if (piece.length === 0) break;
      skipped += piece.length;
    }
    return skipped;
  }

  async close(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.#chunks.return?.();
  }
}

/** Headers are read through a window so small members cost one read per many headers. */
const WINDOW = 64 * 1024;
/** Largest single read handed out for entry data. */
const MAX_READ = 1 << 20;

class RandomAccessCursor implements ByteCursor {
  #input: RandomAccessInput;
  #position = 0;
  #window: Uint8Array = new Uint8Array(0);
  #windowAt = 0;

  constructor(input: RandomAccessInput) {
    this.#input = input;
  }

  get position(): number {
    return this.#position;
  }

  get size(): number {
    return this.#input.size;
  }

  async readExact(length: number): Promise<Uint8Array> {
    const start = this.#position;
    const end = Math.min(start + length, this.#input.size);
    if (start < this.#windowAt || end > this.#windowAt + this.#window.length) {
      const windowEnd = Math.min(Math.max(end, start + WINDOW), this.#input.size);
      this.#window = await this.#input.read(start, windowEnd - start);
      this.#windowAt = start;
    }
    const bytes = this.#window.subarray(start - this.#windowAt, end - this.#windowAt);
    this.#position += bytes.length;
    return bytes;
  }

  async readSome(max: number): Promise<Uint8Array> {
    const start = this.#position;
    const inWindow = this.#windowAt + this.#window.length - start;
    if (start >= this.#windowAt && inWindow > 0) return this.readExact(Math.min(max, inWindow));
    const length = Math.min(max, MAX_READ, this.#input.size - start);
    if (length <= 0) return new Uint8Array(0);
    const bytes = await this.#input.read(start, length);
    this.#position += bytes.length;
    return bytes;
  }

  skip(length: number): Promise<number> {
    const skipped = Math.max(0, Math.min(length, this.#input.size - this.#position));
    this.#position += skipped;
    return Promise.resolve(skipped);
  }

  close(): Promise<void> {
    this.#window = new Uint8Array(0);
    return Promise.resolve();
  }
}
