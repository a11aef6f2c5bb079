/**
 * The folder graph of src/ as docs/architecture.md draws it: each folder (or top-level module)
 * sits on a layer and imports only from layers below it, so there are no folder cycles. A new
 * edge that points up or sideways fails here with the file and the import that made it.
 */
import assert from "node:assert/strict";
import { globSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";

/** Lowest first. A unit may import from its own folder and from any lower layer. */
const LAYERS: readonly (readonly string[])[] = [
  ["log.ts", "private-file.ts", "connection-kinds.ts"],
  ["net", "expressions"],
  ["cliniko"],
  ["catalog", "sandbox", "store"],
  ["apps"],
  ["steps"],
  ["engine"],
  ["mcp"],
  ["server"],
  ["cli"],
];

const layerOf = new Map(LAYERS.flatMap((units, i) => units.map((u) => [u, i] as const)));
const unitOf = (file: string): string => relative("src", file).split("/")[0]!;

test("src/ folders import downward only (no folder cycles)", () => {
  const wrong: string[] = [];
  const files = globSync("src/**/*.ts");
  assert.ok(files.length > 100, "the source tree was found");
  for (const file of files) {
    const from = unitOf(file);
    const fromLayer = layerOf.get(from);
    if (fromLayer === undefined) {
      wrong.push(`${file}: ${from} is on no layer (add it to LAYERS and docs/architecture.md)`);
      continue;
    }
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)) {
      const to = unitOf(join(dirname(file), m[1]!));
      if (to === from) continue;
      const toLayer = layerOf.get(to);
      if (toLayer === undefined || toLayer >= fromLayer) wrong.push(`${file} imports ${m[1]} (${from} → ${to})`);
    }
  }
  assert.deepEqual(wrong, []);
});
