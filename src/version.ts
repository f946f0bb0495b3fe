/**
 * The toolkit's version: the one place it is written in code. A test keeps
 * it equal to `package.json` and `deno.json`, which publish it.
 *
 * @module
 */

/**
 * The oci2erofs version (semver).
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`oci2erofs ${VERSION}`);
 * ```
 */
export const VERSION = "0.1.0";
