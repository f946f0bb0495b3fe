/**
 * Pulling through the CORS registry proxy, served over real HTTP by the
 * Node adapter, from a real registry (Debian's docker-registry) in its three
 * auth setups: the image equals, byte for byte, the CLI's direct pull.
 * Token auth proves the realm rewrite (token requests come back through the
 * proxy); a captured log proves no password, Basic value or token is ever
 * logged. A blob redirect to another origin is followed by the proxy, which
 * drops `Authorization` on the way.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convert, type ConvertOptions } from "../../src/convert/mod.ts";
import { createRegistryProxy, type ProxyLogEvent } from "../../src/proxy/mod.ts";
import type { RegistryProxyOptions } from "../../src/proxy/mod.ts";
import { type HttpServer, serveHttp } from "../../src/runtime/http_server.ts";
import { systemResolver } from "../../src/runtime/dns.ts";
import { cliPull } from "../support/cli.ts";
import { startFaultProxy } from "../support/fault_proxy.ts";
import { basicAuth, type RegistryHandle, startRegistry } from "../support/registry.ts";
import { pushExampleBusybox } from "../support/registry_images.ts";

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "oci2erofs-proxy-"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** The image of `location`, built in-process through the library API (`convert({ proxy })`). */
async function build(location: string, options: ConvertOptions): Promise<Uint8Array> {
  const conversion = await convert(location, { env: {}, ...options });
  const parts: Uint8Array[] = [];
  for await (const chunk of conversion.chunks()) parts.push(chunk.slice());
  return new Uint8Array(Buffer.concat(parts));
}

/** Runs the proxy over HTTP, logging into `events` and recording token answers into `tokens`. */
async function startProxy(
  options: RegistryProxyOptions,
  events: ProxyLogEvent[],
  tokens: string[],
): Promise<HttpServer> {
  const handler = createRegistryProxy({
    ...options,
    resolve: systemResolver(),
    logger: (event) => events.push(structuredClone(event)),
    // Watches, without changing, what upstreams answer: the token values to look for in logs.
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (new URL(String(input)).pathname.endsWith("/token") && response.ok) {
        const body = await response.clone().json() as { token?: string; access_token?: string };
        for (const t of [body.token, body.access_token]) if (t) tokens.push(t);
      }
      return response;
    },
  });
  return await serveHttp(handler);
}

for (const auth of ["none", "htpasswd", "token"] as const) {
  describe(`through the proxy, registry auth: ${auth}`, () => {
    let registry: RegistryHandle;
    let server: HttpServer;
    const events: ProxyLogEvent[] = [];
    const tokens: string[] = [];
    let direct: Uint8Array;
    beforeAll(async () => {
      registry = await startRegistry({ auth });
      await pushExampleBusybox(registry, "library/busybox", { format: "oci" });
      const realm = registry.tokenServer && new URL(registry.tokenServer.realm);
      server = await startProxy(
        {
          allowList: {
            registries: [registry.host],
            realms: realm ? [`${realm.host}${realm.pathname}`] : [],
            blobHosts: [],
          },
          plainHttp: [registry.host, ...(realm ? [realm.host] : [])],
          allowPrivateAddresses: true,
        },
        events,
        tokens,
      );
      direct = await cliPull(registry, "library/busybox", join(work, `direct-${auth}.erofs`));
    });
    afterAll(async () => {
      await server?.close();
      await registry?.stop();
    });

    it("pulls an image byte-identical to a direct pull", async () => {
      const image = await build(`${registry.host}/library/busybox:latest`, {
        proxy: server.url,
        credentials: registry.credentials,
        anonymous: registry.credentials === undefined,
      });
      expect(Buffer.from(image).equals(direct)).toBe(true);
      const routes = new Set(events.map((e) => e.route));
      expect(routes.has("registry")).toBe(true);
      if (auth === "token") {
        // The realm was rewritten: the token request came through the proxy.
        expect(routes.has("token")).toBe(true);
        expect(tokens.length).toBeGreaterThan(0);
      }
      expect(events.every((e) => e.status < 400 || e.status === 401)).toBe(true);
    });

    if (auth !== "none") {
      it("answers 401 with a realm pointing back at the proxy, and refuses a wrong password", async () => {
        const response = await fetch(`${server.url}/${registry.host}/v2/`, {
          headers: { origin: "https://page.example" },
        });
        await response.body?.cancel();
        expect(response.status).toBe(401);
        const challenge = response.headers.get("www-authenticate") ?? "";
        if (auth === "token") {
          const realm = new URL(registry.tokenServer!.realm);
          expect(challenge).toContain(`realm="${server.url}/token/${realm.host}${realm.pathname}"`);
        } else {
          expect(challenge).toMatch(/^Basic realm="oci2erofs-test"/);
        }
        expect(response.headers.get("access-control-allow-origin")).toBe("*");
        expect(response.headers.get("access-control-expose-headers")).toMatch(/WWW-Authenticate/);
        await expect(build(`${registry.host}/library/busybox:latest`, {
          proxy: server.url,
          credentials: { username: registry.credentials!.username, password: "wrong-secret-42" },
        })).rejects.toThrow(/credentials refused|401/);
      });

      it("never logs passwords, Basic values or tokens, even when sent in a query", async () => {
        const { username, password } = registry.credentials!;
        // A token request with secrets in the query (as some clients send them).
        const realmPath = auth === "token"
          ? `token/${new URL(registry.tokenServer!.realm).host}/token`
          : `${registry.host}/v2/`;
        const secret = "refresh-secret-value-77";
        const response = await fetch(
          `${server.url}/${realmPath}?service=x&password=${secret}&refresh_token=${secret}`,
          { headers: { authorization: basicAuth(registry.credentials!) } },
        );
        await response.body?.cancel();
        const logged = JSON.stringify(events);
        expect(events.length).toBeGreaterThan(3);
        for (
          const needle of [
            password,
            "wrong-secret-42",
            secret,
            basicAuth(registry.credentials!).slice(6),
            ...tokens,
          ]
        ) expect(logged).not.toContain(needle);
        expect(logged).not.toMatch(/basic |bearer /i);
        expect(logged).not.toContain(username); // usernames are not logged either
      });
    }
  });
}

describe("blob redirects", () => {
  let registry: RegistryHandle;
  let server: HttpServer;
  let faults: Awaited<ReturnType<typeof startFaultProxy>>;
  beforeAll(async () => {
    registry = await startRegistry({ auth: "htpasswd" });
    await pushExampleBusybox(registry, "library/busybox", { format: "oci" });
    faults = await startFaultProxy({ upstream: registry.host });
    const second = new URL(faults.secondOrigin).host;
    server = await startProxy(
      {
        allowList: { registries: [faults.host], realms: [], blobHosts: [second] },
        plainHttp: [faults.host, second],
        allowPrivateAddresses: true,
      },
      [],
      [],
    );
  });
  afterAll(async () => {
    await server?.close();
    await faults?.stop();
    await registry?.stop();
  });

  it("follows them itself, dropping Authorization at the new origin", async () => {
    faults.inject({
      path: /\/blobs\//,
      method: "GET",
      times: Infinity,
      fault: { kind: "redirect", rejectAuthorization: true },
    });
    const direct = await build(`${registry.host}/library/busybox:latest`, {
      plainHttp: true,
      credentials: registry.credentials,
    });
    faults.clearLog();
    const image = await build(`${faults.host}/library/busybox:latest`, {
      proxy: server.url,
      credentials: registry.credentials,
    });
    expect(Buffer.from(image).equals(direct)).toBe(true);
    const second = faults.log.filter((e) => e.origin === "second");
    expect(second.length).toBeGreaterThan(0);
    expect(second.every((e) => !e.authorization && e.status === 200)).toBe(true);
  });
});
