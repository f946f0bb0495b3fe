/**
 * Stage "convert": the whole pipeline — source → tree → EROFS image → sink —
 * behind one call. {@link convert} takes a source as written on the command
 * line and an options object, and returns a {@link Conversion} that streams
 * or writes the image; progress arrives as typed {@link ProgressEvent}s. The
 * CLI, the web page and the edge handler all go through here.
 *
 * @example
 * ```ts
 * import { convert } from "./mod.ts";
 * const conversion = await convert("oci:examples/busybox:latest");
 * await conversion.writeTo("busybox.erofs");
 * ```
 *
 * @module
 */
export { convert } from "./convert.ts";
export {
  Conversion,
  type LayerSummary,
  type StageTimes,
  type WriteToOptions,
} from "./conversion.ts";
export { ConvertError } from "./errors.ts";
export type { ConvertOptions } from "./options.ts";
export type { LayerEvent, PlanEvent, ProgressEvent, ResolveEvent, WriteEvent } from "./events.ts";
