/**
 * Streaming verification of blobs against their descriptor: the bytes pass
 * through unchanged while they are counted and hashed, and the stream errors
 * instead of ending when the size or digest is wrong — so whatever was built
 * from a bad blob is discarded by the same error path as an I/O failure.
 *
 * @module
 */
import { createSha256, type StreamingHash } from "../runtime/hash.ts";
import { parseDigest } from "./digest.ts";
import { ImageError } from "./errors.ts";
import type { Descriptor } from "./types.ts";

/**
 * Options of {@link verifiedBlobStream}.
 *
 * @example
 * ```ts
 * import type { VerifiedBlobOptions } from "./blob_stream.ts";
 * const options: VerifiedBlobOptions = { reference: "oci:./layout", signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface VerifiedBlobOptions {
  /** The image, for the error's context. */
  reference?: string;
  /** Aborting errors the returned stream and cancels `stream`. */
  signal?: AbortSignal;
}

/**
 * `stream`, checked against `descriptor` as it flows:
 *
 * - as soon as more than `descriptor.size` bytes have arrived, the stream
 *   errors (`blob sha256:… is at least N bytes, expected M`) and the excess
 *   chunk is not passed on;
 * - at the end, fewer bytes (`blob sha256:… is N bytes, expected M`) or
 *   another hash (`blob sha256:… has digest sha256:…`) error the stream
 *   after the last chunk, in place of a normal end.
 *
 * Only a stream read to its end has been verified. Digests other than
 * sha256 are refused (throws at once): no runtime-independent streaming
 * sha512 exists yet, and images use sha256 in practice.
 *
 * @example
 * ```ts
 * import { verifiedBlobStream } from "./blob_stream.ts";
 * const bytes = new TextEncoder().encode("abc");
 * const descriptor = {
 *   mediaType: "application/octet-stream",
 *   digest: "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 *   size: 3,
 * };
 * const checked = verifiedBlobStream(new Blob([bytes]).stream(), descriptor);
 * console.log(await new Response(checked).text()); // "abc"
 * ```
 */
export function verifiedBlobStream(
  stream: ReadableStream<Uint8Array>,
  descriptor: Descriptor,
  options: VerifiedBlobOptions = {},
): ReadableStream<Uint8Array> {
  const { algorithm, digest } = parseDigest(descriptor.digest);
  const fail = (message: string) =>
    new ImageError(message, { reference: options.reference, digest });
  if (algorithm !== "sha256") {
    throw fail(`blob ${digest}: verifying ${algorithm} blobs while streaming is not supported yet`);
  }
  const expected = descriptor.size;
  let hash: StreamingHash;
  let count = 0;
  const check = new TransformStream<Uint8Array, Uint8Array>({
    async start() {
      hash = await createSha256();
    },
    transform(chunk, controller) {
      count += chunk.length;
      if (count > expected) {
        throw fail(`blob ${digest} is at least ${count} bytes, expected ${expected}`);
      }
      hash.update(chunk);
      controller.enqueue(chunk);
    },
    flush() {
      if (count < expected) throw fail(`blob ${digest} is ${count} bytes, expected ${expected}`);
      const actual = `sha256:${hash.digestHex()}`;
      if (actual !== digest) throw fail(`blob ${digest} has digest ${actual}`);
    },
  });
  return stream.pipeThrough(check, { signal: options.signal });
}
