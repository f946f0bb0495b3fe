/**
 * A real OCI registry for tests: {@link startRegistry} runs Debian's
 * `docker-registry` (the distribution reference server) as a child process on
 * a free loopback port, with its storage in a temp directory, and with no
 * auth, htpasswd Basic auth, or token auth backed by the test token server
 * (`token_server.ts`). Tests push images into it with `registry_images.ts`
 * and put `fault_proxy.ts` in front of it to misbehave on purpose.
 *
 * The packaged systemd service (port 5000) is never used or needed: every
 * instance gets its own config and port, so a running packaged instance does
 * not get in the way.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureCommands, run, which } from "./system.ts";
import {
  startTokenServer,
  type TokenServerHandle,
  type TokenServerOptions,
} from "./token_server.ts";

/** The host tools this module and `registry_images.ts` use, with their Debian packages. */
export const REGISTRY_COMMANDS: Readonly<Record<string, string>> = {
  "docker-registry": "docker-registry",
  htpasswd: "apache2-utils",
  openssl: "openssl",
  skopeo: "skopeo",
  setpriv: "util-linux",
};

/** How clients must authenticate against the registry. */
export type RegistryAuth = "none" | "htpasswd" | "token";

/** A username and password. */
export interface Credentials {
  username: string;
  password: string;
}

/** Options for {@link startRegistry}. */
export interface RegistryOptions {
  /** Authentication scheme (default `"none"`). */
  auth?: RegistryAuth;
  /** The account for `htpasswd`/`token` auth (default `tester` / a random password). */
  credentials?: Credentials;
  /**
   * Extra token server options for `auth: "token"` (e.g.
   * `publicRepositories`); `users`, `service` and `issuer` are filled in.
   */
  tokenServer?: TokenServerOptions;
}

/** A running registry; see {@link startRegistry}. */
export interface RegistryHandle {
  /** `127.0.0.1:PORT`, as used in image references. */
  host: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The configured auth scheme. */
  auth: RegistryAuth;
  /** The account to use, for `htpasswd` and `token` auth. */
  credentials?: Credentials;
  /** The token server, for `token` auth. */
  tokenServer?: TokenServerHandle;
  /** The registry's temp directory (config, htpasswd, storage under `data/`). */
  dir: string;
  /** What the registry printed so far (stderr and stdout), for failure messages. */
  output(): string;
  /** Kills the registry (and token server) and removes the temp directory. Idempotent. */
  stop(): Promise<void>;
}

// Every registry child still running, killed synchronously if the test
// process exits without calling stop() so no listener outlives the run.
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** File in each temp directory naming the test process that owns it. */
export const OWNER_FILE = "owner.pid";

/**
 * Removes temp directories of registries and token servers whose owning
 * test process is gone: a worker killed mid-test cannot clean up after
 * itself (its registry dies with it, see `--pdeathsig` below), so the next
 * run does. Directories of live processes, other runs included, are kept.
 */
export async function sweepStaleDirs(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(tmpdir())) {
    if (!/^oci2erofs-(registry|token)-/.test(name)) continue;
    const dir = join(tmpdir(), name);
    const owner = Number(await readFile(join(dir, OWNER_FILE), "utf8").catch(() => ""));
    if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Process ids of registries started by this module that are still running (for leak checks). */
export function runningRegistries(): number[] {
  return [...live].map((child) => child.pid!).filter((pid) => pid !== undefined);
}

/** Asks the kernel for a free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `docker-registry` on `127.0.0.1:<free port>`, installing the
 * package (and `apache2-utils`, `openssl`, `skopeo`) if missing, and waits
 * until `GET /v2/` answers 200 or 401. A port lost to a race between
 * {@link freePort} and the registry's bind is retried with another one.
 *
 * @example
 * ```ts
 * const registry = await startRegistry({ auth: "htpasswd" });
 * try {
 *   const res = await fetch(`${registry.url}/v2/`);
 *   console.log(res.status); // 401
 * } finally {
 *   await registry.stop();
 * }
 * ```
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<RegistryHandle> {
  await ensureCommands(REGISTRY_COMMANDS);
  const auth = options.auth ?? "none";
  const credentials = auth === "none" ? undefined : options.credentials ??
    { username: "tester", password: `pw-${Math.random().toString(36).slice(2)}` };
  await sweepStaleDirs();
  const dir = await mkdtemp(join(tmpdir(), "oci2erofs-registry-"));
  await writeFile(join(dir, OWNER_FILE), String(process.pid));
  let tokenServer: TokenServerHandle | undefined;
  try {
    const authConfig: string[] = [];
    if (auth === "htpasswd") {
      // The registry accepts only bcrypt entries, hence -B.
      const { stdout } = await run(
        "htpasswd",
        ["-Bbn", credentials!.username, credentials!.password],
        { check: true },
      );
      await writeFile(join(dir, "htpasswd"), stdout.trim() + "\n");
      authConfig.push(
        "auth:",
        "  htpasswd:",
        "    realm: oci2erofs-test",
        `    path: ${join(dir, "htpasswd")}`,
      );
    } else if (auth === "token") {
      tokenServer = await startTokenServer({
        ...options.tokenServer,
        users: { ...options.tokenServer?.users, [credentials!.username]: credentials!.password },
      });
      authConfig.push(
        "auth:",
        "  token:",
        `    realm: ${tokenServer.realm}`,
        `    service: ${tokenServer.service}`,
        `    issuer: ${tokenServer.issuer}`,
        `    rootcertbundle: ${tokenServer.certPath}`,
      );
    }

    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const config = [
        "version: 0.1",
        "log:",
        "  level: warn",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${join(dir, "data")}`,
        "  delete:",
        "    enabled: true",
        "http:",
        `  addr: 127.0.0.1:${port}`,
        // A fixed secret silences the warning and keeps upload state valid.
        "  secret: oci2erofs-test-secret",
        ...authConfig,
        "",
      ].join("\n");
      const configPath = join(dir, `config-${port}.yml`);
      await writeFile(configPath, config);
      try {
        const started = await launch(configPath, port);
        const host = `127.0.0.1:${port}`;
        let stopped = false;
        return {
          host,
          url: `http://${host}`,
          auth,
          credentials,
          tokenServer,
          dir,
          output: started.output,
          async stop() {
            if (stopped) return;
            stopped = true;
            await started.kill();
            await tokenServer?.stop();
            await rm(dir, { recursive: true, force: true });
          },
        };
      } catch (error) {
        lastError = error;
        if (!/address already in use/i.test(String(error))) break;
      }
    }
    throw lastError;
  } catch (error) {
    await tokenServer?.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

// Spawns the registry and resolves once /v2/ answers; rejects (after killing
// it) if it exits first or does not answer within 20 s.
async function launch(
  configPath: string,
  port: number,
): Promise<{ output: () => string; kill: () => Promise<void> }> {
  // REGISTRY_* variables override the config file; none may leak in.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("REGISTRY_")),
  );
  // setpriv --pdeathsig makes the kernel kill the registry when the test
  // worker dies without running its hooks or "exit" handlers (a vitest
  // worker torn down after a failure does exactly that).
  const pdeath = await which("setpriv");
  const [cmd, args] = pdeath
    ? [pdeath, ["--pdeathsig", "SIGKILL", "docker-registry", "serve", configPath]]
    : ["docker-registry", ["serve", configPath]];
  const child = spawn(cmd, args, {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let output = "";
  const collect = (chunk: Buffer) => {
    // Bounded, because a chatty registry in a long test must not eat memory.
    output = (output + chunk.toString("utf8")).slice(-64 * 1024);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  exited.then(() => live.delete(child));
  let spawnError: unknown;
  child.once("error", (error) => {
    spawnError = error;
  });

  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
  };

  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (spawnError) throw spawnError;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `docker-registry exited early (${child.exitCode ?? child.signalCode}):\n${output}`,
      );
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`, {
        signal: AbortSignal.timeout(1000),
      });
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return { output: () => output, kill };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await kill();
  throw new Error(`docker-registry did not answer on port ${port} within 20 s:\n${output}`);
}

/** `Authorization` header value for Basic auth with `credentials`. */
export function basicAuth(credentials: Credentials): string {
  return `Basic ${
    Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")
  }`;
}

/**
 * Headers that authenticate a request to `registry` for `scope` (e.g.
 * `repository:library/busybox:pull`): Basic for htpasswd, a Bearer token
 * fetched from the token server for token auth, none otherwise. Pass
 * `anonymous` to fetch a token without credentials.
 */
export async function authHeaders(
  registry: RegistryHandle,
  scope: string,
  anonymous = false,
): Promise<Record<string, string>> {
  if (registry.auth === "htpasswd" && !anonymous) {
    return { authorization: basicAuth(registry.credentials!) };
  }
  if (registry.auth !== "token") return {};
  const ts = registry.tokenServer!;
  const url = `${ts.realm}?service=${encodeURIComponent(ts.service)}&scope=${
    encodeURIComponent(scope)
  }`;
  const res = await fetch(url, {
    headers: anonymous ? {} : { authorization: basicAuth(registry.credentials!) },
  });
  if (!res.ok) throw new Error(`token server answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { token: string };
  return { authorization: `Bearer ${body.token}` };
}
