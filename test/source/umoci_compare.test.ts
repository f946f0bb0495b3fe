/**
 * The image a reference tool sees: layouts built and layered by Debian's
 * umoci (whose `repack` writes real whiteouts), copied by skopeo into other
 * formats, converted by us, mounted by the kernel, and compared with the
 * tree `umoci unpack` produces from the same image.
 */
import { chmod, link, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.ts";
import { withMountedImage } from "../support/mount.ts";
import { expectSameTree, snapshotDirectory } from "../support/snapshot.ts";
import { ensureCommands, run } from "../support/system.ts";

const ROOT = resolve(import.meta.dirname, "../..");
let work = "";

beforeAll(async () => {
  await ensureCommands({
    umoci: "umoci",
    skopeo: "skopeo",
    "mkfs.erofs": "erofs-utils",
    getfattr: "attr",
  });
  work = await mkdtemp(join("/var/tmp", "oci2erofs-umoci-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function sh(cmd: string, args: string[]): Promise<void> {
  const result = await run(cmd, args);
  if (result.code !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${result.stderr}`);
}

/** Our image of SOURCE, mounted, against `umoci unpack` of LAYOUT:TAG. */
async function compareWithUmoci(
  source: string,
  layout: string,
  tag: string,
  name: string,
): Promise<Uint8Array> {
  const image = join(work, `${name}.erofs`);
  expect(await main([source, image, "--quiet"])).toBe(0);
  const bundle = join(work, `${name}-bundle`);
  await sh("umoci", ["unpack", "--image", `${layout}:${tag}`, bundle]);
  const expected = await snapshotDirectory(join(bundle, "rootfs"));
  const { value: actual, judge } = await withMountedImage(image, (root) => snapshotDirectory(root));
  expect(judge).toBe("kernel");
  expectSameTree(expected, actual);
  return new Uint8Array(await readFile(image));
}

describe("images compared with umoci unpack", () => {
  it("the bundled busybox example (gzip layers, a whiteout)", async () => {
    const layout = join(ROOT, "examples/busybox");
    await compareWithUmoci(`oci:${layout}:latest`, layout, "latest", "busybox");
  });

  it("a layout layered by umoci repack, and its skopeo copies as docker-archive and oci-archive", async () => {
    const layout = join(work, "layout");
    const bundle = join(work, "edit");
    await sh("umoci", ["init", "--layout", layout]);
    await sh("umoci", ["new", "--image", `${layout}:t`]);

    // Layer 1: files of every kind umoci carries.
    await sh("umoci", ["unpack", "--image", `${layout}:t`, bundle]);
    const fs1 = join(bundle, "rootfs");
    await mkdir(join(fs1, "etc/conf.d"), { recursive: true });
    await mkdir(join(fs1, "srv/data/deep/er"), { recursive: true });
    await writeFile(join(fs1, "etc/conf.d/a.conf"), "a=1\n");
    await writeFile(join(fs1, "etc/replace-me"), "file first\n");
    await writeFile(
      join(fs1, "srv/data/big.bin"),
      new Uint8Array(300_000).map((_, i) => (i * 31) & 255),
    );
    await writeFile(join(fs1, "srv/data/deep/er/leaf"), "leaf\n");
    await writeFile(join(fs1, "srv/tool"), "#!/bin/sh\n");
    await chmod(join(fs1, "srv/tool"), 0o4755);
    await link(join(fs1, "srv/tool"), join(fs1, "srv/tool-hardlink"));
    await symlink("../etc/conf.d/a.conf", join(fs1, "srv/conf-link"));
    await sh("setfattr", ["-n", "user.origin", "-v", "layer-one", join(fs1, "srv/data/big.bin")]);
    await sh("mknod", [join(fs1, "srv/null"), "c", "1", "3"]);
    await sh("mkfifo", [join(fs1, "srv/pipe")]);
    await sh("umoci", ["repack", "--image", `${layout}:t`, bundle]);
    await rm(bundle, { recursive: true, force: true });

    // Layer 2: deletions (whiteouts), a file becoming a directory, chmod, a new hard link.
    await sh("umoci", ["unpack", "--image", `${layout}:t`, bundle]);
    const fs2 = join(bundle, "rootfs");
    await rm(join(fs2, "srv/data/deep"), { recursive: true });
    await rm(join(fs2, "etc/replace-me"));
    await mkdir(join(fs2, "etc/replace-me"));
    await writeFile(join(fs2, "etc/replace-me/now-a-dir"), "dir now\n");
    await chmod(join(fs2, "etc/conf.d/a.conf"), 0o600);
    await link(join(fs2, "srv/data/big.bin"), join(fs2, "srv/big-hardlink"));
    await sh("umoci", ["repack", "--image", `${layout}:t`, bundle]);
    await rm(bundle, { recursive: true, force: true });

    const fromLayout = await compareWithUmoci(`oci:${layout}:t`, layout, "t", "umoci");

    const dockerArchive = join(work, "image-docker.tar");
    const ociArchive = join(work, "image-oci.tar");
    await sh("skopeo", [
      "copy",
      `oci:${layout}:t`,
      `docker-archive:${dockerArchive}:example/umoci:t`,
    ]);
    await sh("skopeo", ["copy", `oci:${layout}:t`, `oci-archive:${ociArchive}:t`]);
    const fromDocker = await compareWithUmoci(
      `docker-archive:${dockerArchive}`,
      layout,
      "t",
      "docker",
    );
    const fromOciArchive = await compareWithUmoci(
      `oci-archive:${ociArchive}:t`,
      layout,
      "t",
      "oci-archive",
    );
    // Same tree, same order of data: the same image, whatever the container format.
    expect(Buffer.from(fromDocker).equals(fromLayout)).toBe(true);
    expect(Buffer.from(fromOciArchive).equals(fromLayout)).toBe(true);
  });
});
