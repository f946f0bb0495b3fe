/**
 * The superblock: its fields, and the CRC32C that seals block 0.
 *
 * @module
 */
import { crc32c } from "../wasm/mod.ts";
import {
  COMPAT_MTIME,
  COMPAT_SB_CHKSUM,
  EROFS_MAGIC,
  INCOMPAT_XATTR_PREFIXES,
  SLOT_SIZE,
  SUPERBLOCK_OFFSET,
  SUPERBLOCK_SIZE,
} from "./format.ts";
import type { ImagePlan } from "./plan.ts";

/** Writes the superblock fields (checksum left zero) into the image's first blocks. */
export function encodeSuperblock(view: DataView, plan: ImagePlan, uuid: Uint8Array): void {
  const at = SUPERBLOCK_OFFSET;
  const { options } = plan;
  view.setUint32(at, EROFS_MAGIC, true);
  view.setUint32(at + 4, 0, true);
  view.setUint32(at + 8, COMPAT_SB_CHKSUM | COMPAT_MTIME, true);
  view.setUint8(at + 12, options.blockBits);
  view.setUint16(at + 14, plan.inodes[0].offset / SLOT_SIZE, true);
  view.setBigUint64(at + 16, BigInt(plan.inodes.length), true);
  view.setBigUint64(at + 24, BigInt(plan.epoch.sec), true);
  view.setUint32(at + 32, plan.epoch.nsec, true);
  view.setUint32(at + 36, plan.blocks, true);
  // Nids and shared xattr ids both count from here: 0 for plain images (image
  // offsets), the metadata area at the end for compressed ones.
  view.setUint32(at + 40, plan.metaBlock, true);
  view.setUint32(at + 44, plan.metaBlock, true);
  new Uint8Array(view.buffer, view.byteOffset + at + 48, 16).set(uuid);
  new Uint8Array(view.buffer, view.byteOffset + at + 64, 16).set(options.label);
  const compression = plan.compression;
  view.setUint32(
    at + 80,
    (plan.longPrefixes.length > 0 ? INCOMPAT_XATTR_PREFIXES : 0) | (compression?.incompat ?? 0),
    true,
  );
  if (compression) {
    view.setUint16(at + 84, compression.algorithms, true);
    // The configuration records follow the superblock, each 4-aligned.
    new Uint8Array(view.buffer, view.byteOffset + at + SUPERBLOCK_SIZE).set(compression.records);
  }
  view.setUint8(at + 91, plan.longPrefixes.length);
  view.setUint32(at + 92, plan.prefixOffset / 4, true);
}

/**
 * Computes and stores the superblock checksum: CRC32C without the final
 * inversion over block 0 from the superblock on (a whole block when blocks
 * are ≤ 1 KiB), with the checksum field zero. Call it last.
 */
export function sealSuperblock(head: Uint8Array, blockSize: number): void {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  view.setUint32(SUPERBLOCK_OFFSET + 4, 0, true);
  const length = blockSize > SUPERBLOCK_OFFSET ? blockSize - SUPERBLOCK_OFFSET : blockSize;
  const crc =
    (crc32c(head.subarray(SUPERBLOCK_OFFSET, SUPERBLOCK_OFFSET + length)) ^ 0xffffffff) >>> 0;
  view.setUint32(SUPERBLOCK_OFFSET + 4, crc, true);
}
