/**
 * One deterministic workout of the public wasm and hash APIs, summarised as a
 * JSON string. The Deno test runs it in both runtimes and compares.
 *
 * @module
 */
import { createSha256 } from "../../src/runtime/hash.ts";
import { crc32c, initWasm, Sha256 } from "../../src/wasm/mod.ts";
import { randomBytes, randomChunks } from "./random.ts";

/**
 * Loads the wasm the default way, then CRC-32C and SHA-256 (wasm and the
 * runtime's preferred implementation) over 1 MB fed in random chunks.
 *
 * @example
 * ```ts
 * console.log(JSON.parse(await fingerprint()).crc32c);
 * ```
 */
export async function fingerprint(): Promise<string> {
  await initWasm();
  const bytes = randomBytes(1_000_003, 77);
  const wasm = new Sha256();
  const preferred = await createSha256();
  for (const piece of randomChunks(bytes, 5)) {
    wasm.update(piece);
    preferred.update(piece);
  }
  return JSON.stringify({
    crc32c: crc32c(bytes),
    wasm: wasm.digestHex(),
    preferred: preferred.digestHex(),
  });
}
