import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { crc32c, instantiateWasm, Sha256, type WasmExports } from "../../src/wasm/mod.ts";

const wasmUrl = new URL("../../src/wasm/oci2erofs.wasm", import.meta.url);
const digits = new TextEncoder().encode("123456789");
/** The smallest valid module: instantiates fine but exports nothing. */
const emptyModule = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);

let bytes: Uint8Array<ArrayBuffer>;
beforeAll(async () => {
  bytes = new Uint8Array(await readFile(wasmUrl));
});

/** Proves `wasm` works by using it through both wrappers. */
function expectWorking(wasm: WasmExports): void {
  expect(crc32c(digits, 0, wasm)).toBe(0xe3069283);
  expect(new Sha256(wasm).update(digits).digestHex()).toBe(
    "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
  );
}

describe("instantiateWasm", () => {
  it("takes a compiled module", async () => {
    expectWorking(await instantiateWasm(await WebAssembly.compile(bytes)));
  });

  it("takes bytes as a view or an ArrayBuffer", async () => {
    expectWorking(await instantiateWasm(bytes));
    expectWorking(await instantiateWasm(bytes.slice().buffer));
  });

  it("finds the binary next to itself by default, or at a file: URL", async () => {
    expectWorking(await instantiateWasm());
    expectWorking(await instantiateWasm(wasmUrl));
    expectWorking(await instantiateWasm(wasmUrl.href));
  });

  it("fetches data: URLs", async () => {
    const base64 = Buffer.from(bytes).toString("base64");
    expectWorking(await instantiateWasm(`data:application/wasm;base64,${base64}`));
  });

  describe("over HTTP", () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      server = createServer((request, response) => {
        if (request.url === "/missing.wasm") return response.writeHead(404).end();
        const type = request.url === "/plain.wasm"
          ? "application/octet-stream"
          : "application/wasm";
        response.writeHead(200, { "content-type": type }).end(bytes);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("streams when served as application/wasm", async () => {
      const streaming = vi.spyOn(WebAssembly, "instantiateStreaming");
      expectWorking(await instantiateWasm(`${base}/streamed.wasm`));
      expect(streaming).toHaveBeenCalledOnce();
      streaming.mockRestore();
    });

    it("falls back to buffering for other media types", async () => {
      expectWorking(await instantiateWasm(new URL("/plain.wasm", base)));
    });

    it("reports HTTP errors", async () => {
      await expect(instantiateWasm(`${base}/missing.wasm`)).rejects.toThrow(/HTTP 404/);
    });
  });

  it("rejects a module that is not oci2erofs.wasm", async () => {
    await expect(instantiateWasm(emptyModule)).rejects.toThrow(/missing exports memory, ioBuffer/);
  });

  it("gives every call its own instance", async () => {
    const [one, two] = await Promise.all([instantiateWasm(bytes), instantiateWasm(bytes)]);
    expect(one.memory).not.toBe(two.memory);
  });
});

describe("initWasm", () => {
  /** A fresh copy of the loader, with no shared instance yet. */
  async function freshLoader() {
    vi.resetModules();
    return await import("../../src/wasm/load.ts");
  }

  it("is lazy: nothing is loaded before the first call", async () => {
    const { wasmExports } = await freshLoader();
    expect(() => wasmExports()).toThrow(/await initWasm\(\) first/);
  });

  it("shares one instance between concurrent and later callers", async () => {
    const { initWasm, wasmExports } = await freshLoader();
    const calls = [initWasm(), initWasm(), initWasm(bytes)];
    const [first, ...rest] = await Promise.all(calls);
    for (const other of rest) expect(other).toBe(first);
    expect(await initWasm()).toBe(first);
    expect(wasmExports()).toBe(first);
    expectWorking(wasmExports());
  });

  it("uses a caller's compiled module", async () => {
    const { initWasm, wasmExports } = await freshLoader();
    const module = await WebAssembly.compile(bytes);
    const instantiate = vi.spyOn(WebAssembly, "instantiate");
    await initWasm(module);
    expect(instantiate).toHaveBeenCalledWith(module, {});
    instantiate.mockRestore();
    expectWorking(wasmExports());
  });

  it("forgets a failed load so a later call can retry", async () => {
    const { initWasm, wasmExports } = await freshLoader();
    await expect(initWasm(emptyModule)).rejects.toThrow(/not oci2erofs\.wasm/);
    expect(() => wasmExports()).toThrow();
    expectWorking(await initWasm(bytes));
  });
});
