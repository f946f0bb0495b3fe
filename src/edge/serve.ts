/**
 * Runs the edge build handler as a server:
 *
 * ```sh
 * node_modules/.bin/deno run -A src/edge/serve.ts --port 8788
 * npm run build:ts && node dist/src/edge/serve.js --port 8788        # Node ≥ 20
 * curl -o alpine.erofs 'http://127.0.0.1:8788/build?image=alpine&platform=linux/arm64'
 * ```
 *
 * Options: `--port N` (default 8788), `--host ADDR` (default 127.0.0.1),
 * `--allow-private`, `--plain-http HOST:PORT` (also allows it as a
 * registry), `--allow-registry HOST`, `--allow-realm HOST/PATH`,
 * `--allow-blob-host HOST`, `--quiet`. One JSON line per request on
 * standard error (never credentials).
 *
 * @module
 */
import process from "node:process";
import { pathToFileURL } from "node:url";
import { parseServerArgs } from "../proxy/server_args.ts";
import { systemResolver } from "../runtime/dns.ts";
import { type HttpServer, serveHttp } from "../runtime/http_server.ts";
import { type BuildHandlerOptions, createBuildHandler } from "./handler.ts";

/**
 * Parses the command line into server and handler options; throws on an
 * unknown option.
 *
 * @example
 * ```ts
 * import { parseEdgeArgs } from "./serve.ts";
 * const { port, handler } = parseEdgeArgs(["--port", "9000", "--plain-http", "127.0.0.1:5000"]);
 * console.log(port, handler.plainHttp); // 9000 ["127.0.0.1:5000"]
 * ```
 */
export function parseEdgeArgs(
  args: readonly string[],
): { port: number; host: string; quiet: boolean; handler: BuildHandlerOptions } {
  const { port, host, quiet, ...upstream } = parseServerArgs(args, 8788);
  return { port, host, quiet, handler: { ...upstream } };
}

/**
 * Starts the build server for `args`; resolves once it listens.
 *
 * @example
 * ```ts
 * import { startEdgeServer } from "./serve.ts";
 * const server = await startEdgeServer(["--port", "0"]);
 * console.log(server.url);
 * await server.close();
 * ```
 */
export async function startEdgeServer(args: readonly string[]): Promise<HttpServer> {
  const { port, host, quiet, handler } = parseEdgeArgs(args);
  const build = createBuildHandler({
    ...handler,
    resolve: systemResolver(),
    logger: quiet ? undefined : (event) => process.stderr.write(`${JSON.stringify(event)}\n`),
  });
  return await serveHttp(build, { port, hostname: host });
}

const isMain = (import.meta as ImportMeta & { main?: boolean }).main ??
  (process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url);
if (isMain) {
  try {
    const server = await startEdgeServer(process.argv.slice(2));
    process.stderr.write(`oci2erofs build server listening on ${server.url}/build?image=…\n`);
  } catch (error) {
    process.stderr.write(`oci2erofs-edge: ${error instanceof Error ? error.message : error}\n`);
    process.exit(2);
  }
}
