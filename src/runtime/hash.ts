/**
 * Streaming SHA-256 from the fastest implementation the runtime has.
 *
 * `node:crypto` (Node, Deno, Bun, and edge runtimes with Node compatibility)
 * runs native code that uses the CPU's SHA extensions, several times faster
 * than any wasm; browsers have no streaming native SHA-256 (`crypto.subtle`
 * only digests whole buffers), so they get the wasm {@linkcode Sha256}.
 *
 * @module
 */
import { initWasm } from "../wasm/load.ts";
import { Sha256 } from "../wasm/sha256.ts";

/**
 * An incremental hash: feed chunks, then read the digest. `update()` after
 * the digest throws.
 *
 * @example
 * ```ts
 * import { createSha256, type StreamingHash } from "./hash.ts";
 * async function hashAll(chunks: AsyncIterable<Uint8Array>): Promise<string> {
 *   const hash: StreamingHash = await createSha256();
 *   for await (const chunk of chunks) hash.update(chunk);
 *   return hash.digestHex();
 * }
 * ```
 */
export interface StreamingHash {
  /** Feeds `bytes`; chunk boundaries do not matter. */
  update(bytes: Uint8Array): StreamingHash;
  /** Finishes and returns the raw digest; later calls return it again. */
  digest(): Uint8Array;
  /** Finishes and returns the digest as lowercase hex; later calls return it again. */
  digestHex(): string;
}

type CreateHash = typeof import("node:crypto").createHash;

let native: Promise<CreateHash | undefined> | undefined;

/**
 * `node:crypto`'s `createHash` if this runtime has it, looked up once.
 * Bundlers may replace the module with a stub whose properties throw on
 * access (Vite does), hence the check inside the `try` as well.
 */
function nativeCreateHash(): Promise<CreateHash | undefined> {
  native ??= import("node:crypto").then(
    (crypto) => {
      try {
        const createHash = crypto.createHash;
        if (typeof createHash !== "function") return undefined;
        createHash("sha256"); // some polyfills lack the algorithm
        return createHash;
      } catch {
        return undefined;
      }
    },
    () => undefined,
  );
  return native;
}

/**
 * A new streaming SHA-256: native `node:crypto` where importable, else wasm.
 *
 * @example
 * ```ts
 * import { createSha256 } from "./hash.ts";
 * const hash = await createSha256();
 * hash.update(new TextEncoder().encode("abc"));
 * console.log(hash.digestHex());
 * // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export async function createSha256(): Promise<StreamingHash> {
  const createHash = await nativeCreateHash();
  if (!createHash) {
    await initWasm();
    return new Sha256();
  }
  const hash = createHash("sha256");
  // Node throws on a second digest(); the wasm Sha256 returns the same value
  // again. Keep the two interchangeable by remembering the result.
  let result: Buffer | undefined;
  const finish = () => (result ??= hash.digest());
  const wrapper: StreamingHash = {
    update(bytes) {
      hash.update(bytes);
      return wrapper;
    },
    digest: () => new Uint8Array(finish()),
    digestHex: () => finish().toString("hex"),
  };
  return wrapper;
}
