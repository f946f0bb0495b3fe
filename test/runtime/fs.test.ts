// The file-system adapter against a real temporary directory.
import { execFileSync } from "node:child_process";
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fileRegionContent,
  openRandomAccessFile,
  readDirectoryTree,
  writeFileAtomic,
} from "../../src/runtime/fs.ts";
import { FindTimesParser, readTreeTimes } from "../../src/runtime/find_times.ts";
import { GetfattrParser } from "../../src/runtime/getfattr.ts";
import type { FileContent, Inode } from "../../src/tree/mod.ts";

let work: string;
const sh = (command: string, ...args: string[]) =>
  execFileSync(command, args, { stdio: ["ignore", "pipe", "pipe"] });
const text = (s: string) => new TextEncoder().encode(s);

async function collect(content: FileContent, start?: number, end?: number): Promise<string> {
  let out = "";
  for await (const chunk of content.stream(start, end)) out += new TextDecoder().decode(chunk);
  return out;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "oci2erofs-fs-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("readDirectoryTree", () => {
  let root: string;
  const WEIRD = "we\nird\\ name é";
  beforeAll(() => {
    root = join(work, "rootfs");
    mkdirSync(join(root, "etc"), { recursive: true });
    mkdirSync(join(root, "tmp"));
    mkdirSync(join(root, "dev"));
    writeFileSync(join(root, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
    writeFileSync(join(root, "suid"), "#!/bin/sh\n");
    writeFileSync(join(root, WEIRD), "weird");
    linkSync(join(root, "etc/passwd"), join(root, "passwd-link"));
    linkSync(join(root, "etc/passwd"), join(root, "tmp/passwd-link2"));
    symlinkSync("../etc/passwd", join(root, "dev/sym"));
    symlinkSync("/nonexistent/target", join(root, "dangling"));
    sh("mknod", join(root, "dev/null"), "c", "1", "3");
    sh("mknod", join(root, "dev/huge"), "c", "4095", "1048575");
    sh("mknod", join(root, "dev/nvme"), "b", "259", "65536");
    sh("mkfifo", join(root, "dev/fifo"));
    sh(
      "python3",
      "-c",
      "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])",
      join(root, "dev/sock"),
    );
    sh("chmod", "4755", join(root, "suid"));
    sh("chmod", "1777", join(root, "tmp"));
    sh("chmod", "0710", root);
    sh("chown", "1000:2000", join(root, "etc/passwd"));
    sh("chown", "-h", "33:44", join(root, "dev/sym"));
    sh("touch", "-d", "@1700000000.123456789", join(root, "etc/passwd"));
    sh("touch", "-h", "-d", "@-1.5", join(root, "dev/sym"));
    sh("touch", "-d", "@86400", root);
    sh("setfattr", "-n", "user.text", "-v", "hello", join(root, "etc/passwd"));
    sh("setfattr", "-n", "user.empty", join(root, "etc/passwd"));
    sh(
      "setfattr",
      "-n",
      "security.capability",
      "-v",
      "0sAQAAAgAgAAAAAAAAAAAAAAAAAAA=",
      join(root, "suid"),
    );
    sh("setfattr", "-n", "trusted.overlay.opaque", "-v", "y", join(root, "tmp"));
    sh("setfattr", "-h", "-n", "trusted.symlink", "-v", "own", join(root, "dev/sym"));
    sh("setfattr", "-n", "user.we=ird\nname", "-v", "0sAAEC/w==", join(root, WEIRD));
    sh("setfattr", "-n", "trusted.root", "-v", "r", root);
  });

  it("reads every file type, permission bit, owner and time", async () => {
    const tree = await readDirectoryTree(root);
    const get = (path: string) => tree.get(path)!;
    expect(tree.root.meta).toMatchObject({ mode: 0o710, mtime: { sec: 86400, nsec: 0 } });
    expect(get("etc/passwd")).toMatchObject({
      kind: "file",
      meta: { mode: 0o644, uid: 1000, gid: 2000, mtime: { sec: 1700000000, nsec: 123456789 } },
    });
    expect(get("suid").meta.mode).toBe(0o4755);
    expect(get("tmp")).toMatchObject({ kind: "directory", meta: { mode: 0o1777 } });
    expect(get("dev/sym")).toMatchObject({
      kind: "symlink",
      target: "../etc/passwd",
      meta: { uid: 33, gid: 44, mtime: { sec: -2, nsec: 500000000 } },
    });
    expect(get("dangling")).toMatchObject({ kind: "symlink", target: "/nonexistent/target" });
    expect(get("dev/null")).toMatchObject({ kind: "char", major: 1, minor: 3 });
    expect(get("dev/huge")).toMatchObject({ kind: "char", major: 4095, minor: 1048575 });
    expect(get("dev/nvme")).toMatchObject({ kind: "block", major: 259, minor: 65536 });
    expect(get("dev/fifo").kind).toBe("fifo");
    expect(get("dev/sock").kind).toBe("socket");
    expect(await collect((get(WEIRD) as Inode & { kind: "file" }).content)).toBe("weird");
  });

  it("shares one inode among hard links, and reads file bytes lazily", async () => {
    const tree = await readDirectoryTree(root);
    const passwd = tree.get("etc/passwd")!;
    expect(tree.get("passwd-link")).toBe(passwd);
    expect(tree.get("tmp/passwd-link2")).toBe(passwd);
    expect(passwd.kind === "file" && await collect(passwd.content)).toBe(
      "root:x:0:0::/root:/bin/sh\n",
    );
  });

  it("reads xattrs of every namespace, of symlinks themselves, and of odd names", async () => {
    const tree = await readDirectoryTree(root);
    const xattrs = (path: string) =>
      Object.fromEntries(
        [...tree.get(path)!.meta.xattrs].map(([name, value]) => [name, [...value]]),
      );
    expect(xattrs("etc/passwd")).toEqual({ "user.text": [...text("hello")], "user.empty": [] });
    expect(xattrs("suid")["security.capability"]).toEqual([
      ...Buffer.from("AQAAAgAgAAAAAAAAAAAAAAAAAAA=", "base64"),
    ]);
    expect(xattrs("tmp")).toEqual({ "trusted.overlay.opaque": [...text("y")] });
    expect(xattrs("dev/sym")).toEqual({ "trusted.symlink": [...text("own")] });
    expect(xattrs(WEIRD)).toEqual({ "user.we=ird\nname": [0, 1, 2, 255] });
    expect(xattrs("")).toEqual({ "trusted.root": [...text("r")] });
    expect(xattrs("dev/null")).toEqual({});
  });

  it("can skip xattrs, and warns once when getfattr is missing", async () => {
    expect((await readDirectoryTree(root, { xattrs: false })).get("tmp")!.meta.xattrs.size).toBe(0);
    const path = process.env.PATH;
    const warnings: string[] = [];
    process.env.PATH = join(work, "no-such-bin");
    try {
      for (let i = 0; i < 2; i++) {
        const tree = await readDirectoryTree(root, { onWarning: (m) => warnings.push(m) });
        expect(tree.get("tmp")!.meta.xattrs.size).toBe(0);
      }
    } finally {
      process.env.PATH = path;
    }
    expect(warnings).toEqual([
      "getfattr not found (install the 'attr' package): extended attributes are not read",
    ]);
  });

  it("resolves a symlink given as the root, and rejects a non-directory", async () => {
    symlinkSync(root, join(work, "root-link"));
    const tree = await readDirectoryTree(join(work, "root-link"));
    expect(tree.get("etc/passwd")?.kind).toBe("file");
    await expect(readDirectoryTree(join(root, "suid"))).rejects.toThrow("not a directory");
    await expect(readDirectoryTree(join(work, "missing"))).rejects.toThrow(/ENOENT/);
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(readDirectoryTree(root, { signal: controller.signal })).rejects.toThrow("stop");
  });
});

describe("GetfattrParser", () => {
  const parse = (output: string | Uint8Array, split = 0) => {
    const records: [string, Record<string, number[]>][] = [];
    const parser = new GetfattrParser((path, xattrs) => {
      records.push([path, Object.fromEntries([...xattrs].map(([n, v]) => [n, [...v]]))]);
    });
    const bytes = typeof output === "string" ? text(output) : output;
    if (split > 0) {
      for (let at = 0; at < bytes.length; at += split) {
        parser.push(bytes.subarray(at, at + split));
      }
    } else parser.push(bytes);
    parser.end();
    return records;
  };

  it("decodes every value form getfattr prints, across any chunking", () => {
    const output = [
      "# file: /r/a\\012b\\134c\\303\\251",
      "user.b64=0sAAEC",
      "user.hex=0x00ff",
      'user.quoted="a\\012b"',
      'user.emptyq=""',
      "user.bare",
      "user.empty0s=0s",
      "user.eq\\075name=0sYQ==",
      "",
      "# file: /r/next",
      "trusted.x=0sMQ==",
      "",
    ].join("\n");
    const expected = [
      ["/r/a\nb\\cé", {
        "user.b64": [0, 1, 2],
        "user.hex": [0, 255],
        "user.quoted": [97, 10, 98],
        "user.emptyq": [],
        "user.bare": [],
        "user.empty0s": [],
        "user.eq=name": [97],
      }],
      ["/r/next", { "trusted.x": [49] }],
    ];
    expect(parse(output)).toEqual(expected);
    expect(parse(output, 1)).toEqual(expected);
    expect(parse(output, 5)).toEqual(expected);
    // No trailing blank line at the end of output: the last record still counts.
    expect(parse("# file: /z\nuser.a=0sYQ==")).toEqual([["/z", { "user.a": [97] }]]);
  });

  it("rejects output it cannot understand", () => {
    expect(() => parse("user.a=0sYQ==\n")).toThrow(/outside a file record/);
    expect(() => parse("# file: /z\nuser.a=what\n")).toThrow(/cannot decode value/);
  });
});

describe("FindTimesParser and readTreeTimes (exact mtimes where lstat rounds them)", () => {
  it("parses NUL-separated records across any chunking", () => {
    const output = text(
      "\0" + "86400\0" + "00:00:00.0000000010\0" + "a\nb\0" + "-2\0" + "23:59:58.5000000000\0",
    );
    for (const split of [0, 1, 3]) {
      const seen: [string, { sec: number; nsec: number }][] = [];
      const parser = new FindTimesParser((path, mtime) => seen.push([path, mtime]));
      if (split === 0) parser.push(output);
      else {for (let at = 0; at < output.length; at += split) {
          parser.push(output.subarray(at, at + split));
        }}
      parser.end();
      expect(seen).toEqual([["", { sec: 86400, nsec: 1 }], ["a\nb", { sec: -2, nsec: 500000000 }]]);
    }
    const broken = new FindTimesParser(() => {});
    broken.push(text("x\0"));
    expect(() => broken.end()).toThrow(/mid-record/);
  });

  it("reads nanoseconds and pre-1970 times from GNU find", async () => {
    const dir = join(work, "times");
    mkdirSync(dir);
    writeFileSync(join(dir, "a"), "");
    sh("touch", "-d", "@1700000000.000000001", join(dir, "a"));
    sh("touch", "-d", "@-0.25", dir);
    const seen = new Map<string, { sec: number; nsec: number }>();
    expect(await readTreeTimes(dir, (path, mtime) => seen.set(path, mtime))).toBe(true);
    expect(Object.fromEntries(seen)).toEqual({
      "": { sec: -1, nsec: 750000000 },
      a: { sec: 1700000000, nsec: 1 },
    });
  });
});

describe("fileRegionContent", () => {
  it("streams a region, and any sub-range of it, opening the file only when read", async () => {
    const path = join(work, "region");
    const content = fileRegionContent(path, 3, 5); // created after: nothing opened yet
    writeFileSync(path, "abcdefghijkl");
    expect(content.size).toBe(5);
    expect(await collect(content)).toBe("defgh");
    expect(await collect(content, 1, 4)).toBe("efg");
    expect(await collect(content, 2, 2)).toBe("");
    await expect(collect(content, 4, 6)).rejects.toThrow(RangeError);
  });

  it("streams big regions in fresh chunks of at most 1 MiB", async () => {
    const path = join(work, "big");
    const bytes = new Uint8Array(2.5 * 2 ** 20 + 7).map((_, i) => i % 253);
    writeFileSync(path, bytes);
    const chunks: Uint8Array[] = [];
    for await (const chunk of fileRegionContent(path, 7, bytes.length - 7).stream()) {
      chunks.push(chunk);
    }
    expect(chunks.map((c) => c.length)).toEqual([2 ** 20, 2 ** 20, 2 ** 19]);
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(3);
    expect(Buffer.concat(chunks).equals(bytes.subarray(7))).toBe(true);
  });

  it("fails if the file is shorter than promised", async () => {
    const path = join(work, "short");
    writeFileSync(path, "abc");
    await expect(collect(fileRegionContent(path, 1, 5))).rejects.toThrow(
      /ends at byte 3, before 6/,
    );
  });

  it("random access reads regular files only", async () => {
    const path = join(work, "ra");
    writeFileSync(path, "0123456789");
    const file = await openRandomAccessFile(path);
    expect(file.size).toBe(10);
    expect(new TextDecoder().decode(await file.read(8, 5))).toBe("89");
    await file.close();
    await expect(openRandomAccessFile(work)).rejects.toThrow();
  });
});

describe("writeFileAtomic", () => {
  async function* parts(...items: (string | Error)[]): AsyncGenerator<Uint8Array> {
    for (const item of items) {
      if (item instanceof Error) throw item;
      yield text(item);
    }
  }
  const leftovers = (dir: string) => readdirSync(dir).filter((name) => name.includes(".tmp-"));

  it("writes the file and leaves no temporary behind", async () => {
    const dir = join(work, "atomic-ok");
    mkdirSync(dir);
    await writeFileAtomic(join(dir, "out"), parts("hello ", "world"));
    expect(readFileSync(join(dir, "out"), "utf8")).toBe("hello world");
    expect(lstatSync(join(dir, "out")).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(leftovers(dir)).toEqual([]);
  });

  it("leaves nothing when the chunks fail, and an existing file untouched", async () => {
    const dir = join(work, "atomic-fail");
    mkdirSync(dir);
    await expect(writeFileAtomic(join(dir, "new"), parts("half", new Error("boom")))).rejects
      .toThrow("boom");
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(join(dir, "old"), "previous");
    await expect(writeFileAtomic(join(dir, "old"), parts("x", new Error("boom")))).rejects.toThrow(
      "boom",
    );
    expect(readFileSync(join(dir, "old"), "utf8")).toBe("previous");
    expect(readdirSync(dir)).toEqual(["old"]);
  });

  it("leaves nothing when aborted, or when the directory is missing", async () => {
    const dir = join(work, "atomic-abort");
    mkdirSync(dir);
    const controller = new AbortController();
    async function* slow() {
      yield text("a");
      controller.abort(new Error("interrupted"));
      yield text("b");
    }
    await expect(writeFileAtomic(join(dir, "out"), slow(), { signal: controller.signal })).rejects
      .toThrow("interrupted");
    expect(readdirSync(dir)).toEqual([]);
    await expect(writeFileAtomic(join(dir, "no/such/dir/out"), parts("x"))).rejects.toThrow(
      /ENOENT/,
    );
    await expect(writeFileAtomic(dir, parts("x"))).rejects.toThrow("is a directory");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("writes through a symlink, and into devices in place", async () => {
    const dir = join(work, "atomic-special");
    mkdirSync(dir);
    writeFileSync(join(dir, "target"), "old");
    symlinkSync("target", join(dir, "link"));
    await writeFileAtomic(join(dir, "link"), parts("new"));
    expect(lstatSync(join(dir, "link")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, "target"), "utf8")).toBe("new");
    // A private /dev/null: it must stay a device, not be renamed over.
    sh("mknod", join(dir, "null"), "c", "1", "3");
    await writeFileAtomic(join(dir, "null"), parts("discarded"));
    expect(lstatSync(join(dir, "null")).isCharacterDevice()).toBe(true);
    expect(leftovers(dir)).toEqual([]);
    expect(existsSync(join(dir, "null"))).toBe(true);
  });
});
