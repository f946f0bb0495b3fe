/**
 * Applying decoded tar entries to a {@link Tree} as plain files: path
 * normalisation (no entry may reach outside the root), metadata, hard links,
 * and "later entries replace earlier ones" — with no whiteout semantics
 * (OCI layers go through `LayerStack` in `layer_stack.ts`, which uses the
 * path rules and the error defined here).
 *
 * @module
 */
import { type FileContent, type Inode, type Metadata, metadata, type Tree } from "../tree/mod.ts";
import type { TarEntry } from "./tar/mod.ts";

/**
 * Where a {@link LayerError} happened, beyond the entry path.
 *
 * @example
 * ```ts
 * import { LayerError, type LayerErrorOptions } from "./apply.ts";
 * const options: LayerErrorOptions = { layer: "sha256:4f1c…" };
 * throw new LayerError("etc/passwd", "path goes through a symlink", options);
 * ```
 */
export interface LayerErrorOptions {
  /** The layer the entry came from: its blob digest, or a file name. */
  layer?: string;
  /** The underlying error (a tar, decompression or tree error). */
  cause?: unknown;
}

/**
 * A layer that cannot be applied: an entry that would escape the root, go
 * through a symlink, link to something that is not there; or a layer whose
 * bytes are broken (bad tar, bad compression, wrong diff_id). The message
 * names the layer (when known) and the entry's path as archived.
 *
 * @example
 * ```ts
 * import { LayerError } from "./apply.ts";
 * const error = new LayerError("../etc/passwd", "path leaves the root ('..')");
 * console.log(error.message); // "../etc/passwd": path leaves the root ('..')
 * const named = new LayerError("etc/passwd", "path goes through a symlink", { layer: "sha256:ab" });
 * console.log(named.message); // layer sha256:ab: "etc/passwd": path goes through a symlink
 * ```
 */
export class LayerError extends Error {
  /** The entry's path as archived; `undefined` for problems of the whole layer. */
  readonly path: string | undefined;
  /** The layer's digest (or file name), when known. */
  readonly layer: string | undefined;
  /** The message without the layer and path. */
  readonly reason: string;
  constructor(path: string | undefined, reason: string, options: LayerErrorOptions = {}) {
    const where: string[] = [];
    if (options.layer !== undefined) where.push(`layer ${options.layer}`);
    if (path !== undefined) where.push(JSON.stringify(path));
    super(
      [...where, reason].join(": "),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "LayerError";
    this.path = path;
    this.layer = options.layer;
    this.reason = reason;
  }
}

/**
 * Normalises an archived path to a tree path: strips leading `/` and `./`,
 * drops `.` and empty components (`a//b`, trailing `/`), and rejects any `..`
 * component — even a harmless `a/../b` — because a layer has no business
 * naming one. `""` is the root.
 *
 * @example
 * ```ts
 * import { normalizeEntryPath } from "./apply.ts";
 * normalizeEntryPath("./usr/bin/"); // "usr/bin"
 * normalizeEntryPath("/etc/passwd"); // "etc/passwd"
 * normalizeEntryPath("./"); // ""
 * ```
 */
export function normalizeEntryPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") throw new LayerError(path, "path leaves the root ('..' component)");
    parts.push(part);
  }
  return parts.join("/");
}

function entryMetadata(entry: TarEntry): Metadata {
  return metadata({
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    mtime: entry.mtime,
    xattrs: entry.xattrs,
  });
}

/**
 * Applies one entry to `tree`. A regular file needs `content` (where its
 * bytes are); other types ignore it. An existing path is replaced, except
 * that a directory over a directory only updates its metadata. Missing parent
 * directories are created by the tree (0755 root:root).
 *
 * @example
 * ```ts
 * import { Tree, bytesContent } from "../tree/mod.ts";
 * import { readTar } from "./tar/mod.ts";
 * import { applyTarEntry } from "./apply.ts";
 *
 * const tree = new Tree();
 * for await (const { entry, body } of readTar(new Blob([]))) {
 *   // Small archives may be held in memory; sources of real images keep references instead.
 *   const bytes = new Uint8Array(entry.size);
 *   let at = 0;
 *   for await (const chunk of body) {
 *     bytes.set(chunk, at);
 *     at += chunk.length;
 *   }
 *   applyTarEntry(tree, entry, bytesContent(bytes));
 * }
 * ```
 */
export function applyTarEntry(tree: Tree, entry: TarEntry, content?: FileContent): void {
  const path = normalizeEntryPath(entry.path);
  const meta = entryMetadata(entry);
  let inode: Inode;
  switch (entry.type) {
    case "hardlink":
      applyHardLink(tree, entry, path);
      return;
    case "file":
      if (!content) throw new LayerError(entry.path, "regular file without content");
      if (content.size !== entry.size) {
        throw new LayerError(
          entry.path,
          `content is ${content.size} bytes, entry says ${entry.size}`,
        );
      }
      inode = { kind: "file", meta, content };
      break;
    case "directory":
      inode = { kind: "directory", meta, entries: new Map() };
      break;
    case "symlink":
      // Stored verbatim and never resolved, so even "../../etc" stays harmless.
      inode = { kind: "symlink", meta, target: entry.linkname };
      break;
    case "char":
    case "block":
      inode = { kind: entry.type, meta, major: entry.devmajor, minor: entry.devminor };
      break;
    case "fifo":
      inode = { kind: "fifo", meta };
      break;
  }
  tree.add(path, inode, "replace");
}

function applyHardLink(tree: Tree, entry: TarEntry, path: string): void {
  let target: string;
  try {
    target = normalizeEntryPath(entry.linkname);
  } catch {
    throw new LayerError(
      entry.path,
      `hard link target ${JSON.stringify(entry.linkname)} leaves the root`,
    );
  }
  const inode = tree.get(target);
  if (!inode) {
    throw new LayerError(
      entry.path,
      `hard link target ${JSON.stringify(entry.linkname)} is not in the archive before it`,
    );
  }
  if (inode.kind === "directory") {
    throw new LayerError(
      entry.path,
      `hard link target ${JSON.stringify(entry.linkname)} is a directory`,
    );
  }
  // Linking a name to the inode it already has (e.g. a repeated member) is a no-op.
  if (tree.get(path) === inode) return;
  tree.add(path, inode, "replace");
}
