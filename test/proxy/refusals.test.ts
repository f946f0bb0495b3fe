/**
 * What the proxy refuses, and how it answers browsers: hosts off the
 * allow-list; private, loopback, link-local, CGNAT and metadata targets
 * (as literals, through a DNS name resolving there — an injected resolver —
 * and as redirect targets); methods other than GET and HEAD; paths outside
 * `/v2/` and the token realms; oversized manifests; floods. Preflights and
 * exposed headers. Upstreams here are a real registry and tiny local
 * servers that redirect.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyAddress, createRegistryProxy, rewriteRealms } from "../../src/proxy/mod.ts";
import type { RegistryProxyOptions } from "../../src/proxy/mod.ts";
import { type HttpServer, serveHttp } from "../../src/runtime/http_server.ts";
import { type RegistryHandle, startRegistry } from "../support/registry.ts";
import { pushExampleBusybox } from "../support/registry_images.ts";

const P = "http://proxy.test";

let registry: RegistryHandle;
let redirector: HttpServer;
let redirectTo = "";
beforeAll(async () => {
  registry = await startRegistry({ auth: "none" });
  await pushExampleBusybox(registry, "library/busybox", { format: "oci" });
  // An upstream that redirects every request to `redirectTo`.
  redirector = await serveHttp(() =>
    new Response(null, { status: 307, headers: { location: redirectTo } })
  );
});
afterAll(async () => {
  await redirector?.close();
  await registry?.stop();
});

function proxyFor(options: RegistryProxyOptions = {}) {
  const local = {
    allowList: { registries: [registry.host], realms: [], blobHosts: [] },
    plainHttp: [registry.host],
    allowPrivateAddresses: true,
    ...options,
  };
  return createRegistryProxy(local);
}

async function status(
  handler: (r: Request) => Promise<Response>,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; message: string; headers: Headers }> {
  const response = await handler(new Request(`${P}${path}`, init));
  const text = await response.text();
  let message = "";
  try {
    message = JSON.parse(text).errors?.[0]?.message ?? "";
  } catch {
    // Not an error body.
  }
  return { status: response.status, message, headers: response.headers };
}

describe("upstream targets", () => {
  it("forwards an allowed registry's /v2/ (the baseline)", async () => {
    const r = await status(proxyFor(), `/${registry.host}/v2/library/busybox/tags/list`);
    expect(r.status).toBe(200);
  });

  it("refuses hosts not on the allow-list", async () => {
    const proxy = createRegistryProxy(); // the public defaults
    for (const host of ["example.com", "evil.ghcr.io.example.com", "ghcr.io:8443"]) {
      const r = await status(proxy, `/${host}/v2/`);
      expect(r.status, host).toBe(403);
      expect(r.message).toMatch(/not an allowed registry/);
    }
  });

  it("refuses loopback, private, link-local, CGNAT and metadata addresses", async () => {
    const targets = [
      registry.host,
      "10.1.2.3",
      "192.168.0.1",
      "172.20.0.1",
      "169.254.1.1",
      "100.64.0.1",
      "169.254.169.254",
      "[::1]",
      "[fd00:ec2::254]",
      "[::ffff:127.0.0.1]",
      "[fe80::1]",
      "localhost:5000",
      "0x7f.1", // the URL parser's 127.0.0.1
    ];
    const proxy = createRegistryProxy({
      allowList: { registries: targets, realms: [], blobHosts: [] },
      plainHttp: targets,
    });
    for (const host of targets) {
      const r = await status(proxy, `/${host}/v2/`);
      expect(r.status, host).toBe(403);
      expect(r.message, host).toMatch(/is a (loopback|private|link-local|cgnat|metadata|reserved)/);
    }
  });

  it("refuses metadata addresses even when private ones are allowed", async () => {
    const targets = ["169.254.169.254", "[fd00:ec2::254]"];
    const proxy = proxyFor({
      allowList: { registries: targets, realms: [], blobHosts: [] },
      plainHttp: targets,
    });
    for (const host of targets) {
      const r = await status(proxy, `/${host}/v2/`);
      expect(r.status, host).toBe(403);
      expect(r.message).toMatch(/metadata/);
    }
  });

  it("refuses a DNS name that resolves to a loopback address", async () => {
    const port = registry.host.split(":")[1];
    const proxy = createRegistryProxy({
      allowList: { registries: [`registry.test:${port}`], realms: [], blobHosts: [] },
      plainHttp: [`registry.test:${port}`],
      resolve: (name) =>
        Promise.resolve(name === "registry.test" ? ["203.0.114.9", "127.0.0.1"] : []),
    });
    const r = await status(proxy, `/registry.test:${port}/v2/`);
    expect(r.status).toBe(403);
    expect(r.message).toMatch(/registry\.test \(resolves to 127\.0\.0\.1\) is a loopback address/);
  });

  it("checks every redirect hop: metadata, off-list and (via DNS) loopback targets", async () => {
    const via = proxyFor({
      allowList: {
        registries: [redirector.url.slice(7)],
        realms: [],
        blobHosts: ["169.254.169.254", registry.host],
      },
      plainHttp: [redirector.url.slice(7), "169.254.169.254", registry.host],
    });
    const hop = `/${redirector.url.slice(7)}/v2/library/busybox/blobs/sha256:00`;
    redirectTo = "http://169.254.169.254/latest/meta-data/";
    expect((await status(via, hop)).message).toMatch(/169\.254\.169\.254 is a metadata address/);
    redirectTo = "https://evil.example/x";
    expect((await status(via, hop)).message).toMatch(/evil\.example is not an allowed redirect/);
    redirectTo = `http://${registry.host}/v2/`; // allowed host, private addresses allowed: followed
    expect((await status(via, hop)).status).toBe(200);

    // A public-looking first hop (resolver: public; the fetch dials loopback,
    // as DNS would) redirecting to loopback, with private addresses refused.
    const port = redirector.url.split(":")[2];
    const strict = createRegistryProxy({
      allowList: {
        registries: [`public.test:${port}`],
        realms: [],
        blobHosts: [registry.host],
      },
      plainHttp: [`public.test:${port}`, registry.host],
      resolve: (name) => Promise.resolve(name === "public.test" ? ["93.184.216.34"] : []),
      fetch: (input, init) => fetch(String(input).replace("public.test", "127.0.0.1"), init),
    });
    redirectTo = `http://${registry.host}/v2/`;
    const r = await status(strict, `/public.test:${port}/v2/x`);
    expect(r.status).toBe(403);
    expect(r.message).toMatch(/127\.0\.0\.1 is a loopback address/);
  });

  it("gives up on redirect loops", async () => {
    const host = redirector.url.slice(7);
    const proxy = proxyFor({
      allowList: { registries: [host], realms: [], blobHosts: [] },
      plainHttp: [host],
    });
    redirectTo = `${redirector.url}/v2/again`;
    const r = await status(proxy, `/${host}/v2/again`);
    expect(r.status).toBe(502);
    expect(r.message).toMatch(/redirect loop/);
  });
});

describe("requests", () => {
  it("refuses methods other than GET and HEAD", async () => {
    const proxy = proxyFor();
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const r = await status(proxy, `/${registry.host}/v2/library/busybox/blobs/uploads/`, {
        method,
        body: method === "DELETE" ? undefined : "x",
      });
      expect(r.status, method).toBe(405);
      expect(r.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    }
    expect((await status(proxy, `/${registry.host}/v2/`, { method: "HEAD" })).status).toBe(200);
  });

  it("refuses paths outside /v2/ and the token realms", async () => {
    const proxy = proxyFor({
      allowList: { registries: [registry.host], realms: [`${registry.host}/token`], blobHosts: [] },
    });
    for (
      const path of [
        "/",
        `/${registry.host}`,
        `/${registry.host}/`,
        `/${registry.host}/v1/_ping`,
        `/${registry.host}/debug/vars`,
        `/${registry.host}/v2/../metrics`,
        `/${registry.host}/v2/%2e%2e/metrics`,
        `/token/${registry.host}/v2/`,
        `/token/${registry.host}/other`,
        `/token/example.com/token`,
        "/user:pass@host/v2/",
      ]
    ) {
      const r = await status(proxy, path);
      expect(r.status, path).toBe(403);
    }
  });

  it("caps manifests, not blobs", async () => {
    const proxy = proxyFor({ maxDocumentBytes: 100 });
    const r = await status(proxy, `/${registry.host}/v2/library/busybox/manifests/latest`, {
      headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    expect(r.status).toBe(502);
    expect(r.message).toMatch(/at most 100 forwarded/);
    const manifest = await (await proxyFor()(
      new Request(`${P}/${registry.host}/v2/library/busybox/manifests/latest`, {
        headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
      }),
    )).json() as { layers: { digest: string; size: number }[] };
    const layer = manifest.layers[0];
    const blob = await proxy(
      new Request(`${P}/${registry.host}/v2/library/busybox/blobs/${layer.digest}`),
    );
    expect(blob.status).toBe(200);
    expect((await blob.arrayBuffer()).byteLength).toBe(layer.size);
  });

  it("limits the request rate per client", async () => {
    const proxy = createRegistryProxy({
      ...{
        allowList: { registries: [registry.host], realms: [], blobHosts: [] },
        plainHttp: [registry.host],
        allowPrivateAddresses: true,
      },
      rateLimit: { requests: 3, windowMs: 60_000 },
    });
    const ask = (client: string) =>
      proxy(new Request(`${P}/${registry.host}/v2/`), { remoteAddress: client });
    for (let i = 0; i < 3; i++) expect((await ask("198.51.100.1")).status).toBe(200);
    const limited = await ask("198.51.100.1");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await ask("198.51.100.2")).status).toBe(200);
  });
});

describe("CORS", () => {
  it("answers preflights for GET/HEAD with the forwarded headers, refuses others", async () => {
    const proxy = proxyFor();
    const ok = await proxy(
      new Request(`${P}/${registry.host}/v2/library/busybox/manifests/latest`, {
        method: "OPTIONS",
        headers: {
          origin: "https://page.example",
          "access-control-request-method": "GET",
          "access-control-request-headers": "authorization, accept, range",
        },
      }),
    );
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("*");
    expect(ok.headers.get("access-control-allow-methods")).toBe("GET, HEAD");
    expect(ok.headers.get("access-control-allow-headers")).toMatch(/authorization.*range/);
    const post = await proxy(
      new Request(`${P}/${registry.host}/v2/`, {
        method: "OPTIONS",
        headers: { origin: "https://page.example", "access-control-request-method": "POST" },
      }),
    );
    expect(post.status).toBe(403);
    const cookie = await proxy(
      new Request(`${P}/${registry.host}/v2/`, {
        method: "OPTIONS",
        headers: {
          origin: "https://page.example",
          "access-control-request-method": "GET",
          "access-control-request-headers": "cookie",
        },
      }),
    );
    expect(cookie.status).toBe(403);
  });

  it("exposes the headers a registry client reads", async () => {
    const response = await proxyFor()(
      new Request(`${P}/${registry.host}/v2/library/busybox/manifests/latest`, {
        headers: {
          origin: "https://page.example",
          accept: "application/vnd.oci.image.manifest.v1+json",
        },
      }),
    );
    await response.body?.cancel();
    expect(response.status).toBe(200);
    expect(response.headers.get("docker-content-digest")).toMatch(/^sha256:/);
    const exposed = response.headers.get("access-control-expose-headers") ?? "";
    for (
      const name of [
        "WWW-Authenticate",
        "Docker-Content-Digest",
        "Content-Length",
        "Content-Range",
        "Retry-After",
      ]
    ) expect(exposed).toContain(name);
  });

  it("restricts page origins when told to", async () => {
    const proxy = proxyFor({ allowedOrigins: ["https://page.example"] });
    const other = await proxy(
      new Request(`${P}/${registry.host}/v2/`, { headers: { origin: "https://evil.example" } }),
    );
    expect(other.status).toBe(403);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const page = await proxy(
      new Request(`${P}/${registry.host}/v2/`, { headers: { origin: "https://page.example" } }),
    );
    expect(page.status).toBe(200);
    expect(page.headers.get("access-control-allow-origin")).toBe("https://page.example");
    expect(page.headers.get("vary")).toBe("Origin");
  });
});

it("serves under a path prefix and rewrites realms to it (publicUrl)", async () => {
  const proxy = proxyFor({ publicUrl: "https://pages.example/proxy/" });
  expect((await proxy(new Request(`${P}/proxy/${registry.host}/v2/`))).status).toBe(200);
  expect((await proxy(new Request(`${P}/${registry.host}/v2/`))).status).toBe(403);
  expect(
    rewriteRealms(
      'Bearer realm="https://auth.docker.io/token?x=1",service="registry.docker.io",scope="a"',
      new URL("https://pages.example/proxy"),
    ),
  ).toBe(
    'Bearer realm="https://pages.example/proxy/token/auth.docker.io/token?x=1",' +
      'service="registry.docker.io",scope="a"',
  );
  expect(rewriteRealms('Basic realm="Registry Realm"', new URL(P))).toBe(
    'Basic realm="Registry Realm"',
  );
});

it("classifies addresses by their bytes", () => {
  expect(classifyAddress("8.8.8.8")).toBeUndefined();
  expect(classifyAddress("2606:4700::1111")).toBeUndefined();
  expect(classifyAddress("127.255.0.1")).toBe("loopback");
  expect(classifyAddress("::ffff:10.0.0.1")).toBe("private");
  expect(classifyAddress("64:ff9b::a9fe:a9fe")).toBe("metadata");
  expect(classifyAddress("2002:7f00:1::")).toBe("loopback");
  expect(classifyAddress("fc00::1")).toBe("private");
  expect(classifyAddress("ff02::1")).toBe("multicast");
  expect(classifyAddress("::")).toBe("reserved");
  expect(classifyAddress("not-an-address")).toBe("reserved");
});
