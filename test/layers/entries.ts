/**
 * Tar entries for tests that apply layers to in-memory trees, without
 * writing a tar: a plain regular file's fields, overridden as needed.
 *
 * @module
 */
import type { TarEntry } from "../../src/layers/tar/mod.ts";

/**
 * A `TarEntry` for `fields.path`: an empty root-owned 0644 file with mtime
 * 0 and no xattrs, as if its header were the archive's first, unless
 * `fields` says otherwise.
 *
 * @example
 * ```ts
 * import { tarEntry } from "./entries.ts";
 * const dir = tarEntry({ path: "etc", type: "directory", mode: 0o755 });
 * ```
 */
export function tarEntry(fields: Partial<TarEntry> & Pick<TarEntry, "path">): TarEntry {
  return {
    type: "file",
    mode: 0o644,
    uid: 0,
    gid: 0,
    uname: "",
    gname: "",
    size: 0,
    mtime: { sec: 0, nsec: 0 },
    linkname: "",
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
    headerOffset: 0,
    dataOffset: 512,
    ...fields,
  };
}
