/**
 * Each app's documented rate limits, enforced with the same limiters as Cliniko's
 * (src/cliniko/rate-limit.ts): a sliding window per scope (a Slack channel, a HubSpot token, …)
 * that queues callers rather than failing them, and that a 429's Retry-After blocks.
 */
import {
  type Clock,
  keyFingerprint,
  type RateLimiter,
  type RateLimitStats,
  SlidingWindowLimiter,
  UnlimitedLimiter,
} from "../cliniko/rate-limit.ts";
import type { AppKind } from "../connection-kinds.ts";

/** Request starts per window, per scope; absent: the vendor publishes no fixed rate (429s still block). */
const LIMITS: Partial<Record<AppKind, { limit: number; windowMs: number }>> = {
  // Slack: chat.postMessage allows about one message per second per channel.
  slack: { limit: 1, windowMs: 1000 },
  // Slack incoming webhooks: one message per second.
  "slack-webhook": { limit: 1, windowMs: 1000 },
  // Teams connectors/workflows: a few posts per second per webhook; keep to 4.
  teams: { limit: 4, windowMs: 1000 },
  // HubSpot private apps: 100 requests per 10 seconds (the lowest tier's burst limit).
  hubspot: { limit: 100, windowMs: 10_000 },
  // Google Sheets: 60 requests per minute per user.
  "google-sheets": { limit: 60, windowMs: 60_000 },
  // Mailchimp: at most 10 simultaneous connections; 10 starts a second stays below it.
  mailchimp: { limit: 10, windowMs: 1000 },
};

export class AppLimiters {
  readonly #byScope = new Map<string, RateLimiter>();
  readonly #clock?: Clock;
  constructor(options: { clock?: Clock } = {}) {
    this.#clock = options.clock;
  }

  /** The limiter of one scope of one app (the scope may hold a token: it is hashed). */
  for(kind: AppKind, scope: string): RateLimiter {
    const id = `${kind}:${keyFingerprint(scope)}`;
    let limiter = this.#byScope.get(id);
    if (!limiter) {
      const limit = LIMITS[kind];
      // No margin for per-second windows: the vendor's own window is what we count against.
      limiter = limit
        ? new SlidingWindowLimiter({ ...limit, marginMs: 0, clock: this.#clock })
        : new UnlimitedLimiter({ clock: this.#clock });
      this.#byScope.set(id, limiter);
    }
    return limiter;
  }

  stats(): RateLimitStats[] {
    return [...this.#byScope.values()].map((l) => l.stats());
  }
}
