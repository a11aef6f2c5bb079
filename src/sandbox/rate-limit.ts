/**
 * Cliniko's limit: N requests per key per rolling 60 seconds. Beyond it a request gets 429 with
 * `X-RateLimit-Reset`, the Unix second at which the oldest counted request leaves the window.
 * Wall-clock based on purpose: freezing the sandbox clock must not freeze the window.
 * The window is 60 s; benchmarks may shorten it (with the client's limiter) to compress time.
 */
export class RollingRateLimiter {
  limit: number;
  readonly windowMs: number;
  #hits = new Map<string, number[]>();

  constructor(limit: number, windowMs = 60_000) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Counts a request; `ok: false` (not counted) when the key is over its limit. */
  take(key: string, nowMs = Date.now()): { ok: true } | { ok: false; resetAt: number } {
    if (this.limit <= 0) return { ok: true };
    const hits = (this.#hits.get(key) ?? []).filter((t) => t > nowMs - this.windowMs);
    this.#hits.set(key, hits);
    if (hits.length >= this.limit) {
      const oldest = hits[hits.length - this.limit]!;
      return { ok: false, resetAt: Math.ceil((oldest + this.windowMs) / 1000) };
    }
    hits.push(nowMs);
    return { ok: true };
  }

  reset(): void {
    this.#hits.clear();
  }
}
