// Builds the portal's script into ../dist/app.js. The output is committed
// (so that `make build` needs only Go) and must be reproducible:
// `make portal-check` rebuilds it from package-lock.json and compares.
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
