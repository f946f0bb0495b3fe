import { describe, expect, it } from "vitest";
import { buildErofs, ErofsError } from "../../src/erofs/mod.ts";
import {
  bytesContent,
  type FileContent,
  type Inode,
  metadata,
  Tree,
  TreeError,
} from "../../src/tree/mod.ts";
import { imageBytes } from "./collect.ts";

const enc = new TextEncoder();
const file = (text: string, mode = 0o644): Inode => ({
  kind: "file",
  meta: metadata({ mode }),
  content: bytesContent(enc.encode(text)),
});

/** Bitwise CRC32C state (initial ~0, no final inversion): the superblock checksum. */
function rawCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return crc >>> 0;
}

/** The reference sheet's §16 image: root, `hello` (`hi\n`), `link → hello`. */
function walkthroughTree(): Tree {
  const tree = new Tree();
  tree.add("hello", file("hi\n"));
  tree.add("link", { kind: "symlink", meta: metadata({ mode: 0o777 }), target: "hello" });
  return tree;
}

describe("buildErofs", () => {
  it("writes the reference walkthrough tree: superblock and front metadata, then a tail block", async () => {
    const bytes = await imageBytes(
      await buildErofs(walkthroughTree(), { fixedTime: 0, uuid: "clear" }),
    );
    // Block 0: superblock, then the root and the symlink (the front metadata,
    // from byte 1152 as mkfs.erofs); block 1: the tail block holding `hello`
    // and its inline tail (no file data blocks: everything is inline).
    expect(bytes.length).toBe(8192);
    const view = new DataView(bytes.buffer);
    const sb = 1024;
    expect(view.getUint32(sb, true)).toBe(0xe0f5e1e2);
    expect(view.getUint32(sb + 8, true)).toBe(3); // SB_CHKSUM | MTIME
    expect(bytes[sb + 12]).toBe(12);
    expect(view.getUint16(sb + 14, true)).toBe(36); // root nid: byte 1152
    expect(Number(view.getBigUint64(sb + 16, true))).toBe(3); // inodes
    expect(view.getUint32(sb + 36, true)).toBe(2); // blocks
    expect(view.getUint32(sb + 40, true)).toBe(0); // meta_blkaddr
    expect(view.getUint32(sb + 44, true)).toBe(0); // xattr_blkaddr
    expect(view.getUint32(sb + 80, true)).toBe(0); // no incompatible features
    // Checksum: CRC32C (no final inversion) over 1024..4095 with the field zeroed.
    const range = bytes.slice(sb, 4096);
    range.fill(0, 4, 8);
    expect(view.getUint32(sb + 4, true)).toBe(rawCrc32c(range));
    // root inode at nid 36: compact FLAT_INLINE, 040755, nlink 2, size 60, no block, ino 1
    const root = 36 * 32;
    expect([...bytes.subarray(root, root + 24)]).toEqual(
      [4, 0, 0, 0, 0xed, 0x41, 2, 0, 60, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0],
    );
    // Dirents: "." → 36, ".." → 36, hello → 128 (block 1), link → 39; names after them.
    const dirents = root + 32;
    expect([0, 1, 2, 3].map((i) => Number(view.getBigUint64(dirents + 12 * i, true)))).toEqual([
      36,
      36,
      128,
      39,
    ]);
    expect(new TextDecoder().decode(bytes.subarray(dirents + 48, dirents + 60))).toBe(
      "...hellolink",
    );
    // link at nid 39 (the root took 92 bytes: three slots): 0120777, ino 3, tail "hello".
    expect([...bytes.subarray(39 * 32, 39 * 32 + 8)]).toEqual([4, 0, 0, 0, 0xff, 0xa1, 1, 0]);
    expect(view.getUint32(39 * 32 + 20, true)).toBe(3);
    expect(new TextDecoder().decode(bytes.subarray(39 * 32 + 32, 39 * 32 + 37))).toBe("hello");
    // hello at nid 128, the start of block 1: 0100644, ino 2, tail "hi\n".
    expect([...bytes.subarray(4096, 4096 + 8)]).toEqual([4, 0, 0, 0, 0xa4, 0x81, 1, 0]);
    expect(view.getUint32(4096 + 20, true)).toBe(2);
    expect(new TextDecoder().decode(bytes.subarray(4096 + 32, 4096 + 35))).toBe("hi\n");
  });

  it("gives byte-identical images for the same input, including the derived UUID", async () => {
    const a = await imageBytes(await buildErofs(walkthroughTree()));
    const b = await imageBytes(await buildErofs(walkthroughTree()));
    expect(a).toEqual(b);
    expect(a.subarray(1024 + 48, 1024 + 64).some((x) => x !== 0)).toBe(true);
  });

  it("stores -U and -L", async () => {
    const bytes = await imageBytes(
      await buildErofs(walkthroughTree(), {
        uuid: "0123456789abcdef0123456789ABCDEF",
        label: "rootfs",
      }),
    );
    expect(Buffer.from(bytes.subarray(1072, 1088)).toString("hex")).toBe(
      "0123456789abcdef0123456789abcdef",
    );
    expect(new TextDecoder().decode(bytes.subarray(1088, 1094))).toBe("rootfs");
  });

  it("makes inodes compact when they share the most common mtime", async () => {
    const tree = walkthroughTree();
    for (const [, inode] of tree.walk()) inode.meta.mtime = { sec: 1_700_000_000, nsec: 42 };
    const bytes = await imageBytes(await buildErofs(tree, { uuid: "clear" }));
    const view = new DataView(bytes.buffer);
    expect(Number(view.getBigUint64(1024 + 24, true))).toBe(1_700_000_000);
    expect(view.getUint32(1024 + 32, true)).toBe(42);
    expect(view.getUint16(4096 + 32, true) & 1).toBe(0);
  });
});

describe("bad input is refused with the path named", () => {
  const cases: [string, () => Tree, RegExp][] = [
    ["a name over 255 bytes", () => {
      const t = new Tree();
      t.root.entries.set("é".repeat(128), file("x"));
      return t;
    }, /256 bytes/],
    ["a name with a slash", () => {
      const t = new Tree();
      t.root.entries.set("a/b", file("x"));
      return t;
    }, /invalid file name/],
    ["a name with NUL", () => {
      const t = new Tree();
      t.root.entries.set("a\0b", file("x"));
      return t;
    }, /invalid file name/],
    ["an empty name", () => {
      const t = new Tree();
      t.root.entries.set("", file("x"));
      return t;
    }, /invalid file name/],
    ["an xattr outside the stored namespaces", () => {
      const t = new Tree();
      t.add("f", file("x"));
      t.get("f")!.meta.xattrs.set("system.nfs4_acl", new Uint8Array(1));
      return t;
    }, /"f": xattr "system.nfs4_acl"/],
    ["an xattr value over 64 KiB", () => {
      const t = new Tree();
      t.add("f", file("x"));
      t.get("f")!.meta.xattrs.set("user.big", new Uint8Array(65536));
      return t;
    }, /"f": .*65535/],
    ["an xattr name over 255 bytes", () => {
      const t = new Tree();
      t.add("f", file("x"));
      t.get("f")!.meta.xattrs.set(`user.${"n".repeat(256)}`, new Uint8Array(1));
      return t;
    }, /too long/],
    ["an unknown file type", () => {
      const t = new Tree();
      t.root.entries.set("door", { kind: "door", meta: metadata() } as unknown as Inode);
      return t;
    }, /"door": unknown file type/],
    ["an empty symlink", () => {
      const t = new Tree();
      t.add("l", { kind: "symlink", meta: metadata(), target: "" });
      return t;
    }, /"l": symlink has an empty target/],
    ["a device major past 12 bits", () => {
      const t = new Tree();
      t.add("d", { kind: "char", meta: metadata(), major: 4096, minor: 0 });
      return t;
    }, /"d": device major/],
    ["a uid past 32 bits", () => {
      const t = new Tree();
      t.add("f", file("x"));
      t.get("f")!.meta.uid = 2 ** 32;
      return t;
    }, /"f": uid/],
  ];
  for (const [what, make, message] of cases) {
    it(what, async () => {
      const error = await buildErofs(make()).catch((e) => e);
      expect(error).toBeInstanceOf(ErofsError);
      expect(error.message).toMatch(message);
    });
  }

  it("content shorter or longer than its size", async () => {
    const liar = (size: number, actual: number): FileContent => ({
      size,
      async *stream() {
        yield new Uint8Array(actual);
      },
    });
    const short = new Tree();
    short.add("short", { kind: "file", meta: metadata(), content: liar(10, 5) });
    await expect(imageBytes(await buildErofs(short))).rejects.toThrow(
      /"short": content ended early/,
    );
    const long = new Tree();
    long.add("long", { kind: "file", meta: metadata(), content: liar(8192, 9000) });
    const image = await buildErofs(long);
    await expect(imageBytes(image)).rejects.toThrow(/"long": content is longer/);
  });

  it("options: block size, label, UUID, prefixes", async () => {
    await expect(buildErofs(new Tree(), { blockSize: 8192 })).rejects.toThrow(/block size/);
    await expect(buildErofs(new Tree(), { blockSize: 1000 })).rejects.toThrow(/block size/);
    await expect(buildErofs(new Tree(), { label: "a label that is too long" })).rejects.toThrow(
      /label/,
    );
    await expect(buildErofs(new Tree(), { uuid: "not-a-uuid" })).rejects.toThrow(/UUID/);
    await expect(buildErofs(new Tree(), { xattrPrefixes: ["system.foo."] })).rejects.toThrow(
      /prefix/,
    );
  });

  it("the tree refuses duplicate paths and bad names as they are added", () => {
    const t = new Tree();
    t.add("a", file("x"));
    expect(() => t.add("a", file("y"))).toThrow(TreeError);
    expect(() => t.add("a", file("y"))).toThrow(/"a": duplicate path/);
    expect(() => t.add(`d/${"x".repeat(256)}`, file("y"))).toThrow(/256 bytes/);
    expect(() => t.add("a\0b", file("y"))).toThrow(/NUL/);
    expect(() => t.link("h", "missing")).toThrow(/does not exist/);
  });
});
