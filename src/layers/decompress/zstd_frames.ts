/**
 * Finds zstd frame boundaries without decoding: frame headers and block
 * headers give every length, so a stream can be cut into its frames, its
 * skippable frames dropped, and a truncated frame or stray trailing bytes
 * noticed, at the cost of reading a few header bytes per block.
 *
 * The native decoders need this: Deno's `node:zlib` zstd stops after the
 * first frame and ends quietly on a truncated one, and Node's ignores
 * trailing bytes. Fed one frame at a time, with the structure checked here,
 * both behave.
 *
 * @module
 */
import { DecompressError } from "./errors.ts";

/**
 * What {@linkcode ZstdFrameSplitter.push} found, in stream order.
 *
 * @example
 * ```ts
 * import type { FrameEvent } from "./zstd_frames.ts";
 * const describe = (e: FrameEvent) => e.type === "data" ? `${e.bytes.length} bytes` : e.type;
 * ```
 */
export type FrameEvent =
  /** A zstd frame begins at stream `offset`; `windowSize` is the memory it needs. */
  | { type: "start"; offset: number; windowSize: number }
  /** Bytes of the current frame (views of the input, or copies of headers). */
  | { type: "data"; bytes: Uint8Array }
  /** The current frame is complete; `size` is its length in bytes. */
  | { type: "end"; size: number };

const ZSTD_MAGIC = 0xfd2fb528;

// States: gathering a frame's magic (and a skippable frame's size), a frame
// header, a block header; passing a block's content (and the checksum after
// the last) through; skipping a skippable frame's content.
const MAGIC = 0, HEADER = 1, BLOCK_HEADER = 2, BODY = 3, SKIP = 4;
type State = typeof MAGIC | typeof HEADER | typeof BLOCK_HEADER | typeof BODY | typeof SKIP;

/**
 * Cuts a zstd stream into frames, incrementally.
 *
 * @example
 * ```ts
 * import { ZstdFrameSplitter } from "./zstd_frames.ts";
 * const splitter = new ZstdFrameSplitter();
 * // An empty frame: magic, header (single segment, size 0), last raw block of 0 bytes.
 * const frame = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x00, 0x01, 0x00, 0x00);
 * const events = splitter.push(frame);
 * events.map((e) => e.type); // ["start", "data", "data", "end"]
 * splitter.finish(); // throws if the input ended inside a frame
 * ```
 */
export class ZstdFrameSplitter {
  #maxWindow: number;
  #state: State = MAGIC;
  /** Header bytes gathered so far, and how many the current unit needs. */
  #header = new Uint8Array(18);
  #have = 0;
  #need = 4;
  /** Bytes left in the current block (plus checksum) or skippable frame. */
  #left = 0;
  #lastBlock = false;
  #checksum = false;
  #blockMax = 0;
  /** Stream offset of the next byte, of the current frame's start. */
  #position = 0;
  #frameStart = 0;
  #frames = 0;

  /** Frames whose window exceeds `maxWindowSize` bytes are rejected. */
  constructor(maxWindowSize = 128 * 1024 * 1024) {
    this.#maxWindow = maxWindowSize;
  }

  /** Splits `chunk`; the events refer to it only until the next call. */
  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      const state = this.#state;
      if (state === BODY || state === SKIP) {
        const n = Math.min(this.#left, chunk.length - pos);
        if (state === BODY) events.push({ type: "data", bytes: chunk.subarray(pos, pos + n) });
        pos += n;
        this.#position += n;
        this.#left -= n;
        if (this.#left > 0) continue;
        if (state === BODY) this.#afterBody(events);
        else this.#reset(MAGIC, 4);
        continue;
      }
      // Header-like units: gather, then decide.
      const n = Math.min(this.#need - this.#have, chunk.length - pos);
      this.#header.set(chunk.subarray(pos, pos + n), this.#have);
      if (state === BLOCK_HEADER) {
        events.push({ type: "data", bytes: chunk.subarray(pos, pos + n) });
      }
      this.#have += n;
      pos += n;
      this.#position += n;
      if (this.#have === this.#need) this.#parse(events);
    }
    return events;
  }

  /** The input has ended: throws unless it ended between frames. */
  finish(): void {
    if (this.#state === MAGIC && this.#have === 0) {
      if (this.#frames === 0) throw new DecompressError("zstd", "empty input", { offset: 0 });
      return;
    }
    const what = this.#state === SKIP ? "skippable frame" : "frame";
    throw new DecompressError("zstd", `truncated ${what}`, { offset: this.#position });
  }

  #parse(events: FrameEvent[]): void {
    const h = this.#header;
    switch (this.#state) {
      case MAGIC: {
        const magic = (h[0]! | h[1]! << 8 | h[2]! << 16 | h[3]! << 24) >>> 0;
        if (this.#need === 4) {
          this.#frameStart = this.#position - 4;
          if ((magic & 0xfffffff0) === 0x184d2a50) {
            this.#need = 8;
            return;
          }
          if (magic !== ZSTD_MAGIC) {
            throw new DecompressError(
              "zstd",
              this.#frames === 0 ? "not a zstd frame" : "trailing data after the last frame",
              { offset: this.#frameStart },
            );
          }
          this.#state = HEADER;
          this.#need = 5;
          return;
        }
        // A skippable frame's size.
        this.#frames++;
        this.#left = (h[4]! | h[5]! << 8 | h[6]! << 16 | h[7]! << 24) >>> 0;
        this.#reset(this.#left > 0 ? SKIP : MAGIC, 4);
        return;
      }
      case HEADER: {
        const descriptor = h[4]!;
        const single = (descriptor >>> 5) & 1;
        const fcsFlag = descriptor >>> 6;
        const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag;
        const dictBytes = [0, 1, 2, 4][descriptor & 3]!;
        const size = 5 + (single ? 0 : 1) + dictBytes + fcsBytes;
        if (this.#need < size) {
          this.#need = size;
          return;
        }
        if (descriptor & 0x08) throw this.#corrupt("reserved bit set in frame header");
        let windowSize: number;
        if (single) {
          let fcs = 0;
          const at = 5 + dictBytes;
          for (let i = fcsBytes - 1; i >= 0; i--) fcs = fcs * 256 + h[at + i]!;
          windowSize = fcsBytes === 2 ? fcs + 256 : fcs;
        } else {
          const base = 2 ** (10 + (h[5]! >>> 3));
          windowSize = base + (base / 8) * (h[5]! & 7);
        }
        if (windowSize > this.#maxWindow) {
          throw new DecompressError(
            "zstd",
            `frame window of ${windowSize} bytes exceeds the limit of ${this.#maxWindow}`,
            { offset: this.#frameStart },
          );
        }
        events.push({ type: "start", offset: this.#frameStart, windowSize });
        events.push({ type: "data", bytes: h.slice(0, size) });
        this.#checksum = ((descriptor >>> 2) & 1) === 1;
        this.#blockMax = Math.min(windowSize, 128 * 1024);
        this.#frames++;
        this.#reset(BLOCK_HEADER, 3);
        return;
      }
      case BLOCK_HEADER: {
        const header = h[0]! | h[1]! << 8 | h[2]! << 16;
        const type = (header >>> 1) & 3;
        const size = header >>> 3;
        if (type === 3) throw this.#corrupt("reserved block type");
        if (size > this.#blockMax) throw this.#corrupt("block larger than allowed");
        this.#lastBlock = (header & 1) === 1;
        this.#left = (type === 1 ? 1 : size) + (this.#lastBlock && this.#checksum ? 4 : 0);
        if (this.#left > 0) this.#reset(BODY, 0);
        else this.#afterBody(events);
        return;
      }
    }
  }

  #afterBody(events: FrameEvent[]): void {
    if (this.#lastBlock) {
      events.push({ type: "end", size: this.#position - this.#frameStart });
      this.#lastBlock = false;
      this.#reset(MAGIC, 4);
    } else {
      this.#reset(BLOCK_HEADER, 3);
    }
  }

  #reset(state: State, need: number): void {
    this.#state = state;
    this.#have = 0;
    this.#need = need;
  }

  #corrupt(message: string): DecompressError {
    return new DecompressError("zstd", `corrupt data: ${message}`, { offset: this.#frameStart });
  }
}
