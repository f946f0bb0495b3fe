// The token client and the Authenticator against a local HTTP server: what
// the server sees (query, Authorization, form), what comes back, caching
// and expiry, garbage answers, and where credentials are (not) sent.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Authenticator, AuthError, TokenClient } from "../../../src/registry/auth/mod.ts";

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  body: string;
}
type Handler = (req: Seen, res: ServerResponse) => void;

let seen: Seen[] = [];
let handler: Handler = () => {};
let base = "";
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => (body += chunk));
  req.on("end", () => {
    const url = new URL(req.url ?? "/", base);
    const entry: Seen = {
      method: req.method ?? "",
      path: url.pathname,
      query: url.searchParams,
      authorization: req.headers.authorization,
      body,
    };
    seen.push(entry);
    handler(entry, res);
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen = [];
  handler = (_req, res) => json(res, { token: "tok" });
});

function json(res: ServerResponse, value: unknown, status = 200): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(typeof value === "string" ? value : JSON.stringify(value));
}
const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

describe("TokenClient", () => {
  it("gets an anonymous token with service and repeated scopes", async () => {
    const client = new TokenClient();
    const token = await client.get({
      realm: `${base}/token`,
      service: "registry.test",
      scopes: ["repository:a:pull", "repository:b:pull"],
    });
    expect(token.token).toBe("tok");
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe("GET");
    expect(seen[0]!.path).toBe("/token");
    expect(seen[0]!.query.get("service")).toBe("registry.test");
    expect(seen[0]!.query.getAll("scope")).toEqual(["repository:a:pull", "repository:b:pull"]);
    expect(seen[0]!.authorization).toBeUndefined();
  });

  it("keeps the realm's own query and sends Basic credentials to it", async () => {
    const client = new TokenClient();
    await client.get({
      realm: `${base}/token?account=x`,
      scopes: ["repository:a:pull"],
      credentials: { username: "üser", password: "p:ss" },
    });
    expect(seen[0]!.query.get("account")).toBe("x");
    expect(seen[0]!.query.has("service")).toBe(false);
    expect(seen[0]!.authorization).toBe(basic("üser", "p:ss"));
  });

  it("exchanges an identity token with a form POST", async () => {
    handler = (_req, res) => json(res, { access_token: "acc", refresh_token: "new" });
    const client = new TokenClient({ clientId: "tests" });
    const token = await client.get({
      realm: `${base}/oauth`,
      service: "svc",
      scopes: ["repository:a:pull", "repository:b:pull"],
      credentials: { identityToken: "refresh-me" },
    });
    expect(token.token).toBe("acc");
    expect(seen[0]!.method).toBe("POST");
    expect(seen[0]!.authorization).toBeUndefined();
    const form = new URLSearchParams(seen[0]!.body);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: "refresh_token",
      refresh_token: "refresh-me",
      client_id: "tests",
      service: "svc",
      scope: "repository:a:pull repository:b:pull",
    });
  });

  it("prefers token over access_token and keeps issued_at", async () => {
    handler = (_req, res) =>
      json(res, { token: "t1", access_token: "t2", issued_at: "2026-01-01T00:00:00Z" });
    const token = await new TokenClient().get({ realm: `${base}/t`, scopes: [] });
    expect(token.token).toBe("t1");
    expect(token.issuedAt?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    handler = (_req, res) => json(res, { token: "", access_token: "t2" });
    expect((await new TokenClient().get({ realm: `${base}/t`, scopes: [] })).token).toBe("t2");
  });

  it("caches per realm, service, scopes and identity until shortly before expiry", async () => {
    let now = 1_000_000;
    let n = 0;
    handler = (_req, res) => json(res, { token: `t${++n}`, expires_in: 300 });
    const client = new TokenClient({ now: () => now });
    const request = { realm: `${base}/t`, service: "s", scopes: ["repository:a:pull"] };
    const first = await client.get(request);
    expect(first.token).toBe("t1");
    expect(first.expiresAt).toBe(1_000_000 + 300_000 - 10_000);
    expect((await client.get({ ...request, scopes: ["repository:a:pull"] })).token).toBe("t1");
    expect(seen).toHaveLength(1);
    // Another scope, service or identity is another token.
    expect((await client.get({ ...request, scopes: ["repository:b:pull"] })).token).toBe("t2");
    expect((await client.get({ ...request, service: "other" })).token).toBe("t3");
    expect((await client.get({ ...request, credentials: { username: "u", password: "p" } })).token)
      .toBe("t4");
    // Within the margin before expiry: fetched again.
    now += 291_000;
    expect((await client.get(request)).token).toBe("t5");
    // Invalidated: fetched again.
    client.invalidate(request);
    expect((await client.get(request)).token).toBe("t6");
    expect(seen).toHaveLength(6);
  });

  it("assumes 60 seconds when expires_in is absent", async () => {
    let now = 0;
    const client = new TokenClient({ now: () => now });
    const request = { realm: `${base}/t`, scopes: [] };
    expect((await client.get(request)).expiresAt).toBe(54_000);
    now = 53_999;
    await client.get(request);
    expect(seen).toHaveLength(1);
    now = 54_000;
    await client.get(request);
    expect(seen).toHaveLength(2);
  });

  it("shares one request among concurrent callers", async () => {
    const client = new TokenClient();
    const request = { realm: `${base}/t`, scopes: ["x"] };
    const tokens = await Promise.all([
      client.get(request),
      client.get(request),
      client.get(request),
    ]);
    expect(tokens.map((t) => t.token)).toEqual(["tok", "tok", "tok"]);
    expect(seen).toHaveLength(1);
  });

  it("lets one caller give up without failing the others, and aborts when all have", async () => {
    let release: () => void = () => {};
    handler = (_req, res) => {
      release = () => json(res, { token: "slow" });
    };
    const client = new TokenClient();
    const request = { realm: `${base}/t`, scopes: ["x"] };
    const quitter = new AbortController();
    const first = client.get(request, quitter.signal);
    const second = client.get(request);
    await new Promise((resolve) => setTimeout(resolve, 50));
    quitter.abort(new Error("user gave up"));
    await expect(first).rejects.toThrow("user gave up");
    release();
    expect((await second).token).toBe("slow");
    expect(seen).toHaveLength(1);

    // Everyone gives up: the request is aborted and the next caller starts afresh.
    handler = () => {};
    const alone = new AbortController();
    const abandoned = client.get({ ...request, scopes: ["y"] }, alone.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    alone.abort(new Error("bye"));
    await expect(abandoned).rejects.toThrow("bye");
    handler = (_req, res) => json(res, { token: "fresh" });
    expect((await client.get({ ...request, scopes: ["y"] })).token).toBe("fresh");
  });

  it("refuses garbage with a message naming the realm and no secret", async () => {
    const garbage: [(res: ServerResponse) => void, string][] = [
      [(res) => json(res, "not json{"), "not JSON"],
      [(res) => json(res, "[1]"), "not an object"],
      [(res) => json(res, {}), 'without a "token" or "access_token" string'],
      [(res) => json(res, { token: 42 }), 'without a "token"'],
      [(res) => json(res, { token: "a b" }), "malformed token"],
      [(res) => json(res, { token: "t", expires_in: "300" }), 'invalid "expires_in"'],
      [(res) => json(res, { token: "t", expires_in: -1 }), 'invalid "expires_in"'],
      [(res) => json(res, { errors: [] }, 401), "answered 401 (credentials refused)"],
      [(res) => json(res, "oops", 500), "answered 500"],
      [(res) => json(res, "x".repeat(2 << 20)), "more than"],
    ];
    for (const [answer, message] of garbage) {
      handler = (_req, res) => answer(res);
      const promise = new TokenClient().get({
        realm: `${base}/realm`,
        scopes: [],
        credentials: { username: "user", password: "hunter2" },
      });
      const error = await promise.then(() => undefined, (e: unknown) => e);
      expect(error, message).toBeInstanceOf(AuthError);
      const text = String((error as Error).message);
      expect(text).toContain(message);
      expect(text).toContain(`${base}/realm`);
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain(Buffer.from("user:hunter2").toString("base64"));
    }
  });

  it("refuses realms that are not http(s) URLs", async () => {
    await expect(new TokenClient().get({ realm: "ftp://x/t", scopes: [] })).rejects.toThrow(
      "not an http(s) URL",
    );
    await expect(new TokenClient().get({ realm: "/relative", scopes: [] })).rejects.toThrow(
      "not a URL",
    );
  });

  it("follows a same-origin redirect with credentials but not a cross-origin one", async () => {
    const other = base.replace("127.0.0.1", "localhost");
    handler = (req, res) => {
      if (req.path === "/moved") {
        res.writeHead(307, { location: "/token" }).end();
      } else if (req.path === "/away") {
        res.writeHead(302, { location: `${other}/token` }).end();
      } else json(res, { token: "tok" });
    };
    const credentials = { username: "u", password: "p" };
    expect((await new TokenClient().get({ realm: `${base}/moved`, scopes: [], credentials })).token)
      .toBe("tok");
    expect(seen.map((s) => [s.path, s.authorization])).toEqual([["/moved", basic("u", "p")], [
      "/token",
      basic("u", "p"),
    ]]);
    seen = [];
    await expect(new TokenClient().get({ realm: `${base}/away`, scopes: [], credentials })).rejects
      .toThrow(
        "not following it with credentials",
      );
    expect(seen.map((s) => s.path)).toEqual(["/away"]);
    // Anonymous: nothing to leak, redirects are followed.
    seen = [];
    expect((await new TokenClient().get({ realm: `${base}/away`, scopes: [] })).token).toBe("tok");
  });
});

describe("Authenticator", () => {
  const registry = () => `${base}/`;
  const bearer = () => `Bearer realm="${base}/token",service="registry.test"`;

  /** The HTTP client's loop: try, on 401 learn, retry once. */
  async function get(auth: Authenticator, url: string, repository: string): Promise<Response> {
    const sent = await auth.authorize(new Request(url), repository);
    let response = await fetch(sent);
    if (response.status === 401 && (await auth.handleChallenge(sent, response, repository))) {
      await response.body?.cancel();
      response = await fetch(await auth.authorize(sent, repository));
    }
    return response;
  }

  it("answers a Bearer challenge with a token, builds the scope, and reuses the token", async () => {
    handler = (req, res) => {
      if (req.path === "/token") return json(res, { token: "abc", expires_in: 300 });
      if (req.authorization === "Bearer abc") return json(res, { ok: true });
      res.writeHead(401, { "www-authenticate": bearer() }).end();
    };
    const auth = new Authenticator({
      origin: registry(),
      credentials: { username: "u", password: "p" },
    });
    const response = await get(
      auth,
      `${base}/v2/library/alpine/manifests/latest`,
      "library/alpine",
    );
    expect(response.status).toBe(200);
    const token = seen.find((s) => s.path === "/token")!;
    expect(token.query.getAll("scope")).toEqual(["repository:library/alpine:pull"]);
    expect(token.query.get("service")).toBe("registry.test");
    expect(token.authorization).toBe(basic("u", "p"));
    // Credentials went to the realm only, never to the registry endpoints.
    expect(
      seen.filter((s) => s.path !== "/token").every((s) => !s.authorization?.startsWith("Basic")),
    ).toBe(true);
    seen = [];
    expect((await get(auth, `${base}/v2/library/alpine/blobs/sha256:x`, "library/alpine")).status)
      .toBe(200);
    expect(seen.map((s) => [s.path, s.authorization])).toEqual([[
      "/v2/library/alpine/blobs/sha256:x",
      "Bearer abc",
    ]]);
  });

  it("uses the challenge's scope, and drops a refused token", async () => {
    let issued = 0;
    let accepted = "";
    handler = (req, res) => {
      if (req.path === "/token") return json(res, { token: `t${++issued}`, expires_in: 300 });
      if (req.authorization === `Bearer ${accepted}`) return json(res, {});
      res.writeHead(401, {
        "www-authenticate": `${bearer()},scope="repository:x:pull,push"`,
      }).end();
    };
    const auth = new Authenticator({ origin: registry() });
    accepted = "t1";
    expect((await get(auth, `${base}/v2/x/manifests/1`, "x")).status).toBe(200);
    expect(seen.find((s) => s.path === "/token")!.query.getAll("scope")).toEqual([
      "repository:x:pull,push",
    ]);
    // The registry revokes t1: the 401 drops it and a new one is fetched.
    accepted = "t2";
    seen = [];
    expect((await get(auth, `${base}/v2/x/manifests/1`, "x")).status).toBe(200);
    expect(seen.map((s) => s.path)).toEqual(["/v2/x/manifests/1", "/token", "/v2/x/manifests/1"]);
  });

  it("sends Basic credentials on every request after a Basic challenge, and gives up when refused", async () => {
    handler = (req, res) => {
      if (req.authorization === basic("u", "p")) return json(res, {});
      res.writeHead(401, { "www-authenticate": 'Basic realm="Registry"' }).end();
    };
    const auth = new Authenticator({
      origin: registry(),
      credentials: () => Promise.resolve({ username: "u", password: "p" }),
    });
    expect((await get(auth, `${base}/v2/x/manifests/1`, "x")).status).toBe(200);
    seen = [];
    expect((await get(auth, `${base}/v2/x/blobs/1`, "x")).status).toBe(200);
    expect(seen.map((s) => s.authorization)).toEqual([basic("u", "p")]);

    const wrong = new Authenticator({
      origin: registry(),
      credentials: { username: "u", password: "bad" },
    });
    seen = [];
    expect((await get(wrong, `${base}/v2/x/manifests/1`, "x")).status).toBe(401);
    expect(seen).toHaveLength(2);
    const anonymous = new Authenticator({ origin: registry() });
    seen = [];
    expect((await get(anonymous, `${base}/v2/x/manifests/1`, "x")).status).toBe(401);
    expect(seen).toHaveLength(1);
  });

  it("adds nothing to requests for other origins and does not resolve credentials for public images", async () => {
    let asked = 0;
    const auth = new Authenticator({
      origin: registry(),
      credentials: () => (asked++, Promise.resolve({ username: "u", password: "p" })),
    });
    handler = (_req, res) => json(res, {});
    expect((await get(auth, `${base}/v2/public/manifests/1`, "public")).status).toBe(200);
    expect(asked).toBe(0);
    const cdn = new Request(`${base.replace("127.0.0.1", "localhost")}/blob`);
    const bearerResponse = new Response(null, {
      status: 401,
      headers: { "www-authenticate": bearer() },
    });
    expect(await auth.handleChallenge(cdn, bearerResponse, "x")).toBe(false);
    const basicResponse = new Response(null, {
      status: 401,
      headers: { "www-authenticate": "Basic" },
    });
    expect(await auth.handleChallenge(new Request(`${base}/v2/`), basicResponse, "x")).toBe(true);
    expect(await auth.authorize(cdn, "x")).toBe(cdn);
    expect(await auth.authorization(`${base}/v2/`, "x")).toBe(basic("u", "p"));
  });

  it("refuses unusable challenges clearly", async () => {
    const auth = new Authenticator({ origin: "https://registry.test" });
    const request = new Request("https://registry.test/v2/");
    const challenge = (value: string) =>
      new Response(null, { status: 401, headers: { "www-authenticate": value } });
    await expect(auth.handleChallenge(request, challenge('Bearer service="x"'), "x")).rejects
      .toThrow("without a realm");
    await expect(auth.handleChallenge(request, challenge('Bearer realm="/t"'), "x")).rejects
      .toThrow("not a URL");
    await expect(auth.handleChallenge(request, challenge('Bearer realm="http://auth.test/t"'), "x"))
      .rejects.toThrow(
        "plain-HTTP token realm",
      );
    await expect(auth.handleChallenge(request, challenge('Bearer realm="unterminated'), "x"))
      .rejects.toThrow(
        "cannot be parsed",
      );
    expect(await auth.handleChallenge(request, challenge("Negotiate abc"), "x")).toBe(false);
    expect(await auth.handleChallenge(request, new Response(null, { status: 401 }), "x")).toBe(
      false,
    );
  });
});
