/**
 * A stream that can be returned at once while what it reads from is only
 * worked out on first read: choosing a decoder takes an `import()` of
 * `node:zlib`, or a peek at the input's first bytes, both asynchronous,
 * while callers want a `ReadableStream` right away.
 *
 * @module
 */

/**
 * A stream forwarding the chunks of the one `open` resolves to, called on
 * the first read. If `open` fails, or the stream is cancelled before it was
 * called, `input` (what `open` would have read) is cancelled.
 *
 * @example
 * ```ts
 * import { deferredStream } from "./deferred_stream.ts";
 * const input = new Blob(["abc"]).stream();
 * const later = deferredStream(input, async () => input);
 * console.log(await new Response(later).text()); // "abc"
 * ```
 */
export function deferredStream<T>(
  input: ReadableStream<Uint8Array>,
  open: () => Promise<ReadableStream<T>>,
): ReadableStream<T> {
  let reader: ReadableStreamDefaultReader<T> | undefined;
  return new ReadableStream<T>({
    async pull(controller) {
      if (!reader) {
        try {
          reader = (await open()).getReader();
        } catch (error) {
          await input.cancel(error).catch(() => {});
          throw error;
        }
      }
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel(reason) {
      if (reader) await reader.cancel(reason);
      else await input.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
