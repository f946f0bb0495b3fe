/**
 * The conversion page end to end, with nothing mocked between page and
 * registry: the Vite build of `web/` served on loopback, Debian's Chromium
 * driven by playwright-core, the CORS registry proxy (`src/proxy/`) on its
 * own origin, and real `docker-registry` instances (anonymous and htpasswd
 * Basic auth) holding the two-layer example image. The page's image must be
 * byte-identical to the CLI's for the same registry image, and the kernel's
 * view of it must equal the expected tree.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convert } from "../../src/convert/mod.ts";
import { createRegistryProxy, type ProxyLogEvent } from "../../src/proxy/mod.ts";
import { type HttpServer, serveHttp } from "../../src/runtime/http_server.ts";
import { cliPull } from "../support/cli.ts";
import { type FaultProxyHandle, startFaultProxy } from "../support/fault_proxy.ts";
import { withMountedImage } from "../support/mount.ts";
import { type RegistryHandle, startRegistry } from "../support/registry.ts";
import { EXAMPLE_BUSYBOX_DIR, pushExampleBusybox, pushImage } from "../support/registry_images.ts";
import {
  expectSameTree,
  type Snapshot,
  snapshotDirectory,
  snapshotTree,
} from "../support/snapshot.ts";
import { serveStatic } from "../support/static_server.ts";
import { ensureCommands } from "../support/system.ts";
import { writeManyFilesLayout } from "./many_files_image.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const ARTIFACTS = join(ROOT, "test-artifacts");
/** Flags for Chromium on a closed network as root (see the machine notes). */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let work = "";
let anonymous: RegistryHandle;
let basic: RegistryHandle;
/** Flips a byte of every blob it forwards from the anonymous registry. */
let corrupting: FaultProxyHandle;
let proxy: HttpServer;
let site: HttpServer;
let browser: Browser;
const proxyLog: ProxyLogEvent[] = [];
/** The CLI's image of each registry's `library/busybox:latest`. */
const cliImages = new Map<string, Uint8Array>();
/** Entries of `test/many:latest` on the anonymous registry. */
let manyEntries = 0;

beforeAll(async () => {
  await ensureCommands({ chromium: "chromium" });
  work = await mkdtemp(join("/var/tmp", "oci2erofs-web-"));
  const dist = join(work, "dist");
  const [anon, auth] = await Promise.all([
    startRegistry({ auth: "none" }),
    startRegistry({ auth: "htpasswd" }),
    build({
      configFile: join(ROOT, "web/vite.config.ts"),
      build: { outDir: dist, emptyOutDir: true },
      logLevel: "error",
    }),
  ]);
  anonymous = anon;
  basic = auth;
  const many = join(work, "many-layout");
  manyEntries = await writeManyFilesLayout(many, 200, 100);
  await Promise.all([
    pushImage(anonymous, `oci:${many}:latest`, "test/many:latest"),
    pushExampleBusybox(anonymous, "library/busybox", { format: "oci" }),
    pushExampleBusybox(basic, "library/busybox", { format: "v2s2" }),
  ]);
  for (const registry of [anonymous, basic]) {
    const path = join(work, `cli-${registry.auth}.erofs`);
    cliImages.set(registry.host, await cliPull(registry, "library/busybox", path));
  }
  corrupting = await startFaultProxy({ upstream: anonymous.host });
  corrupting.inject({
    path: /\/blobs\//,
    method: "GET",
    times: Infinity,
    fault: { kind: "corrupt" },
  });
  const hosts = [anonymous.host, basic.host, corrupting.host];
  proxy = await serveHttp(
    createRegistryProxy({
      allowList: { registries: hosts, realms: [], blobHosts: [] },
      plainHttp: hosts,
      allowPrivateAddresses: true,
      rateLimit: false,
      logger: (event) => proxyLog.push(event),
    }),
    { hostname: "127.0.0.1", port: 0 },
  );
  site = await serveStatic(dist);
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await proxy?.close();
  await corrupting?.stop();
  await anonymous?.stop();
  await basic?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A fresh page (own profile state) with the proxy configured through `?proxy=`. */
async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({
    acceptDownloads: true,
    viewport: { width: 1200, height: 1000 },
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${site.url}/?proxy=${encodeURIComponent(`${proxy.url}/`)}`);
  return { page, problems };
}

/** Types the reference (and credentials), presses Enter, waits for the listing or an error. */
async function convertImage(
  page: Page,
  reference: string,
  credentials?: { username: string; password: string },
): Promise<void> {
  if (credentials) {
    await page.fill("#username", credentials.username);
    await page.fill("#password", credentials.password);
  }
  await page.fill("#reference", reference);
  await page.press("#reference", "Enter");
  await page.waitForSelector("#result:not([hidden]), #error:not([hidden])", { timeout: 60_000 });
}

async function errorShown(page: Page): Promise<string | undefined> {
  if (await page.isHidden("#error")) return undefined;
  return `${await page.textContent("#error-title")}: ${await page.textContent("#error-detail")}`;
}

/**
 * Clicks Download and saves the file to `path`; returns the suggested name.
 * An error the page shows instead fails at once, with the page's words.
 */
async function downloadImage(page: Page, path: string): Promise<string> {
  const downloaded = page.waitForEvent("download", { timeout: 90_000 });
  const failed = page.waitForSelector("#error:not([hidden])", { timeout: 90_000 }).then(
    async () => {
      throw new Error(`the page failed to save: ${await errorShown(page)}`);
    },
  );
  downloaded.catch(() => {});
  failed.catch(() => {});
  await page.click("#download");
  const download = await Promise.race([downloaded, failed]);
  await download.saveAs(path);
  return download.suggestedFilename();
}

let expectedTree: Promise<Snapshot> | undefined;

/**
 * Mounts `path` and compares it with the tree of the bundled example image
 * (what was pushed to the registries); returns the number of entries.
 */
async function expectExampleTree(path: string): Promise<number> {
  expectedTree ??= convert(`oci:${EXAMPLE_BUSYBOX_DIR}:latest`).then((c) => snapshotTree(c.tree));
  const { value: actual, judge } = await withMountedImage(path, (root) => snapshotDirectory(root));
  expect(judge).toBe("kernel");
  expectSameTree(await expectedTree, actual);
  return actual.size;
}

describe("conversion page", () => {
  it("converts anonymously through the proxy: listing, download byte-identical to the CLI, mounted", async () => {
    const { page, problems } = await openPage();
    await convertImage(page, `${anonymous.host}/library/busybox:latest`);
    expect(await errorShown(page)).toBeUndefined();

    // Keyboard flow: Enter converted; focus now waits on the save button.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("save");
    // Per-layer progress: both layers read and checked.
    expect(await page.locator("#layers li").count()).toBe(2);
    expect(await page.textContent("#overall-text")).toContain("all layers checked");

    // The listing: every entry counted, filterable.
    const total = Number((await page.textContent("#count"))!.replace(/\D/g, ""));
    expect(total).toBeGreaterThan(10);
    await page.fill("#filter", "motd");
    await expect.poll(() => page.textContent("#count")).toBe(`1 of ${total} entries`);
    expect(await page.textContent("#spacer")).toContain("/etc/motd");
    await page.fill("#filter", "/etc/issue");
    await expect.poll(() => page.textContent("#count")).toBe(`0 of ${total} entries`);
    await page.fill("#filter", "");
    // Virtualised: only the rows in view exist, and scrolling brings the rest.
    await expect.poll(() => page.textContent("#count")).toBe(`${total} entries`);
    expect(await page.locator("#spacer .row").count()).toBeLessThan(Math.min(total, 80));
    await page.locator("#viewport").evaluate((viewport) => viewport.scrollTop = 1e9);
    await expect.poll(() => page.textContent("#spacer")).toContain("/etc/passwd");
    await page.locator("#viewport").evaluate((viewport) => viewport.scrollTop = 0);

    const path = join(work, "page-anonymous.erofs");
    expect(await downloadImage(page, path)).toBe("busybox-latest.erofs");
    await page.waitForSelector("#save-bar.done");
    const image = new Uint8Array(await readFile(path));
    expect(Buffer.from(image).equals(Buffer.from(cliImages.get(anonymous.host)!))).toBe(true);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "web-finished.png"), fullPage: true });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.screenshot({ path: join(ARTIFACTS, "web-finished-dark.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(ARTIFACTS, "web-finished-narrow.png"), fullPage: true });
    // What the listing showed is what the kernel sees (both count the root).
    expect(total).toBe(await expectExampleTree(path));
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("converts with Basic credentials and streams into a picked file (File System Access API)", async () => {
    const { page, problems } = await openPage();
    // The save picker, answered with a file in the origin-private file
    // system: the page's real streaming path (createWritable + pipeTo) runs.
    await page.evaluate(() => {
      (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = async (
        options: { suggestedName: string },
      ) =>
        (await navigator.storage.getDirectory()).getFileHandle(options.suggestedName, {
          create: true,
        });
    });
    await convertImage(page, `${basic.host}/library/busybox:latest`, basic.credentials);
    expect(await errorShown(page)).toBeUndefined();
    await page.click("#save");
    await page.waitForSelector("#save-bar.done", { timeout: 60_000 });
    const base64 = await page.evaluate(async () => {
      const handle = await (await navigator.storage.getDirectory()).getFileHandle(
        "busybox-latest.erofs",
      );
      const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
      let text = "";
      for (let i = 0; i < bytes.length; i += 0x8000) {
        text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      }
      return btoa(text);
    });
    const image = Buffer.from(base64, "base64");
    expect(image.equals(Buffer.from(cliImages.get(basic.host)!))).toBe(true);
    const path = join(work, "page-basic.erofs");
    await writeFile(path, image);
    await expectExampleTree(path);
    expect(problems).toEqual([]);
    // The password went through the proxy, never into its log.
    expect(JSON.stringify(proxyLog)).not.toContain(basic.credentials!.password);
    await page.context().close();
  });

  it("compresses with LZ4HC when chosen: the library's image, mounted by the kernel", async () => {
    const { page, problems } = await openPage();
    await page.selectOption("#compression", "lz4hc");
    await convertImage(page, `${anonymous.host}/library/busybox:latest`);
    expect(await errorShown(page)).toBeUndefined();
    const path = join(work, "page-lz4hc.erofs");
    await downloadImage(page, path);
    const library = await convert(`${anonymous.host}/library/busybox:latest`, {
      plainHttp: true,
      anonymous: true,
      compression: { algorithm: "lz4hc" },
    });
    const chunks: Uint8Array[] = [];
    for await (const chunk of library.chunks()) chunks.push(chunk.slice());
    const image = await readFile(path);
    expect(image.equals(Buffer.concat(chunks))).toBe(true);
    expect(image.length).toBeLessThan(cliImages.get(anonymous.host)!.length);
    await expectExampleTree(path);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("cancels; lists a 20,000-entry image without slowing down (virtualised rows, quick filter)", async () => {
    const { page, problems } = await openPage();
    // Cancel stops a running conversion quietly; the next one starts afresh.
    await page.fill("#reference", `${anonymous.host}/test/many:latest`);
    await page.press("#reference", "Enter");
    await page.click("#cancel");
    expect(await page.textContent("#stage")).toBe("Cancelled.");
    expect(await page.isEnabled("#convert")).toBe(true);
    await page.waitForTimeout(300);
    expect(await page.isHidden("#error")).toBe(true);
    expect(await page.isHidden("#result")).toBe(true);

    await convertImage(page, `${anonymous.host}/test/many:latest`);
    expect(await errorShown(page)).toBeUndefined();
    expect(await page.textContent("#count")).toBe(`${manyEntries.toLocaleString("en-US")} entries`);
    expect(await page.locator("#spacer .row").count()).toBeLessThan(100);
    const started = Date.now();
    await page.fill("#filter", "d0150/f0042");
    await expect.poll(() => page.textContent("#count")).toBe(
      `1 of ${manyEntries.toLocaleString("en-US")} entries`,
    );
    // Generous: the machine is shared; a non-virtualised list takes many seconds.
    expect(Date.now() - started).toBeLessThan(2000);
    await page.fill("#filter", "");
    await expect.poll(() => page.textContent("#count")).toBe(
      `${manyEntries.toLocaleString("en-US")} entries`,
    );
    await page.locator("#viewport").evaluate((viewport) => viewport.scrollTop = 1e9);
    await expect.poll(() => page.textContent("#spacer")).toContain("/d0199/f0099");
    expect(await page.locator("#spacer .row").count()).toBeLessThan(100);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it("shows plain errors: missing tag, credentials needed, credentials refused, digest mismatch", async () => {
    const { page } = await openPage();
    await convertImage(page, `${anonymous.host}/library/busybox:no-such-tag`);
    expect(await errorShown(page)).toMatch(
      /^Not found: .*library\/busybox: tag no-such-tag not found; it has latest/,
    );
    expect(await page.isHidden("#result")).toBe(true);
    // The form is usable again, the reference still there to fix.
    expect(await page.isEnabled("#reference")).toBe(true);

    await convertImage(page, `${basic.host}/library/busybox:latest`);
    expect(await errorShown(page)).toMatch(/^Authentication needed: /);

    await convertImage(page, `${basic.host}/library/busybox:latest`, {
      username: basic.credentials!.username,
      password: "not-the-password",
    });
    expect(await errorShown(page)).toMatch(/^Credentials refused: /);

    await page.fill("#username", "");
    await page.fill("#password", "");
    await convertImage(page, `${corrupting.host}/library/busybox:latest`);
    expect(await errorShown(page)).toMatch(/^Digest mismatch: .*sha256:[0-9a-f]{64}/);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "web-error.png") });
    await page.context().close();
  });
});
