/**
 * The worker side of the expression pool (see expression-pool.ts): a child process that
 * evaluates one JSONata expression at a time over the scope it is sent and answers with plain
 * JSON. It runs with a small heap, so a runaway expression can only exhaust this process, which
 * the parent kills; nothing here needs its own time limit.
 */
import jsonata from "jsonata";
import { clinicTimeFunctions, hostZone } from "./clinic-time.ts";

export interface ExpressionJob {
  expression: string;
  scope: unknown;
}
export type ExpressionAnswer = { ok: true; value: unknown } | { ok: false; message: string };

const compiled = new Map<string, ReturnType<typeof jsonata>>();

function compile(expression: string): ReturnType<typeof jsonata> {
  let c = compiled.get(expression);
  if (!c) {
    c = jsonata(expression);
    if (compiled.size > 2000) compiled.clear();
    compiled.set(expression, c);
  }
  return c;
}

/** JSONata sequences are arrays with extra flags, and a lambda is not data: give back plain JSON. */
function plain(value: unknown): unknown {
  if (value === undefined || value === null || typeof value !== "object") return value;
  if (typeof (value as { then?: unknown }).then === "function") return undefined;
  return JSON.parse(JSON.stringify(value));
}

/** The clinic's zone the journal put in the scope (`clinic.time_zone`), else this machine's. */
function zoneOf(scope: unknown): string {
  const zone = (scope as { clinic?: { time_zone?: unknown } } | null)?.clinic?.time_zone;
  return typeof zone === "string" && zone !== "" ? zone : hostZone();
}

process.on("message", async (job: ExpressionJob) => {
  let answer: ExpressionAnswer;
  try {
    const bindings = clinicTimeFunctions(zoneOf(job.scope));
    answer = { ok: true, value: plain(await compile(job.expression).evaluate(job.scope, bindings)) };
  } catch (err) {
    answer = { ok: false, message: (err as { message?: string }).message ?? String(err) };
  }
  process.send!(answer);
});
// The parent going away (even by SIGKILL) closes the channel: nothing is left running.
process.on("disconnect", () => process.exit(0));
process.send!("ready");
