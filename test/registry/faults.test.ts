/**
 * Faults between client and registry: a fault-injecting proxy in front of
 * the real registry (htpasswd auth, so `Authorization` is in play) drops
 * connections mid-blob, answers 429 with Retry-After and 5xx, flips a
 * byte, and redirects blobs to another origin. Every case must give the
 * byte-identical image of the fault-free run, or fail cleanly: a clear
 * error, exit 1, no output file.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";
import { type FaultProxyHandle, startFaultProxy } from "../support/fault_proxy.ts";
import { type RegistryHandle, startRegistry } from "../support/registry.ts";
import { pushExampleBusybox } from "../support/registry_images.ts";

const ROOT = resolve(import.meta.dirname, "../..");
let work = "";
let registry: RegistryHandle;
let proxy: FaultProxyHandle;
let clean: Uint8Array;
/** The example's biggest blob (the busybox layer), where mid-body faults bite. */
let bigBlob = "";

async function pull(name: string): Promise<{ status: number; stderr: string; path: string }> {
  const path = join(work, `${name}.erofs`);
  const { username, password } = registry.credentials!;
  const result = await runCli([
    `${proxy.host}/library/busybox:latest`,
    path,
    "--plain-http",
    "--creds",
    `${username}:${password}`,
    "--quiet",
  ]);
  return { ...result, path };
}

beforeAll(async () => {
  work = await mkdtemp(join("/var/tmp", "oci2erofs-faults-"));
  registry = await startRegistry({ auth: "htpasswd" });
  await pushExampleBusybox(registry, "library/busybox", { format: "oci" });
  proxy = await startFaultProxy({ upstream: registry.url });
  const blobs = join(ROOT, "examples/busybox/blobs/sha256");
  let biggest = 0;
  for (const name of await readdir(blobs)) {
    const size = (await stat(join(blobs, name))).size;
    if (size > biggest) [biggest, bigBlob] = [size, name];
  }
  const first = await pull("clean");
  expect(first.stderr).toBe("");
  clean = new Uint8Array(await readFile(first.path));
});
afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});
beforeEach(() => {
  proxy.clearFaults();
  proxy.clearLog();
});

const blobPath = () => new RegExp(`/blobs/sha256:${bigBlob}`);

describe("faults that must not change the image", () => {
  it("a connection dropped mid-blob is resumed", async () => {
    const rule = proxy.inject({ path: blobPath(), fault: { kind: "drop", afterBytes: 300_000 } });
    const result = await pull("drop");
    expect(result.stderr).toBe("");
    expect(rule.applied).toBe(1);
    expect(Buffer.from(await readFile(result.path)).equals(clean)).toBe(true);
    // Resumed from what arrived: at most the 300,000 bytes sent (a reset can
    // discard bytes still unread in the socket, e.g. while the layer is
    // prefetched and paused), and more than nothing.
    const resumedFrom = proxy.log
      .map((entry) => /^bytes=(\d+)-$/.exec(entry.range ?? "")?.[1])
      .filter((from) => from !== undefined)
      .map(Number);
    expect(resumedFrom.length).toBe(1);
    expect(resumedFrom[0]).toBeGreaterThan(0);
    expect(resumedFrom[0]).toBeLessThanOrEqual(300_000);
  });

  it("429 with Retry-After and 500/503 are retried", async () => {
    proxy.inject({ path: /\/manifests\//, fault: { kind: "status", status: 429, retryAfter: 1 } });
    proxy.inject({ path: blobPath(), fault: { kind: "status", status: 503 } });
    proxy.inject({ path: /\/blobs\//, nth: 1, fault: { kind: "status", status: 500 } });
    const result = await pull("status");
    expect(result.stderr).toBe("");
    expect(Buffer.from(await readFile(result.path)).equals(clean)).toBe(true);
    expect(proxy.log.filter((entry) => entry.status === 429 || entry.status >= 500).length)
      .toBeGreaterThanOrEqual(3);
  });

  it("a blob redirected to another origin is fetched without Authorization", async () => {
    const rule = proxy.inject({
      path: blobPath(),
      times: 10,
      fault: { kind: "redirect", rejectAuthorization: true },
    });
    const result = await pull("redirect");
    expect(result.stderr).toBe("");
    expect(rule.applied).toBeGreaterThanOrEqual(1);
    expect(Buffer.from(await readFile(result.path)).equals(clean)).toBe(true);
    const second = proxy.log.filter((entry) => entry.origin === "second");
    expect(second.length).toBeGreaterThanOrEqual(1);
    expect(second.every((entry) => !entry.authorization)).toBe(true);
    // The registry itself still got credentials.
    expect(proxy.log.some((entry) => entry.origin === "proxy" && entry.authorization)).toBe(true);
  });
});

describe("faults that must fail cleanly", () => {
  it("a flipped byte: digest mismatch named, exit 1, no output file", async () => {
    proxy.inject({ path: blobPath(), fault: { kind: "corrupt" } });
    const result = await pull("corrupt");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`sha256:${bigBlob}`);
    expect(existsSync(result.path)).toBe(false);
    expect((await readdir(work)).filter((name) => name.includes(".tmp-"))).toEqual([]);
  });

  it("bad manifests from the registry: schema 1, unknown media type, broken JSON, oversized", async () => {
    const cases: { contentType: string; body: string; error: RegExp }[] = [
      {
        contentType: "application/vnd.docker.distribution.manifest.v1+prettyjws",
        body: JSON.stringify({ schemaVersion: 1, name: "library/busybox", tag: "latest" }),
        error: /schema 1 manifests are not supported/,
      },
      {
        contentType: "application/vnd.example.unknown+json",
        body: JSON.stringify({ schemaVersion: 2 }),
        error: /media type/,
      },
      {
        contentType: "application/vnd.oci.image.manifest.v1+json",
        body: '{"schemaVersion": 2, "config": ',
        error: /JSON/,
      },
      {
        contentType: "application/vnd.oci.image.manifest.v1+json",
        body: `{"schemaVersion": 2, "pad": "${"x".repeat(5 << 20)}"}`,
        error: /at most \d+ accepted/,
      },
    ];
    for (const [i, { contentType, body, error }] of cases.entries()) {
      proxy.clearFaults();
      proxy.inject({
        path: /\/manifests\/latest/,
        method: "GET",
        times: 10,
        fault: { kind: "respond", contentType, body },
      });
      const result = await pull(`bad-manifest-${i}`);
      expect(result.status, contentType).toBe(1);
      expect(result.stderr).toMatch(error);
      expect(existsSync(result.path)).toBe(false);
    }
  });

  it("a registry that keeps failing: the error says so, no output file", async () => {
    proxy.inject({ path: /\/manifests\//, times: 100, fault: { kind: "status", status: 502 } });
    const result = await pull("down");
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/HTTP 502/);
    expect(existsSync(result.path)).toBe(false);
  });
});
