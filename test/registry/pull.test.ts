/**
 * Pulling from a real registry (Debian's docker-registry on loopback) in
 * its three setups — anonymous, htpasswd Basic auth, token auth — with
 * images pushed by skopeo in OCI and Docker v2s2 formats and as a
 * multi-platform index. The pulled image must equal, byte for byte, the
 * image built from the same OCI layout on disk (which the layer tests
 * compare with `umoci unpack`), and it is mounted by the kernel.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleImage, runCli } from "../support/cli.ts";
import { withMountedImage } from "../support/mount.ts";
import { type RegistryHandle, startRegistry } from "../support/registry.ts";
import { pushExampleBusybox, pushMultiPlatform } from "../support/registry_images.ts";

let work = "";
let reference: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join("/var/tmp", "oci2erofs-pull-"));
  reference = await exampleImage(join(work, "reference.erofs"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function pull(
  name: string,
  args: string[],
): Promise<{ status: number; stderr: string; image?: Uint8Array }> {
  const path = join(work, `${name}.erofs`);
  const result = await runCli([...args.slice(0, 1), path, ...args.slice(1), "--quiet"]);
  const image = result.status === 0 ? new Uint8Array(await readFile(path)) : undefined;
  return { ...result, image };
}

for (const auth of ["none", "htpasswd", "token"] as const) {
  describe(`registry with auth: ${auth}`, () => {
    let registry: RegistryHandle;
    let creds: string[] = [];
    let pushedDigest = "";
    beforeAll(async () => {
      registry = await startRegistry({ auth });
      creds = registry.credentials
        ? ["--creds", `${registry.credentials.username}:${registry.credentials.password}`]
        : [];
      pushedDigest =
        (await pushExampleBusybox(registry, "library/busybox", { format: "oci" })).digest;
      await pushExampleBusybox(registry, "library/busybox-v2s2", { format: "v2s2" });
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it("pulls the OCI-format image: byte-identical to the local layout's image, mounted by the kernel", async () => {
      const result = await pull(`oci-${auth}`, [
        `${registry.host}/library/busybox:latest`,
        "--plain-http",
        ...creds,
      ]);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      expect(Buffer.from(result.image!).equals(reference)).toBe(true);
      const { value, judge } = await withMountedImage(
        join(work, `oci-${auth}.erofs`),
        async (root) => (await readFile(join(root, "etc/motd"), "utf8")),
      );
      expect(judge).toBe("kernel");
      expect(value).toMatch(/layered/);
    });

    it("--json summarises the pull; --password-stdin reads the password", async () => {
      const path = join(work, `json-${auth}.erofs`);
      const args = [
        `${registry.host}/library/busybox:latest`,
        path,
        "--plain-http",
        "--json",
        "--quiet",
      ];
      const { username, password } = registry.credentials ?? { username: "", password: "" };
      const result = registry.credentials
        ? await runCli([...args, "--username", username, "--password-stdin"], {
          stdin: `${password}\n`,
        })
        : await runCli(args);
      expect(result.stderr).toBe("");
      const summary = JSON.parse(result.stdout);
      expect(summary.image.platform).toBe("linux/amd64");
      expect(summary.image.layers).toHaveLength(2);
      expect(summary.image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(summary.bytes).toBe(reference.length);
      expect(Object.keys(summary.seconds)).toEqual(["resolve", "tree", "plan", "write", "total"]);
    });

    it("pulls the Docker v2s2 image and by digest (docker://name@sha256:…)", async () => {
      const byTag = await pull(`v2s2-${auth}`, [
        `docker://${registry.host}/library/busybox-v2s2:latest`,
        "--plain-http",
        ...creds,
      ]);
      expect(byTag.status).toBe(0);
      expect(Buffer.from(byTag.image!).equals(reference)).toBe(true);
      const byDigest = await pull(`digest-${auth}`, [
        `docker://${registry.host}/library/busybox:ignored@${pushedDigest}`,
        "--plain-http",
        ...creds,
      ]);
      expect(byDigest.stderr).toBe("");
      expect(Buffer.from(byDigest.image!).equals(reference)).toBe(true);
    });

    if (auth !== "none") {
      it("a wrong password and missing credentials give distinct errors", async () => {
        const wrong = await pull(`wrong-${auth}`, [
          `${registry.host}/library/busybox:latest`,
          "--plain-http",
          "--creds",
          "user:not-the-password",
        ]);
        expect(wrong.status).toBe(1);
        expect(wrong.stderr).toMatch(/credentials refused/);
        expect(wrong.stderr).not.toContain("not-the-password");
        const anonymous = await pull(`anon-${auth}`, [
          `${registry.host}/library/busybox:latest`,
          "--plain-http",
        ]);
        expect(anonymous.status).toBe(1);
        expect(anonymous.stderr).toMatch(/401|unauthori|authentication|denied/i);
      });
    }

    it("a missing repository and a missing tag are reported as such", async () => {
      const repo = await pull(`norepo-${auth}`, [
        `${registry.host}/library/nothing-here:latest`,
        "--plain-http",
        ...creds,
      ]);
      expect(repo.status).toBe(1);
      expect(repo.stderr).toMatch(/library\/nothing-here: repository not found \(HTTP 404/);
      const tag = await pull(`notag-${auth}`, [
        `${registry.host}/library/busybox:no-such-tag`,
        "--plain-http",
        ...creds,
      ]);
      expect(tag.status).toBe(1);
      expect(tag.stderr).toMatch(
        /library\/busybox: tag no-such-tag not found; it has latest \(HTTP 404 MANIFEST_UNKNOWN\)/,
      );
    });
  });
}

describe("multi-platform index on a registry", () => {
  let registry: RegistryHandle;
  let pushed: Awaited<ReturnType<typeof pushMultiPlatform>>;
  beforeAll(async () => {
    registry = await startRegistry({ auth: "none" });
    pushed = await pushMultiPlatform(registry, "test/multi:latest");
  });
  afterAll(async () => {
    await registry?.stop();
  });

  for (
    const [platform, wanted] of [
      ["linux/arm64", "linux/arm64/v8"],
      ["linux/amd64", "linux/amd64"],
      ["linux/arm/v7", "linux/arm/v7"],
    ]
  ) {
    it(`--platform ${platform} picks ${wanted}`, async () => {
      const name = `multi-${platform.replaceAll("/", "-")}`;
      const result = await pull(name, [
        `${registry.host}/test/multi:latest`,
        "--plain-http",
        "--platform",
        platform,
      ]);
      expect(result.stderr).toBe("");
      const marker = pushed.images.find((i) =>
        [i.platform.os, i.platform.architecture, i.platform.variant].filter(Boolean).join("/") ===
          wanted
      )!.marker;
      const { value } = await withMountedImage(join(work, `${name}.erofs`), (root) =>
        readFile(join(root, "platform.txt"), "utf8"));
      expect(value).toBe(marker);
    });
  }

  it("no matching platform lists the available ones", async () => {
    const result = await pull("multi-none", [
      `${registry.host}/test/multi:latest`,
      "--plain-http",
      "--platform",
      "linux/s390x",
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/linux\/arm64/);
  });
});
