/**
 * Encodes one planned inode — core, xattr area — into the metadata buffer.
 * (Inline tails are copied by the image builder, which owns the content.)
 *
 * @module
 */
import { EXTENDED_INODE_SIZE, LAYOUT_FLAT_INLINE, NO_BLOCK, XATTR_HEADER_SIZE } from "./format.ts";
import type { PlannedInode } from "./plan.ts";
import { writeXattrEntry } from "./xattrs.ts";

/** Linux `new_encode_dev`: minor's low byte, major, then minor's high bits. */
export function encodeDevice(major: number, minor: number): number {
  return ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

/** The `i_u` word: start block, device number, or the no-block marker. */
function inodeUnion(node: PlannedInode): number {
  const inode = node.inode;
  if (inode.kind === "char" || inode.kind === "block") {
    return encodeDevice(inode.major, inode.minor);
  }
  if (inode.kind === "fifo" || inode.kind === "socket") return 0;
  if (node.compressed) return node.compressed.blocks;
  if (node.dataBlocks > 0) return node.startBlock;
  return node.layout === LAYOUT_FLAT_INLINE ? NO_BLOCK : 0;
}

/**
 * Writes the inode core and xattr area at `node.offset` − `base` of `out`
 * (`base`: the offset, from `meta_blkaddr`, of `out[0]`); returns the
 * position in `out` where its inline tail goes.
 */
export function encodeInode(
  out: Uint8Array,
  view: DataView,
  node: PlannedInode,
  ino: number,
  sharedOffset: ReadonlyMap<string, number>,
  base = 0,
): number {
  const at = node.offset - base;
  const xattrIcount = node.xattrs.size === 0 ? 0 : (node.xattrs.size - XATTR_HEADER_SIZE) / 4 + 1;
  view.setUint16(at, (node.extended ? 1 : 0) | (node.layout << 1), true);
  view.setUint16(at + 2, xattrIcount, true);
  view.setUint16(at + 4, node.mode, true);
  if (node.extended) {
    view.setUint32(at + 8, node.size >>> 0, true);
    view.setUint32(at + 12, Math.floor(node.size / 0x1_0000_0000), true);
    view.setUint32(at + 16, inodeUnion(node), true);
    view.setUint32(at + 20, ino, true);
    view.setUint32(at + 24, node.uid, true);
    view.setUint32(at + 28, node.gid, true);
    view.setBigInt64(at + 32, BigInt(node.mtime.sec), true);
    view.setUint32(at + 40, node.mtime.nsec, true);
    view.setUint32(at + 44, node.nlink, true);
  } else {
    view.setUint16(at + 6, node.nlink, true);
    view.setUint32(at + 8, node.size, true);
    view.setUint32(at + 16, inodeUnion(node), true);
    view.setUint32(at + 20, ino, true);
    view.setUint16(at + 24, node.uid, true);
    view.setUint16(at + 26, node.gid, true);
  }
  let pos = at + (node.extended ? EXTENDED_INODE_SIZE : 32);
  if (node.xattrs.size > 0) {
    out[pos + 4] = node.xattrs.shared.length;
    pos += XATTR_HEADER_SIZE;
    for (const entry of node.xattrs.shared) {
      view.setUint32(pos, sharedOffset.get(entry.key)! / 4, true);
      pos += 4;
    }
    for (const entry of node.xattrs.inline) pos = writeXattrEntry(out, pos, entry);
  }
  return pos;
}
