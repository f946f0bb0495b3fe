/**
 * Layers stacked into one {@link Tree}, bottom to top, the way overlayfs
 * would show them: a later entry replaces an earlier one, a directory over a
 * directory merges (taking the later metadata), a whiteout deletes the named
 * entry and everything below it, an opaque directory drops all lower
 * content. Each layer is collected whole first ({@link LayerChanges}) and
 * then merged, so whiteouts act on the lower layers only.
 *
 * Two results:
 * - flattened (default): whiteouts applied and gone — one root file system;
 * - `keepWhiteouts`: the stack is itself an overlayfs layer, to be mounted
 *   above layers that are not in it. A whiteout becomes a character device
 *   0:0 with permission bits 0000 (replacing whatever the stack had there),
 *   an opaque directory gets `trusted.overlay.opaque` = `y`, a directory that
 *   replaces a non-directory is opaque too (that non-directory hid the lower
 *   layers' directory, so must the replacement), and every directory holding
 *   a whiteout gets an empty `trusted.overlay.origin` — what `mkfs.erofs`
 *   writes so that overlayfs does not take its shortcut of iterating a
 *   directory directly, which would expose the whiteouts.
 *
 * @module
 */
import { directory, type DirectoryInode, type Inode, metadata, Tree } from "../tree/mod.ts";
import { LayerError } from "./apply.ts";
import { isWhiteoutDevice, LayerChanges, type LayerDirectory } from "./layer_changes.ts";

/**
 * The xattr that makes an overlayfs directory opaque (value `y`).
 *
 * @example
 * ```ts
 * import { OVERLAY_OPAQUE } from "./layer_stack.ts";
 * import type { Inode } from "../tree/mod.ts";
 * const isOpaque = (dir: Inode) => dir.meta.xattrs.has(OVERLAY_OPAQUE);
 * ```
 */
export const OVERLAY_OPAQUE = "trusted.overlay.opaque";
/**
 * The xattr mkfs.erofs puts, empty, on directories holding whiteouts.
 *
 * @example
 * ```ts
 * import { OVERLAY_ORIGIN } from "./layer_stack.ts";
 * import type { Inode } from "../tree/mod.ts";
 * const holdsWhiteouts = (dir: Inode) => dir.meta.xattrs.has(OVERLAY_ORIGIN);
 * ```
 */
export const OVERLAY_ORIGIN = "trusted.overlay.origin";
const YES = new Uint8Array([0x79]); // "y"

/**
 * How {@link LayerStack} treats whiteouts.
 *
 * @example
 * ```ts
 * import type { LayerStackOptions } from "./layer_stack.ts";
 * const perLayer: LayerStackOptions = { keepWhiteouts: true };
 * ```
 */
export interface LayerStackOptions {
  /**
   * Keep whiteouts and opaque directories as overlayfs metadata instead of
   * applying them away (default false: a flattened file system).
   */
  keepWhiteouts?: boolean;
}

/**
 * A tree built from layers, bottom first.
 *
 * @example
 * ```ts
 * import { readTar } from "./tar/mod.ts";
 * import { LayerStack } from "./layer_stack.ts";
 *
 * const stack = new LayerStack();
 * for (const [digest, blob] of [["sha256:aa…", new Blob([])], ["sha256:bb…", new Blob([])]] as const) {
 *   const changes = stack.begin(digest);
 *   for await (const { entry } of readTar(blob)) if (entry.type !== "file") changes.apply(entry);
 *   stack.commit(changes);
 * }
 * const tree = stack.finish();
 * ```
 */
export class LayerStack {
  /** The layers merged so far. */
  readonly tree: Tree = new Tree();
  #keep: boolean;
  #open: LayerChanges | undefined;

  constructor(options: LayerStackOptions = {}) {
    this.#keep = options.keepWhiteouts ?? false;
  }

  /** Whether whiteouts are kept as overlayfs metadata. */
  get keepWhiteouts(): boolean {
    return this.#keep;
  }

  /**
   * Starts collecting the next layer, named `layer` in errors (its digest;
   * omitted, errors name the entry only).
   */
  begin(layer?: string): LayerChanges {
    if (this.#open) throw new Error(`layer ${this.#open.layer ?? ""} is still open`);
    this.#open = new LayerChanges(layer, this.tree);
    return this.#open;
  }

  /**
   * Merges a collected layer onto the tree. Throws {@link LayerError} when
   * the layer puts something below a lower layer's symlink or file (a path
   * through a symlink is refused, never followed).
   */
  commit(changes: LayerChanges): void {
    if (changes !== this.#open) {
      throw new Error(`layer ${changes.layer ?? ""} was not begun on this stack`);
    }
    this.#open = undefined;
    this.#merge(changes.root, this.tree.root, changes.layer);
  }

  /** Finishes the tree (overlayfs origin markers when keeping whiteouts) and returns it. */
  finish(): Tree {
    if (this.#open) throw new Error(`layer ${this.#open.layer ?? ""} is still open`);
    if (this.#keep) {
      for (const [, inode] of this.tree.walk()) {
        if (inode.kind !== "directory") continue;
        for (const child of inode.entries.values()) {
          if (isWhiteoutDevice(child)) {
            inode.meta.xattrs.set(OVERLAY_ORIGIN, new Uint8Array());
            break;
          }
        }
      }
    }
    return this.tree;
  }

  /**
   * Merges a layer's directory onto a directory of the tree, and so on down
   * (with an explicit stack: a hostile layer may nest very deep).
   */
  #merge(root: LayerDirectory, rootDir: DirectoryInode, layer: string | undefined): void {
    const tasks: [LayerDirectory, DirectoryInode, string][] = [[root, rootDir, ""]];
    while (tasks.length > 0) {
      const [upper, lower, path] = tasks.pop()!;
      if (upper.inode) {
        const meta = upper.inode.meta;
        // Once opaque within the stack, a directory stays opaque: it must keep
        // hiding the layers below the stack whatever later layers say about it.
        if (this.#keep && lower.meta.xattrs.has(OVERLAY_OPAQUE)) {
          meta.xattrs.set(OVERLAY_OPAQUE, YES);
        }
        lower.meta = meta;
      }
      if (upper.opaque) {
        lower.entries.clear();
        if (this.#keep) lower.meta.xattrs.set(OVERLAY_OPAQUE, YES);
      }
      for (const [name, meta] of upper.whiteouts) {
        // Kept even where nothing is below in the stack: layers below the stack may hold the name.
        if (this.#keep) {
          lower.entries.set(name, { kind: "char", meta: { ...meta }, major: 0, minor: 0 });
        } else lower.entries.delete(name);
      }
      for (const [name, node] of upper.children) {
        const existing = lower.entries.get(name);
        if (node.kind !== "layer-directory") {
          lower.entries.set(name, node);
          continue;
        }
        const childPath = path === "" ? name : `${path}/${name}`;
        if (existing?.kind === "directory") {
          tasks.push([node, existing, childPath]);
          continue;
        }
        if (existing !== undefined && node.inode === undefined && !isWhiteoutDevice(existing)) {
          throw throughLower(node.impliedBy, childPath, existing, layer);
        }
        // A new directory, filled by merging the layer's onto it.
        const fresh = directory(node.inode?.meta ?? metadata());
        // It replaces a non-directory (or a whiteout) that hid lower layers' directory: so must it.
        if (this.#keep && existing !== undefined) fresh.meta.xattrs.set(OVERLAY_OPAQUE, YES);
        lower.entries.set(name, fresh);
        tasks.push([node, fresh, childPath]);
      }
    }
  }
}

/** The error for an entry whose implied parent is a lower layer's non-directory. */
function throughLower(
  entryPath: string,
  parent: string,
  existing: Inode,
  layer: string | undefined,
): LayerError {
  const what = existing.kind === "symlink"
    ? `a symlink (to ${JSON.stringify(existing.target)}) in a lower layer; refusing to follow it`
    : `a ${existing.kind} in a lower layer, and this layer does not replace it with a directory`;
  return new LayerError(entryPath, `parent ${JSON.stringify(parent)} is ${what}`, { layer });
}
