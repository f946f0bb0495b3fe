/**
 * The edge build handler: a `fetch`-style handler that answers
 * `GET /build?image=REF&platform=…` with the EROFS image, streamed. Runs
 * in Deno, Node (through `src/runtime/http_server.ts`, see `serve.ts`) and
 * edge runtimes that import the WASM as a module (pass it as `wasm`).
 *
 * @example
 * ```ts
 * import { createBuildHandler } from "./mod.ts";
 * Deno.serve(createBuildHandler({}));
 * ```
 *
 * @module
 */
export { type BuildHandlerOptions, type BuildLogEvent, createBuildHandler } from "./handler.ts";
export { BadRequest, type BuildParams, imageFileName, parseBuildRequest } from "./params.ts";
export { errorStatus } from "./errors.ts";
