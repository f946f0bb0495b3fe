/**
 * Putting the image on the user's disk: streamed into a file the user picks
 * (File System Access API, Chromium-based browsers) so nothing is held in
 * memory, or as a download of a Blob elsewhere (browsers keep large Blobs on
 * disk themselves).
 *
 * @module
 */

/** The File System Access API's save picker, where the browser has it. */
interface SavePickerWindow {
  showSaveFilePicker?(options: {
    suggestedName?: string;
    types?: { description: string; accept: Record<string, string[]> }[];
  }): Promise<{ createWritable(): Promise<WritableStream<Uint8Array>> }>;
}

/**
 * Whether {@link saveToPickedFile} can work here.
 *
 * @example
 * ```ts
 * import { canPickFile } from "./save.ts";
 * if (!canPickFile()) console.log("downloads only");
 * ```
 */
export function canPickFile(): boolean {
  return typeof (globalThis as SavePickerWindow).showSaveFilePicker === "function";
}

/**
 * Asks where to save, then streams `open()` into that file. Resolves to
 * false if the user closed the picker (nothing was read).
 *
 * @example
 * ```ts
 * import { saveToPickedFile } from "./save.ts";
 * await saveToPickedFile("alpine.erofs", () => new Blob(["…"]).stream());
 * ```
 */
export async function saveToPickedFile(
  name: string,
  open: () => ReadableStream<Uint8Array>,
): Promise<boolean> {
  let handle;
  try {
    handle = await (globalThis as SavePickerWindow).showSaveFilePicker!({
      suggestedName: name,
      types: [{ description: "EROFS image", accept: { "application/octet-stream": [".erofs"] } }],
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") return false;
    throw error;
  }
  // pipeTo closes the file when the stream ends and aborts it (no partial
  // file is committed) when the stream fails.
  await open().pipeTo(await handle.createWritable());
  return true;
}

/**
 * Reads `stream` into a Blob and offers it as a download named `name`.
 *
 * @example
 * ```ts
 * import { downloadStream } from "./save.ts";
 * await downloadStream("alpine.erofs", new Blob(["…"]).stream());
 * ```
 */
export async function downloadStream(
  name: string,
  stream: ReadableStream<Uint8Array>,
): Promise<void> {
  const blob = await new Response(stream).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has taken its reference by now; give it a moment anyway.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
