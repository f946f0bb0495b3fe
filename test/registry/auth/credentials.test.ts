// Credential lookup: auth-file parsing and key normalisation (Web-only),
// file precedence, and docker-credential helpers run for real (a fake
// helper script on PATH).
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthError,
  basicAuthorization,
  findCredentialSource,
  helperServerUrl,
  normalizeAuthKey,
  parseAuthFile,
  parseHelperOutput,
} from "../../../src/registry/auth/mod.ts";
import { authFilePaths } from "../../../src/runtime/auth_files.ts";
import { runCredentialHelper } from "../../../src/runtime/credential_helper.ts";
import { resolveCredentials } from "../../../src/runtime/credentials.ts";

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("auth files (Web-only parsing)", () => {
  it("normalises keys", () => {
    const cases: [string, string][] = [
      ["https://index.docker.io/v1/", "docker.io"],
      ["index.docker.io", "docker.io"],
      ["registry-1.docker.io", "docker.io"],
      ["docker.io", "docker.io"],
      ["http://localhost:5000/v2/", "localhost:5000"],
      ["https://GHCR.io", "ghcr.io"],
      ["ghcr.io/", "ghcr.io"],
      ["quay.io/org/repo", "quay.io/org/repo"],
      ["[::1]:5000", "[::1]:5000"],
    ];
    for (const [key, normalized] of cases) expect(normalizeAuthKey(key), key).toBe(normalized);
  });

  it("parses auth, username/password and identitytoken entries; skips empty ones", () => {
    const file = parseAuthFile(
      JSON.stringify({
        auths: {
          "https://index.docker.io/v1/": { auth: b64("hub:pa:ss") },
          "ghcr.io": { username: "gh", password: "pw" },
          "https://quay.io": { auth: b64("ignored:x"), identitytoken: "refresh" },
          "helper.example": {},
          "docker.io": { auth: b64("second:spelling") },
        },
        credHelpers: { "https://gcr.io": "gcloud" },
        credsStore: "desktop",
      }),
      "config.json",
    );
    expect(file.auths.get("docker.io")).toEqual({ username: "hub", password: "pa:ss" });
    expect(file.auths.get("ghcr.io")).toEqual({ username: "gh", password: "pw" });
    expect(file.auths.get("quay.io")).toEqual({ identityToken: "refresh" });
    expect(file.auths.has("helper.example")).toBe(false);
    expect(file.credHelpers.get("gcr.io")).toBe("gcloud");
    expect(file.credsStore).toBe("desktop");
  });

  it("refuses malformed files without revealing secrets", () => {
    const bad: [string, string][] = [
      ["{", "config.json: not valid JSON"],
      ["[]", "expected a JSON object"],
      ['{"auths":[]}', '"auths" must be an object'],
      ['{"auths":{"h":"x"}}', 'auths["h"] must be an object'],
      [
        JSON.stringify({ auths: { h: { auth: b64("nocolonsecret") } } }),
        'auths["h"].auth must be base64 of "username:password"',
      ],
      ['{"auths":{"h":{"auth":"!!!"}}}', "must be base64"],
      ['{"auths":{"h":{"password":5}}}', 'auths["h"].password must be a string'],
      ['{"credHelpers":{"h":"../../bin/sh"}}', 'credHelpers["h"] must be a credential helper name'],
      ['{"credsStore":"-rf"}', "credsStore must be a credential helper name"],
    ];
    for (const [text, message] of bad) {
      expect(() => parseAuthFile(text, "config.json"), text).toThrow(AuthError);
      expect(() => parseAuthFile(text, "config.json"), text).toThrow(message);
    }
    try {
      parseAuthFile(JSON.stringify({ auths: { h: { auth: b64("nocolonsecret") } } }), "c");
    } catch (error) {
      expect(String(error)).not.toContain("nocolonsecret");
      expect(String(error)).not.toContain(b64("nocolonsecret"));
    }
  });

  it("finds credHelpers first, then the most specific auths entry, then credsStore", () => {
    const file = parseAuthFile(
      JSON.stringify({
        auths: {
          "quay.io": { auth: b64("host:p") },
          "quay.io/org": { auth: b64("org:p") },
          "quay.io/org/app": { auth: b64("app:p") },
          "gcr.io": { auth: b64("shadowed:p") },
        },
        credHelpers: { "gcr.io": "gcloud" },
        credsStore: "desktop",
      }),
      "auth.json",
    );
    expect(findCredentialSource(file, "quay.io", "org/app/sub")).toEqual({
      credentials: { username: "app", password: "p" },
    });
    expect(findCredentialSource(file, "quay.io", "org/other")).toEqual({
      credentials: { username: "org", password: "p" },
    });
    expect(findCredentialSource(file, "quay.io", "x/y")).toEqual({
      credentials: { username: "host", password: "p" },
    });
    expect(findCredentialSource(file, "quay.io")).toEqual({
      credentials: { username: "host", password: "p" },
    });
    expect(findCredentialSource(file, "gcr.io", "p/i")).toEqual({
      helper: "gcloud",
      serverUrl: "gcr.io",
    });
    expect(findCredentialSource(file, "docker.io", "library/alpine")).toEqual({
      helper: "desktop",
      serverUrl: "https://index.docker.io/v1/",
    });
    expect(findCredentialSource(parseAuthFile("{}", "x"), "docker.io")).toBeUndefined();
    expect(helperServerUrl("localhost:5000")).toBe("localhost:5000");
  });

  it("parses helper output and encodes Basic", () => {
    expect(parseHelperOutput('{"ServerURL":"s","Username":"u","Secret":"p"}', "x")).toEqual({
      username: "u",
      password: "p",
    });
    expect(parseHelperOutput('{"Username":"<token>","Secret":"r"}', "x")).toEqual({
      identityToken: "r",
    });
    expect(() => parseHelperOutput("secret-ish garbage", "x")).toThrow(
      "docker-credential-x printed something that is not JSON",
    );
    expect(() => parseHelperOutput('{"Username":"u"}', "x")).toThrow(
      "without string Username and Secret",
    );
    expect(basicAuthorization({ username: "u", password: "p" })).toBe("Basic dTpw");
    expect(basicAuthorization({ username: "ü", password: "€" })).toBe(`Basic ${b64("ü:€")}`);
    expect(() => basicAuthorization({ username: "a:b", password: "p" })).toThrow(
      'cannot contain ":"',
    );
  });
});

describe("resolveCredentials (files and helpers)", () => {
  let dir = "";
  let env: Record<string, string | undefined> = {};
  const home = () => join(dir, "home");

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "oci2erofs-creds-"));
    const bin = join(dir, "bin");
    await mkdir(bin);
    await mkdir(join(home(), ".docker"), { recursive: true });
    await mkdir(join(home(), ".config", "containers"), { recursive: true });
    // A fake helper: knows two servers, logs what it was asked, and fails loudly for "broken".
    const helper = `#!/bin/sh
[ "$1" = get ] || { echo "unexpected $1" >&2; exit 2; }
read -r server
echo "$server" >> "${join(dir, "helper.log")}"
case "$server" in
  ghcr.io) printf '{"ServerURL":"ghcr.io","Username":"gh-user","Secret":"gh-pass"}' ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"<token>","Secret":"hub-refresh"}' "$server" ;;
  broken.example) echo "keychain is locked" >&2; exit 1 ;;
  garbage.example) echo "not json" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;
    await writeFile(join(bin, "docker-credential-test"), helper);
    await chmod(join(bin, "docker-credential-test"), 0o755);
    env = { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}` };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lists auth files in containers/image order", () => {
    expect(authFilePaths({ env: {}, homeDir: "/h" })).toEqual([
      "/h/.config/containers/auth.json",
      "/h/.docker/config.json",
    ]);
    expect(
      authFilePaths({
        env: { XDG_RUNTIME_DIR: "/run/u", XDG_CONFIG_HOME: "/cfg", DOCKER_CONFIG: "/d" },
        homeDir: "/h",
      }),
    ).toEqual(["/run/u/containers/auth.json", "/cfg/containers/auth.json", "/d/config.json"]);
    expect(
      authFilePaths({ env: { REGISTRY_AUTH_FILE: "/r.json", DOCKER_CONFIG: "/d" }, homeDir: "/h" }),
    ).toEqual(["/r.json"]);
    expect(
      authFilePaths({ env: { REGISTRY_AUTH_FILE: "/r.json" }, homeDir: "/h", authfile: "/a.json" }),
    ).toEqual(["/a.json"]);
  });

  it("applies anonymous, explicit credentials, then files in order", async () => {
    await writeFile(
      join(home(), ".docker", "config.json"),
      JSON.stringify({
        auths: {
          "https://index.docker.io/v1/": { auth: b64("docker:d") },
          "ghcr.io": { auth: b64("d:d") },
        },
      }),
    );
    await writeFile(
      join(home(), ".config", "containers", "auth.json"),
      JSON.stringify({ auths: { "ghcr.io": { auth: b64("podman:p") } } }),
    );
    const options = { env, homeDir: home() };
    expect(await resolveCredentials("ghcr.io", "o/r", options)).toEqual({
      username: "podman",
      password: "p",
    });
    expect(await resolveCredentials("docker.io", "library/alpine", options)).toEqual({
      username: "docker",
      password: "d",
    });
    expect(await resolveCredentials("quay.io", "o/r", options)).toBeUndefined();
    expect(await resolveCredentials("ghcr.io", "o/r", { ...options, anonymous: true }))
      .toBeUndefined();
    const explicit = { username: "cli", password: "c" };
    expect(await resolveCredentials("ghcr.io", "o/r", { ...options, credentials: explicit })).toBe(
      explicit,
    );
    expect(
      await resolveCredentials("ghcr.io", "o/r", {
        ...options,
        anonymous: true,
        credentials: explicit,
      }),
    ).toBeUndefined();

    const dockerConfig = join(dir, "dockerconfig");
    await mkdir(dockerConfig, { recursive: true });
    await writeFile(
      join(dockerConfig, "config.json"),
      JSON.stringify({ auths: { "quay.io": { auth: b64("dc:x") } } }),
    );
    expect(
      await resolveCredentials("quay.io", "o/r", {
        ...options,
        env: { ...env, DOCKER_CONFIG: dockerConfig },
      }),
    )
      .toEqual({ username: "dc", password: "x" });
    // --authfile: only that file.
    const authfile = join(dir, "only.json");
    await writeFile(authfile, JSON.stringify({ auths: { "other.io": { auth: b64("o:o") } } }));
    expect(await resolveCredentials("ghcr.io", "o/r", { ...options, authfile })).toBeUndefined();
    expect(await resolveCredentials("other.io", "o/r", { ...options, authfile })).toEqual({
      username: "o",
      password: "o",
    });
    expect(
      await resolveCredentials("other.io", "o/r", {
        ...options,
        env: { ...env, REGISTRY_AUTH_FILE: authfile },
      }),
    )
      .toEqual({ username: "o", password: "o" });
    // A missing --authfile is nothing configured; a malformed one is an error.
    expect(
      await resolveCredentials("other.io", "o/r", {
        ...options,
        authfile: join(dir, "missing.json"),
      }),
    ).toBeUndefined();
    await writeFile(join(dir, "bad.json"), "{oops");
    await expect(resolveCredentials("x.io", "o/r", { ...options, authfile: join(dir, "bad.json") }))
      .rejects.toThrow(
        "bad.json: not valid JSON",
      );
  });

  it("runs credHelpers and credsStore helpers", async () => {
    const authfile = join(dir, "helpers.json");
    await writeFile(
      authfile,
      JSON.stringify({
        credHelpers: {
          "ghcr.io": "test",
          "broken.example": "test",
          "garbage.example": "test",
          "gone.example": "absent",
        },
        credsStore: "test",
      }),
    );
    const options = { env, homeDir: home(), authfile };
    expect(await resolveCredentials("ghcr.io", "o/r", options)).toEqual({
      username: "gh-user",
      password: "gh-pass",
    });
    expect(await resolveCredentials("docker.io", "library/alpine", options)).toEqual({
      identityToken: "hub-refresh",
    });
    expect(await resolveCredentials("unknown.example", "o/r", options)).toBeUndefined();
    await expect(resolveCredentials("broken.example", "o/r", options)).rejects.toThrow(
      "docker-credential-test get failed: keychain is locked",
    );
    await expect(resolveCredentials("garbage.example", "o/r", options)).rejects.toThrow("not JSON");
    await expect(resolveCredentials("gone.example", "o/r", options)).rejects.toThrow(
      "docker-credential-absent is not installed",
    );
  });

  it("runs a helper directly and times out a hung one", async () => {
    expect(await runCredentialHelper("test", "ghcr.io", { env })).toEqual({
      username: "gh-user",
      password: "gh-pass",
    });
    expect(await runCredentialHelper("test", "nope.example", { env })).toBeUndefined();
    await expect(runCredentialHelper("../x", "s", { env })).rejects.toThrow(
      "invalid credential helper name",
    );
    const bin = join(dir, "bin");
    await writeFile(join(bin, "docker-credential-hang"), "#!/bin/sh\nexec sleep 30\n");
    await chmod(join(bin, "docker-credential-hang"), 0o755);
    await expect(runCredentialHelper("hang", "x", { env, timeoutMs: 200 })).rejects.toThrow(
      "did not answer within 200 ms",
    );
  });
});
