/**
 * Registry credentials as typed values, and the Web-only half of finding
 * them: parsing Docker `config.json` / Podman `auth.json` contents and
 * looking a registry up in them. Reading the files and running
 * `docker-credential-*` helpers is the runtime adapter's job
 * (`src/runtime/credentials.ts`).
 *
 * @module
 */
import { AuthError } from "./errors.ts";

/**
 * What a user authenticates with: a username and password (sent as HTTP
 * Basic, to the registry or its token realm), or an identity token (an
 * OAuth2 refresh token, exchanged at the token realm).
 *
 * @example
 * ```ts
 * import type { Credentials } from "./credentials.ts";
 * const basic: Credentials = { username: "ci", password: "s3cret" };
 * const oauth: Credentials = { identityToken: "eyJ…" };
 * ```
 */
export type Credentials =
  | { readonly username: string; readonly password: string }
  | { readonly identityToken: string };

/**
 * Where to get credentials for one registry host, as configured in an auth
 * file: the credentials themselves, or the name of a credential helper
 * (`docker-credential-<helper>`) to ask.
 *
 * @example
 * ```ts
 * import type { CredentialSource } from "./credentials.ts";
 * const fromHelper: CredentialSource = { helper: "pass", serverUrl: "ghcr.io" };
 * ```
 */
export type CredentialSource =
  | { readonly credentials: Credentials }
  | { readonly helper: string; readonly serverUrl: string };

/**
 * An auth file (`config.json`, `auth.json`) parsed and validated. Keys of
 * `auths` are normalised by {@link normalizeAuthKey}.
 *
 * @example
 * ```ts
 * import { parseAuthFile } from "./credentials.ts";
 * const file = parseAuthFile('{"auths":{"ghcr.io":{"auth":"dTpw"}}}', "config.json");
 * file.auths.get("ghcr.io"); // { username: "u", password: "p" }
 * ```
 */
export interface AuthFile {
  /** Credentials by normalised key (`host[:port]` or `host[:port]/path` for repository-scoped entries). */
  readonly auths: ReadonlyMap<string, Credentials>;
  /** Helper names by registry host. */
  readonly credHelpers: ReadonlyMap<string, string>;
  /** The default helper for every registry without its own. */
  readonly credsStore: string | undefined;
}

/** The key Docker files Docker Hub's credentials under, and sends to helpers. */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

const HUB_HOSTS = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);
// Helper names become part of a program name: no paths, no options.
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Normalises an `auths` key to `host[:port]` (with `/path` for Podman's
 * repository-scoped keys): a scheme means the legacy Docker form, whose path
 * (`/v1/`) is dropped; Docker Hub's aliases become `docker.io`.
 *
 * @example
 * ```ts
 * import { normalizeAuthKey } from "./credentials.ts";
 * normalizeAuthKey("https://index.docker.io/v1/"); // "docker.io"
 * normalizeAuthKey("http://localhost:5000/v2/"); // "localhost:5000"
 * normalizeAuthKey("quay.io/org"); // "quay.io/org"
 * ```
 */
export function normalizeAuthKey(key: string): string {
  let rest = key.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(rest);
  if (scheme) {
    rest = rest.slice(scheme[0].length);
    const slash = rest.indexOf("/");
    if (slash >= 0) rest = rest.slice(0, slash);
  }
  rest = rest.replace(/\/+$/, "");
  const slash = rest.indexOf("/");
  const host = (slash < 0 ? rest : rest.slice(0, slash)).toLowerCase();
  const path = slash < 0 ? "" : rest.slice(slash);
  return (HUB_HOSTS.has(host) ? "docker.io" : host) + path;
}

/**
 * Parses the text of a Docker `config.json` or Podman `auth.json`. `source`
 * (the file name) appears in errors. Entries without credentials (Docker
 * writes `{}` when a helper holds them) are skipped; malformed ones throw
 * {@link AuthError}, naming the key but never the secret.
 *
 * @example
 * ```ts
 * import { parseAuthFile } from "./credentials.ts";
 * const file = parseAuthFile(
 *   '{"auths":{"https://index.docker.io/v1/":{"identitytoken":"t"}},"credHelpers":{"gcr.io":"gcloud"}}',
 *   "~/.docker/config.json",
 * );
 * file.auths.get("docker.io"); // { identityToken: "t" }
 * file.credHelpers.get("gcr.io"); // "gcloud"
 * ```
 */
export function parseAuthFile(text: string, source: string): AuthFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new AuthError(`${source}: not valid JSON`, { cause });
  }
  if (!isObject(json)) throw new AuthError(`${source}: expected a JSON object`);
  const auths = new Map<string, Credentials>();
  if (json.auths !== undefined) {
    if (!isObject(json.auths)) throw new AuthError(`${source}: "auths" must be an object`);
    for (const [key, entry] of Object.entries(json.auths)) {
      const credentials = parseAuthEntry(entry, `${source}: auths[${JSON.stringify(key)}]`);
      const normalized = normalizeAuthKey(key);
      // The first spelling of a registry wins, as in containers/image.
      if (credentials && !auths.has(normalized)) auths.set(normalized, credentials);
    }
  }
  const credHelpers = new Map<string, string>();
  if (json.credHelpers !== undefined) {
    if (!isObject(json.credHelpers)) {
      throw new AuthError(`${source}: "credHelpers" must be an object`);
    }
    for (const [key, helper] of Object.entries(json.credHelpers)) {
      credHelpers.set(
        normalizeAuthKey(key),
        checkHelperName(helper, `${source}: credHelpers[${JSON.stringify(key)}]`),
      );
    }
  }
  const credsStore = json.credsStore === undefined || json.credsStore === ""
    ? undefined
    : checkHelperName(json.credsStore, `${source}: credsStore`);
  return { auths, credHelpers, credsStore };
}

function parseAuthEntry(entry: unknown, where: string): Credentials | undefined {
  if (!isObject(entry)) throw new AuthError(`${where} must be an object`);
  const field = (name: string): string | undefined => {
    const value = entry[name];
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value !== "string") throw new AuthError(`${where}.${name} must be a string`);
    return value;
  };
  // An identity token wins over a password, as in Docker and containers/image.
  const identityToken = field("identitytoken");
  if (identityToken !== undefined) return { identityToken };
  const auth = field("auth");
  if (auth !== undefined) {
    const decoded = decodeBase64Utf8(auth);
    const colon = decoded?.indexOf(":") ?? -1;
    if (decoded === undefined || colon < 0) {
      throw new AuthError(`${where}.auth must be base64 of "username:password"`);
    }
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const username = field("username");
  const password = field("password");
  if (username !== undefined && password !== undefined) return { username, password };
  return undefined;
}

function checkHelperName(value: unknown, where: string): string {
  if (typeof value !== "string" || !HELPER_NAME.test(value)) {
    throw new AuthError(`${where} must be a credential helper name like "pass" or "desktop"`);
  }
  return value;
}

/**
 * Where `file` says the credentials for `registry` (and optionally
 * `repository`) are: `credHelpers[registry]` first, then `auths` from the
 * most specific repository-scoped key to the bare host, then `credsStore`.
 * Undefined when the file has nothing for this registry.
 *
 * @example
 * ```ts
 * import { findCredentialSource, parseAuthFile } from "./credentials.ts";
 * const file = parseAuthFile('{"auths":{"quay.io/org":{"auth":"dTpw"}}}', "auth.json");
 * findCredentialSource(file, "quay.io", "org/app"); // { credentials: { username: "u", password: "p" } }
 * findCredentialSource(file, "quay.io", "other/app"); // undefined
 * ```
 */
export function findCredentialSource(
  file: AuthFile,
  registry: string,
  repository?: string,
): CredentialSource | undefined {
  const host = normalizeAuthKey(registry);
  const helper = file.credHelpers.get(host);
  if (helper !== undefined) return { helper, serverUrl: helperServerUrl(host) };
  if (repository !== undefined) {
    const parts = repository.split("/");
    for (let n = parts.length; n > 0; n--) {
      const credentials = file.auths.get(`${host}/${parts.slice(0, n).join("/")}`);
      if (credentials) return { credentials };
    }
  }
  const credentials = file.auths.get(host);
  if (credentials) return { credentials };
  if (file.credsStore !== undefined) {
    return { helper: file.credsStore, serverUrl: helperServerUrl(host) };
  }
  return undefined;
}

/**
 * The server URL to hand a credential helper for a registry: Docker's Hub
 * key for Docker Hub, `host[:port]` otherwise (what `docker login` stores).
 *
 * @example
 * ```ts
 * import { helperServerUrl } from "./credentials.ts";
 * helperServerUrl("docker.io"); // "https://index.docker.io/v1/"
 * helperServerUrl("localhost:5000"); // "localhost:5000"
 * ```
 */
export function helperServerUrl(registry: string): string {
  const host = normalizeAuthKey(registry);
  return host === "docker.io" ? DOCKER_HUB_AUTH_KEY : host;
}

/**
 * Parses the JSON a `docker-credential-<name> get` prints:
 * `{ServerURL, Username, Secret}`; Username `<token>` marks Secret as an
 * identity token.
 *
 * @example
 * ```ts
 * import { parseHelperOutput } from "./credentials.ts";
 * parseHelperOutput('{"ServerURL":"ghcr.io","Username":"u","Secret":"p"}', "pass");
 * // { username: "u", password: "p" }
 * parseHelperOutput('{"Username":"<token>","Secret":"r"}', "pass"); // { identityToken: "r" }
 * ```
 */
export function parseHelperOutput(text: string, helper: string): Credentials {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not the cause: the text may hold a secret.
    throw new AuthError(`docker-credential-${helper} printed something that is not JSON`);
  }
  if (
    !isObject(json) || typeof json.Secret !== "string" || typeof (json.Username ?? "") !== "string"
  ) {
    throw new AuthError(
      `docker-credential-${helper} printed JSON without string Username and Secret`,
    );
  }
  const username = (json.Username ?? "") as string;
  if (username === "<token>") return { identityToken: json.Secret };
  return { username, password: json.Secret };
}

/**
 * `Basic base64(username:password)`, UTF-8 encoded (RFC 7617). A username
 * containing `:` cannot be expressed and throws.
 *
 * @example
 * ```ts
 * import { basicAuthorization } from "./credentials.ts";
 * basicAuthorization({ username: "u", password: "p" }); // "Basic dTpw"
 * ```
 */
export function basicAuthorization(credentials: { username: string; password: string }): string {
  if (credentials.username.includes(":")) {
    throw new AuthError('a username for HTTP Basic authentication cannot contain ":"');
  }
  return `Basic ${encodeBase64Utf8(`${credentials.username}:${credentials.password}`)}`;
}

function encodeBase64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function decodeBase64Utf8(text: string): string | undefined {
  try {
    const binary = atob(text.trim());
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
