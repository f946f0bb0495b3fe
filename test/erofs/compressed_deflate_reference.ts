/**
 * Test helper: a fixed-output raw DEFLATE "encoder" made of node:zlib and a
 * binary search for the longest input prefix whose stream fits. Slow, but
 * independent of the WASM encoders, so the kernel's DEFLATE path can judge
 * the writer's layout on its own.
 *
 * @module
 */
import { constants, deflateRawSync } from "node:zlib";
import type { FillResult, FixedOutputEncoder } from "../../src/wasm/mod.ts";

/**
 * A {@link FixedOutputEncoder} for `deflate` built on zlib.
 *
 * @example
 * ```ts
 * import { zlibDeflate } from "./compressed_deflate_reference.ts";
 * console.log(zlibDeflate().fill(new Uint8Array(100_000), new Uint8Array(4096)).consumed > 4096);
 * ```
 */
export function zlibDeflate(level = 6): FixedOutputEncoder {
  const compress = (input: Uint8Array) =>
    deflateRawSync(input, { level, windowBits: 15, strategy: constants.Z_DEFAULT_STRATEGY });
  return {
    algorithm: "deflate",
    level,
    fill(input: Uint8Array, output: Uint8Array): FillResult {
      let best = compress(input.subarray(0, 0));
      let low = 0; // fits
      let high = input.length + 1; // does not fit
      const whole = compress(input);
      if (whole.length <= output.length) {
        low = input.length;
        best = whole;
        high = low + 1;
      }
      while (high - low > 1) {
        const mid = Math.floor((low + high) / 2);
        const stream = compress(input.subarray(0, mid));
        if (stream.length <= output.length) {
          low = mid;
          best = stream;
        } else high = mid;
      }
      output.set(best);
      return { consumed: low, written: best.length };
    },
  };
}
