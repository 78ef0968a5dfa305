// Generates src/protocol/generated.ts from the backend's JSON Schema (docs/protocol.schema.json).
// `--check` regenerates into memory and fails when the committed file differs (drift check).
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { compile } from "json-schema-to-typescript";
import { format, resolveConfig } from "prettier";

const here = dirname(fileURLToPath(import.meta.url));
const schemaPath = resolve(here, "../../docs/protocol.schema.json");
const outPath = resolve(here, "../src/protocol/generated.ts");

/** Property-level `title`s would become one named alias per field ("Symbols", "Ok"…): keep only
 * the titles of the models themselves so the output has one interface per wire model. */
function stripFieldTitles(node, isDef = false) {
  if (Array.isArray(node)) return node.map((n) => stripFieldTitles(n));
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "title" && !isDef) continue;
    if (key === "$defs") {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, def]) => [
          name,
          stripFieldTitles({ title: name, ...def }, true),
        ]),
      );
    } else {
      out[key] = stripFieldTitles(value);
    }
  }
  return out;
}

const schema = stripFieldTitles(JSON.parse(await readFile(schemaPath, "utf8")));
schema.title = "CryptoTrackerProtocol";
const banner = `/* eslint-disable */
/**
 * GENERATED from docs/protocol.schema.json by \`npm run gen:protocol\`: do not edit by hand.
 * The Python models in src/cryptotracker/protocol.py are the source of truth.
 */`;
const ts = await compile(schema, "CryptoTrackerProtocol", {
  bannerComment: banner,
  additionalProperties: false,
  unreachableDefinitions: true,
  declareExternallyReferenced: true,
  format: false,
  maxItems: -1,
  $refOptions: {},
});
// Types vanish at run time: the page also needs the list of server events, to tell a malformed
// message of a known event from an event it does not know.
const serverEvents = `
/** Every event the server sends, for checks at run time. */
export const SERVER_EVENTS: readonly ServerEvent[] = ${JSON.stringify(schema.$defs.ServerEvent.enum)};
`;
const prettierConfig = (await resolveConfig(outPath)) ?? {};
const formatted = await format(ts + serverEvents, { ...prettierConfig, filepath: outPath });

if (process.argv.includes("--check")) {
  const committed = await readFile(outPath, "utf8").catch(() => "");
  if (committed !== formatted) {
    console.error(
      "src/protocol/generated.ts is out of date with docs/protocol.schema.json: run `npm run gen:protocol`",
    );
    process.exit(1);
  }
  console.log("protocol types up to date");
} else {
  await writeFile(outPath, formatted);
  console.log(`wrote ${outPath}`);
}
