/**
 * gzip through fflate's streaming `Gunzip`: pure JavaScript, so it runs
 * where neither `node:zlib` nor `DecompressionStream` exists, and about 4×
 * slower than native zlib (see `src/runtime/gzip.ts`), hence the last resort.
 *
 * fflate decodes concatenated members itself (reporting each new one through
 * `onmember`) but reads past the 8-byte member trailers without checking
 * them. This decoder checks them: it keeps the CRC-32 and length of each
 * member's output and compares them with the trailer bytes, which it finds
 * in a short history of the input. That also turns a truncated last trailer
 * and stray bytes after the last member, both of which fflate lets through,
 * into errors.
 *
 * @module
 */
import { Gunzip } from "fflate";
import type { ChunkDecoder, Emit } from "./chunk_decoder.ts";
import { crc32 } from "./crc32.ts";
import { DecompressError } from "./errors.ts";

/**
 * Input handed to fflate per call. fflate cannot stop midway through a call,
 * and deflate expands at most 1032:1, so this bounds one call's output to
 * about 16 MiB.
 */
const SLICE = 16 * 1024;
/**
 * Input kept to find trailers in: a member trailer directly precedes the next
 * member's header, which fflate only reports once it has the whole header,
 * so a header (with its optional name, comment and extra field) longer than
 * this cannot be checked and is rejected.
 */
const HISTORY = 64 * 1024;

/**
 * A {@link ChunkDecoder} for gzip (one or more members) built on fflate.
 *
 * @example
 * ```ts
 * import { decodeStream } from "./chunk_decoder.ts";
 * import { FflateGunzipDecoder } from "./gzip_fflate.ts";
 * const gz = new Blob([]).stream(); // a gzip layer
 * const tar = decodeStream(gz, new FflateGunzipDecoder(), "gzip");
 * ```
 */
export class FflateGunzipDecoder implements ChunkDecoder {
  #gunzip: Gunzip;
  #emit: Emit | undefined;
  /** Input bytes handed to fflate so far. */
  #consumed = 0;
  /** Recent input slices, oldest first, with their stream offsets. */
  #history: { start: number; bytes: Uint8Array }[] = [];
  #historyBytes = 0;
  /** CRC-32 and length (mod 2^32) of the current member's output so far. */
  #crc = 0;
  #size = 0;
  #memberStart = 0;

  constructor() {
    this.#gunzip = new Gunzip((data) => {
      if (data.length === 0) return;
      this.#crc = crc32(data, this.#crc);
      this.#size = (this.#size + data.length) >>> 0;
      this.#emit!(data);
    });
    this.#gunzip.onmember = (offset) => {
      this.#checkTrailer(offset);
      this.#memberStart = offset;
      this.#crc = 0;
      this.#size = 0;
    };
  }

  decode(input: Uint8Array, emit: Emit): number {
    // fflate may keep a reference to what it is given (its unconsumed
    // input), and our caller may reuse `input`: hand it a copy.
    const slice = input.slice(0, SLICE);
    this.#remember(slice);
    this.#emit = emit;
    this.#consumed += slice.length;
    this.#gunzip.push(slice, false);
    return slice.length;
  }

  end(emit: Emit): void {
    this.#emit = emit;
    if (this.#consumed === 0) throw new DecompressError("gzip", "empty input", { offset: 0 });
    try {
      this.#gunzip.push(new Uint8Array(0), true);
    } catch (error) {
      throw new DecompressError("gzip", `${(error as Error).message} (truncated input?)`, {
        offset: this.#consumed,
        cause: error,
      });
    }
    this.#checkTrailer(this.#consumed);
  }

  /** Checks the 8 bytes before `end` against the current member's output. */
  #checkTrailer(end: number): void {
    if (end - 8 < this.#memberStart + 10) {
      throw new DecompressError("gzip", "truncated member", { offset: end });
    }
    const trailer = this.#bytesAt(end - 8, 8);
    if (trailer === undefined) {
      throw new DecompressError("gzip", `member header longer than ${HISTORY} bytes`, {
        offset: end,
      });
    }
    const view = new DataView(trailer.buffer, trailer.byteOffset, 8);
    if (view.getUint32(4, true) !== this.#size) {
      throw new DecompressError(
        "gzip",
        "member length does not match its trailer (truncated or trailing data?)",
        { offset: end - 4 },
      );
    }
    if (view.getUint32(0, true) !== this.#crc) {
      throw new DecompressError("gzip", "CRC-32 mismatch: corrupt data", { offset: end - 8 });
    }
  }

  #remember(slice: Uint8Array): void {
    this.#history.push({ start: this.#consumed, bytes: slice });
    this.#historyBytes += slice.length;
    while (this.#historyBytes - this.#history[0]!.bytes.length >= HISTORY + slice.length) {
      this.#historyBytes -= this.#history.shift()!.bytes.length;
    }
  }

  /** `length` input bytes from stream offset `start`, if still in the history. */
  #bytesAt(start: number, length: number): Uint8Array | undefined {
    const first = this.#history[0];
    if (first === undefined || start < first.start) return undefined;
    const out = new Uint8Array(length);
    let filled = 0;
    for (const { start: at, bytes } of this.#history) {
      const from = start + filled - at;
      if (from >= bytes.length) continue;
      const part = bytes.subarray(from, from + length - filled);
      out.set(part, filled);
      filled += part.length;
      if (filled === length) return out;
    }
    return undefined;
  }
}
