/**
 * The edge build handler: `GET /build?image=REF&platform=os/arch[/variant]&z=ALGO[,LEVEL]`
 * answers with the EROFS image of a registry image as the response body,
 * streamed in bounded memory.
 *
 * Layout strategy (why streaming works): the writer lays an image out as
 * superblock and the metadata known from the tree, then file data in layer
 * order, with the inodes of files that end in an inline tail packed into
 * blocks between the data, each soon after its files. Pass 1 reads every layer once, tar headers
 * only (file data is decompressed, hashed against the `diff_id` and
 * skipped), and builds the tree; from it the layout, and so the image size
 * and every byte's place, is known before the first byte goes out — hence a
 * `Content-Length` for plain images (compressed ones (`z=`) learn their size
 * only while writing, so they go out without one). Pass 2 runs while the body is pulled:
 * each layer is fetched again front to back and the data of surviving files
 * copied into place, tails gathered into their blocks. Memory holds the
 * tree, a few tail blocks and one chunk in flight, whatever the layer sizes. The cost:
 * every layer blob is downloaded (and decompressed) twice.
 *
 * Errors before the first body byte (bad parameters, authentication, a
 * missing repository, tag or platform, an upstream failure, a corrupt layer
 * in pass 1) are JSON `{"error": "…"}` with a matching status; an error in
 * pass 2 aborts the body, so a client never takes a cut image for a whole
 * one (the length also tells).
 *
 * Upstream requests go through the proxy's guard (`src/proxy/upstream.ts`):
 * allow-listed registries only, no private or metadata addresses, every
 * redirect hop checked. Credentials come only from the request's
 * `Authorization: Basic` header, never from the server's own auth files.
 *
 * @module
 */
import { convert } from "../convert/convert.ts";
import type { Conversion } from "../convert/conversion.ts";
import { AllowList, type AllowListOptions, DEFAULT_ALLOW_LIST } from "../proxy/allow_list.ts";
import { type AllowedOrigins, corsHeaders, preflight } from "../proxy/cors.ts";
import { guardedFetch, type Resolver } from "../proxy/upstream.ts";
import { initWasm, type WasmSource } from "../wasm/load.ts";
import { errorMessage, errorStatus } from "./errors.ts";
import { type BuildParams, imageFileName, parseBuildRequest } from "./params.ts";

/**
 * One `/build` request as logged: never credentials (they travel in the
 * `Authorization` header, which is not logged).
 *
 * @example
 * ```ts
 * import type { BuildLogEvent } from "./handler.ts";
 * const log = (e: BuildLogEvent) => console.error(JSON.stringify(e));
 * ```
 */
export interface BuildLogEvent {
  image?: string;
  platform?: string;
  status: number;
  /** Milliseconds until the response headers (pass 1 included). */
  ms: number;
  /** Image size in bytes, when it was built. */
  size?: number;
  error?: string;
}

/**
 * Options of {@link createBuildHandler}.
 *
 * @example
 * ```ts
 * import type { BuildHandlerOptions } from "./handler.ts";
 * import wasm from "../wasm/oci2erofs.wasm"; // edge bundlers import .wasm as a module
 * const options: BuildHandlerOptions = { wasm };
 * ```
 */
export interface BuildHandlerOptions {
  /**
   * The compiled `oci2erofs.wasm` (runtimes that refuse to compile bytes at
   * run time import it as a module), or any source `initWasm` accepts;
   * default: the file next to `src/wasm/load.ts`.
   */
  wasm?: WasmSource;
  /** The fetch that reaches registries. */
  fetch?: typeof fetch;
  /** Registry hosts (`host:port`) spoken to over plain HTTP (loopback test registries). */
  plainHttp?: readonly string[];
  /** Upstreams allowed (registries, token realms, blob hosts); the proxy's defaults otherwise. */
  allowList?: AllowListOptions;
  /** Allow private and loopback upstream addresses (local testing); metadata stays refused. */
  allowPrivateAddresses?: boolean;
  /** Name resolution for the address checks (`systemResolver()` from `src/runtime/dns.ts`). */
  resolve?: Resolver;
  /** Gets one event per request. */
  logger?: (event: BuildLogEvent) => void;
  /**
   * Page origins allowed to call the handler from a browser (`"*"` or a
   * list): preflights are answered and CORS headers added. Default: none
   * (no CORS headers; browsers refuse cross-origin reads).
   */
  allowedOrigins?: AllowedOrigins;
}

/** What a page reads of a `/build` answer besides the body. */
const EXPOSED = "Content-Disposition, Content-Length, X-Image-Digest, X-Image-Platform";

function json(status: number, error: string, extra?: HeadersInit): Response {
  const headers = new Headers(extra);
  headers.set("content-type", "application/json");
  headers.set("cache-control", "no-store");
  return new Response(JSON.stringify({ error }), { status, headers });
}

/**
 * Creates the `/build` handler (any path ending in `/build`, so it can be
 * mounted under a prefix).
 *
 * @example
 * ```ts
 * import { createBuildHandler } from "./handler.ts";
 * const handler = createBuildHandler({});
 * const response = await handler(new Request("http://localhost/build?image=alpine:3.20"));
 * console.log(response.status, response.headers.get("content-length"));
 * ```
 */
export function createBuildHandler(
  options: BuildHandlerOptions = {},
): (request: Request) => Promise<Response> {
  const safeFetch = guardedFetch({
    allowList: new AllowList(options.allowList ?? DEFAULT_ALLOW_LIST),
    plainHttp: options.plainHttp,
    allowPrivateAddresses: options.allowPrivateAddresses,
    resolve: options.resolve,
    fetch: options.fetch,
  });
  const log = options.logger ?? (() => {});
  return async (request) => {
    const started = performance.now();
    const event: BuildLogEvent = { status: 0, ms: 0 };
    let cors: Headers | undefined;
    if (options.allowedOrigins !== undefined) {
      cors = corsHeaders(request.headers.get("origin"), options.allowedOrigins);
      if (!cors) return json(403, "origin not allowed");
      cors.set("access-control-expose-headers", EXPOSED);
    }
    const finish = (response: Response, error?: string) => {
      for (const [name, value] of cors ?? []) response.headers.set(name, value);
      event.status = response.status;
      event.ms = Math.round(performance.now() - started);
      if (error !== undefined) event.error = error;
      try {
        log(event);
      } catch {
        // A failing logger must not fail requests.
      }
      return response;
    };
    if (!new URL(request.url).pathname.endsWith("/build")) {
      return finish(json(404, "not found: use GET /build?image=REF"));
    }
    if (request.method === "OPTIONS" && cors) return finish(preflight(request, cors));
    if (request.method !== "GET" && request.method !== "HEAD") {
      return finish(json(405, `method ${request.method} not allowed`, { allow: "GET, HEAD" }));
    }
    let params: BuildParams | undefined;
    let conversion: Conversion;
    try {
      params = parseBuildRequest(request);
      event.image = params.reference.toString();
      event.platform = params.platform;
      await initWasm(options.wasm);
      conversion = await convert({ kind: "docker", location: params.image }, {
        platform: params.platform,
        compression: params.compression,
        plainHttp: options.plainHttp?.includes(params.reference.apiHost) ?? false,
        credentials: params.credentials,
        // Never the server's own auth files: only what the client sent.
        anonymous: params.credentials === undefined,
        fetch: safeFetch,
        // An edge function's memory is the scarce resource: about 20 MiB
        // less for some speed (see bench-edge.ts).
        lowMemory: true,
        signal: request.signal,
        onWarning: () => {},
      });
    } catch (error) {
      const status = request.signal.aborted ? 499 : errorStatus(error);
      const message = errorMessage(error);
      return finish(json(status, message), message);
    }
    event.size = conversion.size;
    const headers = new Headers({
      "content-type": "application/octet-stream",
      "content-disposition": `attachment; filename="${
        imageFileName(params.reference, params.platform)
      }"`,
      "cache-control": "no-store",
    });
    if (conversion.size !== undefined) headers.set("content-length", String(conversion.size));
    if (conversion.digest) headers.set("x-image-digest", conversion.digest);
    if (conversion.platform) headers.set("x-image-platform", conversion.platform);
    return finish(
      new Response(request.method === "HEAD" ? null : conversion.stream(), {
        status: 200,
        headers,
      }),
    );
  };
}
