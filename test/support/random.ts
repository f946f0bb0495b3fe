/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives
 * the same sequence on every run and every runtime, so a failing random test
 * can be replayed from the seed it prints.
 *
 * @module
 */

/**
 * Returns a mulberry32 generator of floats in [0, 1) for a 32-bit `seed`.
 *
 * @example
 * ```ts
 * import { mulberry32 } from "./random.ts";
 * const next = mulberry32(42);
 * next(); // always the same first value for seed 42
 * ```
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 32-bit integer hash (the lowbias32 finaliser): a pure function of its
 * input, for data that must be regenerated at any offset without state.
 */
export function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Convenience draws on top of {@link mulberry32}. */
export class Random {
  #next: () => number;

  /** @param seed any integer; only its low 32 bits matter */
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.#next();
  }

  /** An integer in [min, max], both inclusive (exact for spans up to 2^53). */
  int(min: number, max: number): number {
    const span = max - min + 1;
    if (span <= 2 ** 32) return min + Math.floor(this.#next() * span);
    // One float has 32 bits of randomness; combine two for wide spans.
    const wide = Math.floor(this.#next() * 2 ** 21) * 2 ** 32 + Math.floor(this.#next() * 2 ** 32);
    return min + (wide % span);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.#next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)];
  }

  /** One element, chosen with the given relative weights. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, w]) => sum + w, 0);
    let at = this.#next() * total;
    for (const [value, weight] of choices) {
      at -= weight;
      if (at < 0) return value;
    }
    return choices[choices.length - 1][0];
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const word = Math.floor(this.#next() * 2 ** 32);
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
    }
    return out;
  }
}
