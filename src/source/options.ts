/**
 * The options every source accepts.
 *
 * @module
 */

/**
 * How a source reports and stops.
 *
 * @example
 * ```ts
 * import type { SourceOptions } from "./options.ts";
 * const options: SourceOptions = { onWarning: (message) => console.warn(message) };
 * ```
 */
export interface SourceOptions {
  /** Non-fatal problems (e.g. xattrs unavailable); default `console.warn`. */
  onWarning?: (message: string) => void;
  /** Stops reading; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Layered input (`tar:`): keep whiteouts as overlayfs metadata instead of
   * applying them (for images stacked as overlay layers).
   */
  keepWhiteouts?: boolean;
}
