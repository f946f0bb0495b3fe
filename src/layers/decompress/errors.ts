/**
 * The one error every decoder in this folder throws, whichever backend ran,
 * so that callers can tell "this layer blob is bad" from a bug or an I/O
 * failure without knowing about zlib codes or fflate messages.
 *
 * @module
 */

/**
 * The compressed formats this folder decodes.
 *
 * @example
 * ```ts
 * import type { CompressedFormat } from "./errors.ts";
 * const format: CompressedFormat = "zstd";
 * ```
 */
export type CompressedFormat = "gzip" | "zstd";

/**
 * The compressed input is truncated, corrupt, carries bytes after its end,
 * or uses a feature the decoder does not support.
 *
 * `offset` is an input byte offset: exact where the decoder knows it (a bad
 * frame magic, trailing bytes, a block that does not fit), otherwise the
 * amount of input known to be consumed before the failure, so the fault lies
 * at or after it. Backends' own errors travel in `cause`.
 *
 * @example
 * ```ts
 * import { DecompressError } from "./errors.ts";
 * const error = new DecompressError("gzip", "unexpected end of input", { offset: 1234 });
 * console.log(error.message); // "gzip: unexpected end of input (at input byte 1234)"
 * console.log(error.format, error.offset); // "gzip" 1234
 * ```
 */
export class DecompressError extends Error {
  /** Which format was being decoded. */
  readonly format: CompressedFormat;
  /** Input byte offset of (or before) the fault, when known. */
  readonly offset: number | undefined;
  constructor(
    format: CompressedFormat,
    message: string,
    options: { offset?: number; cause?: unknown } = {},
  ) {
    const at = options.offset === undefined ? "" : ` (at input byte ${options.offset})`;
    super(`${format}: ${message}${at}`, { cause: options.cause });
    this.name = "DecompressError";
    this.format = format;
    this.offset = options.offset;
  }
}
