/**
 * Stage "tree": the file-system model between the layer decoders and the
 * EROFS writer — inodes, names, xattrs, and where each file's bytes are.
 *
 * @module
 */
export * from "./inode.ts";
export * from "./content.ts";
export * from "./tree.ts";
export * from "./utf8.ts";
