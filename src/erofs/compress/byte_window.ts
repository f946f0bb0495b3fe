/**
 * A sliding window over a file's byte stream: the compressor asks for bytes
 * `[start, end)` by absolute offset and gets one contiguous view, while the
 * stream is read once, front to back, and bytes behind the window are
 * dropped. (A fixed-output encoder needs contiguous input longer than any
 * one chunk a source yields.)
 *
 * @module
 */

/**
 * Contiguous views of a stream by absolute offset.
 *
 * @example
 * ```ts
 * import { ByteWindow } from "./byte_window.ts";
 * async function* parts() { yield new Uint8Array([1, 2]); yield new Uint8Array([3]); }
 * const window = new ByteWindow(parts());
 * await window.fill(3);
 * console.log(window.view(1, 3)); // Uint8Array [2, 3]
 * ```
 */
export class ByteWindow {
  #iterator: AsyncIterator<Uint8Array> | undefined;
  #buffer: Uint8Array = new Uint8Array(0);
  /** Absolute offset of `#buffer[0]`. */
  #base = 0;
  /** Absolute offset after the last buffered byte. */
  #end = 0;
  /** Bytes before this absolute offset may be dropped. */
  #keep = 0;
  #done = false;

  constructor(chunks: AsyncIterable<Uint8Array>) {
    this.#iterator = chunks[Symbol.asyncIterator]();
  }

  /** A window over bytes already in memory (no copy). */
  static of(bytes: Uint8Array): ByteWindow {
    const window = new ByteWindow((async function* () {})());
    window.#iterator = undefined;
    window.#buffer = bytes;
    window.#end = bytes.length;
    window.#done = true;
    return window;
  }

  /** Absolute offset after the last buffered byte. */
  get end(): number {
    return this.#end;
  }

  /** Whether the stream has ended. */
  get done(): boolean {
    return this.#done;
  }

  /** Reads until `end` bytes are buffered or the stream ends. */
  async fill(end: number): Promise<void> {
    while (this.#end < end && !this.#done) {
      const { done, value } = await this.#iterator!.next();
      if (done) {
        this.#done = true;
        break;
      }
      this.#append(value);
    }
  }

  /** Lets bytes before `offset` go. */
  release(offset: number): void {
    this.#keep = Math.max(this.#keep, offset);
  }

  /** Bytes `[start, end)`, which must be buffered and not released. Valid until the next `fill`. */
  view(start: number, end: number): Uint8Array {
    return this.#buffer.subarray(start - this.#base, end - this.#base);
  }

  /** Stops reading (closes the source). */
  async close(): Promise<void> {
    if (!this.#done) await this.#iterator?.return?.();
    this.#done = true;
  }

  #append(chunk: Uint8Array): void {
    const used = this.#end - this.#base;
    if (used + chunk.length > this.#buffer.length) {
      const kept = this.#end - this.#keep;
      const needed = kept + chunk.length;
      const target = needed > this.#buffer.length / 2
        ? new Uint8Array(Math.max(needed * 2, 1 << 16))
        : this.#buffer;
      if (target === this.#buffer) this.#buffer.copyWithin(0, this.#keep - this.#base, used);
      else target.set(this.#buffer.subarray(this.#keep - this.#base, used));
      this.#buffer = target;
      this.#base = this.#keep;
    }
    this.#buffer.set(chunk, this.#end - this.#base);
    this.#end += chunk.length;
  }
}
