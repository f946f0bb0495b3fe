/**
 * Runs once before the whole suite: installs the Debian tools the tests use
 * as judges and peers, so `npm test` works on a fresh machine (as root).
 *
 * @module
 */
import { REGISTRY_COMMANDS } from "./support/registry.ts";
import { ensureCommands, TEST_COMMANDS } from "./support/system.ts";

/** Every command any test runs, with the Debian package providing it. */
const SUITE_COMMANDS: Record<string, string> = {
  ...TEST_COMMANDS,
  ...REGISTRY_COMMANDS,
  tar: "tar",
  bsdtar: "libarchive-tools",
  gzip: "gzip",
  zstd: "zstd",
  lz4: "lz4",
  diff: "diffutils",
  find: "findutils",
  skopeo: "skopeo",
  umoci: "umoci",
  truncate: "coreutils",
  chromium: "chromium",
};

export default async function setup(): Promise<void> {
  await ensureCommands(SUITE_COMMANDS);
}
