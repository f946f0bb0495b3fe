// applyTarEntry: entries onto a Tree — paths, replacement, links, hostile names.
import { describe, expect, it } from "vitest";
import { applyTarEntry, LayerError, normalizeEntryPath } from "../../src/layers/mod.ts";
import type { TarEntry } from "../../src/layers/tar/mod.ts";
import { bytesContent, Tree, TreeError } from "../../src/tree/mod.ts";
import { tarEntry } from "./entries.ts";

const entry = tarEntry;

const file = (path: string, text = "", fields: Partial<TarEntry> = {}) => {
  const bytes = new TextEncoder().encode(text);
  return [entry({ path, size: bytes.length, ...fields }), bytesContent(bytes)] as const;
};

describe("normalizeEntryPath", () => {
  it("strips ./ and leading slashes, and collapses empty parts", () => {
    expect(normalizeEntryPath("./usr/bin/")).toBe("usr/bin");
    expect(normalizeEntryPath("/etc/x")).toBe("etc/x");
    expect(normalizeEntryPath("//a//./b/.")).toBe("a/b");
    expect(normalizeEntryPath("./")).toBe("");
    expect(normalizeEntryPath(".")).toBe("");
  });

  it("rejects every '..' component", () => {
    for (const path of ["../x", "a/../../x", "a/..", "./../etc", "/.."]) {
      expect(() => normalizeEntryPath(path)).toThrow(LayerError);
    }
    expect(() => normalizeEntryPath("../x")).toThrow(
      "\"../x\": path leaves the root ('..' component)",
    );
    // Names merely containing dots are fine.
    expect(normalizeEntryPath("a/..b/c..")).toBe("a/..b/c..");
  });
});

describe("applyTarEntry", () => {
  it("builds every kind of inode with the entry's metadata", () => {
    const tree = new Tree();
    const xattrs = new Map([["user.a", new Uint8Array([1])]]);
    applyTarEntry(
      tree,
      ...file("./etc/hostname", "box\n", {
        mode: 0o4755,
        uid: 5,
        gid: 6,
        mtime: { sec: -2, nsec: 5 },
        xattrs,
      }),
    );
    applyTarEntry(tree, entry({ path: "./etc/", type: "directory", mode: 0o750 }));
    applyTarEntry(tree, entry({ path: "lnk", type: "symlink", linkname: "../../outside" }));
    applyTarEntry(tree, entry({ path: "dev/null", type: "char", devmajor: 1, devminor: 3 }));
    applyTarEntry(tree, entry({ path: "dev/loop0", type: "block", devmajor: 7, devminor: 0 }));
    applyTarEntry(tree, entry({ path: "run/fifo", type: "fifo" }));
    const hostname = tree.get("etc/hostname")!;
    expect(hostname).toMatchObject({
      kind: "file",
      meta: { mode: 0o4755, uid: 5, gid: 6, mtime: { sec: -2, nsec: 5 } },
    });
    expect(hostname.meta.xattrs).toBe(xattrs);
    expect(tree.get("etc")!.meta.mode).toBe(0o750);
    expect(tree.get("lnk")).toMatchObject({ kind: "symlink", target: "../../outside" });
    expect(tree.get("dev/null")).toMatchObject({ kind: "char", major: 1, minor: 3 });
    expect(tree.get("dev/loop0")).toMatchObject({ kind: "block", major: 7, minor: 0 });
    expect(tree.get("run/fifo")!.kind).toBe("fifo");
    // Parents nobody archived: 0755 root:root.
    expect(tree.get("dev")!.meta).toMatchObject({ mode: 0o755, uid: 0, gid: 0 });
  });

  it("takes the root's metadata from a ./ entry", () => {
    const tree = new Tree();
    applyTarEntry(tree, entry({ path: "./", type: "directory", mode: 0o700, uid: 1 }));
    expect(tree.root.meta).toMatchObject({ mode: 0o700, uid: 1 });
    expect(() => applyTarEntry(tree, ...file("./"))).toThrow(TreeError);
  });

  it("normalises absolute paths into the root", () => {
    const tree = new Tree();
    applyTarEntry(tree, ...file("/etc/x", "abs"));
    expect(tree.get("etc/x")!.kind).toBe("file");
  });

  it("rejects '..' in paths and hard link targets, naming them", () => {
    const tree = new Tree();
    expect(() => applyTarEntry(tree, ...file("../x"))).toThrow(LayerError);
    expect(() => applyTarEntry(tree, ...file("a/../../x"))).toThrow(
      '"a/../../x": path leaves the root',
    );
    applyTarEntry(tree, ...file("a"));
    expect(() => applyTarEntry(tree, entry({ path: "l", type: "hardlink", linkname: "../a" })))
      .toThrow('"l": hard link target "../a" leaves the root');
    expect([...tree.root.entries.keys()]).toEqual(["a"]);
  });

  it("refuses to put anything below a symlink (never escapes through one)", () => {
    const tree = new Tree();
    applyTarEntry(tree, entry({ path: "etc", type: "symlink", linkname: "/" }));
    expect(() => applyTarEntry(tree, ...file("etc/passwd"))).toThrow(TreeError);
  });

  it("lets later entries replace earlier ones, merging directories", () => {
    const tree = new Tree();
    applyTarEntry(tree, ...file("d/keep", "1"));
    applyTarEntry(tree, entry({ path: "d", type: "directory", mode: 0o700 }));
    expect(tree.get("d/keep")).toBeDefined();
    expect(tree.get("d")!.meta.mode).toBe(0o700);
    applyTarEntry(tree, ...file("f", "old"));
    applyTarEntry(tree, entry({ path: "f", type: "symlink", linkname: "new" }));
    expect(tree.get("f")).toMatchObject({ kind: "symlink", target: "new" });
    applyTarEntry(tree, ...file("d", "now a file"));
    expect(tree.get("d")!.kind).toBe("file");
  });

  it("makes hard links the same inode, and names both paths when that fails", () => {
    const tree = new Tree();
    applyTarEntry(tree, ...file("./bin/busybox", "bb"));
    applyTarEntry(tree, entry({ path: "./bin/sh", type: "hardlink", linkname: "./bin/busybox" }));
    applyTarEntry(tree, entry({ path: "bin/ls", type: "hardlink", linkname: "/bin/sh" }));
    expect(tree.get("bin/sh")).toBe(tree.get("bin/busybox"));
    expect(tree.get("bin/ls")).toBe(tree.get("bin/busybox"));
    // Linking a name to its own inode again changes nothing.
    applyTarEntry(tree, entry({ path: "bin/sh", type: "hardlink", linkname: "bin/busybox" }));
    expect(tree.get("bin/sh")).toBe(tree.get("bin/busybox"));
    expect(() => applyTarEntry(tree, entry({ path: "x", type: "hardlink", linkname: "missing" })))
      .toThrow('"x": hard link target "missing" is not in the archive before it');
    expect(() => applyTarEntry(tree, entry({ path: "y", type: "hardlink", linkname: "bin" })))
      .toThrow('"y": hard link target "bin" is a directory');
  });

  it("requires content of the entry's size for regular files", () => {
    const tree = new Tree();
    expect(() => applyTarEntry(tree, entry({ path: "f", size: 3 }))).toThrow(
      "regular file without content",
    );
    expect(() =>
      applyTarEntry(tree, entry({ path: "f", size: 3 }), bytesContent(new Uint8Array(2)))
    )
      .toThrow("content is 2 bytes, entry says 3");
  });
});
