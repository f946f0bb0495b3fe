/**
 * What the page starts with: the registry proxy (`?proxy=URL`, else the
 * page's `<meta name="oci2erofs-proxy">`, else `/proxy/` on the same
 * origin), an image to prefill (`?image=REF`), and the file name an image
 * is saved under.
 *
 * @module
 */

/**
 * Initial form values from the page address and its meta tags.
 *
 * @example
 * ```ts
 * import { initialSettings } from "./settings.ts";
 * const { proxy, image } = initialSettings(document, location.href);
 * ```
 */
export function initialSettings(
  document: Document,
  page: string,
): { proxy: string; image: string; platform: string } {
  const params = new URL(page).searchParams;
  const configured = document.querySelector<HTMLMetaElement>('meta[name="oci2erofs-proxy"]')
    ?.content;
  const proxy = new URL(params.get("proxy") || configured || "/proxy/", page).href;
  return {
    proxy,
    image: params.get("image") ?? "",
    platform: params.get("platform") ?? "linux/amd64",
  };
}

/**
 * A file name for the image of `reference`: its last path component and
 * tag (or the start of its digest), `.erofs`.
 *
 * @example
 * ```ts
 * import { imageFileName } from "./settings.ts";
 * imageFileName("ghcr.io/owner/app:1.2"); // "app-1.2.erofs"
 * imageFileName("localhost:5000/x@sha256:0123456789abcdef…"); // "x-0123456789ab.erofs"
 * ```
 */
export function imageFileName(reference: string): string {
  const [name, digest] = reference.split("@");
  const last = name!.slice(name!.lastIndexOf("/") + 1);
  const colon = last.indexOf(":");
  const base = colon < 0 ? last : last.slice(0, colon);
  const tag = digest
    ? digest.replace(/^[a-z0-9]+:/, "").slice(0, 12)
    : colon < 0
    ? "latest"
    : last.slice(colon + 1);
  return `${base || "image"}-${tag}.erofs`.replace(/[^A-Za-z0-9._-]/g, "_");
}
