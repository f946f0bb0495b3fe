/**
 * Manifests into typed records: OCI image indexes and Docker manifest lists
 * become an {@link ImageIndex}, OCI image manifests and Docker schema 2
 * manifests an {@link ImageManifest}. Docker schema 1 is refused. Every
 * descriptor is validated (digest syntax, size, platform), so later stages
 * use the records without checking again.
 *
 * @module
 */
import { parseDigest } from "./digest.ts";
import { ImageError } from "./errors.ts";
import { failWith, type JsonFields, type JsonSource, parseJsonObject } from "./json.ts";
import {
  essence,
  isIndexMediaType,
  isManifestMediaType,
  isSchema1MediaType,
  MediaType,
} from "./media_types.ts";
import type { Descriptor, Platform } from "./types.ts";

/**
 * A list of manifests, usually one per platform (OCI image index, Docker
 * manifest list, or an OCI layout's `index.json`).
 *
 * @example
 * ```ts
 * import type { ImageIndex } from "./manifest.ts";
 * const platforms = (index: ImageIndex) => index.manifests.map((d) => d.platform);
 * ```
 */
export interface ImageIndex {
  readonly kind: "index";
  /** The index's own media type (OCI when the document names none). */
  readonly mediaType: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * One image: its config and its layers, bottom first (OCI image manifest or
 * Docker schema 2 manifest).
 *
 * @example
 * ```ts
 * import type { ImageManifest } from "./manifest.ts";
 * const total = (manifest: ImageManifest) => manifest.layers.reduce((n, l) => n + l.size, 0);
 * ```
 */
export interface ImageManifest {
  readonly kind: "manifest";
  /** The manifest's own media type (OCI when the document names none). */
  readonly mediaType: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * Whatever a manifest document turned out to be.
 *
 * @example
 * ```ts
 * import type { ParsedManifest } from "./manifest.ts";
 * const count = (m: ParsedManifest) => m.kind === "index" ? m.manifests.length : m.layers.length;
 * ```
 */
export type ParsedManifest = ImageIndex | ImageManifest;

/**
 * What is known about a manifest before its bytes are parsed.
 *
 * @example
 * ```ts
 * import type { ManifestSource } from "./manifest.ts";
 * const source: ManifestSource = {
 *   mediaType: "application/vnd.oci.image.index.v1+json",
 *   digest: "sha256:…",
 *   reference: "oci:./layout",
 * };
 * ```
 */
export interface ManifestSource {
  /**
   * The media type the referring descriptor or the HTTP `Content-Type`
   * gave. The document's own `mediaType` must agree with it.
   */
  mediaType?: string;
  /** The manifest's digest, for messages. */
  digest?: string;
  /** The image, for the error's context. */
  reference?: string;
  /** Names the document in messages (default `manifest DIGEST`). */
  what?: string;
}

const SCHEMA1 =
  "schema 1 manifests are not supported (obsolete since Docker 1.10); convert the image with a current tool first";

function sourceOf(source: ManifestSource): JsonSource {
  return {
    what: source.what ?? (source.digest ? `manifest ${source.digest}` : "manifest"),
    digest: source.digest,
    reference: source.reference,
  };
}

/**
 * Parses a manifest document of any supported kind. The kind is decided by
 * the referring media type, else the document's `mediaType`, else its shape
 * (`manifests` → index, `layers` → manifest; OCI allows omitting
 * `mediaType`). Throws {@link ImageError} for schema 1
 * ("schema 1 manifests are not supported"), other media types, invalid JSON,
 * documents over {@link MAX_MANIFEST_SIZE} and malformed fields.
 *
 * @example
 * ```ts
 * import { parseManifest } from "./manifest.ts";
 * const bytes = new TextEncoder().encode(JSON.stringify({
 *   schemaVersion: 2,
 *   mediaType: "application/vnd.oci.image.index.v1+json",
 *   manifests: [],
 * }));
 * const parsed = parseManifest(bytes, { digest: "sha256:…" });
 * console.log(parsed.kind); // "index"
 * ```
 */
export function parseManifest(bytes: Uint8Array, source: ManifestSource = {}): ParsedManifest {
  const json = sourceOf(source);
  const fail = failWith(json);
  const hint = source.mediaType ? essence(source.mediaType) : undefined;
  if (hint !== undefined && isSchema1MediaType(hint)) fail(SCHEMA1);
  const fields = parseJsonObject(bytes, json);
  const own = fields.optionalString("mediaType");
  const schemaVersion = fields.has("schemaVersion") ? fields.value.schemaVersion : undefined;
  if (schemaVersion === 1 || (own !== undefined && isSchema1MediaType(own))) fail(SCHEMA1);
  if (schemaVersion !== 2) {
    fail(`has schemaVersion ${JSON.stringify(schemaVersion ?? null)}; only 2 is supported`);
  }
  const known = (type: string | undefined) =>
    type !== undefined && (isIndexMediaType(type) || isManifestMediaType(type));
  if (hint !== undefined && !known(hint)) {
    // Referred to (or served) as something else: an artifact, or nonsense.
    fail(`has media type ${hint}, which is not an image manifest or index`);
  }
  if (own !== undefined && known(hint) && essence(own) !== hint) {
    // containerd refuses this too: a descriptor must describe its blob.
    fail(`says its mediaType is ${own}, but was referred to as ${hint}`);
  }
  const mediaType = known(hint)
    ? hint!
    : own !== undefined
    ? essence(own)
    : fields.has("manifests")
    ? MediaType.OciIndex
    : MediaType.OciManifest;
  if (isIndexMediaType(mediaType)) return indexFrom(fields, mediaType);
  if (isManifestMediaType(mediaType)) return manifestFrom(fields, mediaType);
  return fail(`has media type ${mediaType}, which is not an image manifest or index`);
}

/**
 * Parses a document that must be an index (an OCI layout's `index.json`, or
 * a registry answer asked for a manifest list).
 *
 * @example
 * ```ts
 * import { parseImageIndex } from "./manifest.ts";
 * const bytes = new TextEncoder().encode('{"schemaVersion":2,"manifests":[]}');
 * parseImageIndex(bytes, { what: "index.json" }).manifests.length; // 0
 * ```
 */
export function parseImageIndex(bytes: Uint8Array, source: ManifestSource = {}): ImageIndex {
  const parsed = parseManifest(bytes, source);
  if (parsed.kind !== "index") {
    throw new ImageError(`${sourceOf(source).what} is an image manifest, not an index`, {
      reference: source.reference,
      digest: source.digest,
    });
  }
  return parsed;
}

function indexFrom(fields: JsonFields, mediaType: string): ImageIndex {
  const manifests = fields.objects("manifests").map(parseDescriptor);
  const annotations = fields.stringMap("annotations");
  return { kind: "index", mediaType, manifests, ...(annotations && { annotations }) };
}

function manifestFrom(fields: JsonFields, mediaType: string): ImageManifest {
  const config = parseDescriptor(fields.object("config"));
  const layers = fields.objects("layers").map(parseDescriptor);
  const annotations = fields.stringMap("annotations");
  return { kind: "manifest", mediaType, config, layers, ...(annotations && { annotations }) };
}

/**
 * Reads one descriptor (an entry of `manifests` or `layers`, or a `config`):
 * `mediaType`, a valid `digest`, `size`, and the optional `annotations`,
 * `platform` and `urls`. Other fields are dropped.
 *
 * @example
 * ```ts
 * import { JsonFields } from "./json.ts";
 * import { parseDescriptor } from "./manifest.ts";
 * const fail = (message: string): never => { throw new Error(message); };
 * const entry = { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: "sha256:" + "0".repeat(64), size: 0 };
 * parseDescriptor(JsonFields.of(entry, "layers[0]", fail)).size; // 0
 * ```
 */
export function parseDescriptor(fields: JsonFields): Descriptor {
  const mediaType = fields.string("mediaType");
  const digestText = fields.string("digest");
  try {
    parseDigest(digestText);
  } catch (error) {
    fields.fail("digest", `is invalid: ${(error as Error).message}`);
  }
  const size = fields.integer("size");
  const annotations = fields.stringMap("annotations");
  const platformFields = fields.optionalObject("platform");
  const urls = fields.optionalStrings("urls");
  const platform = platformFields && parsePlatformFields(platformFields);
  return {
    mediaType,
    digest: digestText,
    size,
    ...(annotations && { annotations }),
    ...(platform && { platform }),
    ...(urls && { urls }),
  };
}

function parsePlatformFields(fields: JsonFields): Platform {
  const os = fields.string("os");
  const architecture = fields.string("architecture");
  const variant = fields.optionalString("variant");
  const osVersion = fields.optionalString("os.version");
  const osFeatures = fields.optionalStrings("os.features");
  return {
    os,
    architecture,
    ...(variant !== undefined && variant !== "" && { variant }),
    ...(osVersion !== undefined && { "os.version": osVersion }),
    ...(osFeatures && { "os.features": osFeatures }),
  };
}
