/**
 * How the runner ends a run early: a `Stop` thrown through the steps carries the run's status (a
 * filter that did not pass, a failure, an unknown write, a park), and of several items of a loop
 * that stopped at once, `worst` picks the one the run ends with.
 */
import type { RunOutcome } from "./runner.ts";

/**
 * Thrown inside the runner to end the run with a status. `filtered` (a filter that did not pass)
 * ends the run, or inside a loop only the current item.
 */
export class Stop {
  readonly status: Exclude<RunOutcome, "lease-lost">;
  readonly error: string | null;
  /** What the error's sentence leaves out (a 422's field list, a response body), kept apart from it. */
  readonly details: unknown;
  /** A parked run's wake-up time. */
  readonly until?: string;
  constructor(
    status: Exclude<RunOutcome, "lease-lost">,
    error: string | null = null,
    o: { until?: string; details?: unknown } = {},
  ) {
    this.status = status;
    this.error = error;
    this.details = o.details;
    this.until = o.until;
  }
}

/**
 * Of the ways several items of a loop stopped, the one the run ends with: a failure before a park,
 * and of parks the earliest wake-up (a later one parks again then).
 */
export function worst(stops: unknown[]): unknown {
  const rank = (e: unknown) => (e instanceof Stop ? (e.status === "parked" ? 1 : 2) : 3);
  const earlier = (a: unknown, b: unknown) =>
    a instanceof Stop && b instanceof Stop && a.status === "parked" && b.status === "parked" && b.until! < a.until!;
  return stops.reduce((a, b) => (rank(b) > rank(a) || earlier(a, b) ? b : a));
}
