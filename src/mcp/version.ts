import { readFileSync } from "node:fs";

/** The package's version, which the server reports to clients (read at run time: src/ and dist/ alike). */
export const VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
