/**
 * The page's side of the conversion worker: starts it, forwards its
 * messages, and exposes the image as a pull-based `ReadableStream` (one
 * `pull` message per batch, so the worker never runs ahead of the disk).
 *
 * @module
 */
import type { ConvertRequest, PageMessage, WorkerEvent, WorkerMessage } from "./protocol.ts";

/**
 * A conversion worker.
 *
 * @example
 * ```ts
 * import { WorkerClient } from "./worker_client.ts";
 * const client = new WorkerClient((message) => console.log(message.type));
 * client.convert({ type: "convert", reference: "alpine", platform: "linux/amd64", proxy: "/proxy/" });
 * ```
 */
export class WorkerClient {
  #worker: Worker;
  #onMessage: (event: WorkerEvent) => void;
  #waiting: ((event: WorkerEvent) => void) | undefined;
  /** The current conversion's id; messages with another are stale. */
  #id = 0;

  constructor(onMessage: (event: WorkerEvent) => void) {
    this.#onMessage = onMessage;
    this.#worker = this.#start();
  }

  /** Starts reading an image; progress and the tree arrive as messages. */
  convert(request: ConvertRequest): void {
    this.#waiting?.({ type: "error", error: { title: "Cancelled", detail: "replaced" } });
    this.#send({ ...request, id: ++this.#id });
  }

  /** Stops the current conversion; whatever it still sends is ignored. */
  cancel(): void {
    this.#id++;
    this.#send({ type: "cancel" });
    this.#waiting?.({ type: "error", error: { title: "Cancelled", detail: "cancelled" } });
  }

  /**
   * The image's bytes. `onWritten` hears the running total. Only one stream
   * may be read at a time.
   */
  imageStream(onWritten: (bytes: number) => void): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const message = await new Promise<WorkerEvent>((resolve) => {
          this.#waiting = resolve;
          this.#send({ type: "pull", id: this.#id });
        });
        this.#waiting = undefined;
        if (message.type === "chunk") {
          onWritten(message.written);
          controller.enqueue(message.bytes);
        } else if (message.type === "end") {
          onWritten(message.written);
          controller.close();
        } else if (message.type === "error") {
          controller.error(new Error(`${message.error.title}: ${message.error.detail}`));
        }
      },
      cancel: () => this.cancel(),
    }, { highWaterMark: 0 });
  }

  #start(): Worker {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
      name: "oci2erofs",
    });
    worker.addEventListener("message", ({ data }: MessageEvent<WorkerMessage>) => {
      if (data.id !== this.#id) return;
      const waiting = this.#waiting;
      if (waiting && (data.type === "chunk" || data.type === "end" || data.type === "error")) {
        waiting(data);
        // Errors also reach the page's handler so they are shown.
        if (data.type !== "error") return;
      }
      this.#onMessage(data);
    });
    worker.addEventListener("error", (event) => {
      this.#onMessage({
        type: "error",
        error: { title: "The conversion worker failed", detail: event.message || "unknown error" },
      });
    });
    return worker;
  }

  #send(message: PageMessage): void {
    this.#worker.postMessage(message);
  }
}
