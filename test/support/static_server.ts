/**
 * A tiny static file server for tests: serves a built directory (the web
 * page's `vite build` output) on a free loopback port, with the media types
 * browsers insist on (`application/wasm` for streaming compilation, `text/
 * javascript` for module workers). Built on the project's own
 * `serveHttp`, so it is a `fetch`-style handler like the proxy.
 *
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { type HttpServer, serveHttp } from "../../src/runtime/http_server.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/**
 * A `Request` → `Response` handler serving the files under `root`
 * (`/` is `index.html`); anything outside `root` or missing is a 404.
 *
 * @example
 * ```ts
 * import { staticFiles } from "./static_server.ts";
 * const handler = staticFiles("web/dist");
 * const response = await handler(new Request("http://x/"));
 * console.log(response.headers.get("content-type")); // text/html; charset=utf-8
 * ```
 */
export function staticFiles(root: string): (request: Request) => Promise<Response> {
  const base = normalize(root);
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed", { status: 405 });
    }
    let path = decodeURIComponent(new URL(request.url).pathname);
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) {
      return new Response("not found", { status: 404 });
    }
    try {
      if (!(await stat(file)).isFile()) throw new Error("not a file");
      const body = await readFile(file);
      return new Response(request.method === "HEAD" ? null : body, {
        headers: {
          "content-type": TYPES[extname(file)] ?? "application/octet-stream",
          "cache-control": "no-store",
        },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  };
}

/**
 * Serves `root` on `127.0.0.1` (a free port).
 *
 * @example
 * ```ts
 * import { serveStatic } from "./static_server.ts";
 * const server = await serveStatic("web/dist");
 * console.log(server.url); // http://127.0.0.1:PORT
 * await server.close();
 * ```
 */
export function serveStatic(root: string): Promise<HttpServer> {
  return serveHttp(staticFiles(root), { hostname: "127.0.0.1", port: 0 });
}
