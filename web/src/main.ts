/**
 * The conversion page: reads the form, drives the worker, and shows
 * progress, errors, the image's tree and the save controls. Each part of
 * the page is drawn by its own module; this one only wires them together.
 *
 * @module
 */
import { ListingView } from "./listing_view.ts";
import type { WorkerEvent } from "./protocol.ts";
import { ProgressView } from "./progress_view.ts";
import { canPickFile, downloadStream, saveToPickedFile } from "./save.ts";
import { imageFileName, initialSettings } from "./settings.ts";
import { formatBytes, formatRate } from "./units.ts";
import { WorkerClient } from "./worker_client.ts";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`page is missing #${id}`);
  return found as T;
}

const form = element<HTMLFormElement>("convert-form");
const reference = element<HTMLInputElement>("reference");
const platform = element<HTMLInputElement>("platform");
const compression = element<HTMLSelectElement>("compression");
const username = element<HTMLInputElement>("username");
const password = element<HTMLInputElement>("password");
const proxy = element<HTMLInputElement>("proxy");
const convertButton = element<HTMLButtonElement>("convert");
const cancelButton = element<HTMLButtonElement>("cancel");
const stage = element("stage");
const errorBox = element("error");
const result = element("result");
const summary = element("summary");
const saveButton = element<HTMLButtonElement>("save");
const downloadButton = element<HTMLButtonElement>("download");
const saveProgress = element("save-progress");
const saveBar = element<HTMLProgressElement>("save-bar");
const saveText = element("save-text");

const progress = new ProgressView({
  section: element("progress"),
  info: element("image-info"),
  list: element<HTMLOListElement>("layers"),
  overallBar: element<HTMLProgressElement>("overall-bar"),
  overallText: element("overall-text"),
});
const listing = new ListingView({
  viewport: element("viewport"),
  spacer: element("spacer"),
  filter: element<HTMLInputElement>("filter"),
  kind: element<HTMLSelectElement>("kind"),
  count: element("count"),
});

const settings = initialSettings(document, location.href);
proxy.value = settings.proxy;
reference.value = settings.image;
platform.value = settings.platform;
const COMPRESSION_HINTS: Record<string, string> = {
  "": "Plain images mount on every kernel since 5.4.",
  lz4: "Fast to decompress; mounts on Linux 5.4 and later.",
  lz4hc: "Smaller than LZ4, decompresses as fast; Linux 5.4 and later.",
  deflate: "Smallest; needs Linux 6.6 or later to mount.",
};
const showCompressionHint = () =>
  element("compression-hint").textContent = COMPRESSION_HINTS[compression.value] ?? "";
compression.addEventListener("change", showCompressionHint);
showCompressionHint();

if (!canPickFile()) {
  // No File System Access API: the download is the one way to save.
  saveButton.hidden = true;
  downloadButton.classList.add("primary");
}

let running = false;
let imageSize: number | undefined;
let fileName = "image.erofs";

const client = new WorkerClient(onMessage);

function setRunning(value: boolean): void {
  running = value;
  for (
    const input of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>("input, select")
  ) {
    input.disabled = value;
  }
  convertButton.disabled = value;
  cancelButton.hidden = !value;
  form.setAttribute("aria-busy", String(value));
}

function showError(title: string, detail: string): void {
  element("error-title").textContent = title;
  element("error-detail").textContent = detail;
  errorBox.hidden = false;
}

function onMessage(message: WorkerEvent): void {
  switch (message.type) {
    case "stage":
      stage.textContent = {
        resolving: "Resolving the image…",
        reading: "Downloading and checking layers…",
        planning: "Laying out the EROFS image…",
      }[message.stage];
      break;
    case "resolved":
      progress.resolved(message);
      break;
    case "layer":
      progress.layer(message);
      break;
    case "tree": {
      setRunning(false);
      imageSize = message.imageSize;
      stage.textContent = `Read in ${(message.elapsedMs / 1000).toFixed(1)} s.`;
      const size = message.imageSize === undefined
        ? "size known once written"
        : formatBytes(message.imageSize);
      summary.textContent = [
        fileName,
        `${message.entries.length.toLocaleString()} entries`,
        `${message.inodes.toLocaleString()} inodes`,
        `${size} (${message.blockSize}-byte blocks)`,
      ].join(" · ");
      saveButton.title = `Save ${fileName} where you choose`;
      downloadButton.title = `Download ${fileName}`;
      saveButton.disabled = downloadButton.disabled = false;
      saveProgress.hidden = true;
      element("mount-hint").hidden = true;
      element("result-title").textContent = "Ready to save";
      result.hidden = false;
      listing.show(message.entries);
      (saveButton.hidden ? downloadButton : saveButton).focus();
      break;
    }
    case "error":
      setRunning(false);
      stage.textContent = "";
      showError(message.error.title, message.error.detail);
      break;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (running) return;
  const ref = reference.value.trim();
  if (ref === "") {
    showError("No image given", "Type an image reference, e.g. docker.io/library/alpine:latest");
    reference.focus();
    return;
  }
  let proxyUrl: string;
  try {
    proxyUrl = new URL(proxy.value.trim() || settings.proxy, location.href).href;
  } catch {
    showError("Invalid proxy URL", proxy.value);
    proxy.focus();
    return;
  }
  errorBox.hidden = true;
  result.hidden = true;
  progress.reset();
  fileName = imageFileName(ref);
  setRunning(true);
  const user = username.value.trim();
  client.convert({
    type: "convert",
    reference: ref,
    platform: platform.value.trim() || "linux/amd64",
    proxy: proxyUrl,
    ...(user !== "" ? { credentials: { username: user, password: password.value } } : {}),
    ...(compression.value ? { compression: compression.value } : {}),
  });
});

cancelButton.addEventListener("click", () => {
  client.cancel();
  setRunning(false);
  stage.textContent = "Cancelled.";
  convertButton.focus();
});

async function save(how: "pick" | "download"): Promise<void> {
  saveButton.disabled = downloadButton.disabled = true;
  errorBox.hidden = true;
  saveProgress.hidden = false;
  // Without a known size (compressed images) the bar is indeterminate.
  if (imageSize === undefined) saveBar.removeAttribute("value");
  else {
    saveBar.max = Math.max(imageSize, 1);
    saveBar.value = 0;
  }
  saveBar.classList.remove("done");
  saveText.textContent = "Writing…";
  const started = performance.now();
  let written = 0;
  const onWritten = (bytes: number) => {
    if (imageSize !== undefined) saveBar.value = bytes;
    written = bytes;
    const of = imageSize === undefined ? "" : ` of ${formatBytes(imageSize)}`;
    saveText.textContent = `${formatBytes(bytes)}${of} · ${
      formatRate(bytes, performance.now() - started)
    }`;
  };
  try {
    if (how === "pick") {
      const saved = await saveToPickedFile(fileName, () => client.imageStream(onWritten));
      if (!saved) {
        saveButton.disabled = downloadButton.disabled = false;
        saveProgress.hidden = true;
        return;
      }
    } else {
      await downloadStream(fileName, client.imageStream(onWritten));
    }
    saveBar.max = Math.max(written, 1);
    saveBar.value = saveBar.max;
    saveBar.classList.add("done");
    saveText.textContent = `Saved · ${formatBytes(written)} in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`;
    element("result-title").textContent = "Saved";
    element("mount-command").textContent = `sudo mount -t erofs -o loop,ro ${fileName} /mnt`;
    element("mount-hint").hidden = false;
  } catch (error) {
    saveText.textContent = "Failed.";
    // A failure in the worker has been shown already, with its own words;
    // the browser's wrapping of it (`TypeError: Failed to fetch` from a
    // Response whose stream failed) would only hide them.
    if (!errorBox.hidden) return;
    const text = error instanceof Error ? error.message : String(error);
    showError("Saving failed", text);
  }
}

saveButton.addEventListener("click", () => void save("pick"));
downloadButton.addEventListener("click", () => void save("download"));
