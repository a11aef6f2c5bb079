/**
 * `npm test`'s test step: runs every `test/**\/*.test.ts` with Node's test runner.
 *
 * Suites that need PostgreSQL, Redis or Chromium find the binaries themselves
 * (test/support/services.ts) and skip with a loud note when one is missing — except under
 * CI=true, where a missing service fails the run.
 */
import { spawnSync } from "node:child_process";
import { globSync } from "node:fs";

const patterns = process.argv.slice(2);
const files = globSync(patterns.length > 0 ? patterns : ["test/**/*.test.ts"]).sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--test", "--test-reporter=spec", `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files],
  { stdio: "inherit", env: { ...process.env, CLINIKO_FLOW_TEST: "1" } },
);
process.exit(result.status ?? 1);
