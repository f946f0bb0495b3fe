/**
 * Builds an EROFS image from a {@link Tree}: plans the layout, encodes the
 * superblock and the front metadata in memory, then streams the image in
 * order — superblock, front metadata (directories, symlinks, every inode
 * without a file tail), then every file's data in data order, each file
 * read once, with the inodes that carry inline file tails in tail blocks
 * between the data (see `plan.ts`). Memory holds the plan and a few tail
 * blocks, not the tails of every file. The result is an ordered byte stream
 * any sink can consume — a seekable file or a `ReadableStream` alike.
 * Compressed images (`compression` option) put all metadata last and know
 * block 0 last; see `./compress/compressed_image.ts`.
 *
 * @module
 */
import type { Tree } from "../tree/mod.ts";
import { encodeDirents } from "./directory.ts";
import { ErofsError } from "./errors.ts";
import { encodeInode } from "./inode_encoder.ts";
import { type ErofsOptions, resolveOptions } from "./options.ts";
import { carriesTail, type ImagePlan, planImage, type PlannedInode, planNodes } from "./plan.ts";
import type { TailBlock } from "./tail_blocks.ts";
import { encodeSuperblock, sealSuperblock } from "./superblock.ts";
import { createSha256 } from "../runtime/hash.ts";
import { startCompressionPool } from "../runtime/worker_pool.ts";
import { createEncoder, initWasm } from "../wasm/mod.ts";
import { writeXattrEntry } from "./xattrs.ts";
import { compressedImage } from "./compress/compressed_image.ts";

/**
 * A built image: its size, and its bytes in order.
 *
 * @example
 * ```ts
 * import { Tree } from "../tree/mod.ts";
 * import { buildErofs, type ErofsImage } from "./image.ts";
 * const image: ErofsImage = await buildErofs(new Tree());
 * for await (const chunk of image.chunks()) console.log(chunk.length);
 * ```
 */
export interface ErofsImage {
  /**
   * Image length in bytes (a whole number of blocks). Compressed images
   * know it only once their bytes have been streamed: `undefined` until then.
   */
  readonly size: number | undefined;
  /** Block size the image was built with. */
  readonly blockSize: number;
  /** Number of inodes. */
  readonly inodes: number;
  /**
   * The image's bytes from offset 0 to {@link size}. File content is read
   * again on each call; metadata was encoded once by {@link buildErofs}.
   */
  chunks(): AsyncIterable<Uint8Array>;
  /**
   * For sinks that can seek back (files): the image's bytes with its head
   * (block 0) zeroed, and, once those are consumed, the real head to write
   * at offset 0. Compressed images offer it so they need no spool; absent
   * or not, {@link chunks} always works.
   */
  seekable?(): { chunks: AsyncIterable<Uint8Array>; head(): Uint8Array };
}

/** Largest piece handed to a sink at once from the in-memory metadata. */
const PIECE = 1 << 20;

/** Directory or symlink data: small enough to build in memory. */
export function smallData(
  plan: ImagePlan,
  node: PlannedInode,
  nidOf: (i: number) => number,
): Uint8Array {
  if (node.symlink) return node.symlink;
  const { sorted, counts } = node.dirents!;
  const bytes = new Uint8Array(node.size);
  encodeDirents(
    bytes,
    sorted,
    counts,
    plan.options.blockSize,
    nidOf,
    (i) => plan.inodes[i].fileType,
  );
  return bytes;
}

/** Where the inline tail of each node goes in the metadata area. */
export type TailOffsets = Map<PlannedInode, number>;

/**
 * Encodes the metadata area: inodes, xattrs, directory and symlink tails,
 * shared xattrs. Regular files' inline tails are left for the caller, which
 * owns the content; `tails` says where each goes.
 */
export function encodeMetadata(plan: ImagePlan): { meta: Uint8Array; tails: TailOffsets } {
  const { blockSize } = plan.options;
  const meta = new Uint8Array(plan.metaBlocks * blockSize);
  const view = new DataView(meta.buffer);
  const nidOf = (i: number) => plan.inodes[i].offset / 32;
  const tails: TailOffsets = new Map();
  for (let i = 0; i < plan.inodes.length; i++) {
    const node = plan.inodes[i];
    const tailAt = encodeInode(meta, view, node, i + 1, plan.sharedOffset);
    if (node.inode.kind === "file") tails.set(node, tailAt);
    if (node.tail === 0 || node.inode.kind === "file") continue;
    meta.set(smallData(plan, node, nidOf).subarray(node.size - node.tail), tailAt);
  }
  for (const { entry, offset } of plan.shared) writeXattrEntry(meta, offset, entry);
  return { meta, tails };
}

/**
 * Encodes the head blocks (superblock, configuration and long prefix
 * records) and seals them with the checksum. Without a UUID in the options
 * one is derived from the head and `meta` (the metadata, as one array or in
 * pieces), so equal inputs give equal images. `front` writes any metadata
 * that shares the head blocks first.
 */
export async function encodeHead(
  plan: ImagePlan,
  meta: Uint8Array | Iterable<Uint8Array>,
  front?: (head: Uint8Array) => void,
): Promise<Uint8Array> {
  const { blockSize } = plan.options;
  const head = new Uint8Array(plan.headBlocks * blockSize);
  front?.(head);
  const headView = new DataView(head.buffer);
  let at = plan.prefixOffset;
  for (const prefix of plan.longPrefixes) {
    headView.setUint16(at, 1 + prefix.infix.length, true);
    head[at + 2] = prefix.base;
    head.set(prefix.infix, at + 3);
    at += (3 + prefix.infix.length + 3) & ~3;
  }
  let uuid = plan.options.uuid;
  encodeSuperblock(headView, plan, uuid ?? new Uint8Array(16));
  if (!uuid) {
    const hash = await createSha256();
    hash.update(head);
    for (const piece of meta instanceof Uint8Array ? [meta] : meta) hash.update(piece);
    uuid = hash.digest().slice(0, 16);
    uuid[6] = (uuid[6] & 0x0f) | 0x80; // RFC 9562 version 8 (custom)
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    encodeSuperblock(headView, plan, uuid);
  }
  sealSuperblock(head, blockSize);
  return head;
}

/**
 * Writes the front metadata of a plain image into its head blocks: every
 * inode not in a tail block (with directory and symlink tails) and the
 * shared xattrs, after the superblock and prefix records.
 */
function encodeFront(plan: ImagePlan, head: Uint8Array): void {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const nidOf = (i: number) => plan.inodes[i].offset / 32;
  for (let i = 0; i < plan.inodes.length; i++) {
    const node = plan.inodes[i];
    if (carriesTail(node)) continue;
    const tailAt = encodeInode(head, view, node, i + 1, plan.sharedOffset);
    if (node.tail > 0) {
      head.set(smallData(plan, node, nidOf).subarray(node.size - node.tail), tailAt);
    }
  }
  for (const { entry, offset } of plan.shared) writeXattrEntry(head, offset, entry);
}

/**
 * One tail block: its inodes, each followed by its file's tail from `tails`
 * (taken out of the map), or zeros where `tails` is not given.
 */
function encodeTailBlock(
  plan: ImagePlan,
  block: TailBlock,
  tails?: Map<PlannedInode, Uint8Array>,
): Uint8Array {
  const { blockSize } = plan.options;
  const bytes = new Uint8Array(blockSize);
  const view = new DataView(bytes.buffer);
  for (const { index } of block.records) {
    const node = plan.inodes[index];
    const tailAt = encodeInode(
      bytes,
      view,
      node,
      index + 1,
      plan.sharedOffset,
      block.block * blockSize,
    );
    const tail = tails?.get(node);
    if (!tails) continue;
    if (!tail) throw new ErofsError("inline tail not read before its tail block", node.path);
    bytes.set(tail, tailAt);
    tails.delete(node);
  }
  return bytes;
}

/** The metadata the UUID is derived from, besides the head: tail blocks without tails. */
function* tailBlocksWithoutTails(plan: ImagePlan): Generator<Uint8Array> {
  for (const item of plan.stream!) {
    if (item.kind === "tails") yield encodeTailBlock(plan, item.block);
  }
}

/**
 * The data stream of a plain image: each node's full blocks in data order
 * (zero-padded to a block), a file's inline tail kept until its tail block
 * is written.
 */
async function* streamData(plan: ImagePlan): AsyncGenerator<Uint8Array> {
  const { blockSize } = plan.options;
  const zeros = new Uint8Array(blockSize);
  const nidOf = (i: number) => plan.inodes[i].offset / 32;
  const tails = new Map<PlannedInode, Uint8Array>();
  for (const item of plan.stream!) {
    if (item.kind === "tails") {
      yield encodeTailBlock(plan, item.block, tails);
      continue;
    }
    const node = item.node;
    const full = node.size - node.tail;
    if (node.inode.kind === "file") {
      const tail = node.tail > 0 ? new Uint8Array(node.tail) : undefined;
      let seen = 0;
      for await (const chunk of node.inode.content.stream(0, node.size)) {
        if (seen + chunk.length > node.size) {
          throw new ErofsError(`content is longer than its size ${node.size}`, node.path);
        }
        if (seen + chunk.length <= full) yield chunk;
        else {
          const split = Math.max(0, full - seen);
          if (split > 0) yield chunk.subarray(0, split);
          tail!.set(chunk.subarray(split), seen + split - full);
        }
        seen += chunk.length;
      }
      if (seen !== node.size) {
        throw new ErofsError(`content ended early (size ${node.size})`, node.path);
      }
      if (tail) tails.set(node, tail);
    } else if (full > 0) {
      yield smallData(plan, node, nidOf).subarray(0, full);
    }
    const pad = node.dataBlocks * blockSize - full;
    if (node.dataBlocks > 0 && pad > 0) yield zeros.subarray(0, pad);
  }
}

/**
 * Builds the EROFS image of `tree`. Validation happens here, before the
 * first byte is streamed: bad names, xattrs, modes or options throw
 * {@link ErofsError} (or the tree's own error) naming the path.
 *
 * @example
 * ```ts
 * import { bytesContent, metadata, Tree } from "../tree/mod.ts";
 * import { buildErofs } from "./image.ts";
 *
 * const tree = new Tree();
 * tree.add("hello", { kind: "file", meta: metadata({ mode: 0o644 }), content: bytesContent(new TextEncoder().encode("hi\n")) });
 * const image = await buildErofs(tree, { fixedTime: 0, uuid: "clear" });
 * const parts: Uint8Array[] = [];
 * for await (const chunk of image.chunks()) parts.push(chunk);
 * ```
 */
export async function buildErofs(tree: Tree, options: ErofsOptions = {}): Promise<ErofsImage> {
  const resolved = resolveOptions(options);
  await initWasm(); // the superblock checksum is computed in WASM
  if (resolved.compression) {
    return compressedImage(
      planNodes(tree, resolved),
      (c) => createEncoder(c.algorithm, c.level),
      (c, fileBacked) => startCompressionPool(c.workers, c, fileBacked),
    );
  }
  const plan = planImage(tree, resolved);
  // The UUID is derived from all metadata but file tails (not read yet).
  const head = await encodeHead(plan, tailBlocksWithoutTails(plan), (h) => encodeFront(plan, h));
  const { blockSize } = plan.options;
  return {
    size: plan.blocks * blockSize,
    blockSize,
    inodes: plan.inodes.length,
    async *chunks() {
      for (let at = 0; at < head.length; at += PIECE) yield head.subarray(at, at + PIECE);
      yield* streamData(plan);
    },
  };
}
