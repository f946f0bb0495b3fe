/**
 * Serving a `fetch`-style handler (`Request` → `Response`) over HTTP:
 * `Deno.serve` in Deno, `node:http` in Node (requests and responses
 * converted to and from Web objects, response bodies written with
 * backpressure, the request's `signal` aborted when the client goes away).
 * What the proxy and the edge handler's `serve.ts` scripts run on.
 *
 * @module
 */

/**
 * A handler as `Deno.serve` and edge runtimes call it; `info` carries the
 * peer address for rate limiting.
 *
 * @example
 * ```ts
 * import type { FetchHandler } from "./http_server.ts";
 * const hello: FetchHandler = async () => new Response("hello");
 * ```
 */
export type FetchHandler = (
  request: Request,
  info?: { remoteAddress?: string },
) => Response | Promise<Response>;

/**
 * Where to listen.
 *
 * @example
 * ```ts
 * import type { ServeOptions } from "./http_server.ts";
 * const local: ServeOptions = { port: 8787, hostname: "127.0.0.1" };
 * ```
 */
export interface ServeOptions {
  /** Port; 0 picks a free one (default 0). */
  port?: number;
  /** Address to bind (default `127.0.0.1`). */
  hostname?: string;
}

/**
 * A running server.
 *
 * @example
 * ```ts
 * import type { HttpServer } from "./http_server.ts";
 * declare const server: HttpServer;
 * console.log(server.url); // "http://127.0.0.1:8787"
 * await server.close();
 * ```
 */
export interface HttpServer {
  /** The port bound. */
  port: number;
  /** `http://hostname:port` (IPv6 hosts in brackets). */
  url: string;
  /** Stops accepting connections and ends open ones. */
  close(): Promise<void>;
}

interface DenoServe {
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void },
    handler: (
      request: Request,
      info: { remoteAddr: { hostname: string } },
    ) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void>; addr: { port: number } };
}

/**
 * Serves `handler` on `options.hostname:port` until closed.
 *
 * @example
 * ```ts
 * import { serveHttp } from "./http_server.ts";
 * const server = await serveHttp(async (request) => new Response(new URL(request.url).pathname));
 * console.log(await (await fetch(`${server.url}/hi`)).text()); // "/hi"
 * await server.close();
 * ```
 */
export async function serveHttp(
  handler: FetchHandler,
  options: ServeOptions = {},
): Promise<HttpServer> {
  const hostname = options.hostname ?? "127.0.0.1";
  const urlHost = hostname.includes(":") ? `[${hostname}]` : hostname;
  const deno = (globalThis as { Deno?: DenoServe }).Deno;
  if (deno && typeof deno.serve === "function") {
    const server = deno.serve(
      { port: options.port ?? 0, hostname, onListen: () => {} },
      (request, info) => handler(request, { remoteAddress: info.remoteAddr.hostname }),
    );
    const port = server.addr.port;
    return { port, url: `http://${urlHost}:${port}`, close: () => server.shutdown() };
  }
  return await serveNode(handler, options.port ?? 0, hostname, urlHost);
}

async function serveNode(
  handler: FetchHandler,
  port: number,
  hostname: string,
  urlHost: string,
): Promise<HttpServer> {
  const http = await import("node:http");
  const { Readable } = await import("node:stream");
  const server = http.createServer(async (req, res) => {
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort(new Error("client went away"));
    });
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
      }
      const method = req.method ?? "GET";
      const hasBody = method !== "GET" && method !== "HEAD";
      const request = new Request(`http://${req.headers.host ?? `${urlHost}:${port}`}${req.url}`, {
        method,
        headers,
        signal: abort.signal,
        body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
        // @ts-ignore: Node's RequestInit needs duplex for stream bodies; the DOM lib lacks it.
        duplex: hasBody ? "half" : undefined,
      });
      const response = await handler(request, { remoteAddress: req.socket.remoteAddress });
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of response.headers) {
        out[name] = name === "set-cookie" ? response.headers.getSetCookie() : value;
      }
      res.writeHead(response.status, out);
      if (!response.body || method === "HEAD") {
        await response.body?.cancel();
        res.end();
        return;
      }
      reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!res.write(value)) {
          await new Promise<void>((resolve) => {
            const go = () => {
              res.off("drain", go);
              res.off("close", go);
              resolve();
            };
            res.on("drain", go);
            res.on("close", go);
          });
        }
        if (res.destroyed) throw new Error("client went away");
      }
      res.end();
    } catch (error) {
      await reader?.cancel(error).catch(() => {});
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "internal error" }));
      } else {
        // A body cut short must not look complete: drop the connection.
        res.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    port: bound,
    url: `http://${urlHost}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
