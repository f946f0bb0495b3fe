// LayerStack: overlay semantics of layers applied bottom to top, flattened
// and with whiteouts kept, and hostile layers — on in-memory trees.
import { describe, expect, it } from "vitest";
import {
  isWhiteoutDevice,
  LayerError,
  LayerStack,
  OVERLAY_OPAQUE,
  OVERLAY_ORIGIN,
  type TarEntry,
} from "../../src/layers/mod.ts";
import { bytesContent, type Inode, type Tree } from "../../src/tree/mod.ts";
import { tarEntry } from "./entries.ts";

type Spec = Partial<TarEntry> & { path: string; text?: string };

/** A `Spec` as an entry; `text` is the content, not a field. */
function entry(fields: Spec): TarEntry {
  const { text: _text, ...rest } = fields;
  return tarEntry({ mtime: { sec: 1, nsec: 0 }, ...rest });
}

const file = (path: string, text = "", extra: Partial<TarEntry> = {}): Spec => ({
  path,
  text,
  ...extra,
});
const dir = (path: string, extra: Partial<TarEntry> = {}): Spec => ({
  path,
  type: "directory",
  mode: 0o755,
  ...extra,
});
const link = (path: string, target: string): Spec => ({ path, type: "hardlink", linkname: target });
const sym = (path: string, target: string): Spec => ({ path, type: "symlink", linkname: target });
const wh = (path: string): Spec => ({ path });

/** Builds a stack from layers of entry specs; each layer is named sha256:<index>. */
function stackOf(layers: Spec[][], keepWhiteouts = false): Tree {
  const stack = new LayerStack({ keepWhiteouts });
  layers.forEach((specs, index) => {
    const changes = stack.begin(`sha256:layer${index}`);
    for (const spec of specs) {
      const bytes = new TextEncoder().encode(spec.text ?? "");
      const e = entry({
        size: spec.type === undefined || spec.type === "file" ? bytes.length : 0,
        ...spec,
      });
      changes.apply(e, e.type === "file" ? bytesContent(bytes) : undefined);
    }
    stack.commit(changes);
  });
  return stack.finish();
}

/** `path → kind[:text]` for every entry, sorted: easy to compare. */
async function listing(tree: Tree): Promise<string[]> {
  const out: string[] = [];
  for (const [path, inode] of tree.walk()) {
    if (path === "") continue;
    out.push(`${path} ${await show(inode)}`);
  }
  return out.sort();
}

async function show(inode: Inode): Promise<string> {
  switch (inode.kind) {
    case "file": {
      const parts: Uint8Array[] = [];
      for await (const chunk of inode.content.stream()) parts.push(chunk);
      return `file:${Buffer.concat(parts).toString()}`;
    }
    case "symlink":
      return `symlink:${inode.target}`;
    case "char":
    case "block":
      return `${inode.kind}:${inode.major},${inode.minor}`;
    default:
      return inode.kind;
  }
}

function layerError(fn: () => unknown): LayerError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LayerError);
    return error as LayerError;
  }
  throw new Error("expected a LayerError");
}

describe("LayerStack: flattened", () => {
  it("replaces, deletes, and merges directories taking the later metadata", async () => {
    const tree = stackOf([
      [
        dir("etc", { mode: 0o700, uid: 5 }),
        file("etc/a", "1"),
        file("etc/b", "2"),
        file("gone", "x"),
      ],
      [
        dir("etc", { mode: 0o750, uid: 6 }),
        file("etc/a", "one"),
        wh("etc/.wh.b"),
        wh(".wh.gone"),
        wh(".wh.never-existed"),
      ],
    ]);
    expect(await listing(tree)).toEqual(["etc directory", "etc/a file:one"]);
    expect(tree.get("etc")!.meta).toMatchObject({ mode: 0o750, uid: 6 });
  });

  it("whites out whole subtrees, and makes directories opaque", async () => {
    const tree = stackOf([
      [
        file("usr/share/doc/a", "a"),
        file("usr/share/doc/sub/b", "b"),
        file("usr/share/keep", "k"),
        file("opt/x/1", "1"),
        file("opt/x/deep/2", "2"),
      ],
      [wh("usr/share/.wh.doc"), dir("opt/x"), wh("opt/x/.wh..wh..opq"), file("opt/x/new", "n")],
    ]);
    expect(await listing(tree)).toEqual([
      "opt directory",
      "opt/x directory",
      "opt/x/new file:n",
      "usr directory",
      "usr/share directory",
      "usr/share/keep file:k",
    ]);
  });

  it("applies whiteouts to lower layers only, wherever they come in the layer", async () => {
    // Both orders of "whiteout, then add" and "add, then whiteout" in one layer.
    for (const order of ["whiteout first", "add first"]) {
      const top = [
        wh("d/.wh.f"),
        file("d/f", "new"),
        wh("d/.wh..wh..opq"),
        file("d/g", "mine"),
        wh("s/.wh.sub"),
        file("s/sub/n", "n"),
      ];
      if (order === "add first") top.reverse();
      const tree = stackOf([
        [file("d/f", "old"), file("d/h", "lower"), file("s/sub/o", "old")],
        top,
      ]);
      expect(await listing(tree), order).toEqual([
        "d directory",
        "d/f file:new",
        "d/g file:mine",
        "s directory",
        "s/sub directory",
        "s/sub/n file:n",
      ]);
    }
  });

  it("turns files into directories and back, dropping the old subtree", async () => {
    const tree = stackOf([
      [file("a", "file a"), dir("b"), file("b/inner", "i"), dir("c"), file("c/x", "x")],
      [dir("a"), file("a/now", "dir"), file("b", "now a file"), sym("c", "/elsewhere")],
      [file("a", "file again"), dir("b"), file("b/fresh", "f")],
    ]);
    expect(await listing(tree)).toEqual([
      "a file:file again",
      "b directory",
      "b/fresh file:f",
      "c symlink:/elsewhere",
    ]);
  });

  it("resolves hard links across layers, to the inode as it was when linked", async () => {
    const tree = stackOf([
      [file("bin/busybox", "bb v1"), file("etc/conf", "c")],
      [link("bin/sh", "bin/busybox"), link("etc/conf.bak", "/etc/conf")],
      // The target is replaced afterwards: the links keep the old inode.
      [file("bin/busybox", "bb v2"), wh("etc/.wh.conf")],
    ]);
    expect(await listing(tree)).toEqual([
      "bin directory",
      "bin/busybox file:bb v2",
      "bin/sh file:bb v1",
      "etc directory",
      "etc/conf.bak file:c",
    ]);
    // Within one layer, over a lower file, and to a file the same layer replaced.
    const same = stackOf([
      [file("x", "lower")],
      [link("l1", "x"), file("x", "upper"), link("l2", "x")],
    ]);
    expect(same.get("l1")).not.toBe(same.get("x"));
    expect(same.get("l2")).toBe(same.get("x"));
    expect(await show(same.get("l1")!)).toBe("file:lower");
  });

  it("keeps a chmod-only change's metadata and content", async () => {
    const tree = stackOf([[file("run.sh", "echo", { mode: 0o644 })], [
      file("run.sh", "echo", { mode: 0o755, uid: 7 }),
    ]]);
    expect(tree.get("run.sh")!.meta).toMatchObject({ mode: 0o755, uid: 7 });
    expect(await show(tree.get("run.sh")!)).toBe("file:echo");
  });

  it("creates missing parents 0755 root:root time 0, but keeps lower parents' metadata", () => {
    const tree = stackOf([[dir("srv", { mode: 0o700, uid: 9, mtime: { sec: 50, nsec: 0 } })], [
      file("srv/www/index", "i"),
    ]]);
    expect(tree.get("srv")!.meta).toMatchObject({
      mode: 0o700,
      uid: 9,
      mtime: { sec: 50, nsec: 0 },
    });
    expect(tree.get("srv/www")!.meta).toMatchObject({
      mode: 0o755,
      uid: 0,
      gid: 0,
      mtime: { sec: 0, nsec: 0 },
    });
    expect(tree.root.meta).toMatchObject({ mode: 0o755, uid: 0 });
    const rooted = stackOf([[dir("./", { mode: 0o700, uid: 3 })], [file("f")]]);
    expect(rooted.root.meta).toMatchObject({ mode: 0o700, uid: 3 });
  });

  it("ignores AUFS metadata and drops overlayfs xattrs a layer carries", () => {
    const xattrs = new Map([["trusted.overlay.redirect", new Uint8Array([1])], [
      "user.overlay.opaque",
      new Uint8Array([0x79]),
    ], ["user.keep", new Uint8Array([2])]]);
    const tree = stackOf([[
      file(".wh..wh.plnk/123.456", "x"),
      dir(".wh..wh.aufs"),
      file("f", "", { xattrs }),
      dir("d", { xattrs }),
    ]]);
    expect([...tree.root.entries.keys()].sort()).toEqual(["f", "d"].sort());
    expect([...tree.get("f")!.meta.xattrs.keys()]).toEqual(["user.keep"]);
    expect([...tree.get("d")!.meta.xattrs.keys()]).toEqual(["user.keep"]);
  });
});

describe("LayerStack: whiteouts kept as overlayfs metadata", () => {
  it("writes whiteouts as 0:0 character devices (mode 0) and opaque/origin xattrs", async () => {
    const tree = stackOf([[
      dir("etc"),
      wh("etc/.wh.old"),
      file("etc/new", "n"),
      dir("var", { mode: 0o711 }),
      wh("var/.wh..wh..opq"),
      file("var/log", "l"),
      wh("implied/.wh.gone"),
      wh(".wh.top"),
    ]], true);
    expect(await listing(tree)).toEqual([
      "etc directory",
      "etc/new file:n",
      "etc/old char:0,0",
      "implied directory",
      "implied/gone char:0,0",
      "top char:0,0",
      "var directory",
      "var/log file:l",
    ]);
    const old = tree.get("etc/old")!;
    expect(isWhiteoutDevice(old)).toBe(true);
    expect(old.meta.mode).toBe(0);
    const names = (path: string) => [...tree.get(path)!.meta.xattrs.keys()].sort();
    expect(names("etc")).toEqual([OVERLAY_ORIGIN]);
    expect(tree.get("etc")!.meta.xattrs.get(OVERLAY_ORIGIN)).toEqual(new Uint8Array());
    expect(names("var")).toEqual([OVERLAY_OPAQUE]);
    expect(new TextDecoder().decode(tree.get("var")!.meta.xattrs.get(OVERLAY_OPAQUE))).toBe("y");
    expect(tree.get("var")!.meta.mode).toBe(0o711);
    expect(names("implied")).toEqual([OVERLAY_ORIGIN]);
    expect([...tree.root.meta.xattrs.keys()]).toEqual([OVERLAY_ORIGIN]);
  });

  it("merges several layers into one upper layer that still hides what is below it", async () => {
    const tree = stackOf([
      [wh(".wh.a"), dir("o"), wh("o/.wh..wh..opq"), file("f", "file")],
      // A later layer re-creates a whited-out name, changes the opaque dir's
      // metadata, and puts a directory where the stack had a file.
      [
        dir("a"),
        file("a/x", "x"),
        dir("o", { mode: 0o700 }),
        dir("f"),
        file("f/y", "y"),
        wh("o/.wh.gone"),
      ],
    ], true);
    expect(await listing(tree)).toEqual([
      "a directory",
      "a/x file:x",
      "f directory",
      "f/y file:y",
      "o directory",
      "o/gone char:0,0",
    ]);
    // a and f replace a whiteout and a file: they must not merge with lower layers' a and f.
    for (const path of ["a", "f", "o"]) {
      expect(tree.get(path)!.meta.xattrs.has(OVERLAY_OPAQUE), path).toBe(true);
    }
    expect(tree.get("o")!.meta.mode).toBe(0o700);
    expect(tree.get("o")!.meta.xattrs.has(OVERLAY_ORIGIN)).toBe(true);
    expect(tree.root.meta.xattrs.has(OVERLAY_ORIGIN)).toBe(false);
  });

  it("marks a directory that a layer both whites out and re-creates as opaque", async () => {
    const tree = stackOf([[wh(".wh.d"), dir("d"), file("d/new", "n")]], true);
    expect(await listing(tree)).toEqual(["d directory", "d/new file:n"]);
    expect(tree.get("d")!.meta.xattrs.has(OVERLAY_OPAQUE)).toBe(true);
  });
});

describe("LayerStack: hostile layers", () => {
  it("rejects '..' and names the layer and the entry", () => {
    const error = layerError(() => stackOf([[file("ok")], [file("a/../../etc/passwd")]]));
    expect(error.message).toBe(
      `layer sha256:layer1: "a/../../etc/passwd": path leaves the root ('..' component)`,
    );
    expect(error).toMatchObject({ layer: "sha256:layer1", path: "a/../../etc/passwd" });
  });

  it("takes absolute paths relative to the root", async () => {
    expect(await listing(stackOf([[file("/etc/abs", "a")]]))).toEqual([
      "etc directory",
      "etc/abs file:a",
    ]);
  });

  it("refuses paths through a symlink planted by a lower layer, or by the same layer", () => {
    for (const target of ["/tmp", "../../x", "."]) {
      const lower = layerError(() => stackOf([[sym("etc", target)], [file("etc/passwd", "evil")]]));
      expect(lower.message).toBe(
        `layer sha256:layer1: "etc/passwd": parent "etc" is a symlink (to ${
          JSON.stringify(target)
        }) in a lower layer; refusing to follow it`,
      );
      const same = layerError(() => stackOf([[sym("etc", target), file("etc/passwd", "evil")]]));
      expect(same.message).toMatch(
        /^layer sha256:layer0: "etc\/passwd": parent "etc" is a symlink .* in the same layer; refusing to go through it$/,
      );
    }
    // Deeper, and below a lower regular file.
    expect(layerError(() => stackOf([[dir("a"), sym("a/b", "/")], [file("a/b/c/d")]])).message)
      .toMatch(/"a\/b\/c\/d": parent "a\/b" is a symlink/);
    expect(layerError(() => stackOf([[file("f")], [file("f/x")]])).message).toMatch(
      /parent "f" is a file in a lower layer/,
    );
    // Replacing the symlink with a real directory first (in either order) is fine.
    for (
      const top of [[dir("etc"), file("etc/passwd", "p")], [file("etc/passwd", "p"), dir("etc")]]
    ) {
      const tree = stackOf([[sym("etc", "/tmp")], top]);
      expect(tree.get("etc/passwd")!.kind).toBe("file");
    }
    // A whiteout of the symlink also lets the layer put a directory there.
    expect(stackOf([[sym("etc", "/tmp")], [wh(".wh.etc"), file("etc/passwd")]]).get("etc")!.kind)
      .toBe("directory");
  });

  it("rejects hard links to missing entries, to directories, out of the root and through symlinks", () => {
    const cases: [Spec[][], string][] = [
      [
        [[link("l", "missing")]],
        `layer sha256:layer0: "l": hard link target "missing" does not exist in this layer or below`,
      ],
      [
        [[dir("d")], [link("l", "d")]],
        `layer sha256:layer1: "l": hard link target "d" is a directory`,
      ],
      [[[link("l", "./")]], `layer sha256:layer0: "l": hard link target "./" is a directory`],
      [
        [[link("l", "../etc/passwd")]],
        `layer sha256:layer0: "l": hard link target "../etc/passwd" leaves the root`,
      ],
      [
        [[file("real/f"), sym("s", "real")], [link("l", "s/f")]],
        `layer sha256:layer1: "l": hard link target "s/f" does not exist in this layer or below`,
      ],
      // Whited out by this layer (before the link) or in a lower one.
      [
        [[file("f")], [wh(".wh.f"), link("l", "f")]],
        `layer sha256:layer1: "l": hard link target "f" does not exist in this layer or below`,
      ],
      [
        [[file("d/f")], [wh("d/.wh..wh..opq"), link("l", "d/f")]],
        `layer sha256:layer1: "l": hard link target "d/f" does not exist in this layer or below`,
      ],
    ];
    for (const [layers, message] of cases) {
      expect(layerError(() => stackOf(layers)).message).toBe(message);
    }
  });

  it("rejects whiteouts of '.' and '..', whiteout names as directories, and a non-directory root", () => {
    expect(layerError(() => stackOf([[wh(".wh..")]])).message).toBe(
      `layer sha256:layer0: ".wh..": whiteout of '.'`,
    );
    expect(layerError(() => stackOf([[wh("a/.wh...")]])).message).toBe(
      `layer sha256:layer0: "a/.wh...": whiteout of '..'`,
    );
    expect(layerError(() => stackOf([[file(".wh.x/y")]])).message).toMatch(
      /".wh.x\/y": whiteout name ".wh.x" used as a directory/,
    );
    expect(layerError(() => stackOf([[file("./")]])).message).toMatch(
      /"\.\/": the root must be a directory, not a file/,
    );
    expect(layerError(() => stackOf([[file(`${"n".repeat(256)}`)]])).message).toMatch(
      /^layer sha256:layer0: "n+": file name is 256 bytes/,
    );
  });

  it("copes with very deep paths without recursion", () => {
    const deep = "d/".repeat(30_000);
    const tree = stackOf([[file(`${deep}f`, "f")], [file(`${deep}g`, "g"), wh(`${deep}.wh.f`)]]);
    expect(tree.get(`${deep}g`)!.kind).toBe("file");
    expect(tree.get(`${deep}f`)).toBeUndefined();
  });

  it("never puts anything outside the tree", async () => {
    const tree = stackOf([[file("/x"), sym("up", "../../.."), link("./up2", "/x")]]);
    expect(await listing(tree)).toEqual(["up symlink:../../..", "up2 file:", "x file:"]);
  });
});
