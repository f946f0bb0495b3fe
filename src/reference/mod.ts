/**
 * Stage "reference": container image references (`alpine`,
 * `ghcr.io/o/r:1.0@sha256:…`) parsed with the distribution grammar and
 * Docker Hub normalisation into typed {@link ImageReference} records.
 *
 * @example
 * ```ts
 * import { parseReference } from "./mod.ts";
 * const ref = parseReference("alpine:3.20");
 * console.log(`https://${ref.apiHost}/v2/${ref.repository}/manifests/${ref.manifestReference}`);
 * // https://registry-1.docker.io/v2/library/alpine/manifests/3.20
 * ```
 *
 * @module
 */
export { InvalidReferenceError } from "./errors.ts";
export {
  DEFAULT_TAG,
  DOCKER_HUB,
  DOCKER_HUB_API_HOST,
  ImageReference,
  parseReference,
} from "./reference.ts";
export {
  digestProblem,
  NAME_MAX_LENGTH,
  pathProblem,
  registryProblem,
  tagProblem,
} from "./grammar.ts";
