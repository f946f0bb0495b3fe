/**
 * The typed record a tar header decodes into, and the error every tar
 * decoding problem is reported as.
 *
 * @module
 */
import type { Timestamp } from "../../tree/mod.ts";
import type { SparseSegment } from "./sparse.ts";

/**
 * What a tar member is. GNU contiguous files (`'7'`) and sparse files (`'S'`)
 * are plain `"file"`s;
 * extension headers (PAX `x`/`g`, GNU `L`/`K`) never surface as entries.
 *
 * @example
 * ```ts
 * import type { TarEntry, TarEntryType } from "./entry.ts";
 * const hasData = (entry: TarEntry) => entry.type === "file";
 * const kinds: TarEntryType[] = ["file", "directory", "symlink"];
 * ```
 */
export type TarEntryType =
  | "file"
  | "hardlink"
  | "symlink"
  | "char"
  | "block"
  | "directory"
  | "fifo";

/**
 * One archive member after all of its extension headers (PAX, GNU long
 * names) have been folded in. Decoded once and then trusted: numbers are safe
 * integers, strings are decoded UTF-8.
 *
 * @example
 * ```ts
 * import { readTar } from "./reader.ts";
 * for await (const { entry } of readTar(new Blob([]))) {
 *   console.log(entry.type, entry.path, entry.mode.toString(8), entry.mtime.sec);
 * }
 * ```
 */
export interface TarEntry {
  /**
   * The member name exactly as archived (may start with `./` or `/`, may end
   * with `/`, may contain `..`): judging it is the job of whoever applies it.
   */
  readonly path: string;
  readonly type: TarEntryType;
  /** Permission bits including setuid, setgid and sticky (0 … 0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Owner name; `""` when absent. */
  readonly uname: string;
  /** Group name; `""` when absent. */
  readonly gname: string;
  /**
   * Bytes of data that follow the header: the file size for `"file"`, and 0
   * for every header-only type (the header's size field is ignored for those,
   * as POSIX, libarchive and Go's archive/tar do).
   */
  readonly size: number;
  /** Modification time; PAX gives nanoseconds and negative values. */
  readonly mtime: Timestamp;
  /** Hard-link or symlink target; `""` for other types. */
  readonly linkname: string;
  /** Device numbers of `"char"` and `"block"` entries; 0 otherwise. */
  readonly devmajor: number;
  readonly devminor: number;
  /** Extended attributes from `SCHILY.xattr.*` / `LIBARCHIVE.xattr.*` records. */
  readonly xattrs: Map<string, Uint8Array>;
  /** Byte offset of the member's first header block (extension headers included). */
  readonly headerOffset: number;
  /**
   * Byte offset of the member's data in the archive, so a seekable archive
   * can be read again later without keeping the bytes. For a sparse member,
   * where its stored segments start (after any PAX 1.0 map).
   */
  readonly dataOffset: number;
  /**
   * Sparse members only (GNU `S`, PAX `GNU.sparse.*`): the stretches of the
   * file that hold data, ascending. Their bytes are stored back to back from
   * {@link dataOffset}; everything else reads as zeros. `size` is the real
   * (expanded) size. Absent for ordinary members.
   */
  readonly sparse?: readonly SparseSegment[];
}

/**
 * A malformed, hostile or unsupported archive. The message names the entry
 * (when its name is known) and the byte offset of its header.
 *
 * @example
 * ```ts
 * import { TarError } from "./entry.ts";
 * const error = new TarError("bad header checksum", { offset: 1024, path: "etc/passwd" });
 * console.log(error.message); // tar entry "etc/passwd" at byte 1024: bad header checksum
 * ```
 */
export class TarError extends Error {
  /** The member name, when known. */
  readonly path?: string;
  /** Byte offset of the header the problem is in. */
  readonly offset: number;
  constructor(message: string, where: { offset: number; path?: string }) {
    const subject = where.path === undefined
      ? `tar header at byte ${where.offset}`
      : `tar entry ${JSON.stringify(where.path)} at byte ${where.offset}`;
    super(`${subject}: ${message}`);
    this.name = "TarError";
    this.path = where.path;
    this.offset = where.offset;
  }
}
