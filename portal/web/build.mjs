// Builds the portal's script into ../dist/app.js. The output is committed
// (so that `make build` needs only Go) and must be reproducible:
// `make portal-check` rebuilds it from package-lock.json and compares.
import { copyFileSync, mkdirSync } from "node:fs";

import { build } from "esbuild";

await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "eof",
  charset: "utf8",
  outfile: "../dist/app.js",
  logLevel: "warning",
});

await build({
  entryPoints: ["src/viewer-frame.ts"],
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  minify: true,
  outfile: "../dist/viewer.js",
  logLevel: "warning",
});

// The DICOM viewer's libraries, unmodified (MIT), loaded by its sandboxed
// frame (viewer.html) as scripts of their own.
mkdirSync("../dist/vendor", { recursive: true });
for (const [from, to] of [
  ["node_modules/cornerstone-core/dist/cornerstone.min.js", "cornerstone.min.js"],
  ["node_modules/dicom-parser/dist/dicomParser.min.js", "dicomParser.min.js"],
  ["node_modules/cornerstone-core/LICENSE", "LICENSE.cornerstone-core"],
  ["node_modules/dicom-parser/LICENSE", "LICENSE.dicom-parser"],
]) {
  copyFileSync(from, "../dist/vendor/" + to);
}
