/**
 * Builds an EROFS image from a {@link Tree}: plans the layout, encodes the
 * metadata blocks in memory (inodes, xattrs, inline tails, superblock), and
 * streams the data blocks from each file's content in block order. The
 * result is an ordered byte stream any sink can consume — a seekable file or
 * a `ReadableStream` alike.
 *
 * @module
 */
import type { FileContent, Tree } from "../tree/mod.ts";
import { encodeDirents } from "./directory.ts";
import { ErofsError } from "./errors.ts";
import { encodeInode } from "./inode_encoder.ts";
import { type ErofsOptions, resolveOptions } from "./options.ts";
import { type ImagePlan, type PlannedInode, planImage } from "./plan.ts";
import { encodeSuperblock, sealSuperblock } from "./superblock.ts";
import { initWasm } from "../wasm/mod.ts";
import { writeXattrEntry } from "./xattrs.ts";

/** A built image: its size, and its bytes in order. */
export interface ErofsImage {
  /** Image length in bytes (a whole number of blocks). */
  readonly size: number;
  /** Block size the image was built with. */
  readonly blockSize: number;
  /** Number of inodes. */
  readonly inodes: number;
  /**
   * The image's bytes from offset 0 to {@link size}. File content is read
   * again on each call; metadata was encoded once by {@link buildErofs}.
   */
  chunks(): AsyncIterable<Uint8Array>;
}

/** Largest piece handed to a sink at once from the in-memory metadata. */
const PIECE = 1 << 20;
/** Inline tails read at once. */
const TAIL_READS = 16;

/** Copies `[start, end)` of a file's content into `out` at `at`, checking the length. */
async function readInto(
  content: FileContent,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
  path: string,
): Promise<void> {
  let pos = at;
  const limit = at + (end - start);
  for await (const chunk of content.stream(start, end)) {
    if (pos + chunk.length > limit) throw new ErofsError(`content is longer than its size ${content.size}`, path);
    out.set(chunk, pos);
    pos += chunk.length;
  }
  if (pos !== limit) throw new ErofsError(`content ended early (size ${content.size})`, path);
}

/** Directory or symlink data: small enough to build in memory. */
function smallData(plan: ImagePlan, node: PlannedInode, nidOf: (i: number) => number): Uint8Array {
  if (node.symlink) return node.symlink;
  const { sorted, counts } = node.dirents!;
  const bytes = new Uint8Array(node.size);
  encodeDirents(bytes, sorted, counts, plan.options.blockSize, nidOf, (i) => plan.inodes[i].fileType);
  return bytes;
}

async function encodeMetadata(plan: ImagePlan): Promise<Uint8Array> {
  const { blockSize } = plan.options;
  const meta = new Uint8Array(plan.metaBlocks * blockSize);
  const view = new DataView(meta.buffer);
  const nidOf = (i: number) => plan.inodes[i].offset / 32;
  // File tails are read concurrently: each lands at its own offset, and with
  // many small files the time is all in opening them.
  const reads = new Set<Promise<void>>();
  let failure: unknown;
  for (let i = 0; i < plan.inodes.length; i++) {
    const node = plan.inodes[i];
    const tailAt = encodeInode(meta, view, node, i + 1, plan.sharedOffset);
    if (node.tail === 0) continue;
    const full = node.size - node.tail;
    if (node.inode.kind === "file") {
      const read = readInto(node.inode.content, full, node.size, meta, tailAt, node.path)
        .catch((error) => void (failure ??= error))
        .finally(() => reads.delete(read));
      reads.add(read);
      if (reads.size >= TAIL_READS) await Promise.race(reads);
      if (failure) break;
    } else {
      meta.set(smallData(plan, node, nidOf).subarray(full), tailAt);
    }
  }
  await Promise.all(reads);
  if (failure) throw failure;
  let at = plan.prefixOffset;
  for (const prefix of plan.longPrefixes) {
    view.setUint16(at, 1 + prefix.infix.length, true);
    meta[at + 2] = prefix.base;
    meta.set(prefix.infix, at + 3);
    at += (3 + prefix.infix.length + 3) & ~3;
  }
  for (const { entry, offset } of plan.shared) writeXattrEntry(meta, offset, entry);

  let uuid = plan.options.uuid;
  encodeSuperblock(view, plan, uuid ?? new Uint8Array(16));
  if (!uuid) {
    // Derived from the metadata so that equal inputs give equal images.
    uuid = new Uint8Array(await crypto.subtle.digest("SHA-256", meta)).slice(0, 16);
    uuid[6] = (uuid[6] & 0x0f) | 0x80; // RFC 9562 version 8 (custom)
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    encodeSuperblock(view, plan, uuid);
  }
  sealSuperblock(meta, blockSize);
  return meta;
}

async function* dataBlocks(plan: ImagePlan): AsyncGenerator<Uint8Array> {
  const { blockSize } = plan.options;
  const zeros = new Uint8Array(blockSize);
  const nidOf = (i: number) => plan.inodes[i].offset / 32;
  for (const node of plan.inodes) {
    if (node.dataBlocks === 0) continue;
    const length = node.size - node.tail;
    if (node.inode.kind === "file") {
      let seen = 0;
      for await (const chunk of node.inode.content.stream(0, length)) {
        seen += chunk.length;
        if (seen > length) throw new ErofsError(`content is longer than its size ${node.size}`, node.path);
        yield chunk;
      }
      if (seen !== length) throw new ErofsError(`content ended early (size ${node.size})`, node.path);
    } else {
      yield smallData(plan, node, nidOf).subarray(0, length);
    }
    const pad = node.dataBlocks * blockSize - length;
    if (pad > 0) yield zeros.subarray(0, pad);
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
  const plan = planImage(tree, resolveOptions(options));
  await initWasm(); // the superblock checksum is computed in WASM
  const meta = await encodeMetadata(plan);
  const { blockSize } = plan.options;
  return {
    size: plan.blocks * blockSize,
    blockSize,
    inodes: plan.inodes.length,
    async *chunks() {
      for (let at = 0; at < meta.length; at += PIECE) yield meta.subarray(at, at + PIECE);
      yield* dataBlocks(plan);
    },
  };
}
