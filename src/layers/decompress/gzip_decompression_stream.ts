/**
 * gzip through the platform's `DecompressionStream("gzip")`: native zlib in
 * browsers and edge runtimes, and the fallback wherever `node:zlib` is not
 * importable.
 *
 * The Compression Streams spec allows a single gzip member and calls any
 * byte after it an error, so a multi-member layer (`pigz`, `cat a.gz b.gz`)
 * fails in Chrome, Firefox, Safari, Deno and Node 24 (Node 20 decoded all
 * members). This backend makes them agree. It cuts the input into pieces so
 * that every place where a new member could start (the bytes `1f 8b 08`)
 * begins a piece. Before writing such a piece it reads the output the
 * stream has ready; if the output length then equals the length field of
 * the trailer just before the piece, the member ended there: the stream is
 * closed (which checks that member's CRC and length) and a new one takes the
 * piece. Otherwise the candidate was a chance `1f 8b 08` inside compressed
 * data and the piece goes to the same stream.
 *
 * As a fallback, when a stream rejects a candidate piece whose preceding
 * length field matches after all, a new stream takes over from there.
 *
 * A stream holds one member only, so output read so far can equal the
 * member's length field (mod 2^32) only once all of it is read: switching
 * then loses nothing. (Node 20's stream decodes members itself; then no
 * switching is done.)
 *
 * @module
 */
import { DecompressError } from "./errors.ts";

/** The header `gzip -n -9` writes on Unix: deflate, no name, mtime 0. */
const HEADER = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03];

/** `gzip -n -9` of "a", then of "b": each header, deflate data, CRC-32, length. */
// deno-fmt-ignore
const TWO_MEMBERS = Uint8Array.of(
  ...HEADER, 0x4b, 0x04, 0x00, 0x43, 0xbe, 0xb7, 0xe8, 0x01, 0x00, 0x00, 0x00,
  ...HEADER, 0x4b, 0x02, 0x00, 0xf9, 0xef, 0xbe, 0x71, 0x01, 0x00, 0x00, 0x00,
);

/**
 * How this runtime's `DecompressionStream` behaves, as far as members go.
 *
 * @example
 * ```ts
 * import type { DecompressionStreamTraits } from "./gzip_decompression_stream.ts";
 * const deno: DecompressionStreamTraits = { concatenates: false, eager: true };
 * ```
 */
export interface DecompressionStreamTraits {
  /** It decodes concatenated members itself (Node 20's, being zlib's gunzip). */
  concatenates: boolean;
  /**
   * It hands out output for what was written before it is closed (Chrome,
   * Deno). Node's holds output back until the end, so a member's end
   * cannot be recognised from its output length.
   */
  eager: boolean;
}

let traits: Promise<DecompressionStreamTraits> | undefined;

const tick = () => new Promise<"tick">((resolve) => setTimeout(() => resolve("tick"), 0));

/** Finds out this runtime's {@link DecompressionStreamTraits}, once. */
function probe(): Promise<DecompressionStreamTraits> {
  traits ??= (async () => {
    const concatenates = await new Response(
      new Blob([TWO_MEMBERS]).stream().pipeThrough(new DecompressionStream("gzip")),
    ).text().then((text) => text === "ab", () => false);
    // Eager means all of a member's output is readable once it was written:
    // 20000 bytes, which a stream handing out 16 KiB pieces (Node's) fails.
    const sample = new Uint8Array(20000).fill(0x61);
    const gz = await new Response(
      new Blob([sample]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer();
    const stream = new DecompressionStream("gzip");
    const writer = stream.writable.getWriter();
    const reader = stream.readable.getReader();
    let got = 0;
    try {
      // Read and write at once: a spec TransformStream runs a write's
      // transform only while someone waits for output.
      const written = writer.write(new Uint8Array(gz));
      written.catch(() => {});
      for (;;) {
        const result = await Promise.race([reader.read(), tick()]);
        if (result === "tick" || result.done) break;
        got += result.value.length;
      }
      await written;
    } catch {
      got = -1;
    }
    reader.cancel().catch(() => {});
    writer.abort().catch(() => {});
    const eager = got === sample.length;
    return { concatenates, eager };
  })();
  return traits;
}

/**
 * How this runtime's `DecompressionStream` handles gzip members, as probed
 * once: multi-member input decodes where it `concatenates` (Node 20) or is
 * `eager` (Chrome, Firefox, Safari, Deno: spec streams). Node 24's does
 * neither, and its eagerness varies with timing, so a probe may even say
 * eager there; multi-member input then fails with a `DecompressError`,
 * never silently. Node uses `node:zlib` anyway.
 *
 * @example
 * ```ts
 * import { decompressionStreamTraits } from "./gzip_decompression_stream.ts";
 * console.log(await decompressionStreamTraits()); // Deno: { concatenates: false, eager: true }
 * ```
 */
export function decompressionStreamTraits(): Promise<Readonly<DecompressionStreamTraits>> {
  return probe();
}

/** The last bytes of a chunk that may begin a member magic `1f 8b 08`. */
function magicPrefixAtEnd(chunk: Uint8Array): number {
  const n = chunk.length;
  if (n >= 2 && chunk[n - 2] === 0x1f && chunk[n - 1] === 0x8b) return 2;
  if (n >= 1 && chunk[n - 1] === 0x1f) return 1;
  return 0;
}

/** Little-endian 32-bit value ending at `end` (exclusive) in `bytes`. */
function le32Before(bytes: Uint8Array, end: number): number {
  return (bytes[end - 4]! | bytes[end - 3]! << 8 | bytes[end - 2]! << 16 |
    bytes[end - 1]! << 24) >>>
    0;
}

interface Piece {
  /** Stream offset of `bytes[0]`. */
  start: number;
  bytes: Uint8Array;
  /** Whether `bytes` starts with a member magic. */
  candidate: boolean;
  /** The 8 input bytes before `start`, filled in when the piece is written. */
  before?: Uint8Array;
}

interface Member {
  writer: WritableStreamDefaultWriter<BufferSource>;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  /** A read in flight, kept across pieces so no output waits unread. */
  read?: Promise<ReadableStreamReadResult<Uint8Array>>;
  /** Stream offset of the member's first byte. */
  start: number;
  /** Output length mod 2^32, what the trailer's ISIZE field holds. */
  size: number;
  /** Whether the stream took a piece that starts like a member. */
  tookCandidate: boolean;
}

/**
 * Decompresses gzip `input` (one or more members) with
 * `DecompressionStream`, with the checks described in the module comment.
 *
 * @example
 * ```ts
 * import { gunzipWithDecompressionStream } from "./gzip_decompression_stream.ts";
 * const gz = new Blob([]).stream(); // a gzip layer
 * const tar = gunzipWithDecompressionStream(gz);
 * ```
 */
export function gunzipWithDecompressionStream(
  input: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(new Gunzipper(input.getReader()));
}

/** The state behind {@linkcode gunzipWithDecompressionStream}'s stream. */
class Gunzipper implements UnderlyingDefaultSource<Uint8Array> {
  #input: ReadableStreamDefaultReader<Uint8Array>;
  #inputDone = false;
  /** Input read so far. */
  #read = 0;
  /** Bytes held back from the last chunk because they may begin a magic. */
  #carry: Uint8Array = new Uint8Array(0);
  /** Pieces of input not yet written. */
  #pieces: Piece[] = [];
  /** The last 8 bytes of the pieces written so far. */
  #writtenTail = new Uint8Array(8);
  #member: Member | undefined;
  /** The piece being written and the write's outcome. */
  #writing: { piece: Piece; done: Promise<"wrote"> } | undefined;
  /** The close of the last member's stream, once all input is written. */
  #closing: Promise<"closed"> | undefined;
  #closed = false;

  constructor(input: ReadableStreamDefaultReader<Uint8Array>) {
    this.#input = input;
  }

  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    try {
      // Where the stream spans members itself, its output length is not one
      // member's, so it cannot tell where a member ends: leave it to it.
      const split = !(await probe()).concatenates;
      for (;;) {
        let member = this.#member ??= this.#open(0);
        if (!this.#writing && !this.#closing) {
          const piece = this.#pieces.shift();
          if (piece) {
            if (split && piece.candidate && piece.start >= member.start + 20) {
              const isize = le32Before(this.#writtenTail, 8);
              if (await this.#endsHere(member, isize, piece, controller)) {
                member = this.#member = this.#open(piece.start);
              }
            }
            this.#write(member, piece);
          } else if (!this.#inputDone) {
            await this.#readInput();
            continue;
          } else {
            this.#closing = member.writer.close().then(() => "closed" as const);
            this.#closing.catch(() => {}); // observed by the race below, or moot
          }
        }
        member.read ??= member.reader.read();
        const pending = this.#closed ? undefined : this.#writing?.done ?? this.#closing;
        const event = await Promise.race([
          member.read.then((result) => ({ result }), (error: unknown) => ({ error })),
          ...(pending
            ? [pending.then((state) => ({ state }), (error: unknown) => ({ error }))]
            : []),
        ]);
        if ("error" in event) {
          if (this.#restart(member)) continue;
          throw this.#failure(event.error);
        }
        if ("state" in event) {
          if (event.state === "wrote") {
            const piece = this.#writing!.piece;
            if (piece.candidate && piece.start > member.start) member.tookCandidate = true;
            this.#writing = undefined;
          } else this.#closed = true; // the read reports the end
          continue;
        }
        member.read = undefined;
        if (event.result.done) {
          await this.#finish(member);
          controller.close();
          return;
        }
        const output = event.result.value;
        if (output.length === 0) continue;
        member.size = (member.size + output.length) >>> 0;
        controller.enqueue(output);
        return;
      }
    } catch (error) {
      this.#abort(error);
      throw error;
    }
  }

  async cancel(reason: unknown): Promise<void> {
    this.#abort(reason);
    await this.#input.cancel(reason);
  }

  #open(start: number): Member {
    const stream = new DecompressionStream("gzip");
    return {
      writer: stream.writable.getWriter(),
      reader: stream.readable.getReader(),
      start,
      size: 0,
      tookCandidate: false,
    };
  }

  /**
   * Whether the current member ends right before `piece`: reads what output
   * the stream has ready and compares its length with the trailer's `isize`;
   * on a match, closes the stream, which then checks the member's CRC.
   */
  async #endsHere(
    member: Member,
    isize: number,
    piece: Piece,
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<boolean> {
    const output = (result: ReadableStreamReadResult<Uint8Array>) => {
      if (result.done || result.value.length === 0) return;
      member.size = (member.size + result.value.length) >>> 0;
      controller.enqueue(result.value);
    };
    try {
      // Output ready now arrives within a task; a stream that waits for more
      // input produces nothing by then.
      while (member.size !== isize) {
        member.read ??= member.reader.read();
        const result = await Promise.race([member.read, tick()]);
        if (result === "tick") return false;
        member.read = undefined;
        if (result.done) return false;
        output(result);
      }
      const closed = member.writer.close();
      closed.catch(() => {}); // awaited below unless a read fails first
      for (;;) {
        const result = await (member.read ?? member.reader.read());
        member.read = undefined;
        if (result.done) break;
        output(result);
      }
      await closed;
    } catch (error) {
      throw new DecompressError("gzip", error instanceof Error ? error.message : String(error), {
        offset: piece.start,
        cause: error,
      });
    }
    if (member.size !== isize) {
      throw new DecompressError("gzip", "member longer than its trailer says", {
        offset: piece.start,
      });
    }
    return true;
  }

  #write(member: Member, piece: Piece): void {
    if (piece.before === undefined) {
      piece.before = this.#writtenTail;
      const tail = new Uint8Array(16);
      tail.set(this.#writtenTail);
      const last = piece.bytes.subarray(Math.max(0, piece.bytes.length - 8));
      tail.set(last, 8);
      this.#writtenTail = tail.slice(8 + last.length - 8, 8 + last.length);
    }
    const bytes = piece.bytes as Uint8Array<ArrayBuffer>;
    const done = member.writer.write(bytes).then(() => "wrote" as const);
    done.catch(() => {}); // observed by the race in `pull`, or moot after a failure
    this.#writing = { piece, done };
  }

  /** Reads the next input chunk and cuts it into pieces at magic candidates. */
  async #readInput(): Promise<void> {
    const next = await this.#input.read();
    if (next.done) {
      this.#inputDone = true;
      this.#queue(this.#carry, 0, this.#carry.length, false);
      return;
    }
    let chunk = next.value;
    if (this.#carry.length > 0) {
      // Rare (the chunk before ended in 1f or 1f 8b): a copy is fine.
      const joined = new Uint8Array(this.#carry.length + chunk.length);
      joined.set(this.#carry);
      joined.set(chunk, this.#carry.length);
      chunk = joined;
    }
    const end = chunk.length - magicPrefixAtEnd(chunk);
    let cut = 0;
    let candidate = false;
    for (
      let i = chunk.indexOf(0x1f);
      i !== -1 && i + 2 < chunk.length;
      i = chunk.indexOf(0x1f, i + 1)
    ) {
      if (chunk[i + 1] !== 0x8b || chunk[i + 2] !== 0x08) continue;
      this.#queue(chunk, cut, i, candidate);
      cut = i;
      candidate = true;
    }
    this.#queue(chunk, cut, end, candidate);
    this.#carry = chunk.slice(end);
  }

  #queue(chunk: Uint8Array, from: number, to: number, candidate: boolean): void {
    if (to <= from) return;
    this.#pieces.push({ start: this.#read, bytes: chunk.subarray(from, to), candidate });
    this.#read += to - from;
  }

  /**
   * After the current stream failed: if the failing piece is a magic
   * candidate right after a trailer whose length field fits the member, the
   * member ended there, so starts the next one from that piece.
   */
  #restart(member: Member): boolean {
    const piece = this.#writing?.piece;
    if (!piece?.candidate || !piece.before || piece.start < member.start + 20) return false;
    if (le32Before(piece.before, 8) !== member.size) return false;
    member.reader.cancel().catch(() => {});
    member.writer.abort().catch(() => {});
    this.#member = this.#open(piece.start);
    this.#writing = undefined;
    this.#write(this.#member, piece);
    return true;
  }

  async #finish(member: Member): Promise<void> {
    // The stream checked CRC and length of each member it finished; this
    // catches an implementation that quietly stops after the first member,
    // or quietly ignores bytes after the last. Where the stream decodes
    // several members itself, `member.size` spans them all and proves
    // nothing: then, as in Node's (zlib), bytes after the last member that
    // start with a zero byte pass unnoticed.
    if (member.tookCandidate && (await probe()).concatenates) return;
    if (this.#read < member.start + 20 || le32Before(this.#writtenTail, 8) !== member.size) {
      throw new DecompressError(
        "gzip",
        "input does not end with the last member's trailer (trailing data?)",
        { offset: member.start },
      );
    }
  }

  #failure(error: unknown): DecompressError {
    const at = this.#writing?.piece.start ?? this.#read;
    const message = error instanceof Error ? error.message : String(error);
    return new DecompressError("gzip", message, { offset: at, cause: error });
  }

  #abort(reason: unknown): void {
    const member = this.#member;
    if (!member) return;
    member.reader.cancel(reason).catch(() => {});
    member.writer.abort(reason).catch(() => {});
  }
}
