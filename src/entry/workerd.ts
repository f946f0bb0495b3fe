/**
 * The entry for runtimes that import WebAssembly as a module and forbid
 * compiling bytes at run time (Cloudflare workerd; the package's `workerd`
 * condition): `oci2erofs.wasm` comes in through the bundler as a
 * `WebAssembly.Module` and is handed to the loader before anything needs it.
 * Everything else is the portable surface of `browser.ts`.
 *
 * @example
 * ```ts
 * // A Worker that streams an EROFS image of a registry image.
 * import { convert, wasmReady } from "oci2erofs";
 * export default {
 *   async fetch(request: Request): Promise<Response> {
 *     await wasmReady;
 *     const image = new URL(request.url).searchParams.get("image") ?? "busybox";
 *     const conversion = await convert(image, { anonymous: true });
 *     return new Response(conversion.stream());
 *   },
 * };
 * ```
 *
 * @module
 */
import wasm from "../wasm/oci2erofs.wasm";
import { initWasm, type WasmExports } from "../wasm/load.ts";

export * from "./browser.ts";

/**
 * Resolves once `oci2erofs.wasm` is instantiated from the imported module.
 * Started on import, so every later `initWasm()` shares this instance and
 * never tries to fetch or compile the file itself.
 *
 * @example
 * ```ts
 * import { wasmReady } from "./workerd.ts";
 * await wasmReady;
 * ```
 */
export const wasmReady: Promise<WasmExports> = initWasm(wasm);
// Awaiters still see a failure; this only keeps it from being unhandled.
wasmReady.catch(() => {});
