/**
 * The edge build handler against a real registry (Debian's docker-registry):
 * `GET /build` served over HTTP by the Node adapter streams an image
 * byte-identical to the CLI's for the same registry image (and the kernel
 * mounts it); Basic credentials pass through to htpasswd and token
 * registries; bad parameters, missing or refused credentials, missing
 * repositories, tags and platforms, and non-allow-listed registries get
 * their statuses as JSON before any body byte.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuildLogEvent, createBuildHandler } from "../../src/edge/mod.ts";
import { type HttpServer, serveHttp } from "../../src/runtime/http_server.ts";
import { cliPull, runCli } from "../support/cli.ts";
import { startFaultProxy } from "../support/fault_proxy.ts";
import { withMountedImage } from "../support/mount.ts";
import { basicAuth, type RegistryHandle, startRegistry } from "../support/registry.ts";
import { pushExampleBusybox } from "../support/registry_images.ts";

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "oci2erofs-edge-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function cliImage(registry: RegistryHandle, name: string): Promise<Uint8Array> {
  return cliPull(registry, "library/busybox", join(work, `${name}.erofs`));
}

async function startEdge(registry: RegistryHandle, events: BuildLogEvent[] = []) {
  const realm = registry.tokenServer && new URL(registry.tokenServer.realm);
  return await serveHttp(createBuildHandler({
    allowList: {
      registries: [registry.host],
      realms: realm ? [`${realm.host}${realm.pathname}`] : [],
      blobHosts: [],
    },
    plainHttp: [registry.host, ...(realm ? [realm.host] : [])],
    allowPrivateAddresses: true,
    logger: (event) => events.push(structuredClone(event)),
  }));
}

async function get(server: HttpServer, query: string, headers?: HeadersInit) {
  const response = await fetch(`${server.url}/build?${query}`, { headers });
  if (response.headers.get("content-type") === "application/json") {
    return { response, error: ((await response.json()) as { error: string }).error };
  }
  return { response, body: new Uint8Array(await response.arrayBuffer()) };
}

describe("anonymous registry", () => {
  let registry: RegistryHandle;
  let server: HttpServer;
  const events: BuildLogEvent[] = [];
  let cli: Uint8Array;
  beforeAll(async () => {
    registry = await startRegistry({ auth: "none" });
    await pushExampleBusybox(registry, "library/busybox", { format: "oci" });
    server = await startEdge(registry, events);
    cli = await cliImage(registry, "cli-none");
  });
  afterAll(async () => {
    await server?.close();
    await registry?.stop();
  });

  it("streams the CLI's image, byte for byte, and the kernel mounts it", async () => {
    const { response, body } = await get(
      server,
      `image=${registry.host}/library/busybox:latest&platform=linux/amd64`,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    expect(response.headers.get("content-length")).toBe(String(cli.length));
    expect(response.headers.get("content-disposition")).toBe(
      'attachment; filename="busybox-latest-linux-amd64.erofs"',
    );
    expect(response.headers.get("x-image-digest")).toMatch(/^sha256:/);
    expect(Buffer.from(body!).equals(cli)).toBe(true);
    const path = join(work, "edge-none.erofs");
    await writeFile(path, body!);
    const { value, judge } = await withMountedImage(
      path,
      async (root) => await readFile(join(root, "etc/motd"), "utf8"),
    );
    expect(judge).toBe("kernel");
    expect(value).toMatch(/layered/);
  });

  it("compresses with z=ALGORITHM[,LEVEL]: the CLI's -z image, without a length up front", async () => {
    const path = join(work, "cli-lz4hc.erofs");
    const result = await runCli([
      `${registry.host}/library/busybox:latest`,
      path,
      "--plain-http",
      "--quiet",
      "-z",
      "lz4hc,9",
    ]);
    expect(result.stderr).toBe("");
    const { response, body } = await get(
      server,
      `image=${registry.host}/library/busybox:latest&z=lz4hc,9`,
    );
    expect(response.status).toBe(200);
    expect(Buffer.from(body!).equals(await readFile(path))).toBe(true);
    expect(body!.length).toBeLessThan(cli.length);
    expect(response.headers.get("content-length")).toBeNull();
    const edgePath = join(work, "edge-lz4hc.erofs");
    await writeFile(edgePath, body!);
    const { value, judge } = await withMountedImage(
      edgePath,
      async (root) => await readFile(join(root, "etc/motd"), "utf8"),
    );
    expect(judge).toBe("kernel");
    expect(value).toMatch(/layered/);
  });

  it("answers bad parameters with 400", async () => {
    for (
      const [query, message] of [
        ["", /image is required/],
        ["image=UPPER/Case", /invalid|reference/i],
        [`image=${registry.host}/library/busybox&platform=linux/`, /invalid platform/],
        [`image=${registry.host}/library/busybox&platform=x`, /invalid platform/],
        [`image=${registry.host}/library/busybox&color=red`, /unknown parameter "color"/],
        [`image=a&image=b`, /more than once/],
        [`image=${registry.host}/library/busybox&z=zstd`, /unknown compression algorithm/],
        [`image=${registry.host}/library/busybox&z=lz4hc,99`, /level must be from/],
        [`image=${registry.host}/library/busybox&z=lz4;rm`, /invalid z/],
      ] as const
    ) {
      const { response, error } = await get(server, query);
      expect(response.status, query).toBe(400);
      expect(error, query).toMatch(message);
    }
    const { response } = await get(server, `image=${registry.host}/library/busybox`, {
      authorization: "Bearer abc",
    });
    expect(response.status).toBe(400);
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
    expect((await fetch(`${server.url}/build?image=x`, { method: "POST" })).status).toBe(405);
  });

  it("answers 404 for a missing repository, tag or platform", async () => {
    for (
      const [query, message] of [
        [`image=${registry.host}/library/nothing-here`, /repository not found/],
        [`image=${registry.host}/library/busybox:no-such-tag`, /tag no-such-tag not found/],
        [
          `image=${registry.host}/library/busybox&platform=linux/s390x`,
          /is for linux\/amd64, not linux\/s390x/,
        ],
      ] as const
    ) {
      const { response, error } = await get(server, query);
      expect(response.status, query).toBe(404);
      expect(error, query).toMatch(message);
    }
  });

  it("speaks CORS when given allowed origins", async () => {
    const handler = createBuildHandler({
      allowList: { registries: [registry.host], realms: [], blobHosts: [] },
      plainHttp: [registry.host],
      allowPrivateAddresses: true,
      allowedOrigins: ["https://page.example"],
    });
    const url = `http://edge.example/build?image=${registry.host}/library/busybox`;
    const pre = await handler(
      new Request(url, {
        method: "OPTIONS",
        headers: {
          origin: "https://page.example",
          "access-control-request-method": "GET",
          "access-control-request-headers": "authorization",
        },
      }),
    );
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://page.example");
    expect(pre.headers.get("access-control-allow-headers")).toMatch(/authorization/);
    const got = await handler(new Request(url, { headers: { origin: "https://page.example" } }));
    expect(got.status).toBe(200);
    expect(got.headers.get("access-control-expose-headers")).toMatch(/Content-Disposition/);
    expect((await got.arrayBuffer()).byteLength).toBe(cli.length);
    const other = await handler(new Request(url, { headers: { origin: "https://evil.example" } }));
    expect(other.status).toBe(403);
  });

  it("refuses registries off the allow-list with 403", async () => {
    const { response, error } = await get(server, "image=169.254.169.254/x/y:1");
    expect(response.status).toBe(403);
    expect(error).toMatch(/not an allowed registry/);
    expect(events.length).toBeGreaterThan(5);
  });
});

for (const auth of ["htpasswd", "token"] as const) {
  describe(`registry with ${auth} auth`, () => {
    let registry: RegistryHandle;
    let server: HttpServer;
    const events: BuildLogEvent[] = [];
    beforeAll(async () => {
      registry = await startRegistry({ auth });
      await pushExampleBusybox(registry, "library/busybox", { format: "oci" });
      server = await startEdge(registry, events);
    });
    afterAll(async () => {
      await server?.close();
      await registry?.stop();
    });

    it("passes Basic credentials through; no or wrong credentials give 401", async () => {
      const image = `image=${registry.host}/library/busybox:latest`;
      const ok = await get(server, image, { authorization: basicAuth(registry.credentials!) });
      expect(ok.response.status).toBe(200);
      expect(Buffer.from(ok.body!).equals(await cliImage(registry, `cli-${auth}`))).toBe(true);
      const none = await get(server, image);
      expect(none.response.status).toBe(401);
      const wrong = await get(server, image, {
        authorization: basicAuth({ username: registry.credentials!.username, password: "nope-99" }),
      });
      expect(wrong.response.status).toBe(401);
      const logged = JSON.stringify(events);
      expect(logged).not.toContain(registry.credentials!.password);
      expect(logged).not.toContain("nope-99");
      expect(logged).not.toContain(basicAuth(registry.credentials!).slice(6));
    });
  });
}

describe("an upstream failure after the body started", () => {
  let registry: RegistryHandle;
  let faults: Awaited<ReturnType<typeof startFaultProxy>>;
  let server: HttpServer;
  beforeAll(async () => {
    registry = await startRegistry({ auth: "none" });
    await pushExampleBusybox(registry, "library/busybox", { format: "oci" });
    faults = await startFaultProxy({ upstream: registry.host });
    server = await serveHttp(createBuildHandler({
      allowList: { registries: [faults.host], realms: [], blobHosts: [] },
      plainHttp: [faults.host],
      allowPrivateAddresses: true,
    }));
  });
  afterAll(async () => {
    await server?.close();
    await faults?.stop();
    await registry?.stop();
  });

  it("aborts the body instead of ending it short", async () => {
    const manifest = await (await fetch(`${registry.url}/v2/library/busybox/manifests/latest`, {
      headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
    })).json() as { layers: { digest: string }[] };
    // The bottom layer's second read (pass 2, while the body streams) gets a flipped byte.
    const rule = faults.inject({
      path: new RegExp(`/blobs/${manifest.layers[0].digest}`),
      method: "GET",
      nth: 2,
      times: Infinity,
      fault: { kind: "corrupt" },
    });
    const response = await fetch(`${server.url}/build?image=${faults.host}/library/busybox`);
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
    expect(rule.applied).toBeGreaterThan(0);
  });
});
