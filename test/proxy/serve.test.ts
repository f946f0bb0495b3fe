/**
 * The runnable servers under Deno (`Deno.serve`, `Deno.resolveDns`): the
 * proxy (`src/proxy/serve.ts`) and the build handler (`src/edge/serve.ts`)
 * are started as `deno run -A … --port 0`, and a pull through the proxy and
 * a `/build` each give the image of a direct pull. The Node adapter is what
 * the other proxy and edge tests run on.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildErofs } from "../../src/erofs/mod.ts";
import { imageTree } from "../../src/layers/mod.ts";
import { openRegistrySource, type RegistrySourceOptions } from "../../src/source/registry.ts";
import { type RegistryHandle, startRegistry } from "../support/registry.ts";
import { pushExampleBusybox } from "../support/registry_images.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const DENO = join(ROOT, "node_modules/.bin/deno");

let registry: RegistryHandle;
const children: ChildProcess[] = [];
beforeAll(async () => {
  registry = await startRegistry({ auth: "none" });
  await pushExampleBusybox(registry, "library/busybox", { format: "oci" });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  await registry?.stop();
});

/** Starts `deno run -A script args…` and resolves with the URL it prints, and its stderr so far. */
function startDeno(script: string, args: string[]): Promise<{ url: string; stderr: () => string }> {
  const child = spawn(DENO, ["run", "-A", script, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(child);
  let stderr = "";
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} did not start:\n${stderr}`)),
      30_000,
    );
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      const match = /listening on (http:\/\/[0-9.:]+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ url: match[1], stderr: () => stderr });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${stderr}`));
    });
  });
}

async function build(location: string, options: RegistrySourceOptions): Promise<Buffer> {
  const erofs = await buildErofs(await imageTree(await openRegistrySource(location, options)));
  const parts: Uint8Array[] = [];
  for await (const chunk of erofs.chunks()) parts.push(chunk.slice());
  return Buffer.concat(parts);
}

it("serves the proxy and the build handler from Deno", async () => {
  const args = ["--port", "0", "--plain-http", registry.host, "--allow-private"];
  const [proxy, edge] = await Promise.all([
    startDeno("src/proxy/serve.ts", args),
    startDeno("src/edge/serve.ts", args),
  ]);
  const location = `${registry.host}/library/busybox:latest`;
  const direct = await build(location, { plainHttp: true, anonymous: true });
  const proxied = await build(location, { proxy: proxy.url, anonymous: true });
  expect(proxied.equals(direct)).toBe(true);
  const response = await fetch(`${edge.url}/build?image=${location}`);
  expect(response.status).toBe(200);
  expect(Buffer.from(await response.arrayBuffer()).equals(direct)).toBe(true);
  // One JSON line per request, on standard error.
  const events = proxy.stderr().split("\n").filter((l) => l.startsWith("{")).map((l) =>
    JSON.parse(l)
  );
  expect(events.some((e) => e.route === "registry" && e.status === 200)).toBe(true);
  const refused = await fetch(`${proxy.url}/169.254.169.254/v2/`);
  expect(refused.status).toBe(403);
}, 60_000);
