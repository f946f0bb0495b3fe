/**
 * Shared helpers for the decompression tests: feeding bytes in chosen chunk
 * sizes, collecting output, comparing large byte arrays quickly, running the
 * reference tools, and seeded data (noise and compressible text).
 *
 * @module
 */
import { expect } from "vitest";
import { DecompressError } from "../../../src/layers/decompress/errors.ts";
import { mulberry32 } from "../../support/random.ts";
import { run } from "../../support/system.ts";

/**
 * A stream of `bytes` in chunks of the given sizes (cycled), or one chunk.
 * Pulls lazily (`highWaterMark: 0`) so a decoder sees each chunk only when
 * it asks, as it would from a network source.
 *
 * @example
 * ```ts
 * import { streamOf } from "./fixtures.ts";
 * const stream = streamOf(new Uint8Array(10), [1, 3]); // chunks 1, 3, 1, 3, 1, 1
 * ```
 */
export function streamOf(
  bytes: Uint8Array,
  sizes: number[] = [bytes.length || 1],
): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const n = Math.max(1, sizes[i++ % sizes.length]!);
      // A copy, as a real source would hand out.
      controller.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  }, { highWaterMark: 0 });
}

/**
 * Reads `stream` to its end and returns everything it produced as one array.
 *
 * @example
 * ```ts
 * import { collect, streamOf } from "./fixtures.ts";
 * const bytes = await collect(streamOf(Uint8Array.of(1, 2, 3), [1]));
 * ```
 */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    chunks.push(next.value);
  }
  return join(chunks);
}

/**
 * Asserts equal bytes. `toEqual` on megabytes of typed arrays takes seconds
 * in vitest; this compares natively and reports the first difference.
 *
 * @example
 * ```ts
 * import { expectBytes } from "./fixtures.ts";
 * expectBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2), "round trip");
 * ```
 */
export function expectBytes(actual: Uint8Array, expected: Uint8Array, what = "output"): void {
  if (Buffer.compare(actual, expected) === 0) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  expect.fail(
    `${what}: ${actual.length} bytes, expected ${expected.length}; first difference at ${i}`,
  );
}

/**
 * Asserts that `promise` rejects with a {@link DecompressError} for `format`,
 * and returns the error for further checks.
 *
 * @example
 * ```ts
 * import { expectDecompressErrorOf } from "./fixtures.ts";
 * const error = await expectDecompressErrorOf("gzip", decodeSomethingBroken());
 * ```
 */
export async function expectDecompressErrorOf(
  format: string,
  promise: Promise<unknown>,
): Promise<DecompressError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DecompressError);
  expect((error as DecompressError).format).toBe(format);
  return error as DecompressError;
}

/**
 * Runs a reference tool (gzip, zstd, tar…) with `input` on stdin and returns
 * its stdout; fails if it exits non-zero.
 *
 * @example
 * ```ts
 * import { tool } from "./fixtures.ts";
 * const gz = await tool("gzip", ["-c"], new TextEncoder().encode("hello"));
 * ```
 */
export async function tool(cmd: string, args: string[], input?: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array((await run(cmd, args, { input, check: true })).stdoutBytes);
}

/**
 * `length` seeded random bytes: incompressible input.
 *
 * @example
 * ```ts
 * import { random } from "./fixtures.ts";
 * const noise = random(1024, 7);
 * ```
 */
export function random(length: number, seed: number): Uint8Array {
  const next = mulberry32(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (next() * 256) | 0;
  return bytes;
}

/**
 * Compressible but varied: `length` bytes of words drawn (seeded) from a
 * small vocabulary. Each test file passes its own vocabulary, so their
 * fixtures differ.
 *
 * @example
 * ```ts
 * import { wordsText } from "./fixtures.ts";
 * const text = wordsText(["usr/", "bin/", "\n"], 4096, 1);
 * ```
 */
export function wordsText(words: readonly string[], length: number, seed: number): Uint8Array {
  const next = mulberry32(seed);
  let s = "";
  while (s.length < length) s += words[(next() * words.length) | 0];
  return new TextEncoder().encode(s.slice(0, length));
}

/**
 * The parts laid end to end in one new array.
 *
 * @example
 * ```ts
 * import { concat } from "./fixtures.ts";
 * concat(Uint8Array.of(1), Uint8Array.of(2, 3)); // [1, 2, 3]
 * ```
 */
export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return join(parts);
}

/**
 * {@link concat} for arrays too long to spread into arguments.
 *
 * @example
 * ```ts
 * import { join } from "./fixtures.ts";
 * join([Uint8Array.of(1), Uint8Array.of(2, 3)]); // [1, 2, 3]
 * ```
 */
export function join(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
