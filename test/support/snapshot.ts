/**
 * Canonical listings of file trees, so a mounted image can be compared with
 * the tree it was built from. {@link snapshotDirectory} reads a real
 * directory (through the kernel), {@link snapshotTree} reads the in-memory
 * model; both produce the same {@link EntryRecord} shape, and
 * {@link compareSnapshots} / {@link expectSameTree} say how two differ.
 *
 * Only what EROFS is meant to preserve is recorded: no atime/ctime, no
 * directory sizes (EROFS and ext4 lay directories out differently) and no
 * directory link counts.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createReadStream, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Inode } from "../../src/tree/inode.ts";
import type { Tree } from "../../src/tree/tree.ts";
import { run } from "./system.ts";

/** The kinds of entry a snapshot distinguishes. */
export type EntryType = "file" | "directory" | "symlink" | "char" | "block" | "fifo" | "socket";

/** Everything compared about one path. Optional fields exist only for the types named. */
export interface EntryRecord {
  /** Path relative to the root, `/`-separated; the root itself is `""`. */
  path: string;
  type: EntryType;
  /** Permission bits including setuid/setgid/sticky (0 … 0o7777); 0o777 for symlinks. */
  mode: number;
  uid: number;
  gid: number;
  /** Files: byte length; symlinks: target length in bytes. */
  size?: number;
  /** Files: hex SHA-256 of the content. */
  sha256?: string;
  /** Symlinks: the target. */
  target?: string;
  /** Devices: major number. */
  rdevMajor?: number;
  /** Devices: minor number. */
  rdevMinor?: number;
  /** Every extended attribute, name → base64 value, names sorted. */
  xattrs: Record<string, string>;
  /** Modification time, whole seconds (floor; negative before 1970). */
  mtimeSec: number;
  /** Modification time, nanoseconds within the second (0 … 999,999,999). */
  mtimeNsec: number;
  /** Non-directories: link count. */
  nlink?: number;
  /** Non-directories: the first path (in snapshot order) naming the same inode. */
  linkGroup?: string;
}

/** A snapshot: records keyed by path, in {@link comparePaths} order. */
export type Snapshot = Map<string, EntryRecord>;

/** The fields {@link compareSnapshots} can be told to ignore. */
export type SnapshotField =
  | "type"
  | "mode"
  | "uid"
  | "gid"
  | "size"
  | "sha256"
  | "target"
  | "rdev"
  | "xattrs"
  | "mtime"
  | "mtimeNsec"
  | "nlink"
  | "linkGroup";

/**
 * The order of paths in a snapshot: by UTF-16 code unit, which is stable and
 * identical on both sides of a comparison. Hard-link groups are named by
 * their first path in this order.
 */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Options for {@link snapshotDirectory}. */
export interface DirectorySnapshotOptions {
  /** Read extended attributes (needs `getfattr`; default true). */
  xattrs?: boolean;
}

/**
 * Snapshots the real directory `dir` without following symlinks. Files over
 * 1 MiB are hashed by streaming, xattrs come from a single recursive
 * `getfattr` run.
 *
 * Metadata is read with synchronous calls on purpose: for the many tiny
 * operations of a 10,000-entry tree they are several times faster than the
 * promise API's thread-pool round trips.
 */
export async function snapshotDirectory(
  dir: string,
  options: DirectorySnapshotOptions = {},
): Promise<Snapshot> {
  const root = resolve(dir);
  const xattrs = options.xattrs === false
    ? new Map<string, Record<string, string>>()
    : await readAllXattrs(root);

  // Breadth-first with an explicit queue: deep chains must not recurse.
  // Dirent types come from readdir (d_type), so this pass needs no lstat.
  const paths: string[] = [""];
  for (let i = 0, dirs = [""]; i < dirs.length; i++) {
    const rel = dirs[i];
    for (const entry of readdirSync(rel === "" ? root : join(root, rel), { withFileTypes: true })) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      paths.push(path);
      if (entry.isDirectory()) dirs.push(path);
    }
  }
  paths.sort(comparePaths);

  // In sorted order, so each link group is named by its first path.
  const groups = new Map<string, string>(); // "dev:ino" → first path
  const snapshot: Snapshot = new Map();
  for (const rel of paths) {
    const [record, id] = await recordOf(root, rel, xattrs.get(rel) ?? {});
    if (record.type !== "directory") {
      if (!groups.has(id)) groups.set(id, record.path);
      record.linkGroup = groups.get(id);
    }
    snapshot.set(record.path, record);
  }
  return snapshot;
}

// Returns the record and the inode identity ("dev:ino") for link grouping.
async function recordOf(
  root: string,
  rel: string,
  xattrs: Record<string, string>,
): Promise<[EntryRecord, string]> {
  const abs = rel === "" ? root : join(root, rel);
  const info = lstatSync(abs, { bigint: true });
  const type = typeOf(info);
  const [mtimeSec, mtimeNsec] = splitNs(info.mtimeNs);
  const record: EntryRecord = {
    path: rel,
    type,
    mode: Number(info.mode & 0o7777n),
    uid: Number(info.uid),
    gid: Number(info.gid),
    xattrs: sortKeys(xattrs),
    mtimeSec,
    mtimeNsec,
  };
  if (type !== "directory") record.nlink = Number(info.nlink);
  switch (type) {
    case "file":
      record.size = Number(info.size);
      record.sha256 = await hashFile(abs, record.size);
      break;
    case "symlink": {
      const target = readlinkSync(abs, { encoding: "buffer" });
      record.size = target.length;
      record.target = target.toString("utf8");
      break;
    }
    case "char":
    case "block":
      [record.rdevMajor, record.rdevMinor] = splitDev(info.rdev);
      break;
  }
  return [record, `${info.dev}:${info.ino}`];
}

function typeOf(
  info: {
    isFile(): boolean;
    isDirectory(): boolean;
    isSymbolicLink(): boolean;
    isCharacterDevice(): boolean;
    isBlockDevice(): boolean;
    isFIFO(): boolean;
    isSocket(): boolean;
  },
): EntryType {
  if (info.isFile()) return "file";
  if (info.isDirectory()) return "directory";
  if (info.isSymbolicLink()) return "symlink";
  if (info.isCharacterDevice()) return "char";
  if (info.isBlockDevice()) return "block";
  if (info.isFIFO()) return "fifo";
  if (info.isSocket()) return "socket";
  throw new Error("unknown file type");
}

/** Splits nanoseconds since the epoch into floor seconds and 0 … 999,999,999 ns. */
export function splitNs(ns: bigint): [sec: number, nsec: number] {
  const billion = 1_000_000_000n;
  // BigInt division truncates toward zero; times before 1970 need the floor.
  let sec = ns / billion;
  let nsec = ns % billion;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += billion;
  }
  return [Number(sec), Number(nsec)];
}

/** Splits a Linux `dev_t` into (major, minor) the way glibc's `major()`/`minor()` do. */
export function splitDev(dev: bigint): [major: number, minor: number] {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return [Number(major), Number(minor)];
}

async function hashFile(path: string, size: number): Promise<string> {
  const hash = createHash("sha256");
  // A stream per file costs more than the read for the many small files.
  if (size <= 1 << 20) return hash.update(readFileSync(path)).digest("hex");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

// A tiny worker pool: enough parallelism to overlap I/O, bounded memory.
async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function sortKeys(xattrs: Record<string, string>): Record<string, string> {
  const sorted: Record<string, string> = {};
  for (const name of Object.keys(xattrs).sort(comparePaths)) sorted[name] = xattrs[name];
  return sorted;
}

/**
 * Reads every xattr (all namespaces) under `root`, symlinks included, with a
 * single `getfattr -R` run; returns relative path → name → base64 value.
 * Throws if getfattr reports any error, so unreadable xattrs never vanish
 * silently from a comparison.
 */
export async function readAllXattrs(root: string): Promise<Map<string, Record<string, string>>> {
  const result = await run("getfattr", [
    "-R",
    "-P",
    "-h",
    "-d",
    "-m",
    "-",
    "-e",
    "base64",
    "--absolute-names",
    root,
  ], {
    env: { LC_ALL: "C" },
  });
  if (result.code !== 0) {
    throw new Error(
      `getfattr -R ${root} failed (${result.code}):\n${result.stderr.slice(0, 4000)}`,
    );
  }
  const byAbsolute = parseGetfattrDump(result.stdoutBytes);
  const out = new Map<string, Record<string, string>>();
  for (const [path, xattrs] of byAbsolute) {
    let rel: string;
    if (path === root) rel = "";
    else if (path.startsWith(`${root}/`)) rel = path.slice(root.length + 1);
    else throw new Error(`getfattr listed ${JSON.stringify(path)}, outside ${root}`);
    out.set(rel, xattrs);
  }
  return out;
}

const decoder = new TextDecoder();

/**
 * Parses `getfattr -d -e base64` output: `# file: PATH` headers followed by
 * `name=value` lines. Names and paths escape bytes as `\ooo` octal; values
 * are `0s` + base64, `0x` + hex, or `"text"`; an empty value may print as
 * `name=""`, `name=0s` or a bare `name`. Returns path → name → base64.
 */
export function parseGetfattrDump(output: Uint8Array): Map<string, Record<string, string>> {
  const files = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  let start = 0;
  while (start < output.length) {
    let end = output.indexOf(0x0a, start);
    if (end < 0) end = output.length;
    const line = output.subarray(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    const text = decoder.decode(line);
    if (text.startsWith("# file: ")) {
      current = {};
      files.set(unescapeOctal(line.subarray("# file: ".length)), current);
      continue;
    }
    if (text.startsWith("#")) continue;
    if (!current) throw new Error(`getfattr output: attribute before any file: ${text}`);
    // Names escape '=' as \075, so the first '=' separates name and value.
    const eq = line.indexOf(0x3d);
    const name = unescapeOctal(eq < 0 ? line : line.subarray(0, eq));
    const value = eq < 0 ? "" : decoder.decode(line.subarray(eq + 1));
    current[name] = decodeValue(value);
  }
  return files;
}

function decodeValue(value: string): string {
  if (value === "" || value === '""' || value === "0s") return "";
  if (value.startsWith("0s")) return value.slice(2);
  if (value.startsWith("0x") || value.startsWith("0X")) {
    return Buffer.from(value.slice(2), "hex").toString("base64");
  }
  if (value.startsWith('"') && value.endsWith('"')) {
    return Buffer.from(unescapeOctalBytes(new TextEncoder().encode(value.slice(1, -1)))).toString(
      "base64",
    );
  }
  throw new Error(`getfattr output: cannot decode value ${JSON.stringify(value)}`);
}

function unescapeOctal(bytes: Uint8Array): string {
  return decoder.decode(unescapeOctalBytes(bytes));
}

/** Undoes attr's `quote()`: `\ooo` is one byte, `\\` a backslash. */
function unescapeOctalBytes(bytes: Uint8Array): Uint8Array {
  if (!bytes.includes(0x5c)) return bytes;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (
      b === 0x5c && i + 3 < bytes.length && isOctal(bytes[i + 1]) && isOctal(bytes[i + 2]) &&
      isOctal(bytes[i + 3])
    ) {
      out.push(((bytes[i + 1] - 0x30) << 6) | ((bytes[i + 2] - 0x30) << 3) | (bytes[i + 3] - 0x30));
      i += 3;
    } else if (b === 0x5c && bytes[i + 1] === 0x5c) {
      out.push(0x5c);
      i += 1;
    } else {
      out.push(b);
    }
  }
  return Uint8Array.from(out);
}

function isOctal(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x37;
}

/** Options for {@link snapshotTree}. */
export interface TreeSnapshotOptions {
  /** Contents hashed at once (default 4). */
  concurrency?: number;
}

/**
 * Snapshots the in-memory `tree` in the shape {@link snapshotDirectory}
 * gives for the same tree on disk: symlinks have mode 0o777 (what Linux
 * reports whatever was stored), link counts and link groups come from inode
 * identity. Content is hashed by streaming and must yield exactly `size`
 * bytes.
 */
export async function snapshotTree(
  tree: Tree,
  options: TreeSnapshotOptions = {},
): Promise<Snapshot> {
  const names = new Map<Inode, string[]>();
  const entries: [string, Inode][] = [];
  for (const [path, inode] of tree.walk()) {
    entries.push([path, inode]);
    const list = names.get(inode);
    if (list) list.push(path);
    else names.set(inode, [path]);
  }
  entries.sort((a, b) => comparePaths(a[0], b[0]));

  const records: EntryRecord[] = new Array(entries.length);
  await forEachLimit(entries, options.concurrency ?? 4, async ([path, inode], index) => {
    const meta = inode.meta;
    const xattrs: Record<string, string> = {};
    for (const [name, value] of meta.xattrs) xattrs[name] = Buffer.from(value).toString("base64");
    const record: EntryRecord = {
      path,
      type: inode.kind,
      mode: inode.kind === "symlink" ? 0o777 : meta.mode & 0o7777,
      uid: meta.uid,
      gid: meta.gid,
      xattrs: sortKeys(xattrs),
      mtimeSec: meta.mtime.sec,
      mtimeNsec: meta.mtime.nsec,
    };
    if (inode.kind !== "directory") {
      const group = names.get(inode)!;
      record.nlink = group.length;
      record.linkGroup = group.reduce((a, b) => (comparePaths(a, b) <= 0 ? a : b));
    }
    switch (inode.kind) {
      case "file": {
        const hash = createHash("sha256");
        let length = 0;
        for await (const chunk of inode.content.stream()) {
          hash.update(chunk);
          length += chunk.length;
        }
        if (length !== inode.content.size) {
          throw new Error(
            `${
              JSON.stringify(path)
            }: content streamed ${length} bytes, size says ${inode.content.size}`,
          );
        }
        record.size = length;
        record.sha256 = hash.digest("hex");
        break;
      }
      case "symlink":
        record.size = Buffer.byteLength(inode.target, "utf8");
        record.target = inode.target;
        break;
      case "char":
      case "block":
        record.rdevMajor = inode.major;
        record.rdevMinor = inode.minor;
        break;
    }
    records[index] = record;
  });
  return new Map(records.map((record) => [record.path, record]));
}

/** Options for {@link compareSnapshots}. */
export interface CompareOptions {
  /** Fields not compared (e.g. `"mtimeNsec"` for a tool that drops nanoseconds). */
  ignore?: readonly SnapshotField[];
  /** Paths (exact) not compared at all, e.g. `""` to skip the root. */
  ignorePaths?: readonly string[];
  /** Differences listed before the rest are only counted (default 50). */
  limit?: number;
}

/**
 * Lists how `actual` differs from `expected`, one line per difference:
 * the path (JSON-quoted; the root is `"" (root)`), the field and both values.
 * At most `limit` lines, then one line counting the rest. Empty when equal.
 */
export function compareSnapshots(
  expected: Snapshot,
  actual: Snapshot,
  options: CompareOptions = {},
): string[] {
  const ignore = new Set<SnapshotField>(options.ignore ?? []);
  const skip = new Set(options.ignorePaths ?? []);
  const limit = options.limit ?? 50;
  const lines: string[] = [];
  let total = 0;
  const report = (line: string) => {
    total++;
    if (lines.length < limit) lines.push(line);
  };
  const show = (path: string) => (path === "" ? '"" (root)' : JSON.stringify(path));

  for (const [path, want] of expected) {
    if (skip.has(path)) continue;
    const got = actual.get(path);
    if (!got) {
      report(`${show(path)}: missing (expected ${want.type})`);
      continue;
    }
    const field = (
      name: SnapshotField,
      a: unknown,
      b: unknown,
      format: (v: unknown) => string = String,
    ) => {
      if (!ignore.has(name) && a !== b) {
        report(`${show(path)}: ${name}: expected ${format(a)}, actual ${format(b)}`);
      }
    };
    const octal = (v: unknown) => (typeof v === "number" ? `0${v.toString(8)}` : String(v));
    field("type", want.type, got.type);
    if (want.type !== got.type) continue;
    field("mode", want.mode, got.mode, octal);
    field("uid", want.uid, got.uid);
    field("gid", want.gid, got.gid);
    field("size", want.size, got.size);
    field("sha256", want.sha256, got.sha256);
    field(
      "target",
      want.target,
      got.target,
      (v) => (typeof v === "string" ? JSON.stringify(abbreviate(v)) : String(v)),
    );
    field("rdev", `${want.rdevMajor},${want.rdevMinor}`, `${got.rdevMajor},${got.rdevMinor}`);
    if (!ignore.has("mtime")) {
      field("mtime", want.mtimeSec, got.mtimeSec);
      field("mtimeNsec", want.mtimeNsec, got.mtimeNsec);
    }
    field("nlink", want.nlink, got.nlink);
    field("linkGroup", want.linkGroup, got.linkGroup, (v) => JSON.stringify(v));
    if (!ignore.has("xattrs")) {
      const names = new Set([...Object.keys(want.xattrs), ...Object.keys(got.xattrs)]);
      for (const name of [...names].sort(comparePaths)) {
        const a = want.xattrs[name];
        const b = got.xattrs[name];
        if (a === b) continue;
        report(
          `${show(path)}: xattr ${JSON.stringify(name)}: expected ${describeValue(a)}, actual ${
            describeValue(b)
          }`,
        );
      }
    }
  }
  for (const [path, got] of actual) {
    if (!skip.has(path) && !expected.has(path)) report(`${show(path)}: unexpected ${got.type}`);
  }
  if (total > lines.length) {
    lines.push(`… and ${total - lines.length} more differences (${total} in all)`);
  }
  return lines;
}

function abbreviate(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}

function describeValue(base64: string | undefined): string {
  if (base64 === undefined) return "absent";
  const bytes = Buffer.from(base64, "base64");
  return `${bytes.length} bytes 0s${abbreviate(base64, 60)}`;
}

/**
 * Throws an Error listing the differences (see {@link compareSnapshots}) if
 * `actual` differs from `expected`.
 *
 * @example
 * ```ts
 * import { expectSameTree, snapshotDirectory, snapshotTree } from "./snapshot.ts";
 * // expectSameTree(await snapshotTree(tree), await snapshotDirectory(mountPoint));
 * ```
 */
export function expectSameTree(
  expected: Snapshot,
  actual: Snapshot,
  options: CompareOptions = {},
): void {
  const differences = compareSnapshots(expected, actual, options);
  if (differences.length > 0) {
    throw new Error(
      `trees differ (${expected.size} expected entries, ${actual.size} actual):\n${
        differences.join("\n")
      }`,
    );
  }
}
