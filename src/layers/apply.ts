/**
 * Applying decoded layer entries to a {@link Tree}: path normalisation (no
 * entry may reach outside the root), metadata, hard links, and "later entries
 * replace earlier ones". Whiteouts arrive here with OCI layers (later).
 *
 * @module
 */
import {
  type FileContent,
  type Inode,
  type Metadata,
  metadata,
  type Tree,
} from "../tree/mod.ts";
import type { TarEntry } from "./tar/mod.ts";

/**
 * An entry that cannot be applied: it would escape the root, or it links to
 * something that is not there. Names the entry's path (and the link target).
 *
 * @example
 * ```ts
 * import { LayerError } from "./apply.ts";
 * const error = new LayerError("../etc/passwd", "path leaves the root ('..')");
 * console.log(error.message); // "../etc/passwd": path leaves the root ('..')
 * ```
 */
export class LayerError extends Error {
  /** The entry's path as archived. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${JSON.stringify(path)}: ${message}`);
    this.name = "LayerError";
    this.path = path;
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
        throw new LayerError(entry.path, `content is ${content.size} bytes, entry says ${entry.size}`);
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
    throw new LayerError(entry.path, `hard link target ${JSON.stringify(entry.linkname)} leaves the root`);
  }
  const inode = tree.get(target);
  if (!inode) {
    throw new LayerError(
      entry.path,
      `hard link target ${JSON.stringify(entry.linkname)} is not in the archive before it`,
    );
  }
  if (inode.kind === "directory") {
    throw new LayerError(entry.path, `hard link target ${JSON.stringify(entry.linkname)} is a directory`);
  }
  // Linking a name to the inode it already has (e.g. a repeated member) is a no-op.
  if (tree.get(path) === inode) return;
  tree.add(path, inode, "replace");
}
