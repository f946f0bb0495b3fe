/**
 * On-disk constants of EROFS: magic, feature bits, layouts, type codes and
 * record sizes. Names follow `shared/reference/erofs-format.md`.
 *
 * @module
 */

/** Superblock magic, stored little-endian at byte 1024. */
export const EROFS_MAGIC = 0xe0f5e1e2;
/** Byte offset of the superblock. */
export const SUPERBLOCK_OFFSET = 1024;
/** Base superblock size (no extension slots). */
export const SUPERBLOCK_SIZE = 128;
/** Inodes are addressed in 32-byte slots: byte offset = nid × 32. */
export const SLOT_SIZE = 32;
/** Compact (v1) inode core size. */
export const COMPACT_INODE_SIZE = 32;
/** Extended (v2) inode core size. */
export const EXTENDED_INODE_SIZE = 64;
/** Size of one directory entry record (nid, nameoff, type, reserved). */
export const DIRENT_SIZE = 12;
/** Size of the inline xattr area header. */
export const XATTR_HEADER_SIZE = 12;
/** Size of an xattr entry header (name length, index, value size). */
export const XATTR_ENTRY_HEADER_SIZE = 4;

/** `feature_compat` bits. */
export const COMPAT_SB_CHKSUM = 0x1;
export const COMPAT_MTIME = 0x2;

/** `feature_incompat` bits. */
export const INCOMPAT_LZ4_0PADDING = 0x1;
export const INCOMPAT_COMPR_CFGS = 0x2;
export const INCOMPAT_ZTAILPACKING = 0x10;
export const INCOMPAT_XATTR_PREFIXES = 0x40;

/** Data layouts (i_format bits 1–3). */
export const LAYOUT_FLAT_PLAIN = 0;
export const LAYOUT_FLAT_INLINE = 2;
export const LAYOUT_COMPRESSED_COMPACT = 3;

/** Compressed files: lcluster types in index entries. */
export const LCLUSTER_PLAIN = 0;
export const LCLUSTER_HEAD1 = 1;
export const LCLUSTER_NONHEAD = 2;
/** NONHEAD `delta0` flag: the low bits are the pcluster's block count (CBLKCNT). */
export const D0_CBLKCNT = 0x800;
/** Map header `h_advise` bits. */
export const ADVISE_COMPACTED_2B = 0x1;
export const ADVISE_BIG_PCLUSTER_1 = 0x2;
export const ADVISE_BIG_PCLUSTER_2 = 0x4;
export const ADVISE_INLINE_PCLUSTER = 0x8;
/** Compression algorithm ids (`h_algorithmtype`, superblock bitmap bits). */
export const ALGORITHM_LZ4 = 0;
export const ALGORITHM_DEFLATE = 2;
/** Size of the map header that precedes a compressed file's index. */
export const MAP_HEADER_SIZE = 8;

/** `i_u` of a FLAT_INLINE inode with no full block: readers ignore it. */
export const NO_BLOCK = 0xffffffff;

/** POSIX file type bits of `i_mode`. */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

/** Directory entry `file_type` codes. */
export const FT_REG_FILE = 1;
export const FT_DIR = 2;
export const FT_CHRDEV = 3;
export const FT_BLKDEV = 4;
export const FT_FIFO = 5;
export const FT_SOCK = 6;
export const FT_SYMLINK = 7;

/** Short xattr name prefix ids (`e_name_index`). */
export const XATTR_INDEX_USER = 1;
export const XATTR_INDEX_POSIX_ACL_ACCESS = 2;
export const XATTR_INDEX_POSIX_ACL_DEFAULT = 3;
export const XATTR_INDEX_TRUSTED = 4;
export const XATTR_INDEX_SECURITY = 6;
/** `e_name_index` flag marking a long-prefix reference. */
export const XATTR_LONG_PREFIX = 0x80;
/** Most long prefixes an image can declare. */
export const MAX_LONG_PREFIXES = 128;
