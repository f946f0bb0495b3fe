/**
 * Writing a {@link Tree} out as a real directory (as root), exactly: device
 * numbers, FIFOs and sockets, hard links, ownership, modes with
 * setuid/setgid/sticky, every xattr including ACLs, and mtimes to the
 * nanosecond. Used to give reference tools (`mkfs.erofs`, `tar`) the same
 * input as the writer under test.
 *
 * The steps run in the order Linux needs: create everything, then `lchown`
 * (which clears setuid/setgid and `security.capability`), then `chmod`, then
 * xattrs in one `setfattr --restore` run (after all entries exist, so default
 * ACLs are not inherited by entries created later), then times in one
 * `python3` run (Node's `lutimes` takes float seconds and loses
 * nanoseconds), directories last and deepest first.
 *
 * File-system calls are synchronous on purpose: for tens of thousands of tiny
 * operations they are several times faster than the promise API.
 *
 * @module
 */
import {
  chmodSync,
  closeSync,
  lchownSync,
  linkSync,
  mkdirSync,
  openSync,
  symlinkSync,
  writeSync,
} from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Inode } from "../../src/tree/inode.ts";
import type { Tree } from "../../src/tree/tree.ts";
import { run } from "./system.ts";

/** Options for {@link materializeTree}. */
export interface MaterializeOptions {
  /** Leave sockets out instead of binding them with python3 (default false). */
  skipSockets?: boolean;
  /** Do not set xattrs (default false). */
  skipXattrs?: boolean;
}

/** What {@link materializeTree} could not write. */
export interface MaterializeReport {
  /** Paths left out (sockets under `skipSockets`). */
  skipped: string[];
}

// Creates devices, FIFOs, sockets and their hard links, then sets times.
// Reads one JSON job from stdin; names are UTF-8 (PYTHONUTF8 below).
const PYTHON = String.raw`
import json, os, socket, stat, sys
job = json.load(sys.stdin.buffer)
for op in job["create"]:
    path = op["path"]
    kind = op["kind"]
    if kind == "link":
        os.link(op["target"], path, follow_symlinks=False)
    elif kind in ("char", "block"):
        fmt = stat.S_IFCHR if kind == "char" else stat.S_IFBLK
        os.mknod(path, fmt | 0o600, os.makedev(op["major"], op["minor"]))
    elif kind == "fifo":
        os.mkfifo(path, 0o600)
    elif kind == "socket":
        # bind() limits paths to 107 bytes: bind the bare name inside its directory.
        here = os.getcwd()
        os.chdir(os.path.dirname(path))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(os.path.basename(path))
        s.close()
        os.chdir(here)
for path, sec, nsec in job["times"]:
    ns = sec * 1000000000 + nsec
    os.utime(path, ns=(ns, ns), follow_symlinks=False)
`;

/**
 * Writes `tree` into the existing, empty directory `dir` (the tree's root
 * becomes `dir` itself, metadata included). Must run as root.
 *
 * @example
 * ```ts
 * import { materializeTree } from "./materialize.ts";
 * import { randomTree } from "./random-tree.ts";
 * await materializeTree(randomTree(7).tree, "/var/tmp/copy");
 * ```
 */
export async function materializeTree(
  tree: Tree,
  dir: string,
  options: MaterializeOptions = {},
): Promise<MaterializeReport> {
  const skipped: string[] = [];
  const firstPath = new Map<Inode, string>(); // hard links: the name created first
  const written: [string, Inode][] = []; // one path per inode, creation order
  const create: Record<string, unknown>[] = [];
  const abs = (path: string) => (path === "" ? dir : join(dir, path));
  const specialDone = new Set<Inode>();

  for (const [path, inode] of tree.walk()) {
    const target = firstPath.get(inode);
    if (target !== undefined) {
      // Links to nodes python creates must be made by python, after them.
      if (specialDone.has(inode)) {
        create.push({ kind: "link", path: abs(path), target: abs(target) });
      } else if (!skipped.includes(target)) linkSync(abs(target), abs(path));
      else skipped.push(path);
      continue;
    }
    firstPath.set(inode, path);
    switch (inode.kind) {
      case "directory":
        if (path !== "") mkdirSync(abs(path), { mode: 0o700 });
        break;
      case "file":
        await writeContent(abs(path), inode.content.stream());
        break;
      case "symlink":
        symlinkSync(inode.target, abs(path));
        break;
      case "char":
      case "block":
        create.push({ kind: inode.kind, path: abs(path), major: inode.major, minor: inode.minor });
        specialDone.add(inode);
        break;
      case "fifo":
        create.push({ kind: "fifo", path: abs(path) });
        specialDone.add(inode);
        break;
      case "socket":
        if (options.skipSockets) {
          skipped.push(path);
          continue;
        }
        create.push({ kind: "socket", path: abs(path) });
        specialDone.add(inode);
        break;
    }
    written.push([path, inode]);
  }

  // Times go to the same python run; directories after everything else,
  // deepest first, since creating entries bumps a directory's mtime.
  const depth = (path: string) => (path === "" ? 0 : path.split("/").length);
  const ordered = [
    ...written.filter(([, inode]) => inode.kind !== "directory"),
    ...written.filter(([, inode]) => inode.kind === "directory").sort((a, b) =>
      depth(b[0]) - depth(a[0])
    ),
  ];
  const times = ordered.map((
    [path, inode],
  ) => [abs(path), inode.meta.mtime.sec, inode.meta.mtime.nsec]);

  // Specials must exist before ownership and modes are set.
  await python({ create, times: [] });
  for (const [path, inode] of written) lchownSync(abs(path), inode.meta.uid, inode.meta.gid);
  for (const [path, inode] of written) {
    if (inode.kind !== "symlink") chmodSync(abs(path), inode.meta.mode & 0o7777);
  }
  if (!options.skipXattrs) await restoreXattrs(written.map(([path, inode]) => [abs(path), inode]));
  await python({ create: [], times });
  return { skipped };
}

async function writeContent(path: string, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  const fd = openSync(path, "wx", 0o600);
  try {
    for await (const chunk of chunks) {
      for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at);
    }
  } finally {
    closeSync(fd);
  }
}

async function python(job: { create: unknown[]; times: unknown[] }): Promise<void> {
  if (job.create.length === 0 && job.times.length === 0) return;
  await run("python3", ["-c", PYTHON], {
    input: JSON.stringify(job),
    env: { PYTHONUTF8: "1" },
    check: true,
  });
}

/**
 * Sets every inode's xattrs with a single `setfattr -h --restore` run,
 * writing the getfattr dump format with names and paths octal-escaped.
 */
async function restoreXattrs(entries: [string, Inode][]): Promise<void> {
  const parts: Buffer[] = [];
  for (const [path, inode] of entries) {
    if (inode.meta.xattrs.size === 0) continue;
    parts.push(Buffer.from("# file: "), escapeName(path), Buffer.from("\n"));
    for (const [name, value] of inode.meta.xattrs) {
      parts.push(escapeName(name));
      // An empty base64 value ("0s") is not accepted by every attr version.
      parts.push(
        Buffer.from(value.length === 0 ? '=""\n' : `=0s${Buffer.from(value).toString("base64")}\n`),
      );
    }
    parts.push(Buffer.from("\n"));
  }
  if (parts.length === 0) return;
  const scratch = await mkdtemp(join(tmpdir(), "oci2erofs-xattrs-"));
  try {
    const file = join(scratch, "restore");
    await writeFile(file, Buffer.concat(parts));
    await run("setfattr", ["-h", `--restore=${file}`], { check: true });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Escapes a path or xattr name the way attr's `quote()` expects to undo it:
 * every byte that is not printable ASCII, plus space, `\` and `=`, as `\ooo`.
 */
export function escapeName(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const out: number[] = [];
  for (const b of bytes) {
    if (b <= 0x20 || b >= 0x7f || b === 0x5c || b === 0x3d) {
      out.push(0x5c, 0x30 + ((b >> 6) & 7), 0x30 + ((b >> 3) & 7), 0x30 + (b & 7));
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}
