/**
 * Splits a subprocess's streamed output into records at a separator byte
 * (NUL for `find -printf`, newline for `getfattr`), carrying a record cut
 * between chunks over to the next one. Works on bytes, since paths in the
 * output need not be UTF-8.
 *
 * @module
 */

/**
 * Hands each complete record (without its separator) to a callback as
 * chunks arrive. Records are views into a buffer the splitter may reuse:
 * copy one to keep it past the callback.
 *
 * @example
 * ```ts
 * import { RecordSplitter } from "./record_splitter.ts";
 * const lines = new RecordSplitter(0x0a, (line) => console.log(new TextDecoder().decode(line)));
 * lines.push(new TextEncoder().encode("one\ntw"));
 * lines.push(new TextEncoder().encode("o\nrest")); // logs "one", then "two"
 * lines.end(); // the unterminated "rest"
 * ```
 */
export class RecordSplitter {
  #separator: number;
  #onRecord: (record: Uint8Array) => void;
  #carry: Uint8Array = new Uint8Array(0);

  constructor(separator: number, onRecord: (record: Uint8Array) => void) {
    this.#separator = separator;
    this.#onRecord = onRecord;
  }

  /** Feeds more output, calling back for each record it completes. */
  push(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.#carry.length > 0) {
      bytes = new Uint8Array(this.#carry.length + chunk.length);
      bytes.set(this.#carry);
      bytes.set(chunk, this.#carry.length);
    }
    const separator = this.#separator;
    let start = 0;
    for (let end = bytes.indexOf(separator); end >= 0; end = bytes.indexOf(separator, start)) {
      this.#onRecord(bytes.subarray(start, end));
      start = end + 1;
    }
    // A copy, so the chunk (which the caller may reuse) is not kept alive;
    // not `slice()`, which is a view on the `Buffer`s child processes give.
    this.#carry = new Uint8Array(bytes.subarray(start));
  }

  /** The bytes after the last separator so far: an unfinished record. */
  get rest(): Uint8Array {
    return this.#carry;
  }

  /** Returns the unfinished last record (often empty) and forgets it. */
  end(): Uint8Array {
    const rest = this.#carry;
    this.#carry = new Uint8Array(0);
    return rest;
  }
}
