/**
 * Runs the CORS registry proxy as a server:
 *
 * ```sh
 * node_modules/.bin/deno run -A src/proxy/serve.ts --port 8787
 * npm run build:ts && node dist/src/proxy/serve.js --port 8787        # Node ≥ 20
 * ```
 *
 * Options: `--port N` (default 8787), `--host ADDR` (default 127.0.0.1),
 * `--allow-private` (private/loopback upstreams, for local registries),
 * `--plain-http HOST:PORT` (talk HTTP to that upstream; implies allowing
 * it as a registry), `--allow-registry HOST`, `--allow-realm HOST/PATH`,
 * `--allow-blob-host HOST` (added to the defaults), `--origin ORIGIN`
 * (restrict page origins; repeatable), `--public-url URL`, `--quiet`.
 * Each request is logged to standard error as one JSON line (no headers,
 * no query strings).
 *
 * @module
 */
import process from "node:process";
import { pathToFileURL } from "node:url";
import { createRegistryProxy, type RegistryProxyOptions } from "./proxy.ts";
import { parseServerArgs } from "./server_args.ts";
import { systemResolver } from "../runtime/dns.ts";
import { type HttpServer, serveHttp } from "../runtime/http_server.ts";

/**
 * Parses the command line into server and proxy options; throws on an
 * unknown option.
 *
 * @example
 * ```ts
 * import { parseProxyArgs } from "./serve.ts";
 * const { port, proxy } = parseProxyArgs(["--port", "9000", "--allow-private"]);
 * console.log(port, proxy.allowPrivateAddresses); // 9000 true
 * ```
 */
export function parseProxyArgs(
  args: readonly string[],
): { port: number; host: string; quiet: boolean; proxy: RegistryProxyOptions } {
  const origins: string[] = [];
  let publicUrl: string | undefined;
  const { port, host, quiet, ...upstream } = parseServerArgs(args, 8787, (flag, value) => {
    if (flag === "--origin") origins.push(value());
    else if (flag === "--public-url") publicUrl = value();
    else return false;
    return true;
  });
  const proxy: RegistryProxyOptions = { ...upstream };
  if (publicUrl !== undefined) proxy.publicUrl = publicUrl;
  if (origins.length > 0) proxy.allowedOrigins = origins;
  return { port, host, quiet, proxy };
}

/**
 * Starts the proxy server for `args`; resolves once it listens.
 *
 * @example
 * ```ts
 * import { startProxyServer } from "./serve.ts";
 * const server = await startProxyServer(["--port", "0"]);
 * console.log(server.url);
 * await server.close();
 * ```
 */
export async function startProxyServer(args: readonly string[]): Promise<HttpServer> {
  const { port, host, quiet, proxy } = parseProxyArgs(args);
  const handler = createRegistryProxy({
    ...proxy,
    resolve: systemResolver(),
    logger: quiet ? undefined : (event) => process.stderr.write(`${JSON.stringify(event)}\n`),
  });
  return await serveHttp(handler, { port, hostname: host });
}

const isMain = (import.meta as ImportMeta & { main?: boolean }).main ??
  (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url);
if (isMain) {
  try {
    const server = await startProxyServer(process.argv.slice(2));
    process.stderr.write(`oci2erofs registry proxy listening on ${server.url}\n`);
  } catch (error) {
    process.stderr.write(`oci2erofs-proxy: ${error instanceof Error ? error.message : error}\n`);
    process.exit(2);
  }
}
