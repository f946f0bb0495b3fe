/**
 * A small Docker/OCI token server for tests ({@link startTokenServer}): the
 * "realm" a registry configured with `auth: token` sends clients to. It checks
 * HTTP Basic credentials against a fixed user table, lets anonymous clients
 * pull repositories marked public, and signs JWTs the distribution registry
 * accepts, with a key pair and self-signed certificate made on the spot.
 * Every request is logged so tests can assert that a client caches tokens.
 *
 * Distribution 2.8 (Debian bookworm) finds the signing key from the JWT
 * header in this order: `x5c` (certificate chain, verified against
 * `rootcertbundle`), `jwk`, then `kid` (libtrust key id of a key in
 * `rootcertbundle`). Both `x5c` and `kid` styles are supported here.
 *
 * @module
 */
import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
  X509Certificate,
} from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureCommands, run } from "./system.ts";

/** One `repository:name:actions` grant, as it appears in the JWT `access` claim. */
export interface AccessEntry {
  /** Resource type, normally `"repository"`. */
  type: string;
  /** Resource name, e.g. `"library/busybox"`. */
  name: string;
  /** Granted actions, e.g. `["pull"]`. */
  actions: string[];
}

/** Options for {@link startTokenServer}. */
export interface TokenServerOptions {
  /** The `service` the registry expects as the token audience (default `"oci2erofs-test-registry"`). */
  service?: string;
  /** The `iss` claim the registry expects (default `"oci2erofs-test-token-server"`). */
  issuer?: string;
  /** Accepted Basic credentials, username → password. */
  users?: Record<string, string>;
  /** Repositories anonymous clients may pull (exact names). */
  publicRepositories?: string[];
  /** Signature algorithm: RSA (`RS256`, default) or P-256 (`ES256`). */
  algorithm?: "RS256" | "ES256";
  /**
   * How the JWT header names its key: `"x5c"` (certificate chain, the
   * default) or `"kid"` (libtrust key id only).
   */
  keyIdentification?: "x5c" | "kid";
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number;
}

/** One request the token server answered. */
export interface TokenRequest {
  /** `"GET"` (Basic/anonymous flow) or `"POST"` (OAuth2 form flow). */
  method: string;
  /** The authenticated user, or `undefined` for anonymous requests. */
  user?: string;
  /** Requested scopes, as sent. */
  scopes: string[];
  /** The `service` parameter as sent. */
  service?: string;
  /** `grant_type` of a POST. */
  grantType?: string;
  /** HTTP status answered. */
  status: number;
}

/** A running token server; see {@link startTokenServer}. */
export interface TokenServerHandle {
  /** Base URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** The realm URL to configure in the registry (`${url}/token`). */
  realm: string;
  /** Token audience / registry `service`. */
  service: string;
  /** Token issuer / registry `issuer`. */
  issuer: string;
  /** PEM file holding the self-signed certificate, for `rootcertbundle`. */
  certPath: string;
  /** libtrust key id of the signing key. */
  keyId: string;
  /** Every request answered so far, oldest first. */
  requests: TokenRequest[];
  /** Mints a token directly (bypassing HTTP and the request log). */
  issue(subject: string, access: AccessEntry[]): string;
  /** Stops listening and removes the key material. */
  stop(): Promise<void>;
}

const ALL_ACTIONS = ["pull", "push", "delete", "*"];

/**
 * The libtrust key id distribution uses to look up `kid`: the SHA-256 of the
 * DER SubjectPublicKeyInfo, first 30 bytes, base32 without padding (48
 * characters), in 12 groups of 4 joined by `:`.
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  const digest = createHash("sha256").update(der).digest().subarray(0, 30);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join(":");
}

/** Parses `repository:name:pull,push` (names may contain `:` only before the last one). */
export function parseScope(scope: string): AccessEntry | undefined {
  const parts = scope.split(":");
  if (parts.length < 3) return undefined;
  return {
    type: parts[0],
    name: parts.slice(1, -1).join(":"),
    actions: parts[parts.length - 1].split(",").filter((a) => a !== ""),
  };
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

/**
 * Starts a token server on `127.0.0.1` with a fresh key pair and a
 * self-signed certificate (made with the `openssl` CLI, since node:crypto
 * cannot issue certificates).
 *
 * GET `/token?service=…&scope=…` answers `{token, access_token, expires_in,
 * issued_at}`; POST `/token` with `grant_type=password` (optionally
 * `access_type=offline` for a `refresh_token`) or `grant_type=refresh_token`
 * implements the minimal identity-token flow. Bad credentials get 401;
 * anonymous clients get a token granting pull on public repositories only.
 *
 * @example
 * ```ts
 * const tokens = await startTokenServer({ users: { alice: "secret" } });
 * try { console.log(tokens.realm); } finally { await tokens.stop(); }
 * ```
 */
export async function startTokenServer(
  options: TokenServerOptions = {},
): Promise<TokenServerHandle> {
  await ensureCommands({ openssl: "openssl" });
  const service = options.service ?? "oci2erofs-test-registry";
  const issuer = options.issuer ?? "oci2erofs-test-token-server";
  const users = options.users ?? {};
  const publicRepos = new Set(options.publicRepositories ?? []);
  const algorithm = options.algorithm ?? "RS256";
  const expiresIn = options.expiresIn ?? 300;

  const dir = await mkdtemp(join(tmpdir(), "oci2erofs-token-"));
  try {
    // Lets registry.ts's sweepStaleDirs remove it if this process dies first.
    await writeFile(join(dir, "owner.pid"), String(process.pid));
    const { privateKey, publicKey } = algorithm === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
    const keyPath = join(dir, "key.pem");
    const certPath = join(dir, "cert.pem");
    await writeFile(keyPath, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    await run("openssl", [
      "req",
      "-x509",
      "-new",
      "-key",
      keyPath,
      "-out",
      certPath,
      "-days",
      "2",
      "-subj",
      "/CN=oci2erofs test token signer",
    ], { check: true });
    const cert = new X509Certificate(await readFile(certPath));
    const keyId = libtrustKeyId(publicKey);
    const signer = privateKey;

    const issue = (subject: string, access: AccessEntry[]): string => {
      const header: Record<string, unknown> = { typ: "JWT", alg: algorithm, kid: keyId };
      if ((options.keyIdentification ?? "x5c") === "x5c") {
        header.x5c = [cert.raw.toString("base64")];
      }
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: issuer,
        sub: subject,
        // distribution 2.8 compares `aud` as a single string.
        aud: service,
        exp: now + expiresIn,
        // Backdated so a registry whose clock is a little behind accepts it.
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      };
      const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      // JWS ES256 wants the raw r||s signature, not node's default DER.
      const signature = algorithm === "RS256"
        ? sign("sha256", Buffer.from(input), signer)
        : sign("sha256", Buffer.from(input), { key: signer, dsaEncoding: "ieee-p1363" });
      return `${input}.${b64url(signature)}`;
    };

    const grant = (user: string | undefined, scopes: string[]): AccessEntry[] => {
      const access: AccessEntry[] = [];
      for (const scope of scopes) {
        const wanted = parseScope(scope);
        if (!wanted) continue;
        const allowed = user !== undefined
          ? wanted.actions.filter((a) => ALL_ACTIONS.includes(a))
          : wanted.type === "repository" && publicRepos.has(wanted.name)
          ? wanted.actions.filter((a) => a === "pull")
          : [];
        // Like Docker Hub: an ungranted scope is left out, not refused, so the
        // registry (not the token server) answers "insufficient scope".
        if (allowed.length > 0) access.push({ ...wanted, actions: allowed });
      }
      return access;
    };

    const refreshTokens = new Map<string, string>();
    const requests: TokenRequest[] = [];
    const server: Server = createServer((req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) reply(res, 500, { error: String(error) });
        else res.destroy();
      });
    });

    const reply = (
      res: ServerResponse,
      status: number,
      body: unknown,
      extra: Record<string, string> = {},
    ) => {
      res.writeHead(status, { "content-type": "application/json", ...extra });
      res.end(JSON.stringify(body));
    };

    const tokenBody = (user: string | undefined, scopes: string[]) => {
      const token = issue(user ?? "", grant(user, scopes));
      return {
        token,
        access_token: token,
        expires_in: expiresIn,
        issued_at: new Date().toISOString(),
      };
    };

    // Basic credentials: undefined for none, null for wrong ones.
    const basicUser = (req: IncomingMessage): string | undefined | null => {
      const header = req.headers.authorization;
      if (!header) return undefined;
      const match = /^Basic\s+(.+)$/i.exec(header);
      if (!match) return null;
      const decoded = Buffer.from(match[1], "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const name = decoded.slice(0, colon);
      return colon >= 0 && Object.hasOwn(users, name) && users[name] === decoded.slice(colon + 1)
        ? name
        : null;
    };

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://token.invalid");
      if (url.pathname !== "/token") return reply(res, 404, { error: "not found" });
      if (req.method === "GET") {
        const scopes = url.searchParams.getAll("scope").flatMap((s) => s.split(" ")).filter((s) =>
          s
        );
        const user = basicUser(req);
        const entry: TokenRequest = {
          method: "GET",
          scopes,
          service: url.searchParams.get("service") ?? undefined,
          status: 200,
        };
        requests.push(entry);
        if (user === null) {
          entry.status = 401;
          return reply(
            res,
            401,
            { errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] },
            {
              "www-authenticate": 'Basic realm="oci2erofs-test"',
            },
          );
        }
        entry.user = user;
        return reply(res, 200, tokenBody(user, scopes));
      }
      if (req.method === "POST") {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
        const scopes = (form.get("scope") ?? "").split(" ").filter((s) => s);
        const grantType = form.get("grant_type") ?? undefined;
        const entry: TokenRequest = {
          method: "POST",
          scopes,
          service: form.get("service") ?? undefined,
          grantType,
          status: 200,
        };
        requests.push(entry);
        let user: string | undefined;
        if (grantType === "password") {
          const name = form.get("username") ?? "";
          if (Object.hasOwn(users, name) && users[name] === form.get("password")) user = name;
        } else if (grantType === "refresh_token") {
          user = refreshTokens.get(form.get("refresh_token") ?? "");
        }
        if (user === undefined) {
          entry.status = grantType === "password" || grantType === "refresh_token" ? 401 : 400;
          return reply(res, entry.status, {
            error: entry.status === 401 ? "invalid_grant" : "unsupported_grant_type",
          });
        }
        entry.user = user;
        const body: Record<string, unknown> = {
          ...tokenBody(user, scopes),
          scope: scopes.join(" "),
        };
        delete body.token;
        if (grantType === "password" && form.get("access_type") === "offline") {
          const refresh = randomUUID();
          refreshTokens.set(refresh, user);
          body.refresh_token = refresh;
        }
        return reply(res, 200, body);
      }
      return reply(res, 405, { error: "method not allowed" });
    };

    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}`;
    return {
      url,
      realm: `${url}/token`,
      service,
      issuer,
      certPath,
      keyId,
      requests,
      issue,
      async stop() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
