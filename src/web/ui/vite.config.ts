import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The seed serves the built UI and the APIs on one port; in `vite dev` the APIs are proxied to it.
const seed = "http://127.0.0.1:9700";

/** Vite config of the web UI: sources in this folder, output in `<repo>/dist/ui`. */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  publicDir: false,
  // No @preact/preset-vite: Oxc's automatic JSX runtime, pointed at Preact, is all we need.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../../../dist/ui", import.meta.url)),
    emptyOutDir: true,
  },
  server: { host: "127.0.0.1", proxy: { "/api": seed, "/-/": seed } },
});
