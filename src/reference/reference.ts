/**
 * Parsing an image reference (`alpine`, `ghcr.io/o/r:1.0`,
 * `[::1]:5000/x@sha256:…`) into a typed, validated, normalised
 * {@link ImageReference}, with Docker Hub's conventions applied: a bare name
 * lives on `docker.io`, gets `library/` when it has one component, and is
 * served from `registry-1.docker.io`.
 *
 * @module
 */
import { InvalidReferenceError } from "./errors.ts";
import {
  digestProblem,
  NAME_MAX_LENGTH,
  pathProblem,
  registryProblem,
  tagProblem,
} from "./grammar.ts";

/** Docker Hub's canonical registry name. */
export const DOCKER_HUB = "docker.io";
/** The host that actually serves Docker Hub's registry API. */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";
/** The tag assumed when a reference has neither tag nor digest. */
export const DEFAULT_TAG = "latest";

const HUB_ALIASES = new Set([DOCKER_HUB, "index.docker.io"]);
const TRANSPORT_PREFIX = "docker://";
// A bare 64-hex name would be read as an image ID by Docker; the grammar forbids it.
const IMAGE_ID = /^[a-f0-9]{64}$/;

/**
 * A parsed, validated image reference. Build one with
 * {@link parseReference}; every field is already normalised.
 *
 * @example
 * ```ts
 * import { parseReference } from "./reference.ts";
 * const ref = parseReference("alpine");
 * ref.registry; // "docker.io"
 * ref.apiHost; // "registry-1.docker.io"
 * ref.repository; // "library/alpine"
 * ref.tag; // "latest"
 * ref.toString(); // "docker.io/library/alpine:latest"
 * ref.familiar; // "alpine:latest"
 * ```
 */
export class ImageReference {
  /** The registry as written, lower-cased, with Hub's aliases folded into `docker.io` (`localhost:5000`, `[::1]:5000`). */
  readonly registry: string;
  /** The `host[:port]` to send registry API requests to (`registry-1.docker.io` for Hub). */
  readonly apiHost: string;
  /** The repository path, with `library/` added for single-component Hub names. */
  readonly repository: string;
  /** The tag; `latest` when neither tag nor digest was given. With a digest it is informational only. */
  readonly tag: string | undefined;
  /** The manifest digest (`sha256:…`); when present it decides what is pulled. */
  readonly digest: string | undefined;

  /** Use {@link parseReference}; the constructor trusts its arguments. */
  constructor(fields: {
    registry: string;
    repository: string;
    tag?: string | undefined;
    digest?: string | undefined;
  }) {
    this.registry = fields.registry;
    this.apiHost = fields.registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : fields.registry;
    this.repository = fields.repository;
    this.tag = fields.tag;
    this.digest = fields.digest;
  }

  /** `registry/repository`, e.g. `docker.io/library/alpine`. */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  /** What to ask `/v2/<name>/manifests/<…>` for: the digest when there is one, else the tag. */
  get manifestReference(): string {
    return this.digest ?? this.tag ?? DEFAULT_TAG;
  }

  /** The short form Docker prints: `alpine:latest`, `user/app:1`, `ghcr.io/o/r@sha256:…`. */
  get familiar(): string {
    let name = this.name;
    if (this.registry === DOCKER_HUB) {
      name = this.repository;
      const rest = name.slice("library/".length);
      if (name.startsWith("library/") && !rest.includes("/")) name = rest;
    }
    return name + this.#suffix();
  }

  /** The normalised full form: `docker.io/library/alpine:latest`. */
  toString(): string {
    return this.name + this.#suffix();
  }

  /** Serialises as the normalised full form. */
  toJSON(): string {
    return this.toString();
  }

  #suffix(): string {
    return (this.tag === undefined ? "" : `:${this.tag}`) +
      (this.digest === undefined ? "" : `@${this.digest}`);
  }
}

/**
 * Parses `[docker://][host[:port]/]path[:tag][@digest]`. The first path
 * component is a registry only if it contains `.` or `:`, starts with `[`,
 * or is exactly `localhost`; otherwise the image is on Docker Hub (so
 * `Uppercase/x` is an uppercase repository, not a host). Throws
 * {@link InvalidReferenceError} naming what is wrong.
 *
 * @example
 * ```ts
 * import { parseReference } from "./reference.ts";
 * parseReference("localhost:5000/app:v1").apiHost; // "localhost:5000"
 * parseReference("docker://index.docker.io/nginx").toString(); // "docker.io/library/nginx:latest"
 * const pinned = parseReference(`alpine:3.20@sha256:${"a".repeat(64)}`);
 * pinned.manifestReference; // the digest: it wins over the tag
 * ```
 */
export function parseReference(text: string): ImageReference {
  const fail = (reason: string): never => {
    throw new InvalidReferenceError(text, reason);
  };
  let rest = text.startsWith(TRANSPORT_PREFIX) ? text.slice(TRANSPORT_PREFIX.length) : text;
  if (rest === "") fail("reference is empty");
  if (/\s/.test(rest)) fail("reference contains whitespace");
  if (rest.includes("://")) fail("a reference has no URL scheme (only docker:// is accepted)");

  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const problem = digest.includes("@") ? "more than one @" : digestProblem(digest);
    if (problem) fail(problem);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", lastSlash + 1);
  // In `[::1]:5000` (no slash) the colons belong to a would-be host; the
  // name check below reports that better than a tag message would.
  if (colon >= 0 && !(lastSlash < 0 && rest.startsWith("["))) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    const problem = tagProblem(tag);
    if (problem) fail(problem);
  }

  const name = rest;
  if (name === "") fail("repository name is empty");
  if (name.length > NAME_MAX_LENGTH) {
    fail(`repository name is longer than ${NAME_MAX_LENGTH} characters`);
  }

  let registry = DOCKER_HUB;
  let path = name;
  const slash = name.indexOf("/");
  const first = slash < 0 ? name : name.slice(0, slash);
  if (
    slash >= 0 &&
    (first.includes(".") || first.includes(":") || first.startsWith("[") || first === "localhost")
  ) {
    const problem = registryProblem(first);
    if (problem) fail(problem);
    registry = first.toLowerCase();
    path = name.slice(slash + 1);
  } else if (first.startsWith("[")) {
    fail("a registry must be followed by /repository");
  }
  const problem = pathProblem(path);
  if (problem) fail(problem);
  if (registry === DOCKER_HUB && IMAGE_ID.test(path)) {
    fail("a 64-hex-digit name is an image ID, not a repository");
  }

  if (HUB_ALIASES.has(registry)) {
    registry = DOCKER_HUB;
    if (!path.includes("/")) path = `library/${path}`;
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return new ImageReference({ registry, repository: path, tag, digest });
}
