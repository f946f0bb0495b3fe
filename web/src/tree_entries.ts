/**
 * Flattening a {@link Tree} into the listing the page shows: one
 * {@link TreeEntry} per path, depth first with names sorted, so a directory
 * comes right before its contents.
 *
 * @module
 */
import type { Inode, Tree } from "../../src/tree/mod.ts";
import type { TreeEntry } from "./protocol.ts";

/**
 * The entries of `tree`, root first.
 *
 * @example
 * ```ts
 * import { Tree } from "../../src/tree/mod.ts";
 * import { treeEntries } from "./tree_entries.ts";
 * treeEntries(new Tree()).map((e) => e.path); // ["/"]
 * ```
 */
export function treeEntries(tree: Tree): TreeEntry[] {
  const out: TreeEntry[] = [];
  const stack: [string, Inode][] = [["/", tree.root]];
  while (stack.length > 0) {
    const [path, node] = stack.pop()!;
    out.push(entry(path, node));
    if (node.kind !== "directory") continue;
    const names = [...node.entries.keys()].sort(byCodeUnit).reverse();
    const prefix = path === "/" ? "/" : `${path}/`;
    for (const name of names) stack.push([prefix + name, node.entries.get(name)!]);
  }
  return out;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function entry(path: string, node: Inode): TreeEntry {
  const { mode, uid, gid } = node.meta;
  const base = { path, kind: node.kind, mode: mode & 0o7777, uid, gid };
  switch (node.kind) {
    case "file":
      return { ...base, size: node.content.size };
    case "directory":
      return { ...base, size: node.entries.size };
    case "symlink":
      return { ...base, size: new TextEncoder().encode(node.target).length, target: node.target };
    case "char":
    case "block":
      return { ...base, size: 0, target: `${node.major},${node.minor}` };
    default:
      return { ...base, size: 0 };
  }
}
