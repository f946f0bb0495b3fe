/**
 * The edge handler under Deno, the way edge runtimes that refuse to compile
 * WebAssembly at run time use it: the script compiles `oci2erofs.wasm`
 * first (as the platform's module import would), then forbids every way of
 * compiling bytes, imports `src/edge/mod.ts` and passes the module as
 * `wasm`. The image it streams from the real registry must equal the
 * CLI's.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";
import { type RegistryHandle, startRegistry } from "../support/registry.ts";
import { pushExampleBusybox } from "../support/registry_images.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const DENO = join(ROOT, "node_modules/.bin/deno");

let registry: RegistryHandle;
let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "oci2erofs-edge-deno-"));
  registry = await startRegistry({ auth: "none" });
  await pushExampleBusybox(registry, "library/busybox", { format: "oci" });
});
afterAll(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const SCRIPT = (host: string) => `
const bytes = await Deno.readFile(${JSON.stringify(join(ROOT, "src/wasm/oci2erofs.wasm"))});
const module = await WebAssembly.compile(bytes);
// From here on, as on an edge runtime: no compiling WebAssembly from bytes.
const forbid = () => {
  throw new Error("compiling WebAssembly from bytes is forbidden here");
};
const instantiate = WebAssembly.instantiate;
WebAssembly.compile = forbid;
WebAssembly.compileStreaming = forbid;
WebAssembly.instantiateStreaming = forbid;
WebAssembly.instantiate = (source, imports) =>
  source instanceof WebAssembly.Module ? instantiate(source, imports) : forbid();
WebAssembly.Module = new Proxy(WebAssembly.Module, { construct: forbid });

const { createBuildHandler } = await import(${
  JSON.stringify(new URL("../../src/edge/mod.ts", import.meta.url).href)
});
const handler = createBuildHandler({
  wasm: module,
  allowList: { registries: [${JSON.stringify(host)}], realms: [], blobHosts: [] },
  plainHttp: [${JSON.stringify(host)}],
  allowPrivateAddresses: true,
});
const response = await handler(
  new Request("http://edge.example/build?image=${host}/library/busybox:latest"),
);
const body = new Uint8Array(await response.arrayBuffer());
const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body));
console.log(JSON.stringify({
  status: response.status,
  length: response.headers.get("content-length"),
  size: body.length,
  sha256: Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""),
  error: response.status === 200 ? undefined : new TextDecoder().decode(body),
}));
`;

it("runs in Deno with a precompiled WebAssembly.Module, same image as the CLI", async () => {
  const path = join(work, "cli.erofs");
  const cli = await runCli([
    `${registry.host}/library/busybox:latest`,
    path,
    "--plain-http",
    "--quiet",
  ]);
  expect(cli.stderr).toBe("");
  const expected = createHash("sha256").update(await readFile(path)).digest("hex");
  const script = join(work, "edge.ts");
  await writeFile(script, SCRIPT(registry.host));
  const { stdout } = await promisify(execFile)(DENO, [
    "run",
    "-A",
    "--config",
    join(ROOT, "deno.json"),
    script,
  ], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  const result = JSON.parse(stdout.trim().split("\n").pop()!);
  expect(result.error).toBeUndefined();
  expect(result.status).toBe(200);
  expect(Number(result.length)).toBe(result.size);
  expect(result.sha256).toBe(expected);
}, 60_000);
