// LayerPrefetch: the next layer downloads while the current one is read,
// bounded by a byte budget, and is cancelled when nobody will read it.
import { describe, expect, it } from "vitest";
import { LayerPrefetch } from "../../src/layers/prefetch.ts";
import type { LayerInput } from "../../src/layers/layer_replay.ts";

/** A layer of `chunks` × 64 KiB that counts what it served and how it ended. */
function countingLayer(name: string, chunks: number) {
  const stats = { opens: 0, served: 0, cancelled: false, ended: false };
  const layer: LayerInput = {
    name,
    open() {
      stats.opens++;
      let left = chunks;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (left-- === 0) {
            stats.ended = true;
            return controller.close();
          }
          stats.served += 65536;
          controller.enqueue(new Uint8Array(65536));
        },
        cancel() {
          stats.cancelled = true;
        },
      }, { highWaterMark: 0 });
    },
  };
  return { layer, stats };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe("LayerPrefetch", () => {
  it("downloads a warmed layer ahead, at most the byte budget, and hands it over from byte 0", async () => {
    const a = countingLayer("a", 4);
    const b = countingLayer("b", 1000); // 64 MB: far more than the budget
    const prefetch = new LayerPrefetch([a.layer, b.layer], { bufferBytes: 1 << 20 });
    const first = prefetch.take(0);
    prefetch.warm(1);
    await settle();
    // Layer 1 is downloading before anyone reads it, but only up to ~1 MiB.
    expect(b.stats.opens).toBe(1);
    expect(b.stats.served).toBeGreaterThanOrEqual(1 << 20);
    expect(b.stats.served).toBeLessThanOrEqual((1 << 20) + 3 * 65536);
    expect((await new Response(first).arrayBuffer()).byteLength).toBe(4 * 65536);
    const second = await new Response(prefetch.take(1)).arrayBuffer();
    expect(second.byteLength).toBe(1000 * 65536);
    expect(b.stats.opens).toBe(1); // the warmed stream was used, not a new opening
  });

  it("cancels warmed layers nobody took, and opens afresh when not warmed or disabled", async () => {
    const a = countingLayer("a", 2);
    const b = countingLayer("b", 1000); // more than the default budget: still downloading
    const prefetch = new LayerPrefetch([a.layer, b.layer]);
    prefetch.warm(1);
    prefetch.warm(1); // once only
    prefetch.warm(7); // out of range: ignored
    await settle();
    expect(b.stats.opens).toBe(1);
    await prefetch.cancel(new Error("stop"));
    expect(b.stats.cancelled).toBe(true);
    const off = new LayerPrefetch([a.layer, b.layer], { bufferBytes: 0 });
    off.warm(0);
    await settle();
    expect(a.stats.opens).toBe(0);
    await new Response(off.take(0)).arrayBuffer();
    expect(a.stats.opens).toBe(1);
  });
});
