/**
 * Adaptive polling: how often a (connection, resource) pair is polled beyond its `every`.
 *
 * Cliniko allows 200 requests a minute per key and ten active triggers polled once a minute use
 * 5 % of it. The scheduler spends a share of what is left on freshness: a pair is polled again as
 * soon as its freshness interval has passed *and* the key's limiter grants an optional start
 * (`RateLimiter.tryOptional`), which it does only while nobody waits for a slot, no 429 holds the
 * key, and optional starts stay within `CLINIKO_FLOW_POLL_SHARE` of what runs and regular polls
 * leave. So freshness takes spare budget only, and gives way at once.
 *
 * The freshness interval starts at `fastestMs` after a change (a poll whose read moved the pair's
 * cursor) and doubles every `doublingMs` of quiet, up to the workflows' `every`: a resource that
 * changed in the last minutes is polled every few seconds, a quiet one slows back to `every`,
 * which stays the slowest interval (regular polls still run at it when the budget is spent).
 * When several pairs are due and the budget is short, the most overdue (time since its last poll
 * over its interval) asks first, so recently changed pairs, with short intervals, come first.
 */
import { ClinikoConfigError } from "../cliniko/errors.ts";

export interface FreshnessOptions {
  /** Share of the spare budget optional polls may use (0 turns adaptive polling off). */
  share: number;
  /** The interval right after a change. */
  fastestMs: number;
  /** Quiet time over which the interval doubles. */
  doublingMs: number;
}

export const DEFAULT_POLL_SHARE = 0.5;
export const FRESHNESS_DEFAULTS: Omit<FreshnessOptions, "share"> = { fastestMs: 2000, doublingMs: 4 * 60_000 };

/** CLINIKO_FLOW_POLL_SHARE: 0 to 0.9 (default 0.5); 0 polls at `every` only, as before. */
export function pollShareFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.CLINIKO_FLOW_POLL_SHARE?.trim();
  if (raw === undefined || raw === "") return DEFAULT_POLL_SHARE;
  const n = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || !(n >= 0 && n <= 0.9))
    throw new ClinikoConfigError(
      `CLINIKO_FLOW_POLL_SHARE must be a share of the rate limit from 0 to 0.9 (0 polls only at each trigger's interval), not "${raw}".`,
    );
  return n;
}

/** How long after its last poll a pair is due for a freshness poll. */
export function freshIntervalMs(quietMs: number, everyMs: number, o: Omit<FreshnessOptions, "share">): number {
  return Math.min(everyMs, o.fastestMs * 2 ** (Math.max(0, quietMs) / o.doublingMs));
}

/** A pair's timing as the scheduler knows it. */
export interface PairTiming {
  everyMs: number;
  lastPollAt: number;
  lastChangeAt: number;
}

/**
 * The pairs due for a freshness poll, most overdue first (elapsed over interval): the order in
 * which they ask the key's limiter.
 */
export function dueForFreshness<T>(
  pairs: Iterable<T>,
  timing: (pair: T) => PairTiming,
  now: number,
  o: Omit<FreshnessOptions, "share">,
): T[] {
  const due: { pair: T; overdue: number }[] = [];
  for (const pair of pairs) {
    const t = timing(pair);
    // An every no longer than the fastest interval leaves freshness nothing to add (the
    // scheduler's #freshens says the same for distributed mode's claims).
    if (t.everyMs <= o.fastestMs) continue;
    const interval = freshIntervalMs(now - t.lastChangeAt, t.everyMs, o);
    const elapsed = now - t.lastPollAt;
    if (elapsed >= interval) due.push({ pair, overdue: elapsed / interval });
  }
  return due.sort((a, b) => b.overdue - a.overdue).map((d) => d.pair);
}
