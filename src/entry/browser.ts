/**
 * The portable surface of oci2erofs: everything that runs on Web APIs alone
 * (`fetch`, streams, WebAssembly), so browsers, web workers and edge
 * functions can import it. Registry images are converted and streamed; the
 * sources and sinks that need a file system are imported lazily by
 * `convert` when a `dir:`, `tar:`, `oci:` or archive source, or
 * `Conversion.writeTo`, asks for them. The package's `browser` condition
 * points here; `mod.ts` adds the file-system sources on top.
 *
 * @example
 * ```ts
 * import { convert } from "./browser.ts";
 * const conversion = await convert("docker.io/library/busybox:latest", {
 *   fetch: (input, init) => fetch(input, init), // e.g. through a CORS proxy
 * });
 * const response = new Response(conversion.stream());
 * ```
 *
 * @module
 */
export {
  Conversion,
  convert,
  ConvertError,
  type ConvertOptions,
  type LayerEvent,
  type LayerSummary,
  type PlanEvent,
  type ProgressEvent,
  type ResolveEvent,
  type StageTimes,
  type WriteEvent,
  type WriteToOptions,
} from "../convert/mod.ts";
export {
  type ImageSourceKind,
  isImageSource,
  parseSource,
  SOURCE_SYNTAX,
  SourceError,
  type SourceKind,
  type SourceSpec,
} from "../source/spec.ts";
export { ImageReference, InvalidReferenceError, parseReference } from "../reference/mod.ts";
export { RegistryClient, type RegistryClientOptions } from "../registry/client.ts";
export { RegistryError } from "../registry/errors.ts";
export {
  Authenticator,
  type AuthenticatorOptions,
  AuthError,
  type Credentials,
  type CredentialsInput,
} from "../registry/auth/mod.ts";
export { openRegistrySource, type RegistrySourceOptions } from "../source/registry.ts";
export type { Descriptor, Image, ImageConfig, LayerBlob, Platform } from "../image/types.ts";
export { ImageError } from "../image/errors.ts";
export {
  type ContentSpool,
  imageTree,
  type ImageTreeOptions,
  LayerError,
  type LayerProgress,
} from "../layers/mod.ts";
export { DecompressError } from "../layers/decompress/errors.ts";
export { buildErofs, ErofsError, type ErofsImage, type ErofsOptions } from "../erofs/mod.ts";
export {
  bytesContent,
  type DeviceInode,
  directory,
  type DirectoryInode,
  type FileContent,
  type FileInode,
  generatedContent,
  type Inode,
  type InodeKind,
  type Metadata,
  metadata,
  type SpecialInode,
  type SymlinkInode,
  type Timestamp,
  Tree,
  TreeError,
} from "../tree/mod.ts";
export { checkedChunks, imageStream } from "../sink/mod.ts";
export { initWasm, type WasmSource } from "../wasm/load.ts";
export { VERSION } from "../version.ts";
