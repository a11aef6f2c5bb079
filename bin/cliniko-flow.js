#!/usr/bin/env node
// In a checkout, run the TypeScript sources directly (Node ≥ 22.12 strips types), so the CLI is
// never stale; an installed package has no src/ and runs the compiled dist/.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
if (process.features?.typescript && existsSync(source)) {
  await import(source.href);
} else {
  await import(new URL("../dist/cli/main.js", import.meta.url).href);
}
