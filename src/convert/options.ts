/**
 * The options of a conversion, in one flat object: the EROFS writer's
 * (named after mkfs.erofs), which image and layers, how to reach the
 * registry, and how to report and stop.
 *
 * @module
 */
import type { ErofsOptions } from "../erofs/mod.ts";
import type { Platform } from "../image/types.ts";
import type { ContentSpool } from "../layers/mod.ts";
import type { Credentials } from "../registry/auth/mod.ts";
import type { ProgressEvent } from "./events.ts";

/**
 * Options of `convert`. Every field is optional; the defaults give the same
 * image as `oci2erofs SOURCE OUTPUT` without options.
 *
 * @example
 * ```ts
 * import type { ConvertOptions } from "./options.ts";
 * const options: ConvertOptions = {
 *   platform: "linux/arm64",
 *   blockSize: 4096,
 *   fixedTime: 0,
 *   onProgress: (event) => console.log(event.type),
 * };
 * ```
 */
export interface ConvertOptions extends ErofsOptions {
  /** Image of a multi-platform index (`"linux/arm64"` or a record); default `linux/amd64`. */
  platform?: string | Platform;
  /**
   * Keep OCI whiteouts as overlayfs metadata (0:0 character devices,
   * `trusted.overlay.opaque`) instead of applying them.
   */
  keepWhiteouts?: boolean;
  /** Build one layer only: 0 is the bottom, −1 the top (implies `keepWhiteouts`). */
  layer?: number;
  /** Build one layer only, named by blob digest or diff_id (implies `keepWhiteouts`). */
  blob?: string;
  /**
   * `SOURCE_DATE_EPOCH`: mtimes at or after this many seconds become exactly
   * this (as mkfs.erofs clamps). Ignored when `fixedTime` is given.
   */
  clampTime?: number;
  /** Talk HTTP to the registry (loopback and test registries). */
  plainHttp?: boolean;
  /** Registry credentials; otherwise auth files are consulted where the runtime has files. */
  credentials?: Credentials;
  /** Ignore every configured credential. */
  anonymous?: boolean;
  /** The only auth file to read. */
  authfile?: string;
  /**
   * The environment credential lookup sees (`DOCKER_CONFIG`, `HOME`, …);
   * the process's by default.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * A CORS registry proxy (`src/proxy/`), e.g. `https://proxy.example`: registry
   * requests go to `${proxy}/${host}/v2/…` (what browsers need).
   */
  proxy?: string;
  /**
   * Trade some speed for memory while reading layers: no download ahead,
   * smaller decoder buffers (about 20 MiB less peak memory with gzip
   * layers, about 10% slower on Node). Default false; the edge handler sets it.
   */
  lowMemory?: boolean;
  /**
   * Keep the layers' file data here while reading them (image sources), so
   * that writing the image reads it back instead of downloading and
   * decompressing every layer a second time: `openFileSpool()` from the
   * runtime module gives a temporary file that leaves nothing behind. The
   * caller closes it once the image is written. Default: none.
   */
  spool?: ContentSpool;
  /** The `fetch` registry requests go through (a test, a runtime's own); default the global one. */
  fetch?: typeof fetch;
  /** Stops the conversion, and later reads of layer data; promises reject with its reason. */
  signal?: AbortSignal;
  /** Progress of every stage; see {@link ProgressEvent}. */
  onProgress?: (event: ProgressEvent) => void;
  /** Non-fatal problems (e.g. xattrs a file system cannot give); default `console.warn`. */
  onWarning?: (message: string) => void;
}
