/**
 * One layer's entries, collected apart from the layers below as what
 * overlayfs calls an upper directory: what the layer adds or replaces, which
 * names it whites out (`.wh.NAME`) and which directories it makes opaque
 * (`.wh..wh..opq`). Keeping the layer apart until it is complete is what
 * makes the order of entries within a layer irrelevant for whiteouts, as the
 * OCI image spec requires: a whiteout hides only what lies in LOWER layers,
 * never a sibling the same layer adds, wherever in the tar either comes.
 * {@link LayerStack} then merges the collected layer onto the tree.
 *
 * Paths are judged here: `..` components are refused, absolute paths are
 * taken relative to the root, and a path may not pass through a
 * non-directory the same layer created (a symlink above all). Hard links are
 * resolved when they are applied, against the layer so far over the layers
 * below, so a link keeps the inode it found even if its target is replaced
 * later.
 *
 * @module
 */
import {
  checkName,
  directory,
  type DirectoryInode,
  type FileContent,
  type Inode,
  type Metadata,
  metadata,
  splitPath,
  type Tree,
  TreeError,
} from "../tree/mod.ts";
import { LayerError, normalizeEntryPath } from "./apply.ts";
import type { TarEntry } from "./tar/mod.ts";

/**
 * Any inode but a directory: what a layer can put at a name besides a directory.
 *
 * @example
 * ```ts
 * import type { LeafInode } from "./layer_changes.ts";
 * import { metadata } from "../tree/mod.ts";
 * const link: LeafInode = { kind: "symlink", meta: metadata({ mode: 0o777 }), target: "busybox" };
 * ```
 */
export type LeafInode = Exclude<Inode, DirectoryInode>;

/**
 * A directory as one layer sees it.
 *
 * @example
 * ```ts
 * import type { LayerDirectory } from "./layer_changes.ts";
 * const describe = (dir: LayerDirectory) =>
 *   `${dir.inode ? "archived" : "implied"}${dir.opaque ? ", opaque" : ""}, ${dir.whiteouts.size} whiteouts`;
 * ```
 */
export interface LayerDirectory {
  readonly kind: "layer-directory";
  /**
   * The layer's own entry for the directory, which supplies its metadata;
   * `undefined` when only entries below it imply it (then a directory below
   * keeps its metadata, and a new one is 0755 root:root, time 0).
   */
  inode: DirectoryInode | undefined;
  /** The archived path of the first entry that needed this directory (for errors). */
  readonly impliedBy: string;
  /** Whether the layer holds `.wh..wh..opq` here: nothing below shows through. */
  opaque: boolean;
  /** Names whited out here, with the metadata of their whiteout entries. */
  readonly whiteouts: Map<string, Metadata>;
  /** What the layer puts here, by name. */
  readonly children: Map<string, LayerNode>;
}

/**
 * What a layer holds at one name.
 *
 * @example
 * ```ts
 * import type { LayerNode } from "./layer_changes.ts";
 * const isDirectory = (node: LayerNode) => node.kind === "layer-directory";
 * ```
 */
export type LayerNode = LayerDirectory | LeafInode;

/**
 * Name prefix of OCI (AUFS) whiteouts: `.wh.NAME` deletes `NAME`.
 *
 * @example
 * ```ts
 * import { WHITEOUT_PREFIX } from "./layer_changes.ts";
 * const hidden = (name: string) => name.startsWith(WHITEOUT_PREFIX) ? name.slice(WHITEOUT_PREFIX.length) : undefined;
 * ```
 */
export const WHITEOUT_PREFIX = ".wh.";
/**
 * The whiteout that makes its directory opaque.
 *
 * @example
 * ```ts
 * import { OPAQUE_WHITEOUT } from "./layer_changes.ts";
 * const isOpaqueMarker = (path: string) => path.split("/").pop() === OPAQUE_WHITEOUT;
 * ```
 */
export const OPAQUE_WHITEOUT = ".wh..wh..opq";
/** Prefix of AUFS metadata (`.wh..wh.plnk`, `.wh..wh.aufs`), ignored as Docker does. */
const AUFS_META_PREFIX = ".wh..wh.";

/**
 * Whether an inode is an overlayfs whiteout: a character device 0:0.
 *
 * @example
 * ```ts
 * import { isWhiteoutDevice } from "./layer_changes.ts";
 * import { metadata } from "../tree/mod.ts";
 * isWhiteoutDevice({ kind: "char", meta: metadata({ mode: 0 }), major: 0, minor: 0 }); // true
 * ```
 */
export function isWhiteoutDevice(inode: Inode | undefined): boolean {
  return inode?.kind === "char" && inode.major === 0 && inode.minor === 0;
}

/**
 * Whether an xattr is overlayfs metadata (`trusted.overlay.*`,
 * `user.overlay.*`). Such xattrs in a layer's tar are dropped: only overlayfs
 * interprets them, and a layer must not be able to plant redirects, metacopy
 * or opaque markers that the whiteouts do not say.
 *
 * @example
 * ```ts
 * import { isOverlayXattr } from "./layer_changes.ts";
 * isOverlayXattr("trusted.overlay.redirect"); // true
 * isOverlayXattr("user.mime_type"); // false
 * ```
 */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.");
}

function newDirectory(impliedBy: string, inode?: DirectoryInode): LayerDirectory {
  return {
    kind: "layer-directory",
    inode,
    impliedBy,
    opaque: false,
    whiteouts: new Map(),
    children: new Map(),
  };
}

/**
 * The changes one layer makes, collected entry by entry.
 *
 * @example
 * ```ts
 * import { Tree } from "../tree/mod.ts";
 * import { readTar } from "./tar/mod.ts";
 * import { LayerChanges } from "./layer_changes.ts";
 *
 * const lower = new Tree();
 * const changes = new LayerChanges("sha256:4f1c…", lower);
 * for await (const { entry } of readTar(new Blob([]))) {
 *   if (entry.type !== "file") changes.apply(entry);
 * }
 * console.log(changes.root.children.size);
 * ```
 */
export class LayerChanges {
  /** Names the layer in errors (its blob digest); `undefined`: errors name the entry only. */
  readonly layer: string | undefined;
  /** The layer's view of the root directory. */
  readonly root: LayerDirectory = newDirectory("");
  #lower: Tree;

  /**
   * @param layer names the layer in errors (`undefined`: no name)
   * @param lower the layers below, merged so far (read only here: hard links
   *   to their inodes are resolved against it)
   */
  constructor(layer: string | undefined, lower: Tree) {
    this.layer = layer;
    this.#lower = lower;
  }

  /**
   * Applies one entry. A regular file needs `content` of the entry's size
   * (where its bytes are); other types ignore it. Throws {@link LayerError}
   * naming the layer and the entry for anything it cannot apply.
   */
  apply(entry: TarEntry, content?: FileContent): void {
    try {
      this.#apply(entry, content);
    } catch (error) {
      throw this.#named(entry.path, error);
    }
  }

  #apply(entry: TarEntry, content: FileContent | undefined): void {
    const names = splitPath(normalizeEntryPath(entry.path));
    if (names.length === 0) {
      if (entry.type !== "directory") {
        throw new LayerError(entry.path, `the root must be a directory, not a ${entry.type}`);
      }
      this.root.inode = directory(entryMetadata(entry));
      return;
    }
    for (const name of names) checkName(entry.path, name);
    const base = names[names.length - 1];
    const parents = names.slice(0, -1);
    // AUFS bookkeeping (`.wh..wh.plnk/…`, `.wh..wh.aufs`): skipped, as Docker does.
    if (
      names.some((name, i) =>
        name.startsWith(AUFS_META_PREFIX) && (i < names.length - 1 || name !== OPAQUE_WHITEOUT)
      )
    ) {
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const dir = this.#directory(parents, entry.path);
      if (base === OPAQUE_WHITEOUT) dir.opaque = true;
      else {
        const name = base.slice(WHITEOUT_PREFIX.length);
        if (name === "." || name === "..") {
          throw new LayerError(entry.path, `whiteout of '${name}'`);
        }
        checkName(entry.path, name);
        dir.whiteouts.set(name, { ...entryMetadata(entry), mode: 0 });
      }
      return;
    }
    const dir = this.#directory(parents, entry.path);
    const meta = entryMetadata(entry);
    switch (entry.type) {
      case "directory": {
        const existing = dir.children.get(base);
        const inode = directory(meta);
        // A directory over a directory of the same layer keeps what is below it.
        if (existing?.kind === "layer-directory") existing.inode = inode;
        else dir.children.set(base, newDirectory(entry.path, inode));
        return;
      }
      case "hardlink":
        dir.children.set(base, this.#linkTarget(entry));
        return;
      case "file":
        if (!content) throw new LayerError(entry.path, "regular file without content");
        if (content.size !== entry.size) {
          throw new LayerError(
            entry.path,
            `content is ${content.size} bytes, entry says ${entry.size}`,
          );
        }
        dir.children.set(base, { kind: "file", meta, content });
        return;
      case "symlink":
        // Stored verbatim and never resolved, so even "../../etc" stays harmless.
        dir.children.set(base, { kind: "symlink", meta, target: entry.linkname });
        return;
      case "char":
      case "block":
        dir.children.set(base, {
          kind: entry.type,
          meta,
          major: entry.devmajor,
          minor: entry.devminor,
        });
        return;
      case "fifo":
        dir.children.set(base, { kind: "fifo", meta });
        return;
    }
  }

  /** The layer's directory at `names`, creating implied ones. */
  #directory(names: readonly string[], path: string): LayerDirectory {
    let dir = this.root;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (name.startsWith(WHITEOUT_PREFIX)) {
        throw new LayerError(path, `whiteout name ${JSON.stringify(name)} used as a directory`);
      }
      let next = dir.children.get(name);
      if (next === undefined) {
        next = newDirectory(path);
        dir.children.set(name, next);
      }
      if (next.kind !== "layer-directory") {
        const parent = names.slice(0, i + 1).join("/");
        const what = next.kind === "symlink"
          ? `a symlink (to ${JSON.stringify(next.target)})`
          : `a ${next.kind}`;
        throw new LayerError(
          path,
          `parent ${
            JSON.stringify(parent)
          } is ${what} in the same layer; refusing to go through it`,
        );
      }
      dir = next;
    }
    return dir;
  }

  /**
   * Resolves a hard link's target in this layer so far over the layers
   * below, without following symlinks; whiteouts and opaque directories the
   * layer has shown so far hide what is below them.
   */
  #linkTarget(entry: TarEntry): LeafInode {
    let path: string;
    try {
      path = normalizeEntryPath(entry.linkname);
    } catch {
      throw new LayerError(
        entry.path,
        `hard link target ${JSON.stringify(entry.linkname)} leaves the root`,
      );
    }
    const target = JSON.stringify(entry.linkname);
    const isDirectory = () =>
      new LayerError(entry.path, `hard link target ${target} is a directory`);
    const missing = () =>
      new LayerError(
        entry.path,
        `hard link target ${target} does not exist in this layer or below`,
      );
    const names = splitPath(path);
    if (names.length === 0) throw isDirectory();
    let upper: LayerDirectory | undefined = this.root;
    let lower: Inode | undefined = this.#lower.root;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const last = i === names.length - 1;
      const hidden = upper !== undefined && (upper.opaque || upper.whiteouts.has(name));
      const below: Inode | undefined = !hidden && lower?.kind === "directory"
        ? lower.entries.get(name)
        : undefined;
      const mine = upper?.children.get(name);
      if (mine?.kind === "layer-directory") {
        if (last) throw isDirectory();
        upper = mine;
        lower = below?.kind === "directory" ? below : undefined;
        continue;
      }
      if (mine !== undefined) {
        if (last) return mine;
        throw missing(); // through a non-directory: hard links never follow symlinks
      }
      if (below === undefined || isWhiteoutDevice(below)) throw missing();
      if (last) {
        if (below.kind === "directory") throw isDirectory();
        return below;
      }
      if (below.kind !== "directory") throw missing();
      upper = undefined;
      lower = below;
    }
    throw missing(); // not reached: the loop returns or throws on the last name
  }

  /** Wraps any error about an entry into a {@link LayerError} naming the layer. */
  #named(path: string, error: unknown): LayerError {
    if (error instanceof LayerError) {
      if (error.layer !== undefined || this.layer === undefined) return error;
      return new LayerError(error.path ?? path, error.reason, {
        layer: this.layer,
        cause: error.cause,
      });
    }
    if (error instanceof TreeError) {
      // The tree's message starts with the path, which the layer error names anyway.
      const prefix = `${JSON.stringify(error.path)}: `;
      const reason = error.message.startsWith(prefix)
        ? error.message.slice(prefix.length)
        : error.message;
      return new LayerError(path, reason, { layer: this.layer, cause: error });
    }
    throw error;
  }
}

/** The metadata of an entry, overlayfs xattrs left out (see {@link isOverlayXattr}). */
function entryMetadata(entry: TarEntry): Metadata {
  const xattrs = new Map<string, Uint8Array>();
  for (const [name, value] of entry.xattrs) if (!isOverlayXattr(name)) xattrs.set(name, value);
  return metadata({ mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime, xattrs });
}
