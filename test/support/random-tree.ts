/**
 * Seeded random {@link Tree}s that hit the edges of what EROFS must store:
 * multi-block directories, deep chains, 255-byte and multi-byte names,
 * every file type, odd modes and ids, times before 1970 and after 2038,
 * block-boundary file sizes, hard links and xattrs of every namespace,
 * including valid POSIX ACLs and values shared by many inodes.
 *
 * The default tree survives a round trip through a real Linux directory
 * (ext4, as root; see `materialize.ts`): xattrs are only placed where Linux
 * allows them (no `user.*` on symlinks or special files, ACLs only on files
 * and directories, consistent with the mode). Options turn features off.
 *
 * @module
 */
import { accessAclForMode, defaultAcl } from "./acl.ts";
import { hash32, Random } from "./random.ts";
import { bytesContent, type FileContent, generatedContent } from "../../src/tree/content.ts";
import {
  type DeviceInode,
  directory,
  type DirectoryInode,
  type FileInode,
  type Inode,
  type Metadata,
  type SpecialInode,
  type SymlinkInode,
  type Timestamp,
} from "../../src/tree/inode.ts";
import { Tree } from "../../src/tree/tree.ts";

/** Switches and sizes for {@link randomTree}. Every feature defaults to on. */
export interface RandomTreeOptions {
  /** About how many paths (root included) the tree has (default 1000). */
  entries?: number;
  /** Length of the deep directory chain (default 32). */
  maxDepth?: number;
  /** Entries of the one wide directory (default min(2100, 0.7 × entries)). */
  wideDirEntries?: number;
  /** Multi-MiB files made with `generatedContent` (default 2). */
  largeFiles?: number;
  /** Largest size of those files in bytes (default 6 MiB). */
  largeFileMaxSize?: number;
  /** Extra names for files (also across directories), plus one each for a symlink, FIFO and device. */
  hardLinks?: boolean;
  /** Character and block devices. */
  devices?: boolean;
  /** Named pipes. */
  fifos?: boolean;
  /** Sockets (their names stay under 100 bytes so `bind()` can create them). */
  sockets?: boolean;
  /** Symbolic links. */
  symlinks?: boolean;
  /** Symlink targets up to this many bytes (default 4000; Linux allows 4095). */
  maxSymlinkLength?: number;
  /** `user.`, `trusted.` and `security.` xattrs. */
  xattrs?: boolean;
  /** `system.posix_acl_access` / `system.posix_acl_default`. */
  acls?: boolean;
  /** setuid, setgid, sticky and modes like 0000. */
  specialModes?: boolean;
  /** uids/gids above 65535, up to 2^32 − 2. */
  largeIds?: boolean;
  /** Times before 1970 and after 2038 (within ext4's 1901 … 2446). */
  extremeTimes?: boolean;
  /** Nonzero nanoseconds in times. */
  nanoseconds?: boolean;
  /** Names with multi-byte UTF-8. */
  unicodeNames?: boolean;
  /** Names of 100 … `maxNameBytes` bytes, including some of exactly `maxNameBytes`. */
  longNames?: boolean;
  /** Longest name in bytes (default 255, the Linux and EROFS limit). */
  maxNameBytes?: number;
  /** Names containing tab and newline. */
  controlCharNames?: boolean;
}

type Required_ = Required<RandomTreeOptions>;

function withDefaults(options: RandomTreeOptions): Required_ {
  const entries = options.entries ?? 1000;
  return {
    entries,
    maxDepth: options.maxDepth ?? 32,
    wideDirEntries: options.wideDirEntries ?? Math.min(2100, Math.floor(entries * 0.7)),
    largeFiles: options.largeFiles ?? 2,
    largeFileMaxSize: options.largeFileMaxSize ?? 6 * 2 ** 20,
    hardLinks: options.hardLinks ?? true,
    devices: options.devices ?? true,
    fifos: options.fifos ?? true,
    sockets: options.sockets ?? true,
    symlinks: options.symlinks ?? true,
    maxSymlinkLength: Math.min(options.maxSymlinkLength ?? 4000, 4095),
    xattrs: options.xattrs ?? true,
    acls: options.acls ?? true,
    specialModes: options.specialModes ?? true,
    largeIds: options.largeIds ?? true,
    extremeTimes: options.extremeTimes ?? true,
    nanoseconds: options.nanoseconds ?? true,
    unicodeNames: options.unicodeNames ?? true,
    longNames: options.longNames ?? true,
    maxNameBytes: Math.min(options.maxNameBytes ?? 255, 255),
    controlCharNames: options.controlCharNames ?? true,
  };
}

const encoder = new TextEncoder();
const utf8Length = (text: string) => encoder.encode(text).length;

// Relative paths stay below this many bytes so that a materialized copy
// (temp dir prefix included) stays under Linux's PATH_MAX of 4096.
const PATH_BUDGET = 3400;

const ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
// No '/': everything else printable is a legal name byte. '!' and '#' sort before '.'.
const PUNCT = " !#$%&'()*+,-.:;<=>?@[\\]^_`{|}~\"";
const UNICODE = [
  "é",
  "ß",
  "Ω",
  "ж",
  "ñ",
  "ü",
  "日",
  "本",
  "語",
  "한",
  "€",
  "\u00a0",
  "🙂",
  "𝄞",
  "🐳",
];

// Block sizes whose boundaries file sizes are placed around.
const BLOCK_SIZES = [512, 1024, 2048, 4096];

/** What {@link randomTree} made, for tests that want to look closer. */
export interface RandomTreeInfo {
  /** The path of the wide (multi-block) directory. */
  wideDir: string;
  /** The deepest directory of the chain. */
  deepest: string;
  /** How many paths the tree has, root included. */
  paths: number;
}

/**
 * Builds a random tree from `seed`; the same seed and options give the same
 * tree every time.
 *
 * @example
 * ```ts
 * import { randomTree } from "./random-tree.ts";
 * const { tree } = randomTree(1, { entries: 3000 });
 * ```
 */
export function randomTree(
  seed: number,
  options: RandomTreeOptions = {},
): { tree: Tree; info: RandomTreeInfo } {
  return new Builder(seed, withDefaults(options)).build();
}

interface Dir {
  path: string;
  inode: DirectoryInode;
  depth: number;
}

class Builder {
  readonly rng: Random;
  readonly opts: Required_;
  readonly seed: number;
  readonly tree: Tree;
  count = 1; // the root
  readonly dirs: Dir[] = [];
  readonly files: string[] = [];
  readonly sharedTimes: Timestamp[];
  readonly sharedContents: Uint8Array[];
  readonly sharedXattrs: [string, Uint8Array, "any" | "file" | "fileOrDir"][];

  constructor(seed: number, opts: Required_) {
    this.seed = seed;
    this.rng = new Random(seed);
    this.opts = opts;
    // Many inodes share a handful of times, as in real layers.
    this.sharedTimes = [
      { sec: 1_700_000_000, nsec: 0 },
      { sec: 1_600_000_000, nsec: opts.nanoseconds ? 123_456_789 : 0 },
      { sec: 0, nsec: 0 },
      ...(opts.extremeTimes ? [{ sec: -1, nsec: opts.nanoseconds ? 999_999_999 : 0 }] : []),
    ];
    this.sharedContents = [
      new Uint8Array(0),
      encoder.encode("#!/bin/sh\nexec true\n"),
      this.rng.bytes(4096),
      this.rng.bytes(777),
    ];
    const capability = new Uint8Array(20);
    new DataView(capability.buffer).setUint32(0, 0x02000001, true); // VFS_CAP_REVISION_2 | effective
    new DataView(capability.buffer).setUint32(4, 1 << 13, true); // cap_net_raw permitted
    this.sharedXattrs = [
      ["trusted.overlay.opaque", encoder.encode("y"), "any"],
      ["trusted.overlay.origin", this.rng.bytes(29), "any"],
      ["security.selinux", encoder.encode("system_u:object_r:container_file_t:s0\0"), "any"],
      ["user.shared.mime_type", encoder.encode("application/octet-stream"), "fileOrDir"],
      ["user.empty", new Uint8Array(0), "fileOrDir"],
      ["security.capability", capability, "file"],
    ];
    // Last: the root's metadata draws on the shared times above.
    this.tree = new Tree(this.meta("directory"), () => this.meta("directory"));
    this.decorate(this.tree.root);
    this.dirs.push({ path: "", inode: this.tree.root, depth: 0 });
  }

  build(): { tree: Tree; info: RandomTreeInfo } {
    this.edgeCases();
    const deepest = this.deepChain();
    const wideDir = this.wideDir();
    this.filler();
    if (this.opts.hardLinks) this.hardLinks();
    return { tree: this.tree, info: { wideDir, deepest, paths: this.count } };
  }

  // ---- metadata -------------------------------------------------------

  meta(kind: Inode["kind"]): Metadata {
    const { rng, opts } = this;
    let mode: number;
    if (kind === "directory") {
      mode = rng.weighted<number>([
        [0o755, 10],
        [0o700, 2],
        [0o555, 1],
        ...(opts.specialModes
          ? ([[0o1777, 1], [0o2755, 1], [0o0000, 0.3], [0o7777, 0.3]] as const)
          : []),
      ]);
    } else {
      mode = rng.weighted<number>([
        [0o644, 10],
        [0o755, 4],
        [0o600, 2],
        [0o444, 1],
        [0o777, 1],
        ...(opts.specialModes
          ? ([[0o4755, 1], [0o2755, 1], [0o6711, 0.5], [0o1644, 0.3], [0o0000, 0.5], [
            0o7777,
            0.3,
          ]] as const)
          : []),
      ]);
    }
    const id = () =>
      rng.weighted<number>([
        [0, 20],
        [1000, 3],
        [65534, 1],
        ...(opts.largeIds
          ? ([[65535, 0.5], [65536, 0.5], [100_000, 1], [2 ** 31, 0.5], [2 ** 32 - 2, 0.5], [
            rng.int(65536, 2 ** 32 - 2),
            1,
          ]] as const)
          : []),
      ]);
    return { mode, uid: id(), gid: id(), mtime: this.time(), xattrs: new Map() };
  }

  time(): Timestamp {
    const { rng, opts } = this;
    if (rng.chance(0.6)) return rng.pick(this.sharedTimes);
    const nsec = opts.nanoseconds && rng.chance(0.7) ? rng.int(0, 999_999_999) : 0;
    if (opts.extremeTimes && rng.chance(0.3)) {
      // ext4 stores 1901-12-13 … 2446-05-10; EROFS anything in 64 bits.
      const sec = rng.pick([
        -(2 ** 31),
        -1,
        -86_400 * 365 * 30,
        2 ** 31 - 1,
        2 ** 31,
        2 ** 32,
        2 ** 33,
        rng.int(2 ** 31, 2 ** 34 - 2 ** 31 - 2),
      ]);
      // Linux zeroes the nanoseconds of a time clamped to a filesystem's
      // limit, and ext4's lower limit is exactly -2^31.
      return { sec, nsec: sec === -(2 ** 31) ? 0 : nsec };
    }
    return { sec: rng.int(0, 2 ** 31 - 1), nsec };
  }

  // Adds random xattrs allowed on `kind` by Linux (see module docs).
  decorate(inode: Inode): void {
    const { rng, opts } = this;
    const xattrs = inode.meta.xattrs;
    const fileOrDir = inode.kind === "file" || inode.kind === "directory";
    if (opts.xattrs && rng.chance(0.35)) {
      for (let i = rng.int(1, 4); i > 0; i--) {
        if (rng.chance(0.5)) {
          const [name, value, where] = rng.pick(this.sharedXattrs);
          if (
            where === "any" || (where === "fileOrDir" && fileOrDir) ||
            (where === "file" && inode.kind === "file")
          ) {
            xattrs.set(name, value);
          }
          continue;
        }
        const prefix = rng.weighted<string>([
          ...(fileOrDir ? ([["user.", 3], ["user.xdg.", 1]] as const) : []),
          ["trusted.", 1],
          ["trusted.overlay.", 2],
          ["security.", 1],
        ]);
        const suffix = rng.chance(0.1)
          ? `long.${"x".repeat(rng.int(20, 120))}`
          : this.asciiWord(1, 16);
        const value = rng.weighted<Uint8Array>([
          [new Uint8Array(0), 1],
          [encoder.encode(this.asciiWord(1, 40)), 3],
          [rng.bytes(rng.int(1, 64)), 3],
          [rng.bytes(rng.int(65, 400)), 0.5],
        ]);
        xattrs.set(prefix + suffix, value);
      }
    }
    if (opts.acls && fileOrDir && rng.chance(0.08)) this.addAcls(inode);
  }

  addAcls(inode: Inode): void {
    const { rng } = this;
    const named = () => {
      const out: [number, number][] = [];
      for (let i = rng.int(0, 2); i > 0; i--) out.push([this.aclId(), rng.int(0, 7)]);
      return out;
    };
    let users = named();
    const groups = named();
    if (users.length + groups.length === 0) users = [[this.aclId(), rng.int(0, 7)]];
    inode.meta.xattrs.set(
      "system.posix_acl_access",
      accessAclForMode(inode.meta.mode, users, groups, rng.int(0, 7)),
    );
    if (inode.kind === "directory" && rng.chance(0.5)) {
      inode.meta.xattrs.set(
        "system.posix_acl_default",
        defaultAcl(rng.int(0, 7), rng.int(0, 7), rng.int(0, 7), named(), named(), rng.int(0, 7)),
      );
    }
  }

  aclId(): number {
    return this.opts.largeIds
      ? this.rng.pick([0, 1000, 65534, 70_000, 2 ** 32 - 2])
      : this.rng.pick([0, 33, 1000, 65534]);
  }

  // ---- names ----------------------------------------------------------

  asciiWord(min: number, max: number): string {
    let out = "";
    for (let i = this.rng.int(min, max); i > 0; i--) out += this.rng.pick([...ASCII]);
    return out;
  }

  // A name of about `bytes` bytes from the allowed alphabets, never cut inside a character.
  nameOfBytes(bytes: number, unicode: boolean): string {
    let out = "";
    let length = 0;
    while (length < bytes) {
      let ch = this.rng.chance(0.85) || !unicode
        ? this.rng.pick([...ASCII])
        : this.rng.pick(UNICODE);
      if (this.rng.chance(0.08)) ch = this.rng.pick([...PUNCT]);
      const size = utf8Length(ch);
      if (length + size > bytes) ch = "x";
      out += ch;
      length += utf8Length(ch);
    }
    return out;
  }

  randomName(budget: number, wide = false): string {
    const { rng, opts } = this;
    const max = Math.min(opts.maxNameBytes, budget);
    const kind = rng.weighted<string>([
      ["short", 35],
      ["punct", 15],
      ["unicode", opts.unicodeNames ? 15 : 0],
      ["medium", 10],
      ["long", opts.longNames ? (wide ? 4 : 2) : 0],
      ["max", opts.longNames ? 1 : 0],
    ]);
    switch (kind) {
      case "short":
        return this.asciiWord(1, 12);
      case "punct":
        return rng.pick(["-", "!", "#", " ", "~", "."]) + this.nameOfBytes(rng.int(1, 20), false);
      case "unicode":
        return this.nameOfBytes(rng.int(1, 40), true);
      case "medium":
        return this.nameOfBytes(Math.min(max, rng.int(20, 100)), opts.unicodeNames);
      case "long":
        return this.nameOfBytes(Math.min(max, rng.int(100, 255)), opts.unicodeNames);
      default:
        return this.nameOfBytes(max, opts.unicodeNames);
    }
  }

  // A name not yet used in `dir`, trying `wanted` first.
  freshName(dir: Dir, wanted?: string, wide = false): string {
    const budget = PATH_BUDGET - utf8Length(dir.path) - 1;
    if (budget < 8) throw new Error(`path budget exhausted at ${dir.path}`);
    let name = wanted ?? this.randomName(budget, wide);
    for (let attempt = 0; !this.usable(dir, name, budget); attempt++) {
      name = attempt < 5 ? this.randomName(budget, wide) : `${this.asciiWord(4, 8)}${attempt}`;
    }
    return name;
  }

  usable(dir: Dir, name: string, budget: number): boolean {
    const bytes = utf8Length(name);
    return name !== "." && name !== ".." && bytes >= 1 &&
      bytes <= Math.min(this.opts.maxNameBytes, budget) &&
      !dir.inode.entries.has(name);
  }

  // ---- entries --------------------------------------------------------

  add(dir: Dir, name: string, inode: Inode): string {
    const path = dir.path === "" ? name : `${dir.path}/${name}`;
    this.tree.add(path, inode);
    this.count++;
    if (inode.kind === "directory") this.dirs.push({ path, inode, depth: dir.depth + 1 });
    if (inode.kind === "file") this.files.push(path);
    return path;
  }

  mkdir(dir: Dir, name?: string): Dir {
    const inode = directory(this.meta("directory"));
    this.decorate(inode);
    this.add(dir, this.freshName(dir, name), inode);
    return this.dirs[this.dirs.length - 1]; // add() just pushed it
  }

  file(content: FileContent, meta = this.meta("file")): FileInode {
    const inode: FileInode = { kind: "file", meta, content };
    this.decorate(inode);
    return inode;
  }

  randomContent(): FileContent {
    const { rng } = this;
    const size = rng.weighted<() => number>([
      [() => 0, 2],
      [() => rng.int(1, 100), 4],
      [() => rng.pick(BLOCK_SIZES) + rng.int(-1, 1), 3],
      [() => rng.int(100, 9000), 3],
      [() => rng.int(9000, 70_000), 0.5],
    ])();
    if (rng.chance(0.1)) return bytesContent(rng.pick(this.sharedContents));
    if (rng.chance(0.3)) {
      return bytesContent(
        encoder.encode("text line\n".repeat(Math.ceil(size / 10))).subarray(0, size),
      );
    }
    return bytesContent(rng.bytes(size));
  }

  largeContent(index: number): FileContent {
    const size = this.rng.int(
      Math.min(2 ** 20 + 1, this.opts.largeFileMaxSize),
      this.opts.largeFileMaxSize,
    );
    const salt = hash32(this.seed ^ (index * 0x9e3779b9));
    // Alternating random and zero 64 KiB regions: both compressible and not.
    return generatedContent(size, (offset, out) => {
      for (let i = 0; i < out.length; i++) {
        const at = offset + i;
        out[i] = Math.floor(at / 65536) % 3 === 1
          ? 0
          : hash32(salt + Math.floor(at / 4)) >>> ((at & 3) * 8);
      }
    });
  }

  symlink(budget = this.opts.maxSymlinkLength): SymlinkInode {
    const { rng } = this;
    const length = rng.weighted<number>([
      [rng.int(1, 30), 8],
      [rng.int(30, 300), 2],
      [rng.int(300, Math.max(300, budget)), 0.5],
    ]);
    const target = rng.chance(0.3) && this.files.length > 0
      ? `/${rng.pick(this.files)}`
      : this.nameOfBytes(Math.min(length, budget), this.opts.unicodeNames);
    const inode: SymlinkInode = { kind: "symlink", meta: this.meta("symlink"), target };
    fitSymlink(inode, budget);
    this.decorate(inode);
    return inode;
  }

  device(kind: "char" | "block", major?: number, minor?: number): DeviceInode {
    const { rng } = this;
    const inode: DeviceInode = {
      kind,
      meta: this.meta(kind),
      major: major ?? rng.pick([0, 1, 8, 136, 254, 255, 256, 511, 4095, rng.int(0, 4095)]),
      minor: minor ??
        rng.pick([0, 1, 3, 255, 256, 65535, 65536, 2 ** 20 - 1, rng.int(0, 2 ** 20 - 1)]),
    };
    this.decorate(inode);
    return inode;
  }

  special(kind: "fifo" | "socket"): SpecialInode {
    const inode: SpecialInode = { kind, meta: this.meta(kind) };
    this.decorate(inode);
    return inode;
  }

  // One random entry of an enabled kind in `dir`.
  randomEntry(dir: Dir, wide = false): void {
    const { rng, opts } = this;
    const kind = rng.weighted<string>([
      ["file", 60],
      ["directory", wide ? 2 : 12],
      ["symlink", opts.symlinks ? 12 : 0],
      ["char", opts.devices ? 2 : 0],
      ["block", opts.devices ? 2 : 0],
      ["fifo", opts.fifos ? 2 : 0],
      ["socket", opts.sockets ? 1 : 0],
    ]);
    switch (kind) {
      case "directory":
        if (dir.depth < 12) {
          this.mkdir(dir);
          return;
        }
        break;
      case "symlink":
        this.add(dir, this.freshName(dir, undefined, wide), this.symlink());
        return;
      case "char":
      case "block":
        this.add(dir, this.freshName(dir, undefined, wide), this.device(kind));
        return;
      case "fifo":
        this.add(dir, this.freshName(dir, undefined, wide), this.special("fifo"));
        return;
      case "socket":
        this.add(dir, this.socketName(dir), this.special("socket"));
        return;
    }
    this.add(dir, this.freshName(dir, undefined, wide), this.file(this.randomContent()));
  }

  // bind() takes at most 107 bytes, and materialize binds by name inside the parent.
  socketName(dir: Dir): string {
    let name = this.freshName(dir);
    while (utf8Length(name) > 100) name = this.freshName(dir, this.asciiWord(1, 30));
    return name;
  }

  // ---- structure ------------------------------------------------------

  // Fixed cases every tree has, in one directory so they are easy to find.
  edgeCases(): void {
    const { opts } = this;
    const root = this.dirs[0];
    const edge = this.mkdir(root, "edge");

    // File sizes around every block size, plus large generated files.
    const sizes = this.mkdir(edge, "sizes");
    this.add(sizes, "empty", this.file(bytesContent(new Uint8Array(0))));
    this.add(sizes, "one", this.file(bytesContent(this.rng.bytes(1))));
    for (const bs of BLOCK_SIZES) {
      for (const delta of [-1, 0, 1]) {
        this.add(
          sizes,
          `bs${bs}${delta < 0 ? "-1" : delta > 0 ? "+1" : ""}`,
          this.file(bytesContent(this.rng.bytes(bs + delta))),
        );
      }
    }
    for (let i = 0; i < opts.largeFiles; i++) {
      this.add(sizes, `large-${i}`, this.file(this.largeContent(i)));
    }

    // Names: prefixes of each other, characters sorting before '.', limits.
    const names = this.mkdir(edge, "names");
    const plain = (name: string) =>
      this.add(names, name, this.file(bytesContent(encoder.encode(name))));
    for (
      const name of [
        "a",
        "ab",
        "abc",
        "abc.d",
        "abcd",
        "abc!",
        "abc#",
        "abc-",
        "!",
        "#",
        "-",
        "--help",
        "-rf",
        " ",
        "  x ",
        "a b",
        "x.",
        "...",
      ]
    ) plain(name);
    plain("!bang");
    plain("#hash");
    plain(".hidden");
    plain("back\\slash");
    plain("eq=ual");
    const top = opts.longNames ? opts.maxNameBytes : Math.min(opts.maxNameBytes, 99);
    // `top` bytes of `ch` (1 to 4 bytes each), padded with ASCII.
    const filled = (ch: string, bytes = top) =>
      ch.repeat(Math.floor(bytes / utf8Length(ch))) + "x".repeat(bytes % utf8Length(ch));
    plain(filled("A"));
    plain(filled("B", top - 1));
    if (opts.unicodeNames) {
      plain(filled("é")); // 2-byte characters (255 = 127 × 2 + 1)
      plain(filled("日")); // 3-byte characters
      plain(filled("🙂")); // 4-byte characters (surrogate pairs in JS)
      plain("naïve café");
      plain("ｆｕｌｌｗｉｄｔｈ");
    }
    if (opts.controlCharNames) {
      plain("tab\there");
      plain("new\nline");
    }

    // Every type, with limits of device numbers, modes, ids and times.
    const kinds = this.mkdir(edge, "kinds");
    if (opts.devices) {
      this.add(kinds, "null", this.device("char", 1, 3));
      this.add(kinds, "sda", this.device("block", 8, 0));
      this.add(kinds, "char-max", this.device("char", 4095, 2 ** 20 - 1));
      this.add(kinds, "block-big", this.device("block", 300, 70_000));
      this.add(kinds, "char-zero", this.device("char", 0, 0));
      this.add(kinds, "char-256-256", this.device("char", 256, 256));
    }
    if (opts.fifos) this.add(kinds, "fifo", this.special("fifo"));
    if (opts.sockets) this.add(kinds, "socket", this.special("socket"));
    if (opts.symlinks) {
      this.add(kinds, "link-rel", {
        kind: "symlink",
        meta: this.meta("symlink"),
        target: "../names/a",
      });
      this.add(kinds, "link-abs", {
        kind: "symlink",
        meta: this.meta("symlink"),
        target: "/etc/passwd",
      });
      this.add(kinds, "link-dir", { kind: "symlink", meta: this.meta("symlink"), target: ".." });
      this.add(kinds, "link-self", {
        kind: "symlink",
        meta: this.meta("symlink"),
        target: "link-self",
      });
      this.add(kinds, "link-1", { kind: "symlink", meta: this.meta("symlink"), target: "x" });
      const long: SymlinkInode = { kind: "symlink", meta: this.meta("symlink"), target: "" };
      long.target = Array.from({ length: 400 }, (_, i) => `d${i}`).join("/");
      fitSymlink(long, opts.maxSymlinkLength);
      this.add(kinds, "link-long", long);
      this.add(kinds, "link-longest", {
        kind: "symlink",
        meta: this.meta("symlink"),
        target: "t".repeat(opts.maxSymlinkLength),
      });
    }
    const modes = this.mkdir(edge, "modes");
    const modeList = opts.specialModes
      ? [0o000, 0o777, 0o4755, 0o2755, 0o1755, 0o6777, 0o7777, 0o4000, 0o0001]
      : [0o644, 0o755, 0o600, 0o777];
    for (const mode of modeList) {
      this.add(
        modes,
        `file-${mode.toString(8).padStart(4, "0")}`,
        this.file(bytesContent(encoder.encode("m")), { ...this.meta("file"), mode }),
      );
      const dir = directory({ ...this.meta("directory"), mode });
      this.add(modes, `dir-${mode.toString(8).padStart(4, "0")}`, dir);
    }
    const ids = this.mkdir(edge, "ids");
    const idList = opts.largeIds
      ? [0, 1, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2]
      : [0, 1, 1000, 65534];
    for (const id of idList) {
      this.add(
        ids,
        `uid-${id}`,
        this.file(bytesContent(new Uint8Array(0)), { ...this.meta("file"), uid: id, gid: 0 }),
      );
      this.add(
        ids,
        `gid-${id}`,
        this.file(bytesContent(new Uint8Array(0)), { ...this.meta("file"), uid: 0, gid: id }),
      );
    }
    const times = this.mkdir(edge, "times");
    const timeList: Timestamp[] = [{ sec: 0, nsec: 0 }, { sec: 1, nsec: 0 }, {
      sec: 2 ** 31 - 1,
      nsec: 0,
    }];
    if (opts.nanoseconds) {
      timeList.push({ sec: 1_234_567_890, nsec: 999_999_999 }, { sec: 1_234_567_890, nsec: 1 });
    }
    if (opts.extremeTimes) {
      timeList.push({ sec: -1, nsec: 0 }, { sec: -(2 ** 31), nsec: 0 }, { sec: 2 ** 31, nsec: 0 }, {
        sec: 2 ** 32,
        nsec: 0,
      }, { sec: 2 ** 33, nsec: 0 });
      if (opts.nanoseconds) {
        timeList.push({ sec: -6, nsec: 876_543_211 }, { sec: 2 ** 33, nsec: 500_000_000 });
      }
    }
    timeList.forEach((mtime, i) => {
      this.add(
        times,
        `t${i}`,
        this.file(bytesContent(new Uint8Array(0)), {
          ...this.meta("file"),
          mtime,
          xattrs: new Map(),
        }),
      );
    });

    // Xattrs: each namespace, empty and binary values, ACLs, long names.
    if (opts.xattrs || opts.acls) {
      const xdir = this.mkdir(edge, "xattrs");
      const x = (
        name: string,
        entries: [string, Uint8Array][],
        kind: "file" | "directory" = "file",
      ) => {
        const meta = { ...this.meta(kind), xattrs: new Map(entries) };
        this.add(
          xdir,
          name,
          kind === "file"
            ? { kind, meta, content: bytesContent(new Uint8Array(0)) }
            : directory(meta),
        );
      };
      if (opts.xattrs) {
        x("user", [["user.a", encoder.encode("1")], ["user.empty", new Uint8Array(0)], [
          "user.binary",
          Uint8Array.of(0, 1, 2, 255, 0),
        ]]);
        x("trusted", [["trusted.overlay.opaque", encoder.encode("y")], [
          "trusted.overlay.redirect",
          encoder.encode("/some/where"),
        ], ["trusted.overlay.metacopy", new Uint8Array(0)]]);
        x("security", [["security.selinux", encoder.encode("system_u:object_r:bin_t:s0\0")], [
          "security.capability",
          this.sharedXattrs[5][1],
        ]]);
        x("long-name", [[`user.${"n".repeat(250)}`, encoder.encode("v")]]); // 255-byte name, the Linux limit
        x("big-value", [["user.big", this.rng.bytes(1500)]]);
        x(
          "many",
          Array.from(
            { length: 30 },
            (_, i) => [`user.many.${i}`, encoder.encode(`value ${i}`)] as [string, Uint8Array],
          ),
        );
        if (opts.symlinks) {
          this.add(xdir, "symlink", {
            kind: "symlink",
            meta: {
              ...this.meta("symlink"),
              xattrs: new Map([["trusted.overlay.redirect", encoder.encode("x")], [
                "security.selinux",
                encoder.encode("a\0"),
              ]]),
            },
            target: "user",
          });
        }
        if (opts.devices) {
          const dev = this.device("char", 5, 1);
          dev.meta.xattrs = new Map([["trusted.t", encoder.encode("dev")]]);
          this.add(xdir, "device", dev);
        }
      }
      if (opts.acls) {
        const file: FileInode = {
          kind: "file",
          meta: { ...this.meta("file"), mode: 0o640 },
          content: bytesContent(new Uint8Array(0)),
        };
        file.meta.xattrs = new Map([[
          "system.posix_acl_access",
          accessAclForMode(0o640, [[1000, 6]], [[100, 4]], 4),
        ]]);
        this.add(xdir, "acl-file", file);
        const dir = directory({ ...this.meta("directory"), mode: 0o750 });
        dir.meta.xattrs = new Map([
          ["system.posix_acl_access", accessAclForMode(0o750, [[1000, 7]], [], 5)],
          ["system.posix_acl_default", defaultAcl(7, 5, 0, [[1000, 7]], [[100, 5]], 7)],
        ]);
        this.add(xdir, "acl-dir", dir);
        const minimal = directory({ ...this.meta("directory"), mode: 0o755 });
        minimal.meta.xattrs = new Map([["system.posix_acl_default", defaultAcl(7, 5, 5, [], [])]]);
        this.add(xdir, "acl-default-minimal", minimal);
      }
    }
  }

  deepChain(): string {
    let dir = this.mkdir(this.dirs[0], "deep");
    for (let i = 0; i < this.opts.maxDepth; i++) {
      dir = this.mkdir(dir, `d${i}${i % 7 === 3 && this.opts.unicodeNames ? "é" : ""}`);
      if (i % 5 === 0) this.add(dir, this.freshName(dir, "f"), this.file(this.randomContent()));
    }
    return dir.path;
  }

  wideDir(): string {
    const wide = this.mkdir(this.dirs[0], "wide");
    for (let i = 0; i < this.opts.wideDirEntries; i++) this.randomEntry(wide, true);
    return wide.path;
  }

  filler(): void {
    const { rng } = this;
    const candidates = () =>
      this.dirs.filter((d) => !d.path.startsWith("edge") && !d.path.startsWith("deep/"));
    let pool = candidates();
    while (this.count < this.opts.entries) {
      const before = this.dirs.length;
      this.randomEntry(rng.chance(0.3) ? pool[0] : rng.pick(pool));
      if (this.dirs.length !== before) pool = candidates();
    }
  }

  hardLinks(): void {
    const { rng, opts } = this;
    const targets = this.files.filter((path) => !path.startsWith("edge/"));
    const linkCount = Math.max(3, Math.floor(this.count * 0.02));
    const pool = this.dirs.filter((d) => !d.path.startsWith("deep/"));
    for (let i = 0; i < linkCount && targets.length > 0; i++) {
      const target = rng.pick(targets);
      const dir = rng.pick(pool);
      this.linkAt(dir, target);
      if (i % 5 === 0) this.linkAt(dir, target); // three or more names now and then
    }
    // One hard link of each non-file kind, and a file with names in three directories.
    const kinds = this.dirs.find((d) => d.path === "edge/kinds")!;
    for (const name of ["fifo", "null", "link-rel", "socket"]) {
      if (kinds.inode.entries.has(name)) {
        this.linkAt(kinds, `edge/kinds/${name}`, `${name}.hardlink`);
      }
    }
    this.linkAt(this.dirs[0], "edge/sizes/bs4096", "bs4096.root-link");
    if (opts.maxDepth > 0) {
      this.linkAt(
        this.dirs.find((d) => d.path === "deep")!,
        "edge/sizes/bs4096",
        "bs4096.deep-link",
      );
    }
  }

  linkAt(dir: Dir, target: string, name?: string): void {
    const path = dir.path === "" ? "" : `${dir.path}/`;
    this.tree.link(path + this.freshName(dir, name), target);
    this.count++;
  }
}

// Shortens a symlink target to at most `max` UTF-8 bytes without splitting a character.
function fitSymlink(inode: SymlinkInode, max: number): void {
  let bytes = 0;
  let out = "";
  for (const ch of inode.target) {
    bytes += utf8Length(ch);
    if (bytes > max) break;
    out += ch;
  }
  inode.target = out === "" ? "x" : out;
}
