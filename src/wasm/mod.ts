/**
 * The WebAssembly hot path: CRC-32C and incremental SHA-256 compiled from
 * `asm/` into `oci2erofs.wasm`, and the loader that finds that binary in
 * Deno, Node, browsers and edge runtimes.
 *
 * @example
 * ```ts
 * import { crc32c, initWasm, Sha256 } from "./mod.ts";
 * await initWasm();
 * const bytes = new TextEncoder().encode("123456789");
 * console.log(crc32c(bytes).toString(16)); // "e3069283"
 * console.log(new Sha256().update(bytes).digestHex().slice(0, 8)); // "15e2b0d3"
 * ```
 *
 * @module
 */
export * from "./load.ts";
export * from "./crc32c.ts";
export * from "./sha256.ts";
export * from "./compress.ts";
