/**
 * Writes docs/actions.md and docs/triggers.md from the catalogue (src/catalog). `--check` only
 * compares and exits 1 when a file is stale (the "generated docs" test in test/catalog/catalog.test.ts does the same in CI).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { renderActionsDoc, renderTriggersDoc } from "../src/catalog/docs.ts";

const files: [string, string][] = [
  ["docs/actions.md", renderActionsDoc()],
  ["docs/triggers.md", renderTriggersDoc()],
];
const check = process.argv.includes("--check");
let stale = 0;
for (const [path, text] of files) {
  const url = new URL(`../${path}`, import.meta.url);
  let current = "";
  try {
    current = readFileSync(url, "utf8");
  } catch {}
  if (current === text) continue;
  if (check) {
    console.error(`${path} is out of date: run node scripts/gen-docs.ts`);
    stale++;
  } else {
    writeFileSync(url, text);
    console.log(`wrote ${path}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
