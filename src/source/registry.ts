/**
 * `docker://REF` and bare references: an image pulled from a registry.
 * The top manifest is fetched by tag or digest; everything below it (the
 * platform's manifest, config, layers) is fetched by digest through the
 * image stage's resolver, which verifies every byte.
 *
 * @module
 */
import type { Image } from "../image/types.ts";
import { type BlobStore, resolveImage } from "../image/resolve.ts";
import { parseReference } from "../reference/mod.ts";
import { Authenticator } from "../registry/auth/mod.ts";
import type { Credentials } from "../registry/auth/mod.ts";
import { RegistryClient } from "../registry/client.ts";
import type { ImageSourceOptions } from "./image_source.ts";

/**
 * How to reach and authenticate to the registry.
 *
 * @example
 * ```ts
 * import type { RegistrySourceOptions } from "./registry.ts";
 * const options: RegistrySourceOptions = { platform: "linux/arm64", anonymous: true };
 * ```
 */
export interface RegistrySourceOptions extends ImageSourceOptions {
  /** Talk HTTP, not HTTPS (`--plain-http`; loopback registries). */
  plainHttp?: boolean;
  /** Explicit credentials (`--username`/`--password`, `--creds`). */
  credentials?: Credentials;
  /** Ignore every configured credential (`--anonymous`). */
  anonymous?: boolean;
  /** The only auth file to read (`--authfile`). */
  authfile?: string;
  /**
   * The environment credential lookup sees (`DOCKER_CONFIG`,
   * `REGISTRY_AUTH_FILE`, `XDG_*`, `HOME`, `PATH` for credential helpers);
   * the process's by default. Lets an embedding program or a test decide.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Injected `fetch` (tests, runtimes); default the global one. */
  fetch?: typeof fetch;
  /**
   * A CORS registry proxy (`src/proxy/`), e.g. `https://proxy.example`:
   * requests go to `${proxy}/${apiHost}/v2/…`, and credentials to the proxy,
   * which forwards them to the registry only.
   */
  proxy?: string;
}

/**
 * Opens the image `location` names (`[docker://]REF`) on its registry.
 *
 * @example
 * ```ts
 * import { openRegistrySource } from "./registry.ts";
 * const image = await openRegistrySource("localhost:5000/library/busybox:latest", { plainHttp: true });
 * console.log(image.digest, image.layers.length);
 * ```
 */
export async function openRegistrySource(
  location: string,
  options: RegistrySourceOptions = {},
): Promise<Image> {
  const reference = parseReference(location.replace(/^docker:\/\//, ""));
  const { signal } = options;
  const baseUrl = options.proxy === undefined
    ? undefined
    : `${options.proxy.replace(/\/+$/, "")}/${reference.apiHost}`;
  const origin = baseUrl ?? `${options.plainHttp ? "http" : "https"}://${reference.apiHost}`;
  const authorizer = new Authenticator({
    origin,
    // Explicit or no credentials need no file system: auth files and
    // credential helpers (node:fs, node:child_process) are imported only when
    // the registry asks for them, so browsers and edge runtimes never load them.
    credentials: options.anonymous || options.credentials
      ? options.credentials
      : () =>
        import("../runtime/credentials.ts").then(({ resolveCredentials }) =>
          resolveCredentials(reference.registry, reference.repository, {
            authfile: options.authfile,
            env: options.env,
            homeDir: options.env?.HOME,
            signal,
          })
        ),
    fetch: options.fetch,
  });
  const client = new RegistryClient({
    host: reference.apiHost,
    plainHttp: options.plainHttp,
    baseUrl,
    authorizer,
    fetch: options.fetch,
  });
  const top = await client.manifest(reference.repository, reference.manifestReference, signal);
  const store: BlobStore = {
    open: (descriptor, openSignal) =>
      descriptor.digest === top.digest
        ? new Blob([top.bytes as Uint8Array<ArrayBuffer>]).stream()
        : client.blob(reference.repository, descriptor, openSignal),
  };
  return resolveImage(store, {
    mediaType: top.mediaType,
    digest: top.digest,
    size: top.bytes.length,
  }, {
    reference: reference.toString(),
    platform: options.platform,
    signal,
  });
}
