// Gzipped size of what the first page load fetches: index.html plus the JS and CSS it links
// (lazy chunks excluded). Fails above the budget. Run after `npm run build`.
import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const BUDGET_KB = 150;
const dist = resolve(dirname(fileURLToPath(import.meta.url)), "../dist");
const html = await readFile(resolve(dist, "index.html"), "utf8");
const assets = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
let total = gzipSync(html).length;
const rows = [["index.html", total]];
for (const asset of assets) {
  const size = gzipSync(await readFile(resolve(dist, asset))).length;
  rows.push([asset, size]);
  total += size;
}
for (const [name, size] of rows) console.log(`${(size / 1024).toFixed(1).padStart(7)} KB  ${name}`);
console.log(
  `${(total / 1024).toFixed(1).padStart(7)} KB  initial page, gzipped (budget ${BUDGET_KB} KB)`,
);
if (total > BUDGET_KB * 1024) {
  console.error("over budget");
  process.exit(1);
}
