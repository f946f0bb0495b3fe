/**
 * Opens the next layer while the current one is being read, so that layers
 * download concurrently yet are applied in order.
 *
 * Both passes read layers one after another. Without prefetching, each
 * layer's request (token, redirect, first byte) starts only when the previous
 * layer has been parsed, and the network idles while the CPU decompresses.
 * A warmed layer is piped into a bounded queue: the download runs ahead by at
 * most `bufferBytes`, then backpressure pauses it (TCP flow control), so memory
 * stays bounded whatever the layer size. A registry stream's stall timer only
 * runs while it is being pulled, so a paused prefetch is never taken for a
 * stalled connection.
 *
 * @module
 */
import type { LayerInput } from "./layer_replay.ts";

/** Default bound on the bytes a warmed layer may buffer ahead of its reader. */
export const PREFETCH_BYTES = 2 * 1024 * 1024;

/**
 * Options of {@link LayerPrefetch}.
 *
 * @example
 * ```ts
 * import type { LayerPrefetchOptions } from "./prefetch.ts";
 * const options: LayerPrefetchOptions = { bufferBytes: 4 << 20 };
 * ```
 */
export interface LayerPrefetchOptions {
  /** Passed to each layer's `open`. */
  signal?: AbortSignal;
  /** Bytes a warmed layer may buffer before its download pauses; 0 disables prefetching. */
  bufferBytes?: number;
}

/**
 * Layer openings, some started ahead of time.
 *
 * @example
 * ```ts
 * import { LayerPrefetch } from "./prefetch.ts";
 * const layers = [0, 1].map((i) => ({ name: `l${i}`, open: () => new Blob([`layer ${i}`]).stream() }));
 * const prefetch = new LayerPrefetch(layers);
 * const first = prefetch.take(0);
 * prefetch.warm(1); // downloads while layer 0 is read
 * console.log(await new Response(first).text(), await new Response(prefetch.take(1)).text());
 * ```
 */
export class LayerPrefetch {
  #layers: readonly LayerInput[];
  #signal: AbortSignal | undefined;
  #bufferBytes: number;
  #warm = new Map<number, ReadableStream<Uint8Array>>();

  constructor(layers: readonly LayerInput[], options: LayerPrefetchOptions = {}) {
    this.#layers = layers;
    this.#signal = options.signal;
    this.#bufferBytes = options.bufferBytes ?? PREFETCH_BYTES;
  }

  /** Starts downloading layer `index` now, if it exists and is not already warm. */
  warm(index: number): void {
    if (this.#bufferBytes <= 0 || index < 0 || index >= this.#layers.length) return;
    if (this.#warm.has(index) || this.#signal?.aborted) return;
    const queue = new TransformStream<Uint8Array, Uint8Array>(
      {},
      new ByteLengthQueuingStrategy({ highWaterMark: this.#bufferBytes }),
    );
    // pipeThrough starts pulling at once; an error reaches whoever takes it.
    this.#warm.set(index, this.#layers[index].open(this.#signal).pipeThrough(queue));
  }

  /** Layer `index` from its first byte: the warmed stream if there is one, else a new opening. */
  take(index: number): ReadableStream<Uint8Array> {
    const warm = this.#warm.get(index);
    if (warm) {
      this.#warm.delete(index);
      return warm;
    }
    return this.#layers[index].open(this.#signal);
  }

  /** Cancels every warmed stream nobody took (closing its connection). */
  async cancel(reason?: unknown): Promise<void> {
    const streams = [...this.#warm.values()];
    this.#warm.clear();
    await Promise.all(streams.map((stream) => stream.cancel(reason).catch(() => {})));
  }
}
