/**
 * The registry API a pull needs: manifests by tag or digest, and blobs as
 * streams that resume with `Range` after a dropped connection or a stall.
 * Verification against digests happens in the image stage
 * (`verifiedBlobStream`), which wraps every blob this client opens.
 *
 * @module
 */
import { digestBytes } from "../image/digest.ts";
import { MAX_MANIFEST_SIZE } from "../image/json.ts";
import { isIndexMediaType, isManifestMediaType, MediaType } from "../image/media_types.ts";
import type { Descriptor } from "../image/types.ts";
import { RegistryError } from "./errors.ts";
import { abortResponse, RegistryTransport, type TransportOptions } from "./transport.ts";

/** Content types that say nothing about which manifest kind a body is. */
const GENERIC_CONTENT_TYPES = new Set([
  "",
  "application/json",
  "text/plain",
  "application/octet-stream",
]);

/** Everything a pull accepts, schema 1 included so that it can be refused by name. */
const MANIFEST_ACCEPT = [
  MediaType.OciIndex,
  MediaType.OciManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
  MediaType.DockerManifestV1Signed,
  MediaType.DockerManifestV1,
].join(", ");

/** A manifest as fetched: bytes, their media type and digest. */
export interface FetchedManifest {
  readonly bytes: Uint8Array;
  readonly mediaType: string;
  readonly digest: string;
}

/**
 * Options of a {@link RegistryClient}.
 *
 * @example
 * ```ts
 * import type { RegistryClientOptions } from "./client.ts";
 * const options: RegistryClientOptions = { host: "localhost:5000", plainHttp: true };
 * ```
 */
export interface RegistryClientOptions extends TransportOptions {
  /** Abort and resume a blob that delivers no bytes for this long (default 60 s). */
  stallTimeoutMs?: number;
}

/** Reads a response body, refusing more than `limit` bytes. */
async function readLimited(
  response: Response,
  limit: number,
  what: string,
  host: string,
  repository: string,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    await response.body?.cancel();
    throw new RegistryError(`${what} is ${declared} bytes; at most ${limit} accepted`, {
      registry: host,
      repository,
    });
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = (response.body ?? new ReadableStream<Uint8Array>()).getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    total += read.value.length;
    if (total > limit) {
      await reader.cancel();
      throw new RegistryError(`${what} is larger than ${limit} bytes`, {
        registry: host,
        repository,
      });
    }
    parts.push(read.value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * A client of one registry.
 *
 * @example
 * ```ts
 * import { RegistryClient } from "./client.ts";
 * const client = new RegistryClient({ host: "localhost:5000", plainHttp: true });
 * const manifest = await client.manifest("library/busybox", "latest");
 * console.log(manifest.mediaType, manifest.digest);
 * ```
 */
export class RegistryClient {
  readonly host: string;
  #transport: RegistryTransport;
  #stallMs: number;

  constructor(options: RegistryClientOptions) {
    this.host = options.host;
    this.#transport = new RegistryTransport(options);
    this.#stallMs = options.stallTimeoutMs ?? 60_000;
  }

  /**
   * Fetches a manifest or index by tag or digest. The digest is computed
   * from the bytes (and must match a digest reference); the registry's
   * `Docker-Content-Digest` is not trusted.
   */
  async manifest(
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<FetchedManifest> {
    const byDigest = reference.includes(":");
    let response: Response;
    try {
      response = await this.#transport.get(`/v2/${repository}/manifests/${reference}`, {
        repository,
        headers: { accept: MANIFEST_ACCEPT },
        signal,
        digest: byDigest ? reference : undefined,
      });
    } catch (error) {
      if (error instanceof RegistryError && error.status === 404) {
        throw await this.#notFound(repository, reference, error, signal);
      }
      throw error;
    }
    const bytes = await readLimited(
      response,
      MAX_MANIFEST_SIZE,
      `manifest ${reference}`,
      this.host,
      repository,
    );
    const digest = await digestBytes(
      bytes,
      byDigest && reference.startsWith("sha512:") ? "sha512" : "sha256",
    );
    if (byDigest && digest !== reference) {
      throw new RegistryError(`manifest ${reference} has digest ${digest}`, {
        registry: this.host,
        repository,
        digest: reference,
      });
    }
    let mediaType = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (
      !isIndexMediaType(mediaType) && !isManifestMediaType(mediaType) &&
      GENERIC_CONTENT_TYPES.has(mediaType)
    ) {
      // Some registries answer application/json: the body's mediaType decides.
      // Any other type (schema 1, artifacts, nonsense) goes to the parser as
      // given, which refuses it by name.
      try {
        const body = JSON.parse(new TextDecoder().decode(bytes)) as {
          mediaType?: unknown;
          manifests?: unknown;
        };
        mediaType = typeof body.mediaType === "string"
          ? body.mediaType
          : Array.isArray(body.manifests)
          ? MediaType.OciIndex
          : MediaType.OciManifest;
      } catch {
        mediaType = MediaType.OciManifest; // the parser will say what is wrong
      }
    }
    return { bytes, mediaType, digest };
  }

  /**
   * Tells a missing repository from a missing tag (registries answer both
   * with MANIFEST_UNKNOWN or NAME_UNKNOWN) by asking for the tag list.
   */
  async #notFound(
    repository: string,
    reference: string,
    error: RegistryError,
    signal?: AbortSignal,
  ): Promise<RegistryError> {
    const context = { registry: this.host, repository, status: 404, code: error.code };
    try {
      const response = await this.#transport.get(`/v2/${repository}/tags/list?n=20`, {
        repository,
        signal,
      });
      const body = JSON.parse(
        new TextDecoder().decode(
          await readLimited(response, 1 << 20, "tag list", this.host, repository),
        ),
      ) as {
        tags?: unknown;
      };
      const tags = Array.isArray(body.tags)
        ? body.tags.filter((t): t is string => typeof t === "string")
        : [];
      const known = tags.length > 0
        ? `; it has ${tags.slice(0, 10).join(", ")}${tags.length > 10 ? ", …" : ""}`
        : "";
      return new RegistryError(
        `${reference.includes(":") ? "manifest" : "tag"} ${reference} not found${known}`,
        context,
      );
    } catch (listError) {
      if (listError instanceof RegistryError && listError.status === 404) {
        return new RegistryError("repository not found", {
          ...context,
          code: listError.code ?? error.code,
        });
      }
      return error;
    }
  }

  /**
   * Streams a blob (or, for manifest media types, a manifest by digest).
   * A connection that drops or stalls mid-body is resumed with `Range`
   * from the last byte received; the bytes are not verified here.
   */
  blob(
    repository: string,
    descriptor: Descriptor,
    signal?: AbortSignal,
  ): ReadableStream<Uint8Array> {
    const kind = isIndexMediaType(descriptor.mediaType) || isManifestMediaType(descriptor.mediaType)
      ? "manifests"
      : "blobs";
    const path = `/v2/${repository}/${kind}/${descriptor.digest}`;
    const transport = this.#transport;
    const stallMs = this.#stallMs;
    const host = this.host;
    let received = 0;
    let resumes = 0;
    let response: Response | undefined;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;

    const open = async () => {
      const headers: Record<string, string> = kind === "manifests"
        ? { accept: MANIFEST_ACCEPT }
        : {};
      if (received > 0) headers.range = `bytes=${received}-`;
      response = await transport.get(path, {
        repository,
        headers,
        signal,
        digest: descriptor.digest,
      });
      let skip = 0;
      if (received > 0 && response.status !== 206) skip = received; // no Range support: skip what we have
      const body = response.body ?? new ReadableStream<Uint8Array>();
      reader = (skip > 0 ? body.pipeThrough(skipBytes(skip)) : body).getReader();
    };

    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        for (;;) {
          try {
            if (!reader) await open();
            const current = response!;
            const timer = setTimeout(
              () => abortResponse(current, new Error(`no data for ${stallMs} ms`)),
              stallMs,
            );
            let result: ReadableStreamReadResult<Uint8Array>;
            try {
              result = await reader!.read();
            } finally {
              clearTimeout(timer);
            }
            if (result.done) {
              controller.close();
              return;
            }
            received += result.value.length;
            controller.enqueue(result.value);
            return;
          } catch (error) {
            if (signal?.aborted || error instanceof RegistryError || resumes >= 5) {
              if (error instanceof RegistryError || signal?.aborted) throw error;
              throw new RegistryError(
                `download of ${descriptor.digest} failed after ${resumes} resumes: ${
                  String(error)
                }`,
                {
                  registry: host,
                  repository,
                  digest: descriptor.digest,
                  cause: error,
                },
              );
            }
            resumes++;
            reader = undefined;
            await new Promise((resolve) => setTimeout(resolve, 200 * resumes));
          }
        }
      },
      async cancel(reason) {
        await reader?.cancel(reason).catch(() => {});
      },
    });
  }
}

/** Drops the first `count` bytes of a stream. */
function skipBytes(count: number): TransformStream<Uint8Array, Uint8Array> {
  let left = count;
  return new TransformStream({
    transform(chunk, controller) {
      if (left >= chunk.length) {
        left -= chunk.length;
        return;
      }
      controller.enqueue(left > 0 ? chunk.subarray(left) : chunk);
      left = 0;
    },
  });
}
