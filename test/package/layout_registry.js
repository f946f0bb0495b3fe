/**
 * A registry's pull API (`GET /v2/REPO/manifests/REF`, `GET
 * /v2/REPO/blobs/DIGEST`) answered from an OCI image layout on disk, as a
 * `fetch` function: enough for a client to pull the layout's images where
 * no registry can run (the workerd bundle test). Plain JavaScript so the
 * bundle's Node runner can import it as is.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A `fetch` serving the layout at `dir` for any host and repository.
 *
 * @example
 * ```js
 * import { layoutFetch } from "./layout_registry.js";
 * const fetch = layoutFetch("examples/busybox");
 * const response = await fetch("https://registry.test/v2/busybox/manifests/latest");
 * ```
 *
 * @param {string} dir
 * @returns {typeof fetch}
 */
export function layoutFetch(dir) {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
  const blob = (digest) => readFileSync(join(dir, "blobs", ...digest.split(":")));
  return (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const match = /^\/v2\/.+\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!match) return Promise.resolve(new Response("not found", { status: 404 }));
    const [, kind, reference] = match;
    const descriptor = kind === "blobs"
      ? { digest: reference }
      : index.manifests.find((m) =>
        m.digest === reference ||
        m.annotations?.["org.opencontainers.image.ref.name"] === reference
      );
    if (!descriptor) return Promise.resolve(new Response("not found", { status: 404 }));
    const bytes = blob(descriptor.digest);
    return Promise.resolve(
      new Response(bytes, {
        headers: {
          "content-type": descriptor.mediaType ?? "application/octet-stream",
          "content-length": String(bytes.length),
          "docker-content-digest": descriptor.digest,
        },
      }),
    );
  };
}
