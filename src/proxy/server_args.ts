/**
 * The command line shared by the two servers that reach registries on
 * behalf of others — the CORS proxy (`src/proxy/serve.ts`) and the edge
 * build server (`src/edge/serve.ts`): where to listen, and which upstreams
 * they may contact. Each server adds its own flags through `extra`.
 *
 * @module
 */
import { type AllowListOptions, DEFAULT_ALLOW_LIST } from "./allow_list.ts";

/**
 * What every server flag set decides.
 *
 * @example
 * ```ts
 * import type { ServerArgs } from "./server_args.ts";
 * const args: ServerArgs = {
 *   port: 8787, host: "127.0.0.1", quiet: false, allowPrivateAddresses: false,
 *   allowList: { registries: ["ghcr.io"], realms: [], blobHosts: [] }, plainHttp: [],
 * };
 * ```
 */
export interface ServerArgs {
  port: number;
  host: string;
  quiet: boolean;
  /** `--allow-private`: private and loopback upstreams (local registries). */
  allowPrivateAddresses: boolean;
  /** The defaults plus `--allow-registry`, `--allow-realm`, `--allow-blob-host`, `--plain-http`. */
  allowList: AllowListOptions;
  /** `--plain-http HOST:PORT`: upstreams spoken to over HTTP. */
  plainHttp: string[];
}

/**
 * Parses `--port`, `--host`, `--quiet`, `--allow-private`, `--plain-http`,
 * `--allow-registry`, `--allow-realm` and `--allow-blob-host` (as `--flag
 * value` or `--flag=value`); any other flag goes to `extra`, which returns
 * false for flags it does not know either. Throws on unknown flags and
 * missing values.
 *
 * @example
 * ```ts
 * import { parseServerArgs } from "./server_args.ts";
 * const origins: string[] = [];
 * const args = parseServerArgs(["--port=9000", "--origin", "https://a.example"], 8787, (flag, value) =>
 *   flag === "--origin" && origins.push(value()) > 0
 * );
 * console.log(args.port, origins); // 9000 ["https://a.example"]
 * ```
 */
export function parseServerArgs(
  args: readonly string[],
  defaultPort: number,
  extra: (flag: string, value: () => string) => boolean = () => false,
): ServerArgs {
  const parsed: ServerArgs = {
    port: defaultPort,
    host: "127.0.0.1",
    quiet: false,
    allowPrivateAddresses: false,
    allowList: {
      registries: [...DEFAULT_ALLOW_LIST.registries],
      realms: [...DEFAULT_ALLOW_LIST.realms],
      blobHosts: [...DEFAULT_ALLOW_LIST.blobHosts],
    },
    plainHttp: [],
  };
  const { registries, realms, blobHosts } = parsed.allowList as {
    registries: string[];
    realms: string[];
    blobHosts: string[];
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--port":
        parsed.port = Number(value());
        if (!Number.isInteger(parsed.port) || parsed.port < 0 || parsed.port > 65535) {
          throw new Error("bad --port");
        }
        break;
      case "--host":
        parsed.host = value();
        break;
      case "--quiet":
        parsed.quiet = true;
        break;
      case "--allow-private":
        parsed.allowPrivateAddresses = true;
        break;
      case "--plain-http": {
        const host = value();
        parsed.plainHttp.push(host);
        registries.push(host);
        break;
      }
      case "--allow-registry":
        registries.push(value());
        break;
      case "--allow-realm":
        realms.push(value());
        break;
      case "--allow-blob-host":
        blobHosts.push(value());
        break;
      default:
        if (!extra(flag, value)) throw new Error(`unknown option ${args[i]}`);
    }
  }
  return parsed;
}
