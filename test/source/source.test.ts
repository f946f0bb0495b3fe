// Sources: SOURCE strings, tar:FILE and dir:PATH into trees.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LayerError, TarError } from "../../src/layers/mod.ts";
import { parseSource, readSource, readTarSource, SourceError } from "../../src/source/mod.ts";
import type { FileContent, Tree } from "../../src/tree/mod.ts";
import { archive, member } from "../layers/tar/craft.ts";

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "oci2erofs-source-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function read(content: FileContent): Promise<string> {
  let out = "";
  for await (const chunk of content.stream()) out += new TextDecoder().decode(chunk);
  return out;
}

function summary(tree: Tree): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, inode] of tree.walk()) {
    const { mode, uid, gid, mtime } = inode.meta;
    out[path || "/"] = `${inode.kind} ${mode.toString(8)} ${uid}:${gid} ${mtime.sec}`;
  }
  return out;
}

describe("parseSource", () => {
  it("splits KIND:LOCATION", () => {
    expect(parseSource("tar:a:b.tar")).toEqual({ kind: "tar", location: "a:b.tar" });
    expect(parseSource("dir:/srv/rootfs")).toEqual({ kind: "dir", location: "/srv/rootfs" });
  });

  it("takes registry references, bare or as docker://", () => {
    expect(parseSource("docker://alpine")).toEqual({ kind: "docker", location: "alpine" });
    expect(parseSource("alpine")).toEqual({ kind: "docker", location: "alpine" });
    expect(parseSource("localhost:5000/x/y:1.0")).toEqual({
      kind: "docker",
      location: "localhost:5000/x/y:1.0",
    });
  });

  it("lists the supported kinds for anything else", () => {
    for (const bad of ["docker://", "docker:alpine", "", "Tar:x", "toString:x", "UPPER/case"]) {
      expect(() => parseSource(bad)).toThrow(SourceError);
    }
    expect(() => parseSource("Tar:x")).toThrow(
      /^unsupported source "Tar:x" \(as an image reference: [^)]+\); supported: \[docker:\/\/\]REF, dir:PATH, tar:FILE, oci:DIR\[:TAG\|@DIGEST\], oci-archive:FILE\[:TAG\|@DIGEST\], docker-archive:FILE\[:NAME\[:TAG\]\|:@N\]$/,
    );
    expect(() => parseSource("tar:")).toThrow('source "tar:" names no file; expected tar:FILE');
  });
});

describe("tar: source", () => {
  it("gives the same tree as dir: on the extracted archive, with content read from the archive", async () => {
    const src = join(work, "src");
    mkdirSync(join(src, "etc"), { recursive: true });
    writeFileSync(join(src, "etc/motd"), "welcome\n");
    writeFileSync(join(src, "big"), new Uint8Array(3 << 20).fill(7));
    execFileSync("ln", [join(src, "etc/motd"), join(src, "motd-link")]);
    execFileSync("ln", ["-s", "etc/motd", join(src, "sym")]);
    execFileSync("chmod", ["-R", "go-w", src]);
    execFileSync("touch", [
      "-h",
      "-d",
      "@1234567890",
      join(src, "etc/motd"),
      join(src, "sym"),
      join(src, "big"),
      join(src, "etc"),
      src,
    ]);
    const tarPath = join(work, "src.tar");
    execFileSync("tar", ["-C", src, "--numeric-owner", "-cf", tarPath, "."]);

    const fromTar = await readSource(parseSource(`tar:${tarPath}`));
    const fromDir = await readSource(parseSource(`dir:${src}`));
    expect(summary(fromTar)).toEqual(summary(fromDir));
    const motd = fromTar.get("etc/motd")!;
    expect(fromTar.get("motd-link")).toBe(motd);
    expect(motd.kind === "file" && await read(motd.content)).toBe("welcome\n");
    const big = fromTar.get("big")!;
    expect(big.kind === "file" && big.content.size).toBe(3 << 20);
    expect(big.kind === "file" && (await read(big.content)).length).toBe(3 << 20);
  });

  it("creates missing parents 0755 root:root, and later members win", async () => {
    const path = join(work, "layered.tar");
    const text = (s: string) => new TextEncoder().encode(s);
    writeFileSync(
      path,
      archive(
        member({ name: "a/b/c", mode: 0o600, uid: 9 }, text("first")),
        member({ name: "./a/b/c", mode: 0o640 }, text("second")),
        member({ name: "/abs" }, text("x")),
      ),
    );
    const tree = await readTarSource(path);
    expect(summary(tree)).toEqual({
      "/": "directory 755 0:0 0",
      "a": "directory 755 0:0 0",
      "a/b": "directory 755 0:0 0",
      "a/b/c": "file 640 0:0 0",
      "abs": "file 644 0:0 0",
    });
    const c = tree.get("a/b/c")!;
    expect(c.kind === "file" && await read(c.content)).toBe("second");
  });

  it("rejects hostile and broken archives with the reader's or applier's error", async () => {
    const evil = join(work, "evil.tar");
    writeFileSync(evil, archive(member({ name: "../../etc/cron.d/x" })));
    await expect(readTarSource(evil)).rejects.toThrow(LayerError);
    const cut = join(work, "cut.tar");
    writeFileSync(cut, archive(member({ name: "f" }, new Uint8Array(5000))).subarray(0, 2048));
    await expect(readTarSource(cut)).rejects.toThrow(TarError);
    await expect(readTarSource(join(work, "missing.tar"))).rejects.toThrow(/ENOENT/);
    await expect(readTarSource(work)).rejects.toThrow();
  });
});
