/**
 * The file-system model every source produces and the EROFS writer consumes.
 *
 * An {@link Inode} is one file-system object; a hard link is the same object
 * reachable under several names, so identity (`===`) is link identity.
 * File bytes are not held here: a {@link FileContent} says where they are.
 *
 * @module
 */
import type { FileContent } from "./content.ts";

/**
 * Seconds since 1970 (may be negative or past 2038) plus nanoseconds.
 *
 * @example
 * ```ts
 * import type { Timestamp } from "./inode.ts";
 * const epoch: Timestamp = { sec: 0, nsec: 0 };
 * ```
 */
export interface Timestamp {
  /** Whole seconds since the Unix epoch; any safe integer. */
  readonly sec: number;
  /** Nanoseconds, 0 ≤ nsec < 1e9. */
  readonly nsec: number;
}

/**
 * Attributes shared by every kind of inode.
 *
 * @example
 * ```ts
 * import { type Metadata, metadata } from "./inode.ts";
 * const meta: Metadata = metadata({ mode: 0o600, uid: 1000, gid: 1000 });
 * meta.xattrs.set("user.origin", new TextEncoder().encode("build"));
 * ```
 */
export interface Metadata {
  /** Permission bits including setuid, setgid and sticky (0 … 0o7777); no type bits. */
  mode: number;
  /** Owner, 0 … 2^32 − 1. */
  uid: number;
  /** Group, 0 … 2^32 − 1. */
  gid: number;
  /** Modification time (EROFS stores one time per inode). */
  mtime: Timestamp;
  /**
   * Extended attributes by full name (`user.x`, `security.capability`,
   * `system.posix_acl_access`, …). Values are raw bytes and may be empty.
   */
  xattrs: Map<string, Uint8Array>;
}

/**
 * A regular file; its bytes live wherever {@link FileContent} points.
 *
 * @example
 * ```ts
 * import { type FileInode, metadata } from "./inode.ts";
 * import { bytesContent } from "./content.ts";
 * const file: FileInode = { kind: "file", meta: metadata({ mode: 0o644 }), content: bytesContent(new Uint8Array(3)) };
 * ```
 */
export interface FileInode {
  readonly kind: "file";
  meta: Metadata;
  content: FileContent;
}

/**
 * A directory; entry names are single path components.
 *
 * @example
 * ```ts
 * import { directory, type DirectoryInode } from "./inode.ts";
 * const dir: DirectoryInode = directory();
 * console.log(dir.entries.size); // 0
 * ```
 */
export interface DirectoryInode {
  readonly kind: "directory";
  meta: Metadata;
  readonly entries: Map<string, Inode>;
}

/**
 * A symbolic link; the target is stored verbatim and never resolved.
 *
 * @example
 * ```ts
 * import { metadata, type SymlinkInode } from "./inode.ts";
 * const link: SymlinkInode = { kind: "symlink", meta: metadata({ mode: 0o777 }), target: "../lib" };
 * ```
 */
export interface SymlinkInode {
  readonly kind: "symlink";
  meta: Metadata;
  target: string;
}

/**
 * A character or block device node.
 *
 * @example
 * ```ts
 * import { type DeviceInode, metadata } from "./inode.ts";
 * const devNull: DeviceInode = { kind: "char", meta: metadata({ mode: 0o666 }), major: 1, minor: 3 };
 * ```
 */
export interface DeviceInode {
  readonly kind: "char" | "block";
  meta: Metadata;
  /** Major number, 0 … 4095 (Linux dev_t). */
  major: number;
  /** Minor number, 0 … 2^20 − 1 (Linux dev_t). */
  minor: number;
}

/**
 * A named pipe or a socket: metadata only.
 *
 * @example
 * ```ts
 * import { metadata, type SpecialInode } from "./inode.ts";
 * const fifo: SpecialInode = { kind: "fifo", meta: metadata({ mode: 0o644 }) };
 * ```
 */
export interface SpecialInode {
  readonly kind: "fifo" | "socket";
  meta: Metadata;
}

/**
 * Any file-system object.
 *
 * @example
 * ```ts
 * import type { Inode } from "./inode.ts";
 * const describe = (inode: Inode) => (inode.kind === "symlink" ? `-> ${inode.target}` : inode.kind);
 * ```
 */
export type Inode =
  | FileInode
  | DirectoryInode
  | SymlinkInode
  | DeviceInode
  | SpecialInode;

/**
 * The kinds of {@link Inode}.
 *
 * @example
 * ```ts
 * import type { InodeKind } from "./inode.ts";
 * const kinds: InodeKind[] = ["file", "directory", "symlink", "char", "block", "fifo", "socket"];
 * ```
 */
export type InodeKind = Inode["kind"];

/**
 * Builds a {@link Metadata} record, defaulting to root-owned, time 0, no xattrs.
 *
 * @example
 * ```ts
 * import { metadata } from "./inode.ts";
 * const meta = metadata({ mode: 0o644, uid: 1000 });
 * ```
 */
export function metadata(init: Partial<Metadata> = {}): Metadata {
  return {
    mode: init.mode ?? 0o755,
    uid: init.uid ?? 0,
    gid: init.gid ?? 0,
    mtime: init.mtime ?? { sec: 0, nsec: 0 },
    xattrs: init.xattrs ?? new Map(),
  };
}

/**
 * Makes an empty directory inode.
 *
 * @example
 * ```ts
 * import { directory, metadata } from "./inode.ts";
 * const dir = directory(metadata({ mode: 0o755 }));
 * ```
 */
export function directory(meta: Metadata = metadata()): DirectoryInode {
  return { kind: "directory", meta, entries: new Map() };
}
