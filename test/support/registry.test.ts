/**
 * Tests of the registry test infrastructure itself: Debian's
 * `docker-registry` with no auth, htpasswd and token auth, pushes with
 * skopeo, the token server, and every fault of the fault proxy.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type FaultProxyHandle, startFaultProxy } from "./fault_proxy.ts";
import {
  authHeaders,
  basicAuth,
  type RegistryHandle,
  runningRegistries,
  startRegistry,
} from "./registry.ts";
import { pushExampleBusybox, pushMultiPlatform, type PushResult } from "./registry_images.ts";
import { run } from "./system.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST].join(", ");

const sha256 = (data: Uint8Array) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

interface Manifest {
  mediaType: string;
  config: { digest: string; size: number };
  layers: { digest: string; size: number }[];
  manifests?: { digest: string; platform: { architecture: string; variant?: string } }[];
}

async function getManifest(
  base: string,
  repo: string,
  ref: string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${base}/v2/${repo}/manifests/${ref}`, {
    headers: { accept: ACCEPT, ...headers },
  });
  const body = new Uint8Array(await res.arrayBuffer());
  return { res, body, json: () => JSON.parse(Buffer.from(body).toString("utf8")) as Manifest };
}

// Whatever a failing test left behind, the file must not leak registries.
afterAll(() => {
  expect(runningRegistries()).toEqual([]);
});

describe("registry without auth", () => {
  let registry: RegistryHandle;
  let proxy: FaultProxyHandle;
  let busybox: PushResult;
  let manifest: Manifest;

  beforeAll(async () => {
    registry = await startRegistry();
    proxy = await startFaultProxy({ upstream: registry.host });
    busybox = await pushExampleBusybox(registry, "library/busybox");
    manifest = (await getManifest(registry.url, "library/busybox", busybox.digest)).json();
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });
  afterEach(() => {
    proxy.clearFaults();
    proxy.clearLog();
  });

  test("serves the pushed example under its digest", async () => {
    expect((await fetch(`${registry.url}/v2/`)).status).toBe(200);
    const { res, body } = await getManifest(registry.url, "library/busybox", "latest");
    expect(res.status).toBe(200);
    expect(res.headers.get("docker-content-digest")).toBe(busybox.digest);
    expect(sha256(body)).toBe(busybox.digest);
    expect(manifest.mediaType).toBe(OCI_MANIFEST);
  });

  test("pushes as Docker v2s2 when asked", async () => {
    const pushed = await pushExampleBusybox(registry, "library/busybox-v2s2", { format: "v2s2" });
    const { res, json } = await getManifest(registry.url, "library/busybox-v2s2", "latest");
    expect(res.headers.get("docker-content-digest")).toBe(pushed.digest);
    expect(json().mediaType).toBe(DOCKER_MANIFEST);
  });

  test("pushes a multi-platform index unchanged", async () => {
    const pushed = await pushMultiPlatform(registry, "test/multi:latest");
    const { res, body, json } = await getManifest(registry.url, "test/multi", "latest");
    expect(res.status).toBe(200);
    expect(sha256(body)).toBe(pushed.digest);
    expect(pushed.digest).toBe(pushed.indexDigest);
    const index = json();
    expect(index.mediaType).toBe(OCI_INDEX);
    expect(index.manifests!.map((m) => [m.platform.architecture, m.platform.variant])).toEqual([
      ["amd64", undefined],
      ["arm64", "v8"],
      ["arm", "v7"],
    ]);
    for (const image of pushed.images) {
      const child = await getManifest(registry.url, "test/multi", image.manifestDigest);
      expect(child.res.status).toBe(200);
      const layer = await fetch(`${registry.url}/v2/test/multi/blobs/${image.layerDigest}`);
      const tar = gunzipSync(Buffer.from(await layer.arrayBuffer()));
      expect(sha256(tar)).toBe(image.diffId);
      expect(tar.toString("latin1")).toContain(image.marker);
    }
  });

  test("skopeo inspect works through the proxy without faults", async () => {
    const { stdout } = await run("skopeo", [
      "inspect",
      "--tls-verify=false",
      "--no-creds",
      `docker://${proxy.host}/library/busybox:latest`,
    ], { check: true });
    expect(JSON.parse(stdout).Digest).toBe(busybox.digest);
    expect(proxy.log.length).toBeGreaterThan(0);
    expect(proxy.log.every((entry) => entry.fault === undefined && entry.status < 500)).toBe(true);
  });

  test("skopeo pushes through the proxy (streamed upload bodies, Location via the proxy)", async () => {
    const pushed = await pushExampleBusybox(registry, "via/proxy", { host: proxy.host });
    expect(pushed.digest).toBe(busybox.digest);
    expect(proxy.log.some((e) => e.method === "PUT" && e.status === 201)).toBe(true);
    expect(proxy.log.every((e) => e.status > 0 && e.status < 500)).toBe(true);
    const direct = await getManifest(registry.url, "via/proxy", "latest");
    expect(direct.res.headers.get("docker-content-digest")).toBe(busybox.digest);
  });

  test("429 with Retry-After, then normal service", async () => {
    const rule = proxy.inject({ path: /\/manifests\//, fault: { kind: "status", status: 429 } });
    const first = await fetch(`${proxy.url}/v2/library/busybox/manifests/latest`, {
      headers: { accept: ACCEPT },
    });
    await first.arrayBuffer();
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("1");
    const second = await getManifest(proxy.url, "library/busybox", "latest");
    expect(second.res.status).toBe(200);
    expect(rule.applied).toBe(1);
    expect(proxy.log.map((e) => [e.status, e.fault])).toEqual([[429, "status:429"], [
      200,
      undefined,
    ]]);
  });

  test("5xx on the nth match only", async () => {
    for (const status of [500, 502, 503]) {
      proxy.clearFaults();
      proxy.inject({
        path: /\/manifests\//,
        method: "GET",
        nth: 2,
        fault: { kind: "status", status },
      });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await getManifest(proxy.url, "library/busybox", "latest")).res.status);
      }
      expect(statuses).toEqual([200, status, 200]);
    }
  });

  test("drops the connection after K body bytes", async () => {
    const layer = manifest.layers[0];
    proxy.inject({ path: /\/blobs\//, fault: { kind: "drop", afterBytes: 1000 } });
    const res = await fetch(`${proxy.url}/v2/library/busybox/blobs/${layer.digest}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(layer.size));
    let received = 0;
    const reader = res.body!.getReader();
    await expect((async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        received += value.length;
      }
    })()).rejects.toThrow();
    expect(received).toBe(1000);

    proxy.inject({ path: /\/blobs\//, fault: { kind: "drop", afterBytes: 0 } });
    const empty = await fetch(`${proxy.url}/v2/library/busybox/blobs/${layer.digest}`);
    await expect(empty.arrayBuffer()).rejects.toThrow();
  });

  test("flips exactly one byte of a blob", async () => {
    const config = manifest.config;
    proxy.inject({ path: /\/blobs\//, fault: { kind: "corrupt" } });
    const url = `${proxy.url}/v2/library/busybox/blobs/${config.digest}`;
    const bad = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const good = new Uint8Array(await (await fetch(url)).arrayBuffer());
    expect(sha256(good)).toBe(config.digest);
    expect(sha256(bad)).not.toBe(config.digest);
    expect(bad.length).toBe(good.length);
    const differing = [...bad].filter((byte, i) => byte !== good[i]).length;
    expect(differing).toBe(1);
    expect(bad[Math.floor(good.length / 2)]).toBe(good[Math.floor(good.length / 2)] ^ 0xff);
  });

  test("stalls after the headers, then continues or drops", async () => {
    const url = `${proxy.url}/v2/library/busybox/blobs/${manifest.config.digest}`;
    proxy.inject({ path: /\/blobs\//, fault: { kind: "stall", ms: 600 } });
    const res = await fetch(url);
    // The headers come at once; the body only after the stall.
    const headersAt = Date.now();
    const body = new Uint8Array(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(Date.now() - headersAt).toBeGreaterThanOrEqual(500);
    expect(sha256(body)).toBe(manifest.config.digest);

    proxy.inject({ path: /\/blobs\//, fault: { kind: "stall", ms: 200, then: "drop" } });
    const dropped = await fetch(url);
    await expect(dropped.arrayBuffer()).rejects.toThrow();
  });

  test("passes Range through", async () => {
    const layer = manifest.layers[0];
    const res = await fetch(`${proxy.url}/v2/library/busybox/blobs/${layer.digest}`, {
      headers: { range: "bytes=10-19" },
    });
    const part = new Uint8Array(await res.arrayBuffer());
    expect(res.status).toBe(206);
    expect(part.length).toBe(10);
    const whole = new Uint8Array(
      await (await fetch(`${registry.url}/v2/library/busybox/blobs/${layer.digest}`)).arrayBuffer(),
    );
    expect([...part]).toEqual([...whole.subarray(10, 20)]);
    expect(proxy.log[0].range).toBe("bytes=10-19");
  });

  test("redirects blob GETs to a second origin that logs Authorization", async () => {
    const url = `${proxy.url}/v2/library/busybox/blobs/${manifest.config.digest}`;
    proxy.inject({
      path: /\/blobs\//,
      method: "GET",
      times: Infinity,
      fault: { kind: "redirect" },
    });
    // fetch drops Authorization on a cross-origin redirect, as clients should.
    const followed = await fetch(url, { headers: { authorization: "Bearer not-checked" } });
    expect(sha256(new Uint8Array(await followed.arrayBuffer()))).toBe(manifest.config.digest);
    const manual = await fetch(url, {
      headers: { authorization: "Bearer leaked" },
      redirect: "manual",
    });
    expect(manual.status).toBe(307);
    const location = manual.headers.get("location")!;
    expect(location.startsWith(proxy.secondOrigin)).toBe(true);
    const leaked = await fetch(location, { headers: { authorization: "Bearer leaked" } });
    expect(leaked.status).toBe(200);
    await leaked.arrayBuffer();
    expect(proxy.log.map((e) => [e.origin, e.status, e.authorization])).toEqual([
      ["proxy", 307, true],
      ["second", 200, false],
      ["proxy", 307, true],
      ["second", 200, true],
    ]);

    proxy.clearFaults();
    proxy.inject({ path: /\/blobs\//, fault: { kind: "redirect", rejectAuthorization: true } });
    const strict = await fetch(url, { redirect: "manual" });
    const target = strict.headers.get("location")!;
    expect((await fetch(target, { headers: { authorization: "Bearer leaked" } })).status).toBe(400);
    expect((await fetch(target)).status).toBe(200);
  });
  test("faults on the second origin too", async () => {
    const url = `${proxy.url}/v2/library/busybox/blobs/${manifest.layers[0].digest}`;
    proxy.inject({ path: /\/blobs\//, fault: { kind: "redirect" } });
    const rule = proxy.inject({
      origin: "second",
      path: /^\/r\//,
      fault: { kind: "drop", afterBytes: 100 },
    });
    const res = await fetch(url);
    expect(res.url.startsWith(proxy.secondOrigin)).toBe(true);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(rule.applied).toBe(1);
    expect(proxy.log.map((e) => [e.origin, e.fault])).toEqual([
      ["proxy", "redirect"],
      ["second", "drop"],
    ]);
  });
});

describe("registry with htpasswd auth", () => {
  let registry: RegistryHandle;
  let proxy: FaultProxyHandle;

  beforeAll(async () => {
    registry = await startRegistry({ auth: "htpasswd" });
    proxy = await startFaultProxy({ upstream: registry.host });
    await pushExampleBusybox(registry, "library/busybox");
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  test("demands Basic credentials", async () => {
    const anonymous = await getManifest(registry.url, "library/busybox", "latest");
    expect(anonymous.res.status).toBe(401);
    expect(anonymous.res.headers.get("www-authenticate")).toMatch(/^Basic realm="oci2erofs-test"/);
    const wrong = await getManifest(registry.url, "library/busybox", "latest", {
      authorization: basicAuth({ username: registry.credentials!.username, password: "wrong" }),
    });
    expect(wrong.res.status).toBe(401);
    const authed = await getManifest(registry.url, "library/busybox", "latest", {
      authorization: basicAuth(registry.credentials!),
    });
    expect(authed.res.status).toBe(200);
    expect(authed.json().mediaType).toBe(OCI_MANIFEST);
  });

  test("skopeo inspect through the proxy forwards credentials", async () => {
    const { username, password } = registry.credentials!;
    const { stdout } = await run("skopeo", [
      "inspect",
      "--tls-verify=false",
      "--creds",
      `${username}:${password}`,
      `docker://${proxy.host}/library/busybox:latest`,
    ], { check: true });
    expect(JSON.parse(stdout).Layers).toHaveLength(2);
    expect(proxy.log.some((e) => e.authorization && e.status === 200)).toBe(true);
  });

  test("the second origin fetches with the redirected request's credentials", async () => {
    const auth = await authHeaders(registry, "repository:library/busybox:pull");
    const manifest = (await getManifest(registry.url, "library/busybox", "latest", auth)).json();
    proxy.clearLog();
    proxy.inject({ path: /\/blobs\//, fault: { kind: "redirect" } });
    const res = await fetch(`${proxy.url}/v2/library/busybox/blobs/${manifest.config.digest}`, {
      headers: auth,
    });
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(manifest.config.digest);
    expect(proxy.log.map((e) => [e.origin, e.authorization])).toEqual([["proxy", true], [
      "second",
      false,
    ]]);
  });
});

describe("registry with token auth", () => {
  let registry: RegistryHandle;
  let multi: Awaited<ReturnType<typeof pushMultiPlatform>>;

  beforeAll(async () => {
    registry = await startRegistry({
      auth: "token",
      tokenServer: { publicRepositories: ["library/public"] },
    });
    await pushExampleBusybox(registry, "library/busybox");
    await pushExampleBusybox(registry, "library/public");
    multi = await pushMultiPlatform(registry, "test/multi:v1");
  });
  afterAll(async () => {
    await registry?.stop();
  });

  test("challenges with a Bearer realm and accepts the token server's tokens", async () => {
    const ts = registry.tokenServer!;
    const anonymous = await getManifest(registry.url, "library/busybox", "latest");
    expect(anonymous.res.status).toBe(401);
    const challenge = anonymous.res.headers.get("www-authenticate")!;
    expect(challenge).toContain(`Bearer realm="${ts.realm}"`);
    expect(challenge).toContain(`service="${ts.service}"`);
    expect(challenge).toContain(`scope="repository:library/busybox:pull"`);

    const before = ts.requests.length;
    const auth = await authHeaders(registry, "repository:library/busybox:pull");
    expect(ts.requests.length).toBe(before + 1);
    expect(ts.requests.at(-1)).toMatchObject({ user: registry.credentials!.username, status: 200 });
    const authed = await getManifest(registry.url, "library/busybox", "latest", auth);
    expect(authed.res.status).toBe(200);

    const index = await getManifest(
      registry.url,
      "test/multi",
      "v1",
      await authHeaders(registry, "repository:test/multi:pull"),
    );
    expect(sha256(index.body)).toBe(multi.digest);
  });

  test("anonymous pull only of public repositories; bad credentials refused", async () => {
    const ts = registry.tokenServer!;
    const publicAuth = await authHeaders(registry, "repository:library/public:pull", true);
    expect((await getManifest(registry.url, "library/public", "latest", publicAuth)).res.status)
      .toBe(200);
    const privateAuth = await authHeaders(registry, "repository:library/busybox:pull", true);
    const denied = await getManifest(registry.url, "library/busybox", "latest", privateAuth);
    expect(denied.res.status).toBe(401);
    expect(denied.res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    const bad = await fetch(
      `${ts.realm}?service=${ts.service}&scope=repository:library/busybox:pull`,
      {
        headers: { authorization: basicAuth({ username: "tester", password: "nope" }) },
      },
    );
    expect(bad.status).toBe(401);
  });

  test("identity-token flow: password grant, then refresh_token grant", async () => {
    const ts = registry.tokenServer!;
    const { username, password } = registry.credentials!;
    const scope = "repository:library/busybox:pull";
    const post = (form: Record<string, string>) =>
      fetch(ts.realm, {
        method: "POST",
        body: new URLSearchParams({ service: ts.service, scope, ...form }),
      });
    const first = (await (await post({
      grant_type: "password",
      username,
      password,
      access_type: "offline",
      client_id: "oci2erofs-test",
    })).json()) as { refresh_token: string; access_token: string };
    expect(first.refresh_token).toBeTruthy();
    const second =
      (await (await post({ grant_type: "refresh_token", refresh_token: first.refresh_token }))
        .json()) as { access_token: string; expires_in: number };
    expect(second.expires_in).toBe(300);
    const res = await getManifest(registry.url, "library/busybox", "latest", {
      authorization: `Bearer ${second.access_token}`,
    });
    expect(res.res.status).toBe(200);
    expect((await post({ grant_type: "refresh_token", refresh_token: "bogus" })).status).toBe(401);
  });

  test("skopeo inspect through the fault proxy with token auth", async () => {
    const proxy = await startFaultProxy({ upstream: registry.host });
    try {
      const { username, password } = registry.credentials!;
      const { stdout } = await run("skopeo", [
        "inspect",
        "--tls-verify=false",
        "--raw",
        "--creds",
        `${username}:${password}`,
        `docker://${proxy.host}/test/multi:v1`,
      ], { check: true });
      expect(JSON.parse(stdout).manifests).toHaveLength(3);
      // skopeo went to the realm directly, with the account's credentials.
      expect(registry.tokenServer!.requests.at(-1)).toMatchObject({
        method: "GET",
        user: registry.credentials!.username,
        scopes: ["repository:test/multi:pull"],
      });
      expect(proxy.log.some((e) => e.status === 401)).toBe(true);
      expect(proxy.log.some((e) => e.authorization && e.status === 200)).toBe(true);
    } finally {
      await proxy.stop();
    }
  });

  test("ES256 tokens naming the key by libtrust kid only", async () => {
    const other = await startRegistry({
      auth: "token",
      tokenServer: { algorithm: "ES256", keyIdentification: "kid" },
    });
    try {
      expect(other.tokenServer!.keyId).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
      await pushExampleBusybox(other, "library/busybox");
      const auth = await authHeaders(other, "repository:library/busybox:pull");
      expect((await getManifest(other.url, "library/busybox", "latest", auth)).res.status).toBe(
        200,
      );
    } finally {
      await other.stop();
    }
  });
});
