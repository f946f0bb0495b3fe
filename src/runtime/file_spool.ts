/**
 * A {@link ContentSpool} in a temporary file (Node and Deno, via `node:fs`).
 *
 * The file is unlinked right after it is created, so nothing is left on
 * disk however the process ends — a crash, a kill, an abort — and the space
 * returns when the descriptor closes. Where unlinking an open file is not
 * allowed (Windows), it is removed on {@link ContentSpool.close}.
 *
 * Appends are gathered into 1 MiB writes; reads are positional (`pread`),
 * and small ones read a 1 MiB window ahead, since the writer reads files
 * back in the order they were appended.
 * Both are synchronous: they hit the page cache, and the thread-pool round
 * trips of the promise API cost more than the copies (and would queue
 * behind the `node:zlib` decoders, which share that pool).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { closeSync, openSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ContentSpool } from "../layers/spool.ts";
import { readFreshSync } from "./file_content.ts";

/** Bytes gathered before one write. */
const GATHER_BYTES = 1 << 20;
/** Largest chunk a read hands out. */
const READ_BYTES = 1 << 20;

/**
 * Opens a new, empty spool file in `dir` (default: the system's temporary
 * directory, `TMPDIR`). Close it when done; until then it holds as many
 * bytes of disk as were appended.
 *
 * @example
 * ```ts
 * import { openFileSpool } from "./file_spool.ts";
 * const spool = await openFileSpool();
 * try {
 *   spool.append(new TextEncoder().encode("hello"));
 *   for await (const chunk of spool.read(1, 3)) console.log(new TextDecoder().decode(chunk)); // "ell"
 * } finally {
 *   await spool.close();
 * }
 * ```
 */
// deno-lint-ignore require-await -- async so that a failed open rejects instead of throwing
export async function openFileSpool(dir: string = tmpdir()): Promise<ContentSpool> {
  const path = join(dir, `.oci2erofs-spool-${crypto.randomUUID()}`);
  const fd = openSync(path, "wx+", 0o600);
  let unlinked = false;
  try {
    unlinkSync(path);
    unlinked = true;
  } catch {
    // Removed on close instead.
  }
  return new FileSpool(fd, unlinked ? undefined : path);
}

/**
 * Where a spool for writing `output` goes by default: beside the output
 * file, on the file system that must hold the image anyway (the temporary
 * directory is often a RAM-backed tmpfs); the temporary directory when the
 * output is standard output (`-`).
 *
 * @example
 * ```ts
 * import { spoolDirectoryFor } from "./file_spool.ts";
 * spoolDirectoryFor("/srv/images/app.erofs"); // "/srv/images"
 * ```
 */
export function spoolDirectoryFor(output: string): string {
  return output === "-" ? tmpdir() : dirname(output);
}

class FileSpool implements ContentSpool {
  #fd: number;
  /** Set while the file still has a name to remove on close. */
  #path: string | undefined;
  #gather: Buffer = Buffer.allocUnsafe(GATHER_BYTES);
  #gathered = 0;
  /** Bytes in the file. */
  #written = 0;
  /** Bytes read ahead from the file, and where they start in it. */
  #window: Uint8Array = new Uint8Array(0);
  #windowStart = 0;
  #closed = false;

  constructor(fd: number, path: string | undefined) {
    this.#fd = fd;
    this.#path = path;
  }

  get size(): number {
    return this.#written + this.#gathered;
  }

  append(chunk: Uint8Array): void {
    this.#check();
    let at = 0;
    while (at < chunk.length) {
      if (this.#gathered === 0 && chunk.length - at >= GATHER_BYTES) {
        // A big chunk goes straight to the file, without a copy.
        this.#writeOut(chunk.subarray(at));
        return;
      }
      const n = Math.min(GATHER_BYTES - this.#gathered, chunk.length - at);
      this.#gather.set(chunk.subarray(at, at + n), this.#gathered);
      this.#gathered += n;
      at += n;
      if (this.#gathered === GATHER_BYTES) this.#flush();
    }
  }

  async *read(offset: number, length: number): AsyncGenerator<Uint8Array> {
    this.#check();
    if (
      !(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 &&
        length >= 0 && offset + length <= this.size)
    ) {
      throw new RangeError(`spool range [${offset}, ${offset + length}) outside 0…${this.size}`);
    }
    if (offset + length > this.#written) this.#flush();
    const stop = offset + length;
    let position = offset;
    while (position < stop) {
      this.#check();
      const want = Math.min(READ_BYTES, stop - position);
      const window = this.#window;
      if (position >= this.#windowStart && position + want <= this.#windowStart + window.length) {
        const from = position - this.#windowStart;
        position += want;
        yield window.subarray(from, from + want);
        continue;
      }
      if (want < READ_BYTES) {
        // A small read: the writer reads files in the order they were
        // appended, so read ahead a whole window and serve the next files
        // from it (one system call and one buffer for many small files).
        this.#window = this.#readFresh(position, Math.min(READ_BYTES, this.#written - position));
        this.#windowStart = position;
        continue;
      }
      const buffer = this.#readFresh(position, want);
      position += want;
      yield buffer;
    }
  }

  /** `length` bytes from `position`, in a buffer never handed out before. */
  #readFresh(position: number, length: number): Uint8Array {
    return readFreshSync(
      this.#fd,
      position,
      length,
      (at) => `spool file ends at ${at}, before ${position + length}`,
    );
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#gather = Buffer.alloc(0);
    this.#window = new Uint8Array(0);
    closeSync(this.#fd);
    if (this.#path !== undefined) rmSync(this.#path, { force: true });
    return Promise.resolve();
  }

  #check(): void {
    if (this.#closed) throw new Error("the spool is closed");
  }

  #flush(): void {
    if (this.#gathered === 0) return;
    this.#writeOut(this.#gather.subarray(0, this.#gathered));
    this.#gathered = 0;
  }

  #writeOut(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.length) {
      done += writeSync(this.#fd, bytes, done, bytes.length - done, this.#written + done);
    }
    this.#written += bytes.length;
  }
}
