/**
 * Per-client request rate limiting: a token bucket per client key (the
 * peer address by default), refilled continuously. A full image pull is a
 * few dozen requests (manifests, token, config, one per layer), so the
 * default lets a page pull several images a minute and stops floods.
 *
 * @module
 */

/**
 * The rate: `requests` per `windowMs`, with bursts up to `requests`.
 *
 * @example
 * ```ts
 * import type { RateLimitOptions } from "./rate_limit.ts";
 * const strict: RateLimitOptions = { requests: 60, windowMs: 60_000 };
 * ```
 */
export interface RateLimitOptions {
  requests: number;
  windowMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept at most; full buckets are dropped first when this is exceeded. */
const MAX_CLIENTS = 10_000;

/**
 * Token buckets per client.
 *
 * @example
 * ```ts
 * import { RateLimiter } from "./rate_limit.ts";
 * const limiter = new RateLimiter({ requests: 2, windowMs: 1000 });
 * console.log(limiter.take("1.2.3.4"), limiter.take("1.2.3.4"), limiter.take("1.2.3.4"));
 * // 0 0 500 (ms to wait)
 * ```
 */
export class RateLimiter {
  #options: RateLimitOptions;
  #buckets = new Map<string, Bucket>();
  #now: () => number;

  constructor(options: RateLimitOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  /** Takes one request from `client`'s bucket: 0 when allowed, else the ms until it would be. */
  take(client: string): number {
    const { requests, windowMs } = this.#options;
    const rate = requests / windowMs;
    const now = this.#now();
    const bucket = this.#buckets.get(client) ?? { tokens: requests, at: now };
    bucket.tokens = Math.min(requests, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    this.#buckets.delete(client); // re-inserted last: the map stays in least-recent order
    this.#buckets.set(client, bucket);
    if (this.#buckets.size > MAX_CLIENTS) this.#prune(now, rate);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / rate);
  }

  #prune(now: number, rate: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (this.#buckets.size <= MAX_CLIENTS) break;
      // The least recently seen go first; their buckets have (nearly) refilled.
      if (bucket.tokens + (now - bucket.at) * rate >= 1) this.#buckets.delete(key);
    }
  }
}
