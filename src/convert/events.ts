/**
 * The progress events a conversion reports, one `type` per stage: the image
 * resolved, each layer read (pass 1), the layout planned, and image bytes
 * written (pass 2, where surviving file data is read again). New fields may
 * be added to any event; switch on `type` and ignore what you don't know.
 *
 * @module
 */
import type { LayerProgress } from "../layers/mod.ts";

/**
 * The image was found and resolved to one platform's manifest (image
 * sources only).
 *
 * @example
 * ```ts
 * import type { ResolveEvent } from "./events.ts";
 * const log = (e: ResolveEvent) => console.log(`${e.reference} ${e.platform}: ${e.layers} layers`);
 * ```
 */
export interface ResolveEvent {
  readonly type: "resolve";
  /** What was named, e.g. `docker.io/library/alpine:latest` or `oci:./layout`. */
  readonly reference: string;
  /** Digest of the image manifest. */
  readonly digest: string;
  /** `os/architecture[/variant]`. */
  readonly platform: string;
  /** Number of layers in the image. */
  readonly layers: number;
}

/**
 * Pass 1 read a layer: reported when it starts, as its bytes arrive, and when
 * it has been read and checked (`done`). `digest` is the layer's blob digest
 * (its name for tar sources); the other fields are the layer stage's
 * {@link LayerProgress}: `bytes` uncompressed, `read` / `size` as stored,
 * `totalRead` / `totalSize` over all layers.
 *
 * @example
 * ```ts
 * import type { LayerEvent } from "./events.ts";
 * const log = (e: LayerEvent) =>
 *   console.log(`layer ${e.index + 1}/${e.count} ${e.digest}: ${e.read} of ${e.size ?? "?"} bytes`);
 * ```
 */
export type LayerEvent = { readonly type: "layer"; readonly digest: string } & LayerProgress;

/**
 * The tree is complete and the image laid out: its size (when known before
 * writing) and inode count.
 *
 * @example
 * ```ts
 * import type { PlanEvent } from "./events.ts";
 * const log = (e: PlanEvent) => console.log(`${e.inodes} inodes, ${e.size ?? "?"} bytes`);
 * ```
 */
export interface PlanEvent {
  readonly type: "plan";
  readonly inodes: number;
  readonly blockSize: number;
  /** Image size in bytes; `undefined` when only writing tells (compressed images). */
  readonly size: number | undefined;
}

/**
 * Pass 2: image bytes handed to the sink so far. Reported per chunk while
 * an image is streamed or written; the last one has `bytes === total`.
 *
 * @example
 * ```ts
 * import type { WriteEvent } from "./events.ts";
 * const log = (e: WriteEvent) => console.log(`${e.bytes} of ${e.total ?? "?"} bytes`);
 * ```
 */
export interface WriteEvent {
  readonly type: "write";
  readonly bytes: number;
  /** The image size, when known. */
  readonly total: number | undefined;
}

/**
 * Any progress event; switch on `type`.
 *
 * @example
 * ```ts
 * import type { ProgressEvent } from "./events.ts";
 * function show(event: ProgressEvent) {
 *   switch (event.type) {
 *     case "layer": return console.log(`layer ${event.index + 1}/${event.count}`);
 *     case "write": return console.log(`${event.bytes} bytes written`);
 *   }
 * }
 * ```
 */
export type ProgressEvent = ResolveEvent | LayerEvent | PlanEvent | WriteEvent;
