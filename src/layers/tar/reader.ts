/**
 * The streaming tar reader: turns archive bytes into {@link TarEntry} records,
 * each followed by its data as a stream, in bounded memory (only headers and
 * extension records, capped in size, are ever buffered).
 *
 * Formats: v7, ustar, GNU (long names `L`/`K`, base-256 numbers, old-style
 * sparse `S` members) and PAX (`x`/`g`, GNU sparse formats 0.0, 0.1 and
 * 1.0). Sparse members come out expanded: their body yields the whole file
 * with zeros in the holes. Unsupported members (multi-volume, vendor types)
 * fail loudly rather than being silently mis-extracted.
 *
 * @module
 */
import type { Timestamp } from "../../tree/mod.ts";
import { type TarEntry, type TarEntryType, TarError } from "./entry.ts";
import {
  BLOCK_SIZE,
  cString,
  isZeroBlock,
  parseHeader,
  parseNumber,
  type RawHeader,
} from "./header.ts";
import { type ByteCursor, openCursor, type TarInput } from "./input.ts";
import {
  decodeBase64,
  decodeLibarchiveXattrName,
  decodeSchilyXattrName,
  paxInteger,
  paxRecordList,
  type PaxRecords,
  paxText,
  paxTime,
} from "./pax.ts";
import {
  checkSparseMap,
  decimal,
  expandSparse,
  parseSparseMapText,
  SparseMapParser,
  type SparseSegment,
} from "./sparse.ts";

/**
 * One archive member: its decoded header and its data.
 *
 * @example
 * ```ts
 * import { readTar, type TarMember } from "./reader.ts";
 * for await (const member of readTar(new Blob([]))) {
 *   const { entry, body }: TarMember = member;
 *   for await (const chunk of body) console.log(entry.path, chunk.length);
 * }
 * ```
 */
export interface TarMember {
  readonly entry: TarEntry;
  /**
   * The member's `entry.size` bytes (for a sparse member: the expanded file,
   * holes as zeros). Read it (once) before asking the reader
   * for the next member; whatever is left unread is skipped then, and reading
   * afterwards throws. Chunks may alias the input's buffers.
   */
  readonly body: AsyncIterable<Uint8Array>;
}

/**
 * Limits for {@link readTar}.
 *
 * @example
 * ```ts
 * import { readTar, type ReadTarOptions } from "./reader.ts";
 * const options: ReadTarOptions = { maxMetadataSize: 64 * 1024, signal: AbortSignal.timeout(10_000) };
 * for await (const { entry } of readTar(new Blob([]), options)) console.log(entry.path);
 * ```
 */
export interface ReadTarOptions {
  /**
   * Largest PAX header or GNU long name/link accepted, in bytes (default
   * 1 MiB): these are buffered whole, so a hostile size must not be.
   */
  maxMetadataSize?: number;
  /** Stops reading (the iteration throws the signal's reason). */
  signal?: AbortSignal;
}

const DEFAULT_MAX_METADATA = 1 << 20;
/** Largest data piece handed out at once. */
const MAX_PIECE = 1 << 20;
const lenient = new TextDecoder("utf-8");

const ENTRY_TYPES: Record<string, TarEntryType> = {
  "\0": "file",
  "0": "file",
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "directory",
  "6": "fifo",
  S: "file",
};

/** Type flags we know but do not support (yet), with a better message than "unknown". */
const UNSUPPORTED: Record<string, string> = {
  D: "GNU incremental dump directories are not supported",
  M: "GNU multi-volume continuation members are not supported",
  V: "GNU volume labels are not supported",
  N: "GNU old long-name members are not supported",
  X: "Solaris extended headers are not supported",
};

/** Per-member extension state gathered from the headers before the real one. */
interface Pending {
  pax: PaxRecords | undefined;
  longName: string | undefined;
  longLink: string | undefined;
  /** Offset of the first extension header, reported as the member's offset. */
  offset: number | undefined;
  /** PAX sparse 0.0 `GNU.sparse.offset`/`numbytes` records, in archive order. */
  sparsePairs: [string, Uint8Array][];
}

const noPending = (): Pending => ({
  pax: undefined,
  longName: undefined,
  longLink: undefined,
  offset: undefined,
  sparsePairs: [],
});

/** A sparse member's map as the headers give it, before the data is reached. */
interface SparsePlan {
  realSize: number;
  /** The map, or `"data"` when it opens the data area (PAX 1.0). */
  map: SparseSegment[] | "data";
}

/** Data-reading state shared between the reader and one member's body. */
interface BodyState {
  /** Archived data bytes not read yet (padding excluded). */
  remaining: number;
  /** Zero padding after the data, up to the next block. */
  padding: number;
  stale: boolean;
  entry: TarEntry;
}

function describeType(flag: string): string {
  const code = flag.charCodeAt(0);
  return code >= 0x21 && code <= 0x7e ? `'${flag}'` : `0x${code.toString(16).padStart(2, "0")}`;
}

/**
 * Reads a tar archive member by member.
 *
 * Ends at the first zero block (the end-of-archive marker) or at a clean end
 * of input; the input is released (a stream is cancelled) when iteration
 * ends, fails, or is abandoned. Everything malformed throws {@link TarError}.
 *
 * @example
 * ```ts
 * import { readTar } from "./reader.ts";
 *
 * const response = await fetch("https://example.com/rootfs.tar");
 * for await (const { entry, body } of readTar(response.body!)) {
 *   if (entry.type !== "file") continue; // unread bodies are skipped
 *   let bytes = 0;
 *   for await (const chunk of body) bytes += chunk.length;
 *   console.log(entry.path, bytes);
 * }
 * ```
 */
export async function* readTar(
  input: TarInput,
  options: ReadTarOptions = {},
): AsyncGenerator<TarMember, void, undefined> {
  const maxMetadata = options.maxMetadataSize ?? DEFAULT_MAX_METADATA;
  const cursor = openCursor(input);
  let globalPax: PaxRecords = new Map();
  let pending: Pending = noPending();
  let body: BodyState | undefined;
  try {
    while (true) {
      options.signal?.throwIfAborted();
      if (body) {
        body.stale = true;
        await skipData(cursor, body);
        body = undefined;
      }
      const offset = cursor.position;
      const block = await cursor.readExact(BLOCK_SIZE);
      if (block.length === 0 || isZeroBlock(block)) {
        if (pending.offset !== undefined) {
          throw new TarError("archive ends after an extension header, before its member", {
            offset: pending.offset,
          });
        }
        return;
      }
      if (block.length < BLOCK_SIZE) {
        throw new TarError("archive is truncated inside a header", { offset });
      }
      const header = parseHeader(block, offset);
      const flag = header.typeflag;
      if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
        pending.offset ??= offset;
        const data = await readMetadata(cursor, header, offset, maxMetadata);
        if (flag === "L") pending.longName = cString(data);
        else if (flag === "K") pending.longLink = cString(data);
        else {
          const list = paxRecordList(data);
          if (typeof list === "string") throw new TarError(list, { offset, path: header.name });
          const records = new Map(list);
          if (flag === "g") globalPax = mergeRecords(globalPax, records);
          else {
            // Kept as is: an empty value must still mask the global record later.
            pending.pax = new Map([...(pending.pax ?? []), ...records]);
            pending.sparsePairs.push(
              ...list.filter(([key]) =>
                key === "GNU.sparse.offset" || key === "GNU.sparse.numbytes"
              ),
            );
          }
        }
        continue;
      }
      const type = ENTRY_TYPES[flag];
      const memberOffset = pending.offset ?? offset;
      if (type === undefined) {
        const why = UNSUPPORTED[flag] ?? `unknown type flag ${describeType(flag)}`;
        throw new TarError(why, { offset: memberOffset, path: pending.longName ?? header.name });
      }
      const oldSparse = flag === "S"
        ? await readOldGnuSparse(
          cursor,
          block,
          memberOffset,
          pending.longName ?? header.name,
          maxMetadata,
        )
        : undefined;
      const built = buildEntry(
        header,
        type,
        globalPax,
        pending,
        memberOffset,
        cursor.position,
        oldSparse,
      );
      pending = noPending();
      let entry = built.entry;
      // Bytes the member occupies after its headers; for a sparse member the
      // stored segments (and a PAX 1.0 map), not the expanded size.
      const archived = built.archivedSize;
      let stored = archived;
      if (built.sparse) {
        let map = built.sparse.map;
        if (map === "data") {
          const read = await readSparseMap(cursor, archived, maxMetadata, {
            offset: memberOffset,
            path: entry.path,
          });
          map = read.map;
          stored = archived - read.bytes;
        }
        const checked = checkSparseMap(map, built.sparse.realSize, stored);
        if (typeof checked === "string") {
          throw new TarError(checked, { offset: memberOffset, path: entry.path });
        }
        entry = {
          ...entry,
          size: built.sparse.realSize,
          sparse: checked,
          dataOffset: cursor.position,
        };
      }
      if (cursor.size !== undefined && entry.dataOffset + stored > cursor.size) {
        throw new TarError(
          `size ${archived} runs past the end of the archive (truncated?)`,
          { offset: memberOffset, path: entry.path },
        );
      }
      body = { remaining: stored, padding: padOf(archived), stale: false, entry };
      yield { entry, body: bodyChunks(cursor, body) };
    }
  } finally {
    await cursor.close();
  }
}

/** Applies a PAX record set over another: an empty value deletes the keyword. */
function mergeRecords(base: PaxRecords, update: PaxRecords): PaxRecords {
  const merged = new Map(base);
  for (const [keyword, value] of update) {
    // An empty xattr value is a real (empty) xattr, not a deletion.
    if (value.length === 0 && !keyword.includes(".xattr.")) merged.delete(keyword);
    else merged.set(keyword, value);
  }
  return merged;
}

/** Reads an extension header's data (capped) and the padding after it. */
async function readMetadata(
  cursor: ByteCursor,
  header: RawHeader,
  offset: number,
  max: number,
): Promise<Uint8Array> {
  if (header.size > max) {
    throw new TarError(
      `extension header of ${header.size} bytes exceeds the ${max}-byte limit`,
      { offset, path: header.name },
    );
  }
  const data = await cursor.readExact(header.size);
  const padding = padOf(header.size);
  if (data.length < header.size || (await cursor.skip(padding)) < padding) {
    throw new TarError("archive is truncated inside an extension header", {
      offset,
      path: header.name,
    });
  }
  return data;
}

function padOf(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

/** What the headers of a member say, before its data is reached. */
interface BuiltEntry {
  entry: TarEntry;
  /** Data bytes (before padding) that follow the headers in the archive. */
  archivedSize: number;
  sparse: SparsePlan | undefined;
}

function buildEntry(
  header: RawHeader,
  type: TarEntryType,
  globalPax: PaxRecords,
  pending: Pending,
  headerOffset: number,
  dataOffset: number,
  oldSparse: SparsePlan | undefined,
): BuiltEntry {
  let path = pending.longName ?? header.name;
  let linkname = pending.longLink ?? header.linkname;
  let { uid, gid, uname, gname, size, devmajor, devminor } = header;
  let mtime: Timestamp = { sec: header.mtime, nsec: 0 };
  const xattrs = new Map<string, Uint8Array>();
  const sparseKeys = new Map<string, string>();
  const records = pending.pax ? mergeRecords(globalPax, pending.pax) : globalPax;
  const where = () => ({ offset: headerOffset, path });
  const text = (value: Uint8Array) => paxText(value) ?? lenient.decode(value);
  const integer = (keyword: string, value: Uint8Array): number => {
    const number = paxInteger(text(value));
    if (number === undefined) {
      throw new TarError(`invalid PAX ${keyword} ${JSON.stringify(text(value))}`, where());
    }
    return number;
  };
  // `path` first, so that errors about the other keywords name the right entry.
  const paxPath = records.get("path");
  if (paxPath) path = text(paxPath);
  for (const [keyword, value] of records) {
    switch (keyword) {
      case "path":
        break;
      case "linkpath":
        linkname = text(value);
        break;
      case "uname":
        uname = text(value);
        break;
      case "gname":
        gname = text(value);
        break;
      case "uid":
        uid = integer(keyword, value);
        break;
      case "gid":
        gid = integer(keyword, value);
        break;
      case "size":
        size = integer(keyword, value);
        break;
      case "SCHILY.devmajor":
        devmajor = integer(keyword, value);
        break;
      case "SCHILY.devminor":
        devminor = integer(keyword, value);
        break;
      case "mtime": {
        const time = paxTime(text(value));
        if (!time) throw new TarError(`invalid PAX mtime ${JSON.stringify(text(value))}`, where());
        mtime = time;
        break;
      }
      default:
        if (keyword.startsWith("SCHILY.xattr.")) {
          xattrs.set(decodeSchilyXattrName(keyword.slice(13)), value);
        } else if (keyword.startsWith("LIBARCHIVE.xattr.")) {
          const name = decodeLibarchiveXattrName(keyword.slice(17));
          const bytes = decodeBase64(text(value));
          if (name === undefined || bytes === undefined) {
            throw new TarError(`invalid PAX record ${JSON.stringify(keyword)}`, where());
          }
          xattrs.set(name, bytes);
        } else if (keyword.startsWith("GNU.sparse.")) {
          sparseKeys.set(keyword, text(value));
        }
        // Other keywords (atime, ctime, comment, charset, …) carry nothing EROFS stores.
    }
  }
  let sparse = oldSparse;
  if (!sparse && (sparseKeys.size > 0 || pending.sparsePairs.length > 0)) {
    const name = sparseKeys.get("GNU.sparse.name");
    // The header name of formats 0.1 and 1.0 is a placeholder (GNUSparseFile.PID/NAME).
    if (name !== undefined) path = name;
    sparse = paxSparse(sparseKeys, pending.sparsePairs, where);
  }
  // Old tars mark directories only by a trailing slash on a regular-file entry.
  if (type === "file" && !sparse && header.typeflag !== "7" && path.endsWith("/")) {
    type = "directory";
  }
  if (sparse && type !== "file") {
    throw new TarError("sparse map on a member that is not a regular file", where());
  }
  const headerOnly = type !== "file";
  const entry: TarEntry = {
    path,
    type,
    mode: header.mode & 0o7777,
    uid,
    gid,
    uname,
    gname,
    size: headerOnly ? 0 : size,
    mtime,
    linkname: type === "hardlink" || type === "symlink" ? linkname : "",
    devmajor: type === "char" || type === "block" ? devmajor : 0,
    devminor: type === "char" || type === "block" ? devminor : 0,
    xattrs,
    headerOffset,
    dataOffset,
  };
  return { entry, archivedSize: headerOnly ? 0 : size, sparse };
}

/** The map and real size from PAX `GNU.sparse.*` records (formats 0.0, 0.1, 1.0). */
function paxSparse(
  keys: Map<string, string>,
  pairs: [string, Uint8Array][],
  where: () => { offset: number; path: string },
): SparsePlan {
  const fail = (message: string): never => {
    throw new TarError(message, where());
  };
  const number = (keyword: string): number | undefined => {
    const value = keys.get(keyword);
    if (value === undefined) return undefined;
    return decimal(value) ?? fail(`invalid PAX ${keyword} ${JSON.stringify(value)}`);
  };
  const major = keys.get("GNU.sparse.major");
  const minor = keys.get("GNU.sparse.minor");
  const realSize = number("GNU.sparse.realsize") ?? number("GNU.sparse.size") ??
    fail("sparse member without GNU.sparse.realsize or GNU.sparse.size");
  if (major !== undefined || minor !== undefined) {
    const version = `${major ?? "?"}.${minor ?? "?"}`;
    if (version !== "1.0") {
      fail(`GNU sparse format ${version} is not supported (only 0.0, 0.1 and 1.0)`);
    }
    return { realSize, map: "data" };
  }
  let map: SparseSegment[];
  const text = keys.get("GNU.sparse.map");
  if (text !== undefined) {
    const parsed = parseSparseMapText(text);
    map = typeof parsed === "string" ? fail(parsed) : parsed;
  } else {
    // Format 0.0: offset and numbytes records alternate, in order.
    map = [];
    for (let i = 0; i < pairs.length; i += 2) {
      const [offsetKey, offsetValue] = pairs[i];
      const [lengthKey, lengthValue] = pairs[i + 1] ?? ["", new Uint8Array()];
      if (offsetKey !== "GNU.sparse.offset" || lengthKey !== "GNU.sparse.numbytes") {
        fail("GNU.sparse.offset and GNU.sparse.numbytes records do not alternate");
      }
      const decode = (bytes: Uint8Array) => decimal(lenient.decode(bytes));
      const offset = decode(offsetValue) ?? fail("invalid PAX GNU.sparse.offset");
      const length = decode(lengthValue) ?? fail("invalid PAX GNU.sparse.numbytes");
      map.push({ offset, length });
    }
  }
  const blocks = number("GNU.sparse.numblocks");
  if (blocks !== undefined && blocks !== map.length) {
    fail(`GNU.sparse.numblocks is ${blocks} but the map has ${map.length} segments`);
  }
  return { realSize, map };
}

/** Sparse entries in an old GNU header: 4 in the header, 21 per extension block. */
const OLD_GNU_IN_HEADER = 4;
const OLD_GNU_PER_EXTENSION = 21;

/**
 * Reads the map of an old GNU sparse (`S`) member: the entries in its header
 * block, then those of the extension blocks that follow while the
 * "isextended" flag is set (counted against the metadata limit).
 */
async function readOldGnuSparse(
  cursor: ByteCursor,
  block: Uint8Array,
  offset: number,
  path: string,
  max: number,
): Promise<SparsePlan> {
  const where = { offset, path };
  const map: SparseSegment[] = [];
  const collect = (bytes: Uint8Array, count: number): void => {
    for (let i = 0; i < count; i++) {
      const at = i * 24;
      if (bytes[at] === 0) return; // unused slots are zero-filled
      const start = parseNumber(bytes.subarray(at, at + 12));
      const length = parseNumber(bytes.subarray(at + 12, at + 24));
      if (start === undefined || length === undefined) {
        throw new TarError("invalid sparse map entry", where);
      }
      map.push({ offset: start, length });
    }
  };
  collect(block.subarray(386, 482), OLD_GNU_IN_HEADER);
  const realSize = parseNumber(block.subarray(483, 495));
  if (realSize === undefined) throw new TarError("invalid sparse real size field", where);
  let extended = block[482] !== 0;
  let bytes = 0;
  while (extended) {
    bytes += BLOCK_SIZE;
    if (bytes > max) {
      throw new TarError(`sparse map extension headers exceed the ${max}-byte limit`, where);
    }
    const extension = await cursor.readExact(BLOCK_SIZE);
    if (extension.length < BLOCK_SIZE) {
      throw new TarError("archive is truncated inside a sparse header", where);
    }
    collect(extension, OLD_GNU_PER_EXTENSION);
    extended = extension[504] !== 0;
  }
  return { realSize, map };
}

/** Reads the PAX 1.0 map that opens a sparse member's data area (whole blocks). */
async function readSparseMap(
  cursor: ByteCursor,
  archived: number,
  max: number,
  where: { offset: number; path: string },
): Promise<{ map: SparseSegment[]; bytes: number }> {
  const parser = new SparseMapParser();
  let bytes = 0;
  while (!parser.done) {
    if (bytes + BLOCK_SIZE > archived) {
      throw new TarError("sparse map runs past the member's data", where);
    }
    if (bytes + BLOCK_SIZE > max) {
      throw new TarError(`sparse map exceeds the ${max}-byte limit`, where);
    }
    const block = await cursor.readExact(BLOCK_SIZE);
    if (block.length < BLOCK_SIZE) {
      throw new TarError("archive is truncated inside the sparse map", where);
    }
    parser.push(block);
    bytes += BLOCK_SIZE;
  }
  if (parser.error) throw new TarError(parser.error, where);
  return { map: parser.map, bytes };
}

async function* bodyChunks(cursor: ByteCursor, state: BodyState): AsyncGenerator<Uint8Array> {
  const checkFresh = () => {
    if (state.stale) {
      throw new TarError("entry data read after the reader moved on", {
        offset: state.entry.headerOffset,
        path: state.entry.path,
      });
    }
  };
  const read = async (max: number): Promise<Uint8Array> => {
    checkFresh();
    const piece = await cursor.readSome(Math.min(state.remaining, max));
    if (piece.length === 0) throw truncated(state.entry);
    state.remaining -= piece.length;
    return piece;
  };
  checkFresh();
  const { sparse } = state.entry;
  if (sparse) {
    for await (const piece of expandSparse(state.entry.size, sparse, read)) {
      checkFresh();
      yield piece;
    }
    return;
  }
  while (state.remaining > 0) yield await read(MAX_PIECE);
  checkFresh();
}

/** Skips what the consumer left of a member's data, and the block padding. */
async function skipData(cursor: ByteCursor, state: BodyState): Promise<void> {
  const want = state.remaining + state.padding;
  const skipped = await cursor.skip(want);
  // Missing padding after the last member is tolerated only when nothing else follows.
  if (skipped < state.remaining) throw truncated(state.entry);
  state.remaining = 0;
}

function truncated(entry: TarEntry): TarError {
  return new TarError(`archive is truncated inside the data (size ${entry.size})`, {
    offset: entry.headerOffset,
    path: entry.path,
  });
}
