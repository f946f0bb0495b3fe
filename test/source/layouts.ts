/**
 * The layouts the OCI source tests read: one written by umoci and a
 * hand-made multi-platform one, built once per test file in a temporary
 * directory that is removed afterwards.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { ensureImageTools, writeMultiPlatformLayout, writeUmociLayout } from "../image/fixtures.ts";

/** Paths of the shared layouts; filled in by the time tests run. */
export interface SourceLayouts {
  /** The temporary directory holding everything (free for a test's own files). */
  work: string;
  /** A layout written by umoci. */
  umoci: string;
  /** The hand-made multi-platform layout. */
  multi: string;
  /** What {@link writeMultiPlatformLayout} wrote into `multi`. */
  multiImages: ReturnType<typeof writeMultiPlatformLayout>;
}

/**
 * Registers hooks that build the layouts before the file's tests (installing
 * skopeo and umoci if missing) and remove them after, and returns the object
 * they fill in. Call at the top level of a test file.
 *
 * @example
 * ```ts
 * import { useSourceLayouts } from "./layouts.ts";
 * const layouts = useSourceLayouts("oci2erofs-example-");
 * it("opens the umoci layout", () => openOciLayoutSource(layouts.umoci));
 * ```
 */
export function useSourceLayouts(prefix: string): SourceLayouts {
  const layouts = {} as SourceLayouts;
  beforeAll(async () => {
    await ensureImageTools();
    layouts.work = mkdtempSync(join(tmpdir(), prefix));
    layouts.umoci = join(layouts.work, "umoci");
    await writeUmociLayout(layouts.umoci, join(layouts.work, "scratch"));
    layouts.multi = join(layouts.work, "multi");
    layouts.multiImages = writeMultiPlatformLayout(layouts.multi);
  });
  afterAll(() => rmSync(layouts.work, { recursive: true, force: true }));
  return layouts;
}
