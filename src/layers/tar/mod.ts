/**
 * Tar decoding for the layers stage: a streaming, bounded-memory reader of
 * v7, ustar, GNU and PAX archives that yields typed entries and their data.
 *
 * @example
 * ```ts
 * import { readTar } from "./mod.ts";
 * const archive = new Blob([]); // e.g. a File from an <input>
 * for await (const { entry } of readTar(archive)) console.log(entry.type, entry.path);
 * ```
 *
 * @module
 */
export { type TarEntry, type TarEntryType, TarError } from "./entry.ts";
export { readTar, type ReadTarOptions, type TarMember } from "./reader.ts";
export { blobRandomAccess, type RandomAccessInput, type TarInput } from "./input.ts";
export { sparseContent, type SparseSegment } from "./sparse.ts";
