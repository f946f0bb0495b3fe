/**
 * Runs a synchronous, chunk-fed decoder (fflate, the JavaScript zstd
 * decoder) as a pull-driven `ReadableStream`: input is read only when the
 * consumer wants output, so a slow consumer holds the whole pipeline back
 * instead of letting decoded bytes pile up in memory.
 *
 * @module
 */
import { type CompressedFormat, DecompressError } from "./errors.ts";

/**
 * Receives decoded bytes. The decoder must not write into them afterwards.
 *
 * @example
 * ```ts
 * import type { Emit } from "./chunk_decoder.ts";
 * const chunks: Uint8Array[] = [];
 * const emit: Emit = (output) => chunks.push(output);
 * ```
 */
export type Emit = (output: Uint8Array) => void;

/**
 * A decoder fed input chunk by chunk that hands out output as it goes.
 *
 * @example
 * ```ts
 * import type { ChunkDecoder } from "./chunk_decoder.ts";
 * // Copies input through unchanged.
 * const identity: ChunkDecoder = {
 *   decode(input, emit) {
 *     emit(input.slice());
 *     return input.length;
 *   },
 *   end() {},
 * };
 * ```
 */
export interface ChunkDecoder {
  /**
   * Decodes from the start of `input` and returns how many bytes it used.
   * It must use all of them unless it has emitted output in this call
   * (decoders stop early so that one small chunk of a highly compressed
   * stream cannot expand into gigabytes at once); the rest is passed again.
   * `input` may be reused by the caller after the call returns.
   */
  decode(input: Uint8Array, emit: Emit): number;
  /** The input has ended: emits what is left, or throws if it ended early. */
  end(emit: Emit): void;
}

/**
 * The output of `decoder` run over `input`. Errors the decoder throws that
 * are not already a {@link DecompressError} are wrapped into one that names
 * `format` and the offset of the input chunk being decoded; errors of
 * `input` itself pass through unchanged.
 *
 * @example
 * ```ts
 * import { decodeStream } from "./chunk_decoder.ts";
 * const input = new Blob(["abc"]).stream();
 * const copy = decodeStream(input, {
 *   decode: (bytes, emit) => (emit(bytes.slice()), bytes.length),
 *   end() {},
 * }, "gzip");
 * console.log(await new Response(copy).text()); // "abc"
 * ```
 */
export function decodeStream(
  input: ReadableStream<Uint8Array>,
  decoder: ChunkDecoder,
  format: CompressedFormat,
): ReadableStream<Uint8Array> {
  const reader = input.getReader();
  let pending: Uint8Array | undefined;
  let offset = 0;
  const wrap = (error: unknown) =>
    error instanceof DecompressError
      ? error
      : new DecompressError(format, error instanceof Error ? error.message : String(error), {
        offset,
        cause: error,
      });
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let produced = false;
      const emit: Emit = (output) => {
        if (output.length === 0) return;
        produced = true;
        controller.enqueue(output);
      };
      while (!produced) {
        if (pending === undefined || pending.length === 0) {
          const next = await reader.read();
          if (next.done) {
            try {
              decoder.end(emit);
            } catch (error) {
              throw wrap(error);
            }
            controller.close();
            return;
          }
          pending = next.value;
          continue;
        }
        let used: number;
        try {
          used = decoder.decode(pending, emit);
        } catch (error) {
          reader.cancel(error).catch(() => {});
          throw wrap(error);
        }
        // A decoder that neither used input nor produced output would spin.
        if (used === 0 && !produced) throw new Error(`${format} decoder made no progress`);
        offset += used;
        pending = pending.subarray(used);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
