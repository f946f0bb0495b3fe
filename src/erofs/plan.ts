/**
 * Layout planning: turns a {@link Tree} into the list of inodes to write,
 * with every decision made — nid, compact or extended core, xattr area,
 * data layout, inline tail, data blocks — before a single byte is encoded.
 * Everything here is synchronous and deterministic: the same tree and
 * options give the same plan.
 *
 * @module
 */
import {
  type DirectoryInode,
  encodeUtf8,
  type Inode,
  type Timestamp,
  type Tree,
} from "../tree/mod.ts";
import { compareBytes, type DirentName, packDirents } from "./directory.ts";
import { ErofsError } from "./errors.ts";
import {
  COMPACT_INODE_SIZE,
  EXTENDED_INODE_SIZE,
  FT_BLKDEV,
  FT_CHRDEV,
  FT_DIR,
  FT_FIFO,
  FT_REG_FILE,
  FT_SOCK,
  FT_SYMLINK,
  LAYOUT_FLAT_INLINE,
  LAYOUT_FLAT_PLAIN,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFREG,
  S_IFSOCK,
  SLOT_SIZE,
  SUPERBLOCK_OFFSET,
  SUPERBLOCK_SIZE,
} from "./format.ts";
import { MetadataSpace } from "./metadata_space.ts";
import { type TailBlock, TailBlockPacker } from "./tail_blocks.ts";
import type { ResolvedOptions } from "./options.ts";
import type { CompressedFile, SuperblockCompression } from "./compress/types.ts";
import {
  align4,
  sharingSaves,
  type XattrArea,
  xattrArea,
  type XattrEntry,
  XattrNamer,
} from "./xattrs.ts";

const encoder = new TextEncoder();
const DOT = encoder.encode(".");
const DOT_DOT = encoder.encode("..");

/** Longest symlink target Linux can read back (PATH_MAX − 1). */
const SYMLINK_MAX = 4095;

/** One inode as it will be written. */
export interface PlannedInode {
  readonly inode: Inode;
  /** First path it was found under (for error messages). */
  readonly path: string;
  /** Type bits plus permission bits. */
  readonly mode: number;
  readonly fileType: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: Timestamp;
  nlink: number;
  /** `i_size`: file length, directory data length, symlink target length; 0 otherwise. */
  size: number;
  /** Directories: entries sorted, with their block split. */
  dirents?: { sorted: DirentName[]; counts: number[] };
  /** Symlinks: the target's bytes. */
  symlink?: Uint8Array;
  xattrs: XattrArea;
  extended: boolean;
  layout: number;
  /** Bytes of data stored inline after the xattr area. */
  tail: number;
  /** Blocks in the data area (the full blocks, or all of them for FLAT_PLAIN). */
  dataBlocks: number;
  /** First data block, when `dataBlocks > 0`. */
  startBlock: number;
  /** Byte offset of the inode from `meta_blkaddr` (nid = offset / 32). */
  offset: number;
  /** Compressed files: their extents and index (layout COMPRESSED_COMPACT). */
  compressed?: CompressedFile;
}

/**
 * One step of a plain image's data stream: a node's data (its full blocks;
 * a file's inline tail is kept for its tail block), or a block of inodes
 * that carry inline tails of files streamed before it.
 */
export type StreamItem =
  | { readonly kind: "data"; readonly node: PlannedInode }
  | { readonly kind: "tails"; readonly block: TailBlock };

/** Everything the encoder needs. */
export interface ImagePlan {
  readonly options: ResolvedOptions;
  readonly inodes: readonly PlannedInode[];
  readonly epoch: Timestamp;
  readonly longPrefixes: XattrNamer["longPrefixes"];
  /** Byte offset of the long prefix records in the image (when there are any). */
  readonly prefixOffset: number;
  /** Shared xattr entries and the offset of each in the metadata area. */
  readonly shared: readonly { entry: XattrEntry; offset: number }[];
  readonly sharedOffset: ReadonlyMap<string, number>;
  /** Inodes whose content is streamed, in the order their data is laid out. */
  readonly dataOrder: readonly PlannedInode[];
  /**
   * Blocks before the data: superblock and long prefix records, and for
   * plain images the front metadata after them (see {@link planImage}).
   */
  readonly headBlocks: number;
  /**
   * `meta_blkaddr` and `xattr_blkaddr`: where nid 0 and shared xattr id 0
   * are. Plain images: 0 (offsets are image offsets); compressed images:
   * the metadata area at the end.
   */
  readonly metaBlock: number;
  /** Compressed images: blocks of the metadata area from `metaBlock`, which ends the image. */
  readonly metaBlocks: number;
  /** Plain images: the data stream after the front metadata, in order. */
  readonly stream?: readonly StreamItem[];
  /** Total image blocks. */
  readonly blocks: number;
  /** Compressed images: superblock fields the compression needs. */
  readonly compression?: SuperblockCompression;
}

const TYPE_BITS: Record<Inode["kind"], [number, number]> = {
  file: [S_IFREG, FT_REG_FILE],
  directory: [S_IFDIR, FT_DIR],
  symlink: [S_IFLNK, FT_SYMLINK],
  char: [S_IFCHR, FT_CHRDEV],
  block: [S_IFBLK, FT_BLKDEV],
  fifo: [S_IFIFO, FT_FIFO],
  socket: [S_IFSOCK, FT_SOCK],
};

function checkInode(path: string, inode: Inode): void {
  const { mode, uid, gid, mtime } = inode.meta;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new ErofsError(`mode ${mode} is not permission bits (0 to 07777)`, path);
  }
  for (const [what, id] of [["uid", uid], ["gid", gid]] as const) {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
      throw new ErofsError(`${what} ${id} out of range`, path);
    }
  }
  if (
    !Number.isSafeInteger(mtime.sec) || !Number.isInteger(mtime.nsec) || mtime.nsec < 0 ||
    mtime.nsec >= 1e9
  ) {
    throw new ErofsError(`invalid mtime ${mtime.sec}.${mtime.nsec}`, path);
  }
  if (!(inode.kind in TYPE_BITS)) {
    throw new ErofsError(`unknown file type ${JSON.stringify(inode.kind)}`, path);
  }
  if (inode.kind === "char" || inode.kind === "block") {
    if (!Number.isInteger(inode.major) || inode.major < 0 || inode.major > 0xfff) {
      throw new ErofsError(`device major ${inode.major} out of range (0 to 4095)`, path);
    }
    if (!Number.isInteger(inode.minor) || inode.minor < 0 || inode.minor > 0xfffff) {
      throw new ErofsError(`device minor ${inode.minor} out of range (0 to 1048575)`, path);
    }
  }
  if (
    inode.kind === "file" && (!Number.isSafeInteger(inode.content.size) || inode.content.size < 0)
  ) {
    throw new ErofsError(`invalid file size ${inode.content.size}`, path);
  }
}

/** Walks the tree breadth-first so each directory's children get neighbouring nids. */
function collect(tree: Tree, options: ResolvedOptions): PlannedInode[] {
  const nodes: PlannedInode[] = [];
  const indexOf = new Map<Inode, number>();
  const visit = (path: string, inode: Inode): number => {
    const known = indexOf.get(inode);
    if (known !== undefined) {
      if (inode.kind === "directory") {
        throw new ErofsError("directory reachable under two names", path);
      }
      nodes[known].nlink++;
      return known;
    }
    checkInode(path, inode);
    const [typeBits, fileType] = TYPE_BITS[inode.kind];
    const meta = inode.meta;
    const node: PlannedInode = {
      inode,
      path,
      // Linux gives every symlink 0777 whatever the source said (tar headers
      // vary); storing that keeps the image equal to an unpacked tree.
      mode: typeBits | (inode.kind === "symlink" ? 0o777 : meta.mode),
      fileType,
      uid: options.forceUid ?? meta.uid,
      gid: options.forceGid ?? meta.gid,
      mtime: options.fixedTime === undefined ? meta.mtime : { sec: options.fixedTime, nsec: 0 },
      nlink: inode.kind === "directory" ? 2 : 1,
      size: 0,
      xattrs: { shared: [], inline: [], size: 0 },
      extended: false,
      layout: LAYOUT_FLAT_PLAIN,
      tail: 0,
      dataBlocks: 0,
      startBlock: 0,
      offset: 0,
    };
    if (inode.kind === "file") node.size = inode.content.size;
    if (inode.kind === "symlink") {
      const target = encoder.encode(inode.target);
      if (target.length === 0) throw new ErofsError("symlink has an empty target", path);
      if (target.length > SYMLINK_MAX) {
        throw new ErofsError(
          `symlink target is ${target.length} bytes; at most ${SYMLINK_MAX}`,
          path,
        );
      }
      node.symlink = target;
      node.size = target.length;
    }
    indexOf.set(inode, nodes.length);
    nodes.push(node);
    return nodes.length - 1;
  };

  visit("", tree.root);
  const parents = [0];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (node.inode.kind !== "directory") continue;
    const dir = node.inode as DirectoryInode;
    // "." and ".." sort among the other names (byte order), not first.
    const pending: { name: Uint8Array; target: number; child?: Inode; path?: string }[] = [
      { name: DOT, target: i },
      { name: DOT_DOT, target: parents[i] },
    ];
    for (const [name, child] of dir.entries) {
      const path = node.path === "" ? name : `${node.path}/${name}`;
      if (
        name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")
      ) {
        throw new ErofsError(`invalid file name ${JSON.stringify(name)}`, path);
      }
      const bytes = encodeUtf8(name);
      if (bytes.length > 255) {
        throw new ErofsError(`file name is ${bytes.length} bytes; at most 255`, path);
      }
      pending.push({ name: bytes, target: -1, child, path });
    }
    pending.sort((a, b) => compareBytes(a.name, b.name));
    // Visiting children in name order gives them ascending nids.
    const sorted: DirentName[] = pending.map(({ name, target, child, path }) => {
      if (!child) return { name, target };
      const index = visit(path!, child);
      if (child.kind === "directory") {
        parents[index] = i;
        node.nlink++;
      }
      return { name, target: index };
    });
    const packed = packDirents(sorted, options.blockSize);
    node.dirents = { sorted, counts: packed.counts };
    node.size = packed.size;
  }
  return nodes;
}

/** The most common mtime (≥ 1970) becomes the superblock epoch so most inodes can be compact. */
function chooseEpoch(nodes: readonly PlannedInode[], options: ResolvedOptions): Timestamp {
  if (options.fixedTime !== undefined && options.fixedTime >= 0) {
    return { sec: options.fixedTime, nsec: 0 };
  }
  const counts = new Map<string, { time: Timestamp; n: number }>();
  for (const { mtime } of nodes) {
    if (mtime.sec < 0) continue;
    const key = `${mtime.sec}.${mtime.nsec}`;
    const seen = counts.get(key);
    if (seen) seen.n++;
    else counts.set(key, { time: mtime, n: 1 });
  }
  let best: { time: Timestamp; n: number } | undefined;
  for (const c of counts.values()) {
    if (
      !best || c.n > best.n ||
      (c.n === best.n &&
        (c.time.sec < best.time.sec ||
          (c.time.sec === best.time.sec && c.time.nsec < best.time.nsec)))
    ) best = c;
  }
  return best?.time ?? { sec: 0, nsec: 0 };
}

/**
 * The part of a plan that does not depend on where data goes: every inode
 * with its xattr area, core size and (uncompressed) layout, plus the xattr
 * sharing decisions. {@link planImage} finishes it for plain images; the
 * compressed writer finishes it after compressing.
 */
export interface NodePlan {
  readonly options: ResolvedOptions;
  readonly nodes: PlannedInode[];
  readonly epoch: Timestamp;
  readonly namer: XattrNamer;
  readonly uses: ReadonlyMap<string, { entry: XattrEntry; n: number }>;
  readonly sharedKeys: ReadonlySet<string>;
}

/**
 * Collects the inodes of `tree` and decides everything but placement.
 *
 * @example
 * ```ts
 * import { Tree } from "../tree/mod.ts";
 * import { resolveOptions } from "./options.ts";
 * import { planNodes } from "./plan.ts";
 * console.log(planNodes(new Tree(), resolveOptions()).nodes.length); // 1
 * ```
 */
export function planNodes(tree: Tree, options: ResolvedOptions): NodePlan {
  const { blockSize } = options;
  const nodes = collect(tree, options);

  // Xattrs: encode, count identical name+value pairs, share where it saves bytes.
  const namer = new XattrNamer(options.xattrPrefixes);
  const entries: XattrEntry[][] = nodes.map((node) =>
    [...node.inode.meta.xattrs]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => namer.entry(node.path, name, value))
  );
  const uses = new Map<string, { entry: XattrEntry; n: number }>();
  for (const list of entries) {
    for (const entry of list) {
      const seen = uses.get(entry.key);
      if (seen) seen.n++;
      else uses.set(entry.key, { entry, n: 1 });
    }
  }
  const sharedKeys = new Set<string>();
  if (options.sharedXattrs) {
    for (const [key, { entry, n }] of uses) if (sharingSaves(entry.size, n)) sharedKeys.add(key);
  }

  const epoch = chooseEpoch(nodes, options);
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    node.xattrs = xattrArea(entries[i], sharedKeys, node.path);
    node.extended = node.uid > 0xffff || node.gid > 0xffff || node.nlink > 0xffff ||
      node.size > 0xffffffff ||
      node.mtime.sec !== epoch.sec || node.mtime.nsec !== epoch.nsec;
    setFlatLayout(node, blockSize);
  }
  return { options, nodes, epoch, namer, uses, sharedKeys };
}

/** Bytes of an inode's core and xattr area. */
export function inodeHeadSize(node: PlannedInode): number {
  return (node.extended ? EXTENDED_INODE_SIZE : COMPACT_INODE_SIZE) + node.xattrs.size;
}

/**
 * Gives `node` its uncompressed layout: FLAT_INLINE when the tail fits in
 * a block after the inode, FLAT_PLAIN otherwise.
 */
export function setFlatLayout(node: PlannedInode, blockSize: number): void {
  const head = inodeHeadSize(node);
  const hasData = node.inode.kind === "file" || node.inode.kind === "directory" ||
    node.inode.kind === "symlink";
  const tail = hasData ? node.size % blockSize : 0;
  node.compressed = undefined;
  if (tail > 0 && head + tail <= blockSize) {
    node.layout = LAYOUT_FLAT_INLINE;
    node.tail = tail;
    node.dataBlocks = Math.floor(node.size / blockSize);
  } else {
    node.layout = LAYOUT_FLAT_PLAIN;
    node.tail = 0;
    node.dataBlocks = hasData ? Math.ceil(node.size / blockSize) : 0;
  }
}

/**
 * Where the head records go: byte offset of the long prefix records (after
 * `recordBytes` of other records that follow the superblock), the byte
 * offset after them, and the blocks they take.
 */
export function planHead(
  plan: NodePlan,
  recordBytes = 0,
): { prefixOffset: number; headEnd: number; headBlocks: number } {
  let prefixOffset = 0;
  let headEnd = SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE + recordBytes;
  if (plan.namer.longPrefixes.length > 0) {
    prefixOffset = headEnd;
    headEnd += plan.namer.longPrefixes.reduce((n, p) => n + align4(3 + p.infix.length), 0);
  }
  return { prefixOffset, headEnd, headBlocks: Math.ceil(headEnd / plan.options.blockSize) };
}

/** Inodes whose data is streamed, in data order (source sequence, then tree order). */
export function planDataOrder(nodes: readonly PlannedInode[]): PlannedInode[] {
  return nodes
    .map((node, index) => ({
      node,
      index,
      sequence: node.inode.kind === "file" ? node.inode.content.sequence : undefined,
    }))
    .filter(({ node }) => node.dataBlocks > 0 || (node.tail > 0 && node.inode.kind === "file"))
    .sort((a, b) => (a.sequence ?? -1) - (b.sequence ?? -1) || a.index - b.index)
    .map(({ node }) => node);
}

/**
 * Places the inodes `include` accepts (with `extra(node)` bytes after its
 * xattr area, whose last `node.tail` bytes must stay in one block), then the
 * shared xattrs, in a metadata area whose first free byte is `start` (an
 * offset from `meta_blkaddr`); returns the shared records and the blocks up
 * to the area's end, counted from `meta_blkaddr`.
 */
export function placeMetadata(
  plan: NodePlan,
  extra: (node: PlannedInode) => number,
  start: number = SLOT_SIZE,
  include: (node: PlannedInode) => boolean = () => true,
): Pick<ImagePlan, "shared" | "sharedOffset" | "metaBlocks"> {
  const { nodes, uses, sharedKeys } = plan;
  const { blockSize } = plan.options;
  // Slot 0 stays empty either way: nid 0 would be inode number 0.
  const space = new MetadataSpace(blockSize, Math.max(start, SLOT_SIZE));
  for (const node of nodes) {
    if (include(node)) node.offset = space.allocate(inodeHeadSize(node) + extra(node), node.tail);
  }
  if (nodes[0].offset / SLOT_SIZE > 0xffff) throw new ErofsError("root inode beyond nid 65535");
  const shared: { entry: XattrEntry; offset: number }[] = [];
  const sharedOffset = new Map<string, number>();
  for (const [key, { entry }] of uses) {
    if (!sharedKeys.has(key)) continue;
    const offset = space.append(entry.size, 4);
    shared.push({ entry, offset });
    sharedOffset.set(key, offset);
  }
  return { shared, sharedOffset, metaBlocks: Math.ceil(space.end / blockSize) };
}

/** Whether `node`'s inode goes into a tail block: a regular file with an inline tail. */
export function carriesTail(node: PlannedInode): boolean {
  return node.inode.kind === "file" && node.tail > 0;
}

/**
 * Plans the image of `tree`. Throws {@link ErofsError} naming the path for
 * anything EROFS cannot store.
 *
 * The layout, in stream order: the superblock and the long prefix records,
 * then right after them (from byte 1152 without prefixes, as mkfs.erofs)
 * the front metadata — every inode but those of files with an inline tail,
 * with directory and symlink tails, and the shared xattrs — all of it known
 * before any file is read; then, from the next block, the data, each file's full blocks in
 * data order, with the inodes of files with inline tails in tail blocks
 * between them, each soon after the files whose tails it holds (see
 * `tail_blocks.ts`). So every file is read once, front to back, and a
 * writer holds only a few blocks of tails, however many files there are.
 * `meta_blkaddr` is 0: nids are image offsets / 32.
 *
 * @example
 * ```ts
 * import { Tree } from "../tree/mod.ts";
 * import { resolveOptions } from "./options.ts";
 * import { planImage } from "./plan.ts";
 * const plan = planImage(new Tree(), resolveOptions());
 * console.log(plan.inodes[0].offset / 32); // root nid 36: byte 1152, after the superblock
 * ```
 */
export function planImage(tree: Tree, options: ResolvedOptions): ImagePlan {
  const nodePlan = planNodes(tree, options);
  const { nodes } = nodePlan;
  const { blockSize } = options;
  const { prefixOffset, headEnd } = planHead(nodePlan);
  const front = placeMetadata(nodePlan, (node) => node.tail, headEnd, (node) => !carriesTail(node));
  const headBlocks = front.metaBlocks;
  let cursor = headBlocks;
  const nextBlock = () => cursor++;
  const indexOf = new Map(nodes.map((node, i) => [node, i]));
  const stream: StreamItem[] = [];
  const close = (blocks: TailBlock[]) => {
    for (const block of blocks) {
      for (const { index, at } of block.records) {
        nodes[index].offset = block.block * blockSize + at;
      }
      stream.push({ kind: "tails", block });
    }
  };
  const packer = new TailBlockPacker(blockSize);
  const dataOrder = planDataOrder(nodes);
  for (const node of dataOrder) {
    if (node.dataBlocks > 0) {
      node.startBlock = cursor;
      cursor += node.dataBlocks;
    }
    stream.push({ kind: "data", node });
    if (carriesTail(node)) {
      close(packer.add(indexOf.get(node)!, inodeHeadSize(node) + node.tail, nextBlock));
    }
  }
  close(packer.closeAll(nextBlock));
  const blocks = cursor;
  checkBlocks(blocks);
  return {
    options,
    inodes: nodes,
    dataOrder,
    epoch: nodePlan.epoch,
    longPrefixes: nodePlan.namer.longPrefixes,
    prefixOffset,
    shared: front.shared,
    sharedOffset: front.sharedOffset,
    headBlocks,
    metaBlock: 0,
    metaBlocks: 0,
    blocks,
    stream,
  };
}

/** Throws when an image would need more blocks than 32-bit addresses reach. */
export function checkBlocks(blocks: number): void {
  if (blocks > 0xffffffff) {
    throw new ErofsError(`image needs ${blocks} blocks; EROFS addresses at most 2^32 − 1`);
  }
}
