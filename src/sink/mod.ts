/**
 * Stage "sinks": where image bytes go — a Web `ReadableStream` for anything
 * that takes one (HTTP responses, uploads, compression), or a file on this
 * machine, written atomically. Standard output is the runtime adapter's
 * `writeStdout`.
 *
 * This module is Web-only so browsers and edge functions can import it; the
 * file sink needs the runtime adapter, so import it from `./file.ts`.
 *
 * @example
 * ```ts
 * import { Tree } from "../tree/mod.ts";
 * import { buildErofs } from "../erofs/mod.ts";
 * import { imageStream } from "./mod.ts";
 *
 * const image = await buildErofs(new Tree());
 * const bytes = new Uint8Array(await new Response(imageStream(image)).arrayBuffer());
 * ```
 *
 * @module
 */
export { imageStream } from "./stream.ts";
export { checkedChunks } from "./checked.ts";
