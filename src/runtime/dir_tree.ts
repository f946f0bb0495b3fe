/**
 * Reading a directory on this machine into a {@link Tree}, the way
 * `mkfs.erofs IMAGE DIR` sees it: every entry `lstat`ed (symlinks are never
 * followed), all file types, hard links as shared inodes, ownership, full
 * permission bits, nanosecond mtimes and xattrs of every namespace. The tree
 * holds metadata only; file bytes stay on disk as {@link fileRegionContent}.
 *
 * @module
 */
import type { BigIntStats } from "node:fs";
import { lstatSync, readdirSync, readlinkSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { join } from "node:path";
import {
  checkName,
  type DirectoryInode,
  type Inode,
  type Metadata,
  metadata,
  type Timestamp,
  Tree,
} from "../tree/mod.ts";
import { fileRegionContent } from "./fs.ts";
import { lstatRoundsTimes, readTreeTimes } from "./find_times.ts";
import { readTreeXattrs } from "./getfattr.ts";

/**
 * Options for {@link readDirectoryTree}.
 *
 * @example
 * ```ts
 * import { readDirectoryTree, type ReadDirectoryOptions } from "./dir_tree.ts";
 * const options: ReadDirectoryOptions = { xattrs: false, onWarning: (message) => console.error(message) };
 * const tree = await readDirectoryTree("./rootfs", options);
 * ```
 */
export interface ReadDirectoryOptions {
  /** Read xattrs (default true; needs `getfattr` from the `attr` package). */
  xattrs?: boolean;
  /** Where warnings go (default: stderr via `console.warn`). */
  onWarning?: (message: string) => void;
  /** Stops the walk; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Entries walked between two yields to the event loop. */
const YIELD_EVERY = 512;
const NS_PER_SEC = 1_000_000_000n;

const warned = new Set<string>();

/** Linux's dev_t split (glibc `gnu_dev_major`/`gnu_dev_minor`). */
function deviceNumbers(rdev: bigint): { major: number; minor: number } {
  return {
    major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

function metadataOf(stats: BigIntStats): Metadata {
  // Floor division, so times before 1970 keep 0 ≤ nsec < 1e9.
  let sec = stats.mtimeNs / NS_PER_SEC;
  let nsec = stats.mtimeNs % NS_PER_SEC;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += NS_PER_SEC;
  }
  return metadata({
    mode: Number(stats.mode & 0o7777n),
    uid: Number(stats.uid),
    gid: Number(stats.gid),
    mtime: { sec: Number(sec), nsec: Number(nsec) },
  });
}

/**
 * Reads the directory tree at `path` (symlinks in `path` itself are resolved;
 * below it nothing is followed). The root's metadata is `path`'s own.
 * Mount points are descended into, as mkfs.erofs does. Xattrs come from one
 * `getfattr` run; where `lstat` rounds times (Deno), exact mtimes come from
 * one GNU `find` run. If either tool is missing, warns once and carries on
 * without that detail.
 *
 * @example
 * ```ts
 * import { readDirectoryTree } from "./dir_tree.ts";
 * const tree = await readDirectoryTree("./rootfs");
 * for (const [path, inode] of tree.walk()) console.log(inode.kind, path || "/");
 * ```
 */
export async function readDirectoryTree(
  path: string,
  options: ReadDirectoryOptions = {},
): Promise<Tree> {
  const root = await realpath(path);
  const rootStats = lstatSync(root, { bigint: true });
  if (!rootStats.isDirectory()) throw new Error(`${path}: not a directory`);
  const tree = new Tree(metadataOf(rootStats));

  // The helper processes run while the walk does; their answers are applied
  // after it, once every path is in the tree.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const times = new Map<string, Timestamp>();
  const xattrs = new Map<string, Map<string, Uint8Array>>();
  const timesJob = lstatRoundsTimes()
    ? readTreeTimes(root, (relative, mtime) => void times.set(relative, mtime), signal)
    : Promise.resolve(true);
  const xattrsJob = options.xattrs !== false
    ? readTreeXattrs(root, (relative, found) => void xattrs.set(relative, found), signal)
    : Promise.resolve(true);
  let timesFound: boolean;
  let xattrsFound: boolean;
  try {
    await walk(root, tree, options.signal);
    [timesFound, xattrsFound] = await Promise.all([timesJob, xattrsJob]);
  } catch (error) {
    stop.abort();
    await Promise.allSettled([timesJob, xattrsJob]);
    throw error;
  }

  const warn = (message: string) => {
    if (warned.has(message)) return;
    warned.add(message);
    (options.onWarning ?? ((text: string) => console.warn(text)))(message);
  };
  if (!timesFound) warn("GNU find not found: mtimes are rounded to milliseconds on this runtime");
  if (!xattrsFound) {
    warn("getfattr not found (install the 'attr' package): extended attributes are not read");
  }
  // A path that appeared after the walk is not in the tree: skip it.
  for (const [relative, mtime] of times) {
    const inode = tree.get(relative);
    if (inode) inode.meta.mtime = mtime;
  }
  for (const [relative, found] of xattrs) {
    const inode = tree.get(relative);
    if (inode) inode.meta.xattrs = found;
  }
  return tree;
}

/**
 * Fills `tree` from the directory at `root`. The calls are synchronous —
 * several times faster than promise-based `lstat` for many small entries —
 * and the walk yields to the event loop every {@link YIELD_EVERY} entries so
 * the helper processes' output keeps flowing.
 */
async function walk(root: string, tree: Tree, signal: AbortSignal | undefined): Promise<void> {
  // Only multiply-linked inodes are remembered, so memory tracks hard links, not files.
  const links = new Map<string, Inode>();
  const pending: { absolute: string; relative: string; dir: DirectoryInode }[] = [
    { absolute: root, relative: "", dir: tree.root },
  ];
  let sinceYield = 0;
  while (pending.length > 0) {
    signal?.throwIfAborted();
    const { absolute, relative, dir } = pending.pop()!;
    // Sorted for a deterministic insertion order (the writer sorts by bytes anyway).
    const names = readdirSync(absolute).sort();
    for (const name of names) {
      const childPath = relative === "" ? name : `${relative}/${name}`;
      checkName(childPath, name);
      const childAbsolute = join(absolute, name);
      let stats: BigIntStats;
      try {
        stats = lstatSync(childAbsolute, { bigint: true });
      } catch (error) {
        // Node and Deno decode names as UTF-8, so a name that is not comes back
        // with U+FFFD and no longer names the file: say so instead of ENOENT.
        if (name.includes("\uFFFD")) {
          throw new Error(`${childAbsolute}: file name is not valid UTF-8 (not supported)`);
        }
        throw error;
      }
      const inode = inodeOf(stats, childAbsolute, links);
      dir.entries.set(name, inode);
      if (inode.kind === "directory") {
        pending.push({ absolute: childAbsolute, relative: childPath, dir: inode });
      }
      if (++sinceYield === YIELD_EVERY) {
        sinceYield = 0;
        await new Promise((resolve) => setTimeout(resolve, 0));
        signal?.throwIfAborted();
      }
    }
  }
}

function inodeOf(stats: BigIntStats, absolute: string, links: Map<string, Inode>): Inode {
  const shared = !stats.isDirectory() && stats.nlink > 1n;
  const key = `${stats.dev}:${stats.ino}`;
  if (shared) {
    const known = links.get(key);
    if (known) return known;
  }
  const meta = metadataOf(stats);
  let inode: Inode;
  if (stats.isFile()) {
    inode = { kind: "file", meta, content: fileRegionContent(absolute, 0, Number(stats.size)) };
  } else if (stats.isDirectory()) {
    inode = { kind: "directory", meta, entries: new Map() };
  } else if (stats.isSymbolicLink()) {
    inode = { kind: "symlink", meta, target: readlinkSync(absolute) };
  } else if (stats.isCharacterDevice() || stats.isBlockDevice()) {
    const kind = stats.isCharacterDevice() ? "char" : "block";
    inode = { kind, meta, ...deviceNumbers(stats.rdev) };
  } else if (stats.isFIFO()) {
    inode = { kind: "fifo", meta };
  } else if (stats.isSocket()) {
    inode = { kind: "socket", meta };
  } else {
    throw new Error(`${absolute}: unknown file type`);
  }
  if (shared) links.set(key, inode);
  return inode;
}
