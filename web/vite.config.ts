/**
 * Vite build of the conversion page: `web/` → `web/dist/` (static files
 * only; the page needs no server of its own besides the registry proxy).
 * The worker is an ES module worker, so it imports the same TypeScript
 * modules as the CLI; the WASM core is emitted as an asset and loaded by URL.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { createLogger, defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * The library imports its file-system sources and Node helpers (`node:fs`,
 * `node:zlib`, …) lazily, only on the paths that use them; the page never
 * takes those paths, so Vite's notice that it stubbed them is noise here.
 */
const logger = createLogger("warn");
const warn = logger.warn.bind(logger);
logger.warn = (message, options) => {
  if (message.includes("externalized for browser compatibility")) return;
  warn(message, options);
};

export default defineConfig({
  root,
  // Relative asset URLs: the page works from any path it is hosted under.
  base: "./",
  // The page reads nothing from `public/`; the repository's own files stay out of the build.
  publicDir: false,
  logLevel: "warn",
  customLogger: logger,
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // Source maps make errors in the worker readable in devtools.
    sourcemap: true,
    // The wasm file must stay a separate asset (fetched and compiled by initWasm).
    assetsInlineLimit: 0,
  },
  worker: { format: "es" },
});
