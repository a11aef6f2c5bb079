/**
 * `npm test`'s test step: runs `test/**\/*.test.ts` (or the globs given) with Node's test runner.
 *
 * Suites that need PostgreSQL, Redis or Chromium look for the binaries themselves and, when one is
 * missing, skip through test/support/skip.ts, which records why; this script prints those
 * reasons loudly at the end. Under CI=true a missing service fails instead of skipping.
 */
import { spawnSync } from "node:child_process";
import { existsSync, globSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const patterns = process.argv.slice(2);
const files = globSync(patterns.length > 0 ? patterns : ["test/**/*.test.ts"]).sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), "cliniko-flow-test-"));
const skipFile = join(dir, "skipped.txt");
const result = spawnSync(
  process.execPath,
  ["--test", "--test-reporter=spec", `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files],
  { stdio: "inherit", env: { ...process.env, CLINIKO_FLOW_TEST: "1", CLINIKO_FLOW_SKIP_FILE: skipFile } },
);
if (existsSync(skipFile)) {
  const reasons = [...new Set(readFileSync(skipFile, "utf8").trim().split("\n"))];
  console.error(`\n!!! ${reasons.length} suite group(s) SKIPPED because a service is missing:`);
  for (const r of reasons) console.error(`!!!   - ${r}`);
  console.error("!!! Install the packages named above (as .ci/run does) to run them.\n");
}
rmSync(dir, { recursive: true, force: true });
process.exit(result.status ?? 1);
