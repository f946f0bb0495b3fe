/**
 * The messages between the page and its conversion worker. Everything that
 * crosses is plain data (structured clone); errors arrive already described
 * ({@link ErrorReport}) because error classes do not survive the crossing.
 *
 * The conversion runs in two steps the user sees: `convert` reads the image
 * (pass 1: every layer downloaded, checked and its tar headers applied) and
 * answers with the tree listing; only then does `save` stream the EROFS image
 * (pass 2: layers read again for the file data that survived), pulled chunk by
 * chunk by the page so memory stays bounded however slow the disk is.
 *
 * @module
 */

/**
 * What to convert.
 *
 * @example
 * ```ts
 * import type { ConvertRequest } from "./protocol.ts";
 * const request: ConvertRequest = {
 *   type: "convert",
 *   reference: "docker.io/library/alpine:latest",
 *   platform: "linux/amd64",
 *   proxy: "https://proxy.example/",
 * };
 * ```
 */
export interface ConvertRequest {
  readonly type: "convert";
  /** Image reference as typed (`alpine`, `ghcr.io/o/app:1`, `host:5000/x@sha256:…`). */
  readonly reference: string;
  /** `os/arch[/variant]`. */
  readonly platform: string;
  /** The CORS registry proxy's base URL. */
  readonly proxy: string;
  /** Registry credentials; absent means anonymous. */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** `-z` algorithm (`lz4`, `lz4hc`, `deflate`) at its default level; absent for a plain image. */
  readonly compression?: string;
}

/**
 * Page → worker.
 *
 * @example
 * ```ts
 * import type { PageMessage } from "./protocol.ts";
 * const next: PageMessage = { type: "pull", id: 1 };
 * ```
 */
export type PageMessage =
  /** `id` tags every message about this conversion, so stale ones can be told apart. */
  | ConvertRequest & { readonly id: number }
  /** Start (or continue) streaming image `id`: the worker answers one `chunk` or `end`. */
  | { readonly type: "pull"; readonly id: number }
  /** Stop whatever is running. */
  | { readonly type: "cancel" };

/**
 * One entry of the image's tree, flattened for the listing.
 *
 * @example
 * ```ts
 * import type { TreeEntry } from "./protocol.ts";
 * const entry: TreeEntry = { path: "/bin/sh", kind: "symlink", size: 7, mode: 0o777, uid: 0, gid: 0, target: "busybox" };
 * ```
 */
export interface TreeEntry {
  /** Absolute path, `/` for the root. */
  readonly path: string;
  readonly kind: "file" | "directory" | "symlink" | "char" | "block" | "fifo" | "socket";
  /** File bytes, symlink target length, entries of a directory; 0 otherwise. */
  readonly size: number;
  /** Permission bits (and setuid/setgid/sticky). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Symlink target, or `major,minor` of a device. */
  readonly target?: string;
}

/**
 * How a failure is shown: a short title naming what went wrong, and the
 * library's own message as the detail.
 *
 * @example
 * ```ts
 * import type { ErrorReport } from "./protocol.ts";
 * const report: ErrorReport = { title: "Not found", detail: "host/x: tag 2 not found; it has 1 (HTTP 404)" };
 * ```
 */
export interface ErrorReport {
  readonly title: string;
  readonly detail: string;
}

/**
 * What a conversion reports, worker → page.
 *
 * @example
 * ```ts
 * import type { WorkerEvent } from "./protocol.ts";
 * function onEvent(event: WorkerEvent) {
 *   if (event.type === "error") console.error(event.error.title);
 * }
 * ```
 */
export type WorkerEvent =
  | { readonly type: "stage"; readonly stage: "resolving" | "reading" | "planning" }
  | {
    readonly type: "resolved";
    readonly reference: string;
    readonly digest: string;
    readonly platform: string;
    /** Number of layers. */
    readonly layers: number;
  }
  /** Pass 1 progress of layer `index`: bytes of its blob read so far. */
  | {
    readonly type: "layer";
    readonly index: number;
    readonly digest: string;
    readonly read: number;
    /** The blob's size, when known. */
    readonly size?: number;
    /** Tar members read so far. */
    readonly entries: number;
    readonly done: boolean;
  }
  | {
    readonly type: "tree";
    readonly entries: readonly TreeEntry[];
    /** EROFS image size in bytes; unknown until written for compressed images. */
    readonly imageSize: number | undefined;
    readonly inodes: number;
    readonly blockSize: number;
    /** Milliseconds spent reading the image (pass 1) and planning. */
    readonly elapsedMs: number;
  }
  | { readonly type: "chunk"; readonly bytes: Uint8Array; readonly written: number }
  | { readonly type: "end"; readonly written: number }
  | { readonly type: "error"; readonly error: ErrorReport };

/**
 * A {@link WorkerEvent} as posted: tagged with the `id` of the conversion it
 * belongs to. Events of a cancelled or replaced conversion that were already
 * on their way are dropped by the page.
 *
 * @example
 * ```ts
 * import type { WorkerMessage } from "./protocol.ts";
 * const current = 2;
 * const isCurrent = (message: WorkerMessage) => message.id === current;
 * ```
 */
export type WorkerMessage = WorkerEvent & { readonly id: number };
