/**
 * Files as the image sources need them (Node and Deno, via `node:fs`): a
 * file or a region of one as a Web `ReadableStream` that can be opened again
 * and again (layer blobs are read twice), the size of a file that may be
 * absent, and small files (index.json, manifest.json) read whole under a cap.
 *
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import { fileRegionContent } from "./file_content.ts";

/**
 * Options of {@link openFileStream}.
 *
 * @example
 * ```ts
 * import type { FileStreamOptions } from "./blob_file.ts";
 * const options: FileStreamOptions = { offset: 1536, length: 6 };
 * ```
 */
export interface FileStreamOptions {
  /** Where to start (default 0). */
  offset?: number;
  /**
   * How many bytes to stream; a file that ends sooner errors the stream.
   * Default: up to the end of the file as it is when first read.
   */
  length?: number;
  /** Aborting errors the stream with the signal's reason and closes the file. */
  signal?: AbortSignal;
}

/**
 * Streams `path` (or a region of it). Nothing is opened until the first
 * read, nothing is read ahead of the consumer, and the file is closed when
 * the stream ends, errors or is cancelled. A missing file errors the stream
 * with the system's error. Chunks are fresh buffers of at most 1 MiB.
 *
 * @example
 * ```ts
 * import { openFileStream } from "./blob_file.ts";
 * const response = new Response(openFileStream("layout/index.json"));
 * console.log(await response.json());
 * ```
 */
export function openFileStream(
  path: string,
  options: FileStreamOptions = {},
): ReadableStream<Uint8Array> {
  const offset = options.offset ?? 0;
  const signal = options.signal;
  let chunks: AsyncIterator<Uint8Array> | undefined;
  let onAbort: (() => void) | undefined;
  const finish = async () => {
    if (onAbort) signal?.removeEventListener("abort", onAbort);
    await chunks?.return?.();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (!signal) return;
        signal.throwIfAborted();
        onAbort = () => {
          controller.error(signal.reason);
          void finish();
        };
        signal.addEventListener("abort", onAbort, { once: true });
      },
      async pull(controller) {
        try {
          if (!chunks) {
            const length = options.length ?? Math.max(0, (await stat(path)).size - offset);
            // The region reader already does bounded, fresh-buffer reads and
            // notices a file that shrank; this only adapts it to a stream.
            chunks = fileRegionContent(path, offset, length).stream()[Symbol.asyncIterator]();
          }
          const { done, value } = await chunks.next();
          if (done) {
            await finish();
            controller.close();
          } else {
            controller.enqueue(value);
          }
        } catch (error) {
          await finish().catch(() => {});
          throw error;
        }
      },
      cancel: finish,
    },
    // Pull only when the consumer reads: opening is deferred to the first
    // read, and a layer read twice never has a chunk waiting in a queue.
    { highWaterMark: 0 },
  );
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}

/**
 * The size of the regular file at `path`, or `undefined` when there is none
 * (absent, or a directory or device in its place).
 *
 * @example
 * ```ts
 * import { fileSize } from "./blob_file.ts";
 * if ((await fileSize("layout/oci-layout")) === undefined) console.log("not an OCI layout");
 * ```
 */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Reads the whole regular file at `path`, or returns `undefined` when there
 * is none. A file larger than `max` bytes is refused (throws a `RangeError`)
 * before it is read, so that a hostile index.json cannot exhaust memory.
 *
 * @example
 * ```ts
 * import { readSmallFile } from "./blob_file.ts";
 * const bytes = await readSmallFile("layout/index.json", 4 << 20);
 * ```
 */
export async function readSmallFile(path: string, max: number): Promise<Uint8Array | undefined> {
  const size = await fileSize(path);
  if (size === undefined) return undefined;
  if (size > max) throw new RangeError(`${path} is ${size} bytes, more than the ${max}-byte limit`);
  try {
    const bytes = await readFile(path);
    if (bytes.length > max) throw new RangeError(`${path} is more than the ${max}-byte limit`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}
