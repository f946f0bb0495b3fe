/**
 * The conversion worker (a module Web Worker): receives {@link PageMessage}s,
 * runs one {@link Conversion} at a time and answers with
 * {@link WorkerMessage}s. The WASM core is loaded from the URL Vite emits,
 * exactly the binary the CLI uses.
 *
 * @module
 */
import wasmUrl from "../../src/wasm/oci2erofs.wasm?url";
import { initWasm } from "../../src/wasm/load.ts";
import { Conversion } from "./conversion.ts";
import { describeError } from "./describe_error.ts";
import type { PageMessage, WorkerEvent, WorkerMessage } from "./protocol.ts";

/** The parts of the worker global scope used here (the DOM lib describes windows). */
interface WorkerScope {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent<PageMessage>) => void): void;
}

const scope = globalThis as unknown as WorkerScope;
const post = (id: number, event: WorkerEvent, transfer?: Transferable[]) =>
  scope.postMessage({ ...event, id }, transfer);

let current: { id: number; conversion: Conversion } | undefined;

const fail = (id: number, error: unknown) =>
  post(id, { type: "error", error: describeError(error) });

scope.addEventListener("message", ({ data }) => {
  switch (data.type) {
    case "convert": {
      current?.conversion.cancel();
      const { id } = data;
      const conversion = new Conversion((event) => post(id, event));
      current = { id, conversion };
      // Errors of a conversion that was cancelled or replaced meanwhile are
      // nobody's business any more.
      const report = (error: unknown) => current?.conversion === conversion && fail(id, error);
      initWasm(new URL(wasmUrl, import.meta.url))
        .then(() => conversion.read(data))
        .catch(report);
      break;
    }
    case "pull": {
      const { id } = data;
      if (current?.id !== id) return fail(id, new Error("nothing to save: convert an image first"));
      const { conversion } = current;
      conversion.next().then((chunk) => {
        if (!chunk) return post(id, { type: "end", written: conversion.written });
        // A copy: the producer may reuse its buffers, and a transfer detaches them.
        const bytes = chunk.slice();
        post(id, { type: "chunk", bytes, written: conversion.written }, [bytes.buffer]);
      }).catch((error) => current?.conversion === conversion && fail(id, error));
      break;
    }
    case "cancel":
      current?.conversion.cancel();
      current = undefined;
      break;
  }
});
