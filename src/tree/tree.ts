/**
 * A rooted directory tree of {@link Inode}s addressed by `/`-separated paths,
 * with the name rules every EROFS image must obey checked at insertion.
 *
 * @module
 */
import { utf8Length } from "./utf8.ts";
import { directory, type DirectoryInode, type Inode, type Metadata, metadata } from "./inode.ts";

/** Longest name EROFS (and Linux) accepts, in UTF-8 bytes. */
export const NAME_MAX = 255;

/**
 * A problem with a path or an inode in the tree; names the offending path.
 *
 * @example
 * ```ts
 * import { Tree, TreeError } from "./tree.ts";
 * import { directory } from "./inode.ts";
 * const tree = new Tree();
 * tree.add("etc", directory());
 * try {
 *   tree.add("etc", directory());
 * } catch (error) {
 *   if (error instanceof TreeError) console.error(error.message);
 * }
 * ```
 */
export class TreeError extends Error {
  /** The path the problem is about, as given to the tree. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${JSON.stringify(path)}: ${message}`);
    this.name = "TreeError";
    this.path = path;
  }
}

/**
 * Checks one path component: 1–255 UTF-8 bytes, no `/`, no NUL, not `.`/`..`.
 * Throws {@link TreeError} naming `path` otherwise.
 *
 * @example
 * ```ts
 * import { checkName } from "./tree.ts";
 * checkName("etc/passwd", "passwd"); // fine
 * ```
 */
export function checkName(path: string, name: string): void {
  if (name.length === 0) throw new TreeError(path, "empty file name");
  if (name.includes("/")) throw new TreeError(path, "file name contains '/'");
  if (name.includes("\0")) throw new TreeError(path, "file name contains NUL");
  if (name === "." || name === "..") throw new TreeError(path, `'${name}' is not a file name`);
  const bytes = utf8Length(name);
  if (bytes > NAME_MAX) {
    throw new TreeError(path, `file name is ${bytes} bytes; at most ${NAME_MAX} allowed`);
  }
}

/** Splits a tree path into components, ignoring leading `/`, `./` and empty parts. */
export function splitPath(path: string): string[] {
  return path.split("/").filter((part) => part !== "" && part !== ".");
}

/** How {@link Tree.add} treats a path that already exists. */
export type OnExisting = "error" | "replace";

/**
 * A directory tree rooted at {@link Tree.root}.
 *
 * @example
 * ```ts
 * import { Tree } from "./tree.ts";
 * import { metadata } from "./inode.ts";
 * import { bytesContent } from "./content.ts";
 *
 * const tree = new Tree();
 * tree.add("etc/hostname", {
 *   kind: "file",
 *   meta: metadata({ mode: 0o644 }),
 *   content: bytesContent(new TextEncoder().encode("box\n")),
 * });
 * tree.link("etc/hostname.bak", "etc/hostname"); // a hard link
 * ```
 */
export class Tree {
  /** The root directory. */
  readonly root: DirectoryInode;
  #parentMeta: () => Metadata;

  /**
   * @param rootMeta metadata of the root directory (default 0755 root:root)
   * @param parentMeta makes the metadata of parents created implicitly
   */
  constructor(rootMeta: Metadata = metadata(), parentMeta: () => Metadata = () => metadata()) {
    this.root = directory(rootMeta);
    this.#parentMeta = parentMeta;
  }

  /** Looks `path` up without following symlinks; `""` is the root. */
  get(path: string): Inode | undefined {
    let node: Inode = this.root;
    for (const name of splitPath(path)) {
      if (node.kind !== "directory") return undefined;
      const next = node.entries.get(name);
      if (!next) return undefined;
      node = next;
    }
    return node;
  }

  /**
   * Puts `inode` at `path`, creating missing parent directories. An existing
   * entry is an error unless `onExisting` is `"replace"`. A directory put over
   * a directory keeps the old entries (layers merge that way).
   */
  add(path: string, inode: Inode, onExisting: OnExisting = "error"): void {
    const names = splitPath(path);
    if (names.length === 0) {
      if (inode.kind !== "directory") throw new TreeError(path, "the root must be a directory");
      this.root.meta = inode.meta;
      return;
    }
    const parent = this.#parentOf(path, names);
    const name = names[names.length - 1];
    checkName(path, name);
    const existing = parent.entries.get(name);
    if (existing) {
      if (onExisting === "error") throw new TreeError(path, "duplicate path");
      if (existing.kind === "directory" && inode.kind === "directory" && existing !== inode) {
        existing.meta = inode.meta;
        for (const [child, node] of inode.entries) existing.entries.set(child, node);
        return;
      }
    }
    parent.entries.set(name, inode);
  }

  /** Makes `path` another name of the inode at `target` (a hard link). */
  link(path: string, target: string, onExisting: OnExisting = "error"): void {
    const inode = this.get(target);
    if (!inode) {
      throw new TreeError(path, `hard link target ${JSON.stringify(target)} does not exist`);
    }
    if (inode.kind === "directory") {
      throw new TreeError(path, `hard link target ${JSON.stringify(target)} is a directory`);
    }
    this.add(path, inode, onExisting);
  }

  /** Removes `path` and everything below it; returns whether it existed. */
  remove(path: string): boolean {
    const names = splitPath(path);
    if (names.length === 0) throw new TreeError(path, "cannot remove the root");
    const parent = this.get(names.slice(0, -1).join("/"));
    if (parent?.kind !== "directory") return false;
    return parent.entries.delete(names[names.length - 1]);
  }

  /**
   * Visits every (path, inode) pair depth-first, parents before children,
   * entries in insertion order. Hard links are visited once per name.
   */
  *walk(): Generator<[string, Inode]> {
    const stack: [string, Inode][] = [["", this.root]];
    while (stack.length > 0) {
      const [path, node] = stack.pop()!;
      yield [path, node];
      if (node.kind === "directory") {
        const children = [...node.entries].reverse();
        for (const [name, child] of children) {
          stack.push([path === "" ? name : `${path}/${name}`, child]);
        }
      }
    }
  }

  #parentOf(path: string, names: string[]): DirectoryInode {
    let dir = this.root;
    for (const name of names.slice(0, -1)) {
      checkName(path, name);
      let next = dir.entries.get(name);
      if (!next) {
        next = directory(this.#parentMeta());
        dir.entries.set(name, next);
      }
      if (next.kind !== "directory") {
        throw new TreeError(path, `parent ${JSON.stringify(name)} is not a directory`);
      }
      dir = next;
    }
    return dir;
  }
}
