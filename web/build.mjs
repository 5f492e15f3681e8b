// Copies the pinned npm packages' built files and licences into the Python package
// (src/safepassage/web/static/vendor). Run after `npm ci`; commit what it writes, so that a
// Python user never needs npm. Glyphs are made by glyphs.py (see docs/web.md).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "..", "src", "safepassage", "web", "static", "vendor");
const nm = join(here, "node_modules");

function version(pkg) {
  return JSON.parse(readFileSync(join(nm, pkg, "package.json"), "utf8")).version;
}

const files = [
  ["maplibre-gl", "dist/maplibre-gl.js", "maplibre-gl/maplibre-gl.js"],
  ["maplibre-gl", "dist/maplibre-gl.css", "maplibre-gl/maplibre-gl.css"],
  ["maplibre-gl", "LICENSE.txt", "maplibre-gl/LICENSE.txt"],
  ["pmtiles", "dist/pmtiles.js", "pmtiles/pmtiles.js"],
  ["@expo-google-fonts/noto-sans", "LICENSE_FONT", "fonts/NotoSans-OFL.txt"],
];
const lines = ["package\tversion\tfile"];
for (const [pkg, from, to] of files) {
  mkdirSync(dirname(join(vendor, to)), { recursive: true });
  copyFileSync(join(nm, pkg, from), join(vendor, to));
  lines.push(`${pkg}\t${version(pkg)}\t${to}`);
}
// axe-core checks accessibility in the browser tests only: it goes beside them, not into the package.
const testVendor = join(here, "..", "tests", "web", "vendor");
mkdirSync(testVendor, { recursive: true });
for (const f of ["axe.min.js", "LICENSE", "LICENSE-3RD-PARTY.txt"]) {
  copyFileSync(join(nm, "axe-core", f), join(testVendor, f === "axe.min.js" ? f : `axe-core-${f}`));
}
writeFileSync(join(testVendor, "VERSIONS.tsv"), `package\tversion\tfile\naxe-core\t${version("axe-core")}\taxe.min.js\n`);
// The pmtiles npm package ships no licence file: ours quotes its repository's.
copyFileSync(join(here, "licenses", "pmtiles-LICENSE.txt"), join(vendor, "pmtiles", "LICENSE.txt"));
writeFileSync(join(vendor, "VERSIONS.tsv"), lines.join("\n") + "\n");
console.log(lines.join("\n"));
