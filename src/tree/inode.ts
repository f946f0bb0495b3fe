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

/** Seconds since 1970 (may be negative or past 2038) plus nanoseconds. */
export interface Timestamp {
  /** Whole seconds since the Unix epoch; any safe integer. */
  readonly sec: number;
  /** Nanoseconds, 0 ≤ nsec < 1e9. */
  readonly nsec: number;
}

/** Attributes shared by every kind of inode. */
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

/** A regular file; its bytes live wherever {@link FileContent} points. */
export interface FileInode {
  readonly kind: "file";
  meta: Metadata;
  content: FileContent;
}

/** A directory; entry names are single path components. */
export interface DirectoryInode {
  readonly kind: "directory";
  meta: Metadata;
  readonly entries: Map<string, Inode>;
}

/** A symbolic link; the target is stored verbatim and never resolved. */
export interface SymlinkInode {
  readonly kind: "symlink";
  meta: Metadata;
  target: string;
}

/** A character or block device node. */
export interface DeviceInode {
  readonly kind: "char" | "block";
  meta: Metadata;
  /** Major number, 0 … 4095 (Linux dev_t). */
  major: number;
  /** Minor number, 0 … 2^20 − 1 (Linux dev_t). */
  minor: number;
}

/** A named pipe or a socket: metadata only. */
export interface SpecialInode {
  readonly kind: "fifo" | "socket";
  meta: Metadata;
}

/** Any file-system object. */
export type Inode =
  | FileInode
  | DirectoryInode
  | SymlinkInode
  | DeviceInode
  | SpecialInode;

/** The kinds of {@link Inode}. */
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
