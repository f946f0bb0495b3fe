/**
 * Credentials found where users keep them, against the real registry with
 * htpasswd Basic auth and with token auth: Docker's `config.json` (`auths`
 * entries, `credHelpers` and `credsStore` running a real
 * `docker-credential-*` program from `PATH`), Podman's `auth.json`
 * (`REGISTRY_AUTH_FILE`) and `--authfile`; `--anonymous` ignores them all.
 * The CLI sees only the environment the test gives it, never the machine
 * user's files.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleImage, runCli } from "../support/cli.ts";
import { type RegistryHandle, startRegistry } from "../support/registry.ts";
import { pushExampleBusybox } from "../support/registry_images.ts";

let work = "";
let reference: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join("/var/tmp", "oci2erofs-creds-"));
  reference = await exampleImage(join(work, "reference.erofs"));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const base64 = (text: string) => Buffer.from(text).toString("base64");

/** A `docker-credential-NAME` program that answers `get` for `host` only, and logs its calls. */
async function credentialHelper(
  dir: string,
  name: string,
  host: string,
  user: string,
  pass: string,
) {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `docker-credential-${name}`);
  await writeFile(
    path,
    `#!/bin/sh
[ "$1" = get ] || exit 3
read server
echo "$server" >> "${dir}/${name}.calls"
if [ "$server" = "${host}" ] || [ "$server" = "http://${host}" ] || [ "$server" = "https://${host}" ]; then
  printf '{"ServerURL":"%s","Username":"${user}","Secret":"${pass}"}' "$server"
else
  echo "credentials not found in native keychain"
  exit 1
fi
`,
  );
  await chmod(path, 0o755);
  return path;
}

for (const auth of ["htpasswd", "token"] as const) {
  describe(`configured credentials, registry auth: ${auth}`, () => {
    let registry: RegistryHandle;
    let home = "";
    beforeAll(async () => {
      registry = await startRegistry({ auth });
      await pushExampleBusybox(registry, "library/busybox", { format: "oci" });
      home = await mkdtemp(join(work, `home-${auth}-`));
    });
    afterAll(async () => {
      await registry?.stop();
    });

    async function pull(name: string, env: Record<string, string>, extra: string[] = []) {
      const path = join(work, `${auth}-${name}.erofs`);
      const result = await runCli(
        [`${registry.host}/library/busybox:latest`, path, "--plain-http", "--quiet", ...extra],
        { env: { HOME: home, PATH: process.env.PATH!, ...env } },
      );
      const image = result.status === 0 ? new Uint8Array(await readFile(path)) : undefined;
      return { ...result, image };
    }

    const good = () => registry.credentials!;

    it("with nothing configured: a clear 'authentication required'", async () => {
      const result = await pull("none", {});
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/authentication required/);
    });

    it("DOCKER_CONFIG/config.json auths entry", async () => {
      const dir = join(home, "docker-auths");
      await mkdir(dir, { recursive: true });
      const { username, password } = good();
      await writeFile(
        join(dir, "config.json"),
        JSON.stringify({ auths: { [registry.host]: { auth: base64(`${username}:${password}`) } } }),
      );
      const result = await pull("auths", { DOCKER_CONFIG: dir });
      expect(result.stderr).toBe("");
      expect(Buffer.from(result.image!).equals(reference)).toBe(true);
    });

    it("~/.docker/config.json credHelpers and credsStore run docker-credential-* from PATH", async () => {
      const bin = join(home, "bin");
      const { username, password } = good();
      await credentialHelper(bin, "testhelper", registry.host, username, password);
      await credentialHelper(bin, "teststore", registry.host, username, password);
      await mkdir(join(home, ".docker"), { recursive: true });
      const env = { PATH: `${bin}:${process.env.PATH}` };

      await writeFile(
        join(home, ".docker/config.json"),
        JSON.stringify({ credHelpers: { [registry.host]: "testhelper" } }),
      );
      const helped = await pull("helper", env);
      expect(helped.stderr).toBe("");
      expect(Buffer.from(helped.image!).equals(reference)).toBe(true);
      expect(await readFile(join(bin, "testhelper.calls"), "utf8")).toContain(registry.host);

      await writeFile(
        join(home, ".docker/config.json"),
        JSON.stringify({ credsStore: "teststore" }),
      );
      const stored = await pull("store", env);
      expect(stored.stderr).toBe("");
      expect(Buffer.from(stored.image!).equals(reference)).toBe(true);
      await rm(join(home, ".docker"), { recursive: true });
    });

    it("Podman's auth.json via REGISTRY_AUTH_FILE and --authfile; wrong ones are refused", async () => {
      const { username, password } = good();
      const file = join(home, "auth.json");
      await writeFile(
        file,
        JSON.stringify({ auths: { [registry.host]: { auth: base64(`${username}:${password}`) } } }),
      );
      const viaEnv = await pull("podman-env", { REGISTRY_AUTH_FILE: file });
      expect(viaEnv.stderr).toBe("");
      expect(Buffer.from(viaEnv.image!).equals(reference)).toBe(true);
      const viaFlag = await pull("podman-flag", {}, ["--authfile", file]);
      expect(viaFlag.stderr).toBe("");

      const wrong = join(home, "wrong.json");
      await writeFile(
        wrong,
        JSON.stringify({ auths: { [registry.host]: { auth: base64(`${username}:nope`) } } }),
      );
      const refused = await pull("podman-wrong", {}, ["--authfile", wrong]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/credentials .*refused|refused/);
      expect(refused.stderr).not.toContain("nope");
    });

    it("--anonymous ignores every configured credential", async () => {
      const { username, password } = good();
      const file = join(home, "anon-auth.json");
      await writeFile(
        file,
        JSON.stringify({ auths: { [registry.host]: { auth: base64(`${username}:${password}`) } } }),
      );
      const result = await pull("anonymous", { REGISTRY_AUTH_FILE: file }, ["--anonymous"]);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/authentication required/);
    });
  });
}
