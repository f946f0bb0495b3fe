// Archives written by real tools (GNU tar in every format, bsdtar) read back
// by readTar, through every kind of input.
import { execFileSync } from "node:child_process";
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TarEntry } from "../../../src/layers/tar/mod.ts";
import { chunked, readAll, streamOf } from "./craft.ts";

const T = 1700000000;
let work: string;

function sh(command: string, args: string[], cwd?: string): void {
  execFileSync(command, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) % 251);
const LONG_DIR = `long/${"a".repeat(120)}`;
const LONG_FILE = `${LONG_DIR}/${"b".repeat(150)}`; // 277 bytes: beyond ustar's 255
const MID_FILE = `mid/${"m".repeat(70)}/${"n".repeat(70)}/file`; // 150 bytes: fits ustar's prefix + name
const LONG_TARGET = "t".repeat(150);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "oci2erofs-tar-formats-"));
  const src = (set: string) => join(work, set);
  // "common": what every format, v7 included, can hold.
  const c = src("common");
  mkdirSync(join(c, "sticky"), { recursive: true });
  mkdirSync(join(c, "sgid"));
  writeFileSync(join(c, "file.txt"), "hello\n");
  writeFileSync(join(c, "setuid"), "x");
  writeFileSync(join(c, "sgid/inner"), "inner");
  writeFileSync(join(c, "empty"), "");
  writeFileSync(join(c, "big.bin"), pattern(200_000));
  linkSync(join(c, "file.txt"), join(c, "hard"));
  symlinkSync("file.txt", join(c, "sym"));
  symlinkSync("../outside/target", join(c, "dangling"));
  sh("chmod", ["4755", join(c, "setuid")]);
  sh("chmod", ["1777", join(c, "sticky")]);
  sh("chmod", ["2755", join(c, "sgid")]);
  sh("chmod", ["0600", join(c, "sgid/inner")]);
  sh("chown", ["1234:5678", join(c, "file.txt")]);
  // Devices and FIFOs: not in v7.
  const d = src("devices");
  mkdirSync(d);
  sh("mknod", [join(d, "null"), "c", "1", "3"]);
  sh("mknod", [join(d, "bigdev"), "c", "300", "70000"]);
  sh("mknod", [join(d, "loop"), "b", "7", "0"]);
  sh("mkfifo", [join(d, "fifo")]);
  // Names past ustar's limits.
  const l = src("long");
  mkdirSync(join(l, LONG_DIR), { recursive: true });
  writeFileSync(join(l, LONG_FILE), "deep\n");
  symlinkSync(LONG_TARGET, join(l, "longsym"));
  linkSync(join(l, LONG_FILE), join(l, "longhard"));
  const m = src("mid");
  mkdirSync(join(m, MID_FILE, ".."), { recursive: true });
  writeFileSync(join(m, MID_FILE), "mid\n");
  // Ids past octal's 2097151: base-256 in GNU, PAX records in POSIX.
  const i = src("ids");
  mkdirSync(i);
  writeFileSync(join(i, "bigid"), "");
  sh("chown", ["3000000:3000001", join(i, "bigid")]);
  // Times PAX can express exactly.
  const t = src("times");
  mkdirSync(t);
  writeFileSync(join(t, "nano"), "");
  writeFileSync(join(t, "neg"), "");
  for (const set of ["common", "devices", "long", "mid", "ids"]) {
    sh("find", [src(set), "-exec", "touch", "-h", "-d", `@${T}`, "{}", "+"]);
  }
  sh("touch", ["-d", `@${T}.123456789`, join(t, "nano")]);
  sh("touch", ["-d", "@-1.5", join(t, "neg")]);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

type Writer = (out: string, dir: string) => void;
const gnuTar = (format: string): Writer => (out, dir) =>
  sh("tar", ["-C", dir, `--format=${format}`, "-cf", out, "."]);
const WRITERS: Record<string, Writer> = {
  "gnu": gnuTar("gnu"),
  "posix": gnuTar("posix"),
  "ustar": gnuTar("ustar"),
  "v7": gnuTar("v7"),
  "bsdtar": (out, dir) => sh("bsdtar", ["-C", dir, "-cf", out, "."]),
  "bsdtar-pax": (out, dir) => sh("bsdtar", ["-C", dir, "--format=pax", "-cf", out, "."]),
};

function make(writer: string, set: string): Uint8Array<ArrayBuffer> {
  const out = join(work, `${set}-${writer}.tar`);
  WRITERS[writer](out, join(work, set));
  return new Uint8Array(readFileSync(out));
}

/** Member name without the "./" the tools prefix, and without a directory's trailing "/". */
const key = (entry: TarEntry) => entry.path.replace(/^\.\//, "").replace(/\/$/, "") || ".";

async function members(bytes: Uint8Array<ArrayBuffer>) {
  const all = await readAll(new Blob([bytes]));
  return new Map(all.map((member) => [key(member.entry), member]));
}

describe.each(Object.keys(WRITERS))("archives by %s", (writer) => {
  it("holds files, directories, links and permission bits", async () => {
    const got = await members(make(writer, "common"));
    const file = got.get("file.txt")!;
    expect(file.entry).toMatchObject({
      type: "file",
      mode: 0o644,
      uid: 1234,
      gid: 5678,
      size: 6,
      mtime: { sec: T, nsec: 0 },
    });
    expect(new TextDecoder().decode(file.data)).toBe("hello\n");
    // Buffer.equals: vitest's deep equality is slow on 200 kB arrays.
    expect(Buffer.from(got.get("big.bin")!.data).equals(pattern(200_000))).toBe(true);
    expect(got.get("empty")!.entry).toMatchObject({ type: "file", size: 0 });
    expect(got.get("setuid")!.entry.mode).toBe(0o4755);
    expect(got.get("sticky")!.entry).toMatchObject({ type: "directory", mode: 0o1777 });
    expect(got.get("sgid")!.entry).toMatchObject({ type: "directory", mode: 0o2755 });
    expect(got.get("sgid/inner")!.entry.mode).toBe(0o600);
    expect(got.get("sym")!.entry).toMatchObject({ type: "symlink", linkname: "file.txt", size: 0 });
    expect(got.get("dangling")!.entry.linkname).toBe("../outside/target");
    // Whichever name the tool archived first carries the data; the other links to it.
    const [first, second] = ["file.txt", "hard"].sort(
      (a, b) => got.get(a)!.entry.headerOffset - got.get(b)!.entry.headerOffset,
    );
    expect(got.get(second)!.entry).toMatchObject({ type: "hardlink", size: 0 });
    expect(got.get(second)!.entry.linkname.replace(/^\.\//, "")).toBe(first);
    if (writer !== "v7") expect(file.entry.uname).toBe(""); // uid 1234 has no name here
  });

  it("reads the same through streams, tiny chunks and random access", async () => {
    const bytes = make(writer, "common");
    const expected = await readAll(new Blob([bytes]));
    const strip = (all: { entry: TarEntry; data: Uint8Array }[]) =>
      all.map((m) => [m.entry, Buffer.from(m.data).toString("base64")]);
    expect(strip(await readAll(streamOf(bytes, 4096)))).toEqual(strip(expected));
    expect(strip(await readAll(chunked(bytes, 509)))).toEqual(strip(expected));
    expect(
      strip(
        await readAll({
          size: bytes.length,
          read: (o, l) => Promise.resolve(bytes.slice(o, o + l)),
        }),
      ),
    ).toEqual(strip(expected));
  });

  it.skipIf(writer === "v7")("holds devices and FIFOs", async () => {
    const got = await members(make(writer, "devices"));
    expect(got.get("null")!.entry).toMatchObject({
      type: "char",
      devmajor: 1,
      devminor: 3,
      size: 0,
    });
    expect(got.get("bigdev")!.entry).toMatchObject({
      type: "char",
      devmajor: 300,
      devminor: 70000,
    });
    expect(got.get("loop")!.entry).toMatchObject({ type: "block", devmajor: 7, devminor: 0 });
    expect(got.get("fifo")!.entry).toMatchObject({ type: "fifo", size: 0 });
  });

  it.skipIf(writer === "v7")(
    "splits a 150-byte name into prefix and name (or extends it)",
    async () => {
      const got = await members(make(writer, "mid"));
      expect(new TextDecoder().decode(got.get(MID_FILE)!.data)).toBe("mid\n");
    },
  );

  it.skipIf(writer === "v7" || writer === "ustar")(
    "holds names and targets past 255 and 100 bytes",
    async () => {
      const got = await members(make(writer, "long"));
      expect(got.get(LONG_DIR)!.entry.type).toBe("directory");
      expect(got.get("longsym")!.entry).toMatchObject({ type: "symlink", linkname: LONG_TARGET });
      // One of the two names carries the data, the other links to it by its (long) name.
      const pair = [got.get("longhard")!, got.get(LONG_FILE)!];
      const file = pair.find((m) => m.entry.type === "file")!;
      const link = pair.find((m) => m.entry.type === "hardlink")!;
      expect(new TextDecoder().decode(file.data)).toBe("deep\n");
      expect(link.entry.linkname.replace(/^\.\//, "")).toBe(key(file.entry));
    },
  );

  it.skipIf(writer === "v7" || writer === "ustar")(
    "holds ids past 2097151 (base-256 or PAX)",
    async () => {
      const got = await members(make(writer, "ids"));
      expect(got.get("bigid")!.entry).toMatchObject({ uid: 3000000, gid: 3000001 });
    },
  );
});

describe("PAX times", () => {
  it("GNU tar posix: nanoseconds and negative fractions", async () => {
    const got = await members(make("posix", "times"));
    expect(got.get("nano")!.entry.mtime).toEqual({ sec: T, nsec: 123456789 });
    // −1.5 s is 1969-12-31T23:59:58.5: sec −2, nsec 5e8.
    expect(got.get("neg")!.entry.mtime).toEqual({ sec: -2, nsec: 500000000 });
  });

  it("GNU tar gnu format: negative seconds in base-256", async () => {
    const dir = join(work, "neg1");
    mkdirSync(dir);
    writeFileSync(join(dir, "old"), "");
    sh("touch", ["-d", "@-1", join(dir, "old")]);
    const out = join(work, "neg1.tar");
    sh("tar", ["-C", dir, "--format=gnu", "-cf", out, "old"]);
    const [old] = await readAll(new Blob([readFileSync(out)]));
    expect(old.entry.mtime).toEqual({ sec: -1, nsec: 0 });
  });

  it("bsdtar pax: nanoseconds", async () => {
    const got = await members(make("bsdtar-pax", "times"));
    expect(got.get("nano")!.entry.mtime).toEqual({ sec: T, nsec: 123456789 });
    // libarchive writes (sec −2, nsec 5e8) as "-2.5", which POSIX (and GNU tar,
    // Go's archive/tar, this reader) reads as −2.5 s: sec −3, nsec 5e8.
    expect(got.get("neg")!.entry.mtime).toEqual({ sec: -3, nsec: 500000000 });
  });
});

describe("xattrs", () => {
  let dir: string;
  const binary = new Uint8Array([0, 1, 2, 255]);
  const capability = Uint8Array.from(atob("AQAAAgAgAAAAAAAAAAAAAAAAAAA="), (c) => c.charCodeAt(0));
  beforeAll(() => {
    dir = join(work, "xattrs");
    mkdirSync(dir);
    writeFileSync(join(dir, "f"), "x");
    const set = (name: string, value: string) =>
      sh("setfattr", ["-n", name, "-v", value, join(dir, "f")]);
    set("user.text", "hello");
    sh("setfattr", ["-n", "user.empty", join(dir, "f")]);
    set("user.we=ird%name", `0s${btoa(String.fromCharCode(...binary))}`);
    set("security.capability", "0sAQAAAgAgAAAAAAAAAAAAAAAAAAA=");
    set("trusted.overlay.opaque", "y");
  });

  const expectXattrs = (xattrs: Map<string, Uint8Array>) => {
    const text = (name: string) => new TextDecoder().decode(xattrs.get(name));
    expect(text("user.text")).toBe("hello");
    expect(xattrs.get("user.empty")).toEqual(new Uint8Array(0));
    expect(xattrs.get("user.we=ird%name")).toEqual(binary);
    expect(xattrs.get("security.capability")).toEqual(capability);
    expect(text("trusted.overlay.opaque")).toBe("y");
  };

  it("GNU tar --xattrs (SCHILY.xattr, with %3D/%25 escapes)", async () => {
    const out = join(work, "xattrs-gnu.tar");
    sh("tar", ["-C", dir, "--format=posix", "--xattrs", "--xattrs-include=*", "-cf", out, "f"]);
    const [f] = await readAll(new Blob([readFileSync(out)]));
    expectXattrs(f.entry.xattrs);
  });

  it("bsdtar (LIBARCHIVE.xattr base64 and SCHILY.xattr)", async () => {
    const out = join(work, "xattrs-bsd.tar");
    sh("bsdtar", ["-C", dir, "--xattrs", "-cf", out, "f"]);
    const [f] = await readAll(new Blob([readFileSync(out)]));
    expectXattrs(f.entry.xattrs);
  });
});
