/**
 * What a `.wasm` import is where WebAssembly is imported as a module
 * (Cloudflare workerd, wrangler and other edge bundlers): the compiled
 * `WebAssembly.Module`, to be instantiated.
 *
 * @module
 */
declare module "*.wasm" {
  /** The compiled module. */
  const module: WebAssembly.Module;
  export default module;
}
