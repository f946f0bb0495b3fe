/**
 * A read-only set of named files — a directory, or a tar archive indexed
 * once and read in place — so that an OCI layout is read the same way
 * whether it is a directory (`oci:`) or a tar of one (`oci-archive:`), and a
 * `docker save` archive the same way on disk or as a browser `File`.
 *
 * @module
 */
import { type RandomAccessInput, readTar } from "../layers/tar/mod.ts";
import { fileSize, openFileStream, readSmallFile } from "../runtime/blob_file.ts";
import { openRandomAccessFile } from "../runtime/file_content.ts";

/**
 * Files by relative, `/`-separated path.
 *
 * @example
 * ```ts
 * import { directoryFileSet, type FileSet } from "./file_set.ts";
 * const files: FileSet = directoryFileSet("./layout");
 * console.log(await files.size("index.json"));
 * ```
 */
export interface FileSet {
  /** Where the files are (a directory or archive path), for messages. */
  readonly name: string;
  /** The size of the file at `path`, or `undefined` when there is none. */
  size(path: string): Promise<number | undefined>;
  /**
   * The whole file, or `undefined` when there is none. Throws for a file
   * larger than `max` bytes without reading it.
   */
  read(path: string, max: number): Promise<Uint8Array | undefined>;
  /**
   * The file's bytes; a missing file errors the stream. May be called any
   * number of times.
   */
  open(path: string, options?: OpenOptions): ReadableStream<Uint8Array>;
}

/**
 * Options of {@link FileSet.open}.
 *
 * @example
 * ```ts
 * import type { OpenOptions } from "./file_set.ts";
 * const options: OpenOptions = { length: 4, signal: AbortSignal.timeout(1000) }; // sniff a magic number
 * ```
 */
export interface OpenOptions {
  /** Stops reading (errors the stream with the signal's reason). */
  signal?: AbortSignal;
  /** Only the first `length` bytes; at most the file's size. Default: all. */
  length?: number;
}

/**
 * `path` as a list of plain components: `.` and empty components dropped,
 * a leading `/` ignored, `..` refused (`undefined`), so that no name read
 * from a manifest can reach outside the set.
 */
function components(path: string): string[] | undefined {
  const parts = path.split("/").filter((part) => part !== "" && part !== ".");
  return parts.includes("..") ? undefined : parts;
}

/**
 * Normalises a relative path as the file sets store and look up names
 * (`./blobs//sha256/x` → `blobs/sha256/x`); `undefined` for a path with a
 * `..` component.
 *
 * @example
 * ```ts
 * import { normalizeMemberPath } from "./file_set.ts";
 * normalizeMemberPath("./blobs/sha256/ab"); // "blobs/sha256/ab"
 * normalizeMemberPath("../etc/passwd"); // undefined
 * ```
 */
export function normalizeMemberPath(path: string): string | undefined {
  return components(path)?.join("/");
}

/**
 * Where a symlink at `path` points, as a member path: relative to the link's
 * directory (absolute targets to the archive root), `..` applied; `undefined`
 * when it climbs out of the archive.
 */
function symlinkTarget(path: string, linkname: string): string | undefined {
  const resolved = linkname.startsWith("/") ? [] : path.split("/").slice(0, -1);
  for (const part of linkname.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") resolved.push(part);
    else if (resolved.pop() === undefined) return undefined;
  }
  return resolved.join("/");
}

function errorStream(error: Error): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.error(error);
    },
  });
}

/**
 * The files under directory `dir`.
 *
 * @example
 * ```ts
 * import { directoryFileSet } from "./file_set.ts";
 * const files = directoryFileSet("./layout");
 * const index = await files.read("index.json", 4 << 20);
 * ```
 */
export function directoryFileSet(dir: string): FileSet {
  const root = dir.endsWith("/") ? dir : `${dir}/`;
  const resolve = (path: string): string | undefined => {
    const relative = normalizeMemberPath(path);
    return relative === undefined ? undefined : root + relative;
  };
  return {
    name: dir,
    async size(path) {
      const full = resolve(path);
      return full === undefined ? undefined : await fileSize(full);
    },
    async read(path, max) {
      const full = resolve(path);
      return full === undefined ? undefined : await readSmallFile(full, max);
    },
    open(path, options = {}) {
      const full = resolve(path);
      if (full === undefined) {
        return errorStream(new Error(`${dir}: refusing path ${JSON.stringify(path)}`));
      }
      return openFileStream(full, options);
    },
  };
}

/** Where one archive member's data is, or which member a link names. */
type Member =
  | { readonly kind: "file"; readonly offset: number; readonly size: number }
  | { readonly kind: "link"; readonly target: string };

/** Symlink hops followed before giving up (a loop). */
const MAX_LINKS = 16;

/**
 * Reads a region of the archive as a stream; how depends on where the
 * archive is (a file on disk, a `Blob`).
 *
 * @example
 * ```ts
 * import type { OpenRegion } from "./file_set.ts";
 * const blob = new Blob([new Uint8Array(2048)]);
 * const openRegion: OpenRegion = (offset, length) => blob.slice(offset, offset + length).stream();
 * ```
 */
export type OpenRegion = (
  offset: number,
  length: number,
  signal?: AbortSignal,
) => ReadableStream<Uint8Array>;

/**
 * Indexes a tar archive once (headers only: member data is skipped, not
 * read) and serves its regular files as regions of the archive, all read
 * through `openRegion` (`input` is used only while indexing). Hard links
 * and relative symlinks between members are followed (`docker save` links
 * legacy `ID/layer.tar` names to the real blobs); later members replace
 * earlier ones of the same name, as extraction would.
 *
 * @example
 * ```ts
 * import { blobRandomAccess } from "../layers/tar/mod.ts";
 * import { archiveFileSet } from "./file_set.ts";
 * const file = new Blob([new Uint8Array(1024)]); // e.g. a File from an <input>
 * const files = await archiveFileSet(
 *   "image.tar",
 *   blobRandomAccess(file),
 *   (offset, length) => file.slice(offset, offset + length).stream(),
 * );
 * ```
 */
export async function archiveFileSet(
  name: string,
  input: RandomAccessInput,
  openRegion: OpenRegion,
  signal?: AbortSignal,
): Promise<FileSet> {
  const members = new Map<string, Member>();
  for await (const { entry } of readTar(input, { signal })) {
    const path = normalizeMemberPath(entry.path);
    if (path === undefined || path === "") continue;
    if (entry.type === "file") {
      members.set(path, { kind: "file", offset: entry.dataOffset, size: entry.size });
    } else if (entry.type === "hardlink") {
      members.set(path, { kind: "link", target: entry.linkname });
    } else if (entry.type === "symlink") {
      const target = symlinkTarget(path, entry.linkname);
      if (target !== undefined) members.set(path, { kind: "link", target });
      else members.delete(path);
    } else members.delete(path);
  }
  const find = (path: string): { offset: number; size: number } | undefined => {
    let current = normalizeMemberPath(path);
    for (let hops = 0; current !== undefined && hops <= MAX_LINKS; hops++) {
      const member = members.get(current);
      if (member === undefined) return undefined;
      if (member.kind === "file") return member;
      current = normalizeMemberPath(member.target);
    }
    return undefined;
  };
  return {
    name,
    // deno-lint-ignore require-await -- async turns a throwing lookup into a rejection, as FileSet promises
    async size(path) {
      return find(path)?.size;
    },
    async read(path, max) {
      const member = find(path);
      if (!member) return undefined;
      if (member.size > max) {
        throw new RangeError(
          `${name}: ${path} is ${member.size} bytes, more than the ${max}-byte limit`,
        );
      }
      return new Uint8Array(
        await new Response(openRegion(member.offset, member.size)).arrayBuffer(),
      );
    },
    open(path, options = {}) {
      const member = find(path);
      if (!member) return errorStream(new Error(`${name} has no file ${path}`));
      return openRegion(
        member.offset,
        Math.min(options.length ?? member.size, member.size),
        options.signal,
      );
    },
  };
}

/**
 * {@link archiveFileSet} for a tar archive on disk. The archive is open only
 * while it is indexed; each stream opens it again, so the set needs no
 * closing.
 *
 * @example
 * ```ts
 * import { tarFileSet } from "./file_set.ts";
 * const files = await tarFileSet("image.tar");
 * console.log(await files.size("manifest.json"));
 * ```
 */
export async function tarFileSet(path: string, signal?: AbortSignal): Promise<FileSet> {
  const archive = await openRandomAccessFile(path);
  try {
    return await archiveFileSet(
      path,
      archive,
      (offset, length, streamSignal) =>
        openFileStream(path, { offset, length, signal: streamSignal }),
      signal,
    );
  } finally {
    await archive.close();
  }
}
