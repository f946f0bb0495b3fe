/**
 * Reading files on demand (Node and Deno, via `node:fs/promises`): a region
 * of a file as tree {@link FileContent}, and random access for the tar reader.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { closeSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import type { FileContent } from "../tree/mod.ts";

/** Largest single read. */
const READ_SIZE = 1 << 20;

/**
 * The bytes `[offset, offset + size)` of the file at `path`, read on demand:
 * nothing is opened until {@link FileContent.stream} is iterated, and the
 * handle is closed when the iteration ends (or is abandoned). Reads are at
 * most 1 MiB. Each chunk is a fresh buffer because consumers (the EROFS writer
 * passes file chunks straight through; Node streams queue them) may hold on
 * to a chunk after asking for the next. A file shorter than promised throws.
 *
 * @example
 * ```ts
 * import { fileRegionContent } from "./file_content.ts";
 * // The data of a member stored at byte 1536 of a tar archive.
 * const content = fileRegionContent("rootfs.tar", 1536, 6);
 * for await (const chunk of content.stream()) console.log(chunk.length);
 * ```
 */
export function fileRegionContent(path: string, offset: number, size: number): FileContent {
  return {
    size,
    file: { path, offset },
    async *stream(start = 0, end = size) {
      if (start < 0 || end > size || start > end) {
        throw new RangeError(`${path}: range [${start}, ${end}) outside 0…${size}`);
      }
      if (start === end) return;
      // Synchronous reads: for the many small files of a root file system the
      // thread-pool round trips of the promise API cost more than the reads.
      const fd = openSync(path, "r");
      try {
        let position = offset + start;
        const stop = offset + end;
        while (position < stop) {
          const want = Math.min(READ_SIZE, stop - position);
          // A fresh buffer each time: sinks may still hold the previous one.
          const buffer = readFreshSync(
            fd,
            position,
            want,
            (at) => `${path}: ends at byte ${at}, before ${stop} (did it change while being read?)`,
          );
          position += want;
          yield buffer;
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}

/**
 * Reads exactly `length` bytes at `position` of the open file `fd` into a
 * new, unzeroed buffer (pooled when small), never one handed out before:
 * readers pass chunks on to consumers that may keep them. Throws
 * `ended(at)`'s message if the file ends at byte `at` first.
 *
 * @example
 * ```ts
 * import { openSync } from "node:fs";
 * import { readFreshSync } from "./file_content.ts";
 * const header = readFreshSync(openSync("rootfs.tar", "r"), 0, 512, (at) => `tar ends at ${at}`);
 * ```
 */
export function readFreshSync(
  fd: number,
  position: number,
  length: number,
  ended: (at: number) => string,
): Uint8Array {
  const buffer: Uint8Array = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const n = readSync(fd, buffer, filled, length - filled, position + filled);
    if (n === 0) throw new Error(ended(position + filled));
    filled += n;
  }
  return buffer;
}

/**
 * A file opened for reading at arbitrary offsets (the tar reader's random-access input).
 *
 * @example
 * ```ts
 * import { openRandomAccessFile, type RandomAccessFile } from "./file_content.ts";
 * const file: RandomAccessFile = await openRandomAccessFile("rootfs.tar");
 * console.log(file.size);
 * await file.close();
 * ```
 */
export interface RandomAccessFile {
  /** Size when opened. */
  readonly size: number;
  /** Reads `[offset, offset + length)` into a fresh array (shorter only at the end). */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Opens a regular file for random access. Rejects anything else (a FIFO or
 * terminal cannot be read twice, and sources re-read file regions later).
 *
 * @example
 * ```ts
 * import { openRandomAccessFile } from "./file_content.ts";
 * const file = await openRandomAccessFile("rootfs.tar");
 * try {
 *   const firstHeader = await file.read(0, 512);
 * } finally {
 *   await file.close();
 * }
 * ```
 */
export async function openRandomAccessFile(path: string): Promise<RandomAccessFile> {
  const handle = await open(path, "r");
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`${path}: not a regular file`);
    return {
      size: info.size,
      async read(offset, length) {
        const buffer = new Uint8Array(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return filled === length ? buffer : buffer.subarray(0, filled);
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
