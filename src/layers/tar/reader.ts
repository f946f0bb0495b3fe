/**
 * The streaming tar reader: turns archive bytes into {@link TarEntry} records,
 * each followed by its data as a stream, in bounded memory (only headers and
 * extension records, capped in size, are ever buffered).
 *
 * Formats: v7, ustar, GNU (long names `L`/`K`, base-256 numbers) and PAX
 * (`x`/`g`). Unsupported members (GNU sparse, multi-volume, vendor types)
 * fail loudly rather than being silently mis-extracted.
 *
 * @module
 */
import type { Timestamp } from "../../tree/mod.ts";
import { TarError, type TarEntry, type TarEntryType } from "./entry.ts";
import { BLOCK_SIZE, cString, isZeroBlock, parseHeader, type RawHeader } from "./header.ts";
import { openCursor, type ByteCursor, type TarInput } from "./input.ts";
import {
  decodeBase64,
  decodeLibarchiveXattrName,
  decodeSchilyXattrName,
  paxInteger,
  type PaxRecords,
  parsePaxRecords,
  paxText,
  paxTime,
} from "./pax.ts";

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
   * The member's `entry.size` bytes. Read it (once) before asking the reader
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
};

/** Type flags we know but do not support (yet), with a better message than "unknown". */
const UNSUPPORTED: Record<string, string> = {
  S: "GNU sparse files are not supported yet",
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
}

/** Data-reading state shared between the reader and one member's body. */
interface BodyState {
  remaining: number;
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
  let pending: Pending = { pax: undefined, longName: undefined, longLink: undefined, offset: undefined };
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
          const records = parsePaxRecords(data);
          if (typeof records === "string") throw new TarError(records, { offset, path: header.name });
          if (flag === "g") globalPax = mergeRecords(globalPax, records);
          // Kept as is: an empty value must still mask the global record later.
          else pending.pax = new Map([...(pending.pax ?? []), ...records]);
        }
        continue;
      }
      const type = ENTRY_TYPES[flag];
      const memberOffset = pending.offset ?? offset;
      if (type === undefined) {
        const why = UNSUPPORTED[flag] ?? `unknown type flag ${describeType(flag)}`;
        throw new TarError(why, { offset: memberOffset, path: pending.longName ?? header.name });
      }
      const entry = buildEntry(header, type, globalPax, pending, memberOffset, cursor.position);
      pending = { pax: undefined, longName: undefined, longLink: undefined, offset: undefined };
      if (cursor.size !== undefined && entry.dataOffset + entry.size > cursor.size) {
        throw new TarError(
          `size ${entry.size} runs past the end of the archive (truncated?)`,
          { offset: memberOffset, path: entry.path },
        );
      }
      body = { remaining: entry.size, stale: false, entry };
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
    throw new TarError("archive is truncated inside an extension header", { offset, path: header.name });
  }
  return data;
}

function padOf(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

function buildEntry(
  header: RawHeader,
  type: TarEntryType,
  globalPax: PaxRecords,
  pending: Pending,
  headerOffset: number,
  dataOffset: number,
): TarEntry {
  let path = pending.longName ?? header.name;
  let linkname = pending.longLink ?? header.linkname;
  let { uid, gid, uname, gname, size, devmajor, devminor } = header;
  let mtime: Timestamp = { sec: header.mtime, nsec: 0 };
  const xattrs = new Map<string, Uint8Array>();
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
          throw new TarError("GNU sparse files are not supported yet", where());
        }
      // Other keywords (atime, ctime, comment, charset, …) carry nothing EROFS stores.
    }
  }
  // Old tars mark directories only by a trailing slash on a regular-file entry.
  if (type === "file" && header.typeflag !== "7" && path.endsWith("/")) type = "directory";
  const headerOnly = type !== "file";
  return {
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
}

async function* bodyChunks(cursor: ByteCursor, state: BodyState): AsyncGenerator<Uint8Array> {
  while (true) {
    if (state.stale) {
      throw new TarError("entry data read after the reader moved on", {
        offset: state.entry.headerOffset,
        path: state.entry.path,
      });
    }
    if (state.remaining === 0) return;
    const piece = await cursor.readSome(Math.min(state.remaining, MAX_PIECE));
    if (piece.length === 0) throw truncated(state.entry);
    state.remaining -= piece.length;
    yield piece;
  }
}

/** Skips what the consumer left of a member's data, and the block padding. */
async function skipData(cursor: ByteCursor, state: BodyState): Promise<void> {
  const want = state.remaining + padOf(state.entry.size);
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
