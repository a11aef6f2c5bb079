import { appendFileSync } from "node:fs";

/**
 * Called by suites that need a server or browser binary that is missing. Outside CI the suite is
 * skipped and the test runner prints the reason at the end; under CI=true it fails instead.
 * Returns the skip reason to pass to `describe(..., { skip })`, or false when the suite may run.
 */
export function skipUnlessAvailable(service: string, available: boolean, howToEnable: string): string | false {
  if (available) return false;
  const reason = `${service} not found: ${howToEnable}`;
  if (process.env.CI === "true") throw new Error(`CI=true and ${reason}`);
  if (process.env.CLINIKO_FLOW_SKIP_FILE) appendFileSync(process.env.CLINIKO_FLOW_SKIP_FILE, `${reason}\n`);
  return reason;
}
