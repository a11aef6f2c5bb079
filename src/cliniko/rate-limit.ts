/**
 * Client-side pacing of Cliniko requests, per API key.
 *
 * Cliniko allows 200 requests per minute per user and answers 429 beyond that. We pace with a
 * SLIDING WINDOW — at most `limit` request starts in any `windowMs` — rather than a token bucket:
 * a bucket of 200 that refills at 200/min lets 200 requests go at once and then ~3.3/s more, so
 * up to ~400 can start within one rolling minute and trip a rolling-window limit. The sliding
 * window can never exceed the server's count, so a well-behaved process never sees a 429 unless
 * someone else uses the same key. Callers over the limit are QUEUED in order (FIFO), never failed.
 *
 * The server counts arrivals, we count starts: network jitter can land the 201st request a little
 * earlier than the 1st did, a 429 at the window's edge, and a 429 blocks the key until a whole-second
 * reset. So the window we keep is `marginMs` (default 2 %, 1.2 s a minute) longer than the server's;
 * measured on the backfill benchmark it turns ~100 429s per 10k requests into 0–3 for 2 % of throughput.
 *
 * On a 429 the pipeline calls `blockUntil(reset)`: every caller on that key waits until Cliniko's
 * `X-RateLimit-Reset`. Who shares a limiter is decided by whoever builds clients, not by this
 * module: a `LimiterRegistry` hands out one limiter per key (engine/clients.ts owns one per
 * process and /metrics reads it through that provider). `RateLimiter` and `LimiterRegistry` are
 * interfaces so a Redis-backed pair shared by several workers can replace the local ones.
 */
import { createHash } from "node:crypto";

/** All waiting goes through a clock so tests can run minutes of pacing in milliseconds. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export interface RateLimitStats {
  /** Request starts granted. */
  requests: number;
  /** Grants that had to wait (window full or blocked after a 429). */
  waits: number;
  /** Total milliseconds callers spent waiting. */
  waitedMs: number;
  /** 429 answers reported by the pipeline. */
  rateLimited: number;
  /** Callers queued right now. */
  queued: number;
  /** Epoch ms until which requests are held after a 429 (0 when not blocked). */
  blockedUntil: number;
}

export interface RateLimiter {
  /** Resolves when the caller may start one request; rejects if `signal` aborts while queued. */
  acquire(signal?: AbortSignal): Promise<void>;
  /**
   * Holds every request until `epochMs` (after a 429). Never shortens an existing block. May be
   * async (a shared store); the pipeline awaits it before retrying.
   */
  blockUntil(epochMs: number): void | Promise<void>;
  /**
   * Optional work (a freshness poll) asks here before it starts, and never waits: true when one
   * request may start now without taking a slot anyone else is waiting for — no 429 hold, nobody
   * queued, and the optional starts in the window stay within `share` of what the other starts
   * leave of the limit. A grant is counted as one optional start; the request itself still goes
   * through `acquire` (it is granted at once: the window has room). A limiter that does not pace
   * has no budget to share and answers false.
   */
  tryOptional(share: number): boolean | Promise<boolean>;
  /** Counts `n` more optional starts already made (the extra pages of a granted poll). */
  noteOptional(n: number): void | Promise<void>;
  stats(): RateLimitStats;
}

/** Optional starts are spread over the window in slices of this fraction of it. */
export const OPTIONAL_SLICES = 20;

/**
 * Whether optional work may take one more start: its starts stay within `share` of the slots the
 * other starts leave (`room`), so with share < 1 it never fills the window itself; and at most
 * room / OPTIONAL_SLICES of them fall in any twentieth of the window (`recent`: 3 s of a minute),
 * so they spread over the window instead of being spent in a burst that leaves the rest of it
 * without any.
 */
export function optionalFits(o: {
  limit: number;
  inWindow: number;
  optional: number;
  recent: number;
  share: number;
}): boolean {
  const room = o.share * (o.limit - Math.max(0, o.inWindow - o.optional));
  return o.optional + 1 <= room && o.recent + 1 <= Math.max(1, Math.floor(room / OPTIONAL_SLICES));
}

export interface RateLimitOptions {
  /** Request starts allowed per window (default 200, Cliniko's per-user limit). */
  limit?: number;
  /** The server's window length in ms (default 60 000). */
  windowMs?: number;
  /** Extra spacing kept on top of the server's window (default 2 % of it). */
  marginMs?: number;
  clock?: Clock;
}

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  enqueuedAt: number;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class SlidingWindowLimiter implements RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly clock: Clock;
  /** Start times of the requests inside the current window, oldest first. */
  private starts: number[] = [];
  private head = 0;
  private queue: Waiter[] = [];
  private pumping = false;
  private blocked = 0;
  private counters = { requests: 0, waits: 0, waitedMs: 0, rateLimited: 0 };
  /** Times of the optional starts inside the window (see tryOptional). */
  private optional: number[] = [];

  constructor(options: RateLimitOptions = {}) {
    this.limit = options.limit ?? 200;
    const serverWindow = options.windowMs ?? 60_000;
    this.windowMs = serverWindow + (options.marginMs ?? Math.ceil(serverWindow * 0.02));
    this.clock = options.clock ?? systemClock;
    if (!Number.isInteger(this.limit) || this.limit < 1) throw new RangeError("rate limit must be a positive integer");
    if (!(this.windowMs > 0)) throw new RangeError("rate-limit window must be positive");
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, enqueuedAt: this.clock.now(), signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      void this.pump();
    });
  }

  blockUntil(epochMs: number): void {
    this.counters.rateLimited++;
    if (epochMs > this.blocked) this.blocked = epochMs;
  }

  tryOptional(share: number): boolean {
    const now = this.clock.now();
    if (this.blocked > now || this.queue.length > 0) return false;
    this.optional = this.optional.filter((t) => t > now - this.windowMs);
    const slice = now - this.windowMs / OPTIONAL_SLICES;
    const fits = optionalFits({
      limit: this.limit,
      inWindow: this.inWindow(now),
      optional: this.optional.length,
      recent: this.optional.filter((t) => t > slice).length,
      share,
    });
    if (!fits) return false;
    this.optional.push(now);
    return true;
  }

  noteOptional(n: number): void {
    const now = this.clock.now();
    for (let i = 0; i < n; i++) this.optional.push(now);
  }

  stats(): RateLimitStats {
    return {
      ...this.counters,
      queued: this.queue.length,
      blockedUntil: this.blocked > this.clock.now() ? this.blocked : 0,
    };
  }

  /** Number of starts inside the window ending now (drops older ones). */
  private inWindow(now: number): number {
    while (this.head < this.starts.length && this.starts[this.head]! <= now - this.windowMs) this.head++;
    if (this.head > 1024) {
      this.starts = this.starts.slice(this.head);
      this.head = 0;
    }
    return this.starts.length - this.head;
  }

  /** One loop per limiter grants slots in queue order; it sleeps only on the clock. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const now = this.clock.now();
        if (this.blocked > now) {
          await this.clock.sleep(this.blocked - now);
          continue;
        }
        if (this.inWindow(now) >= this.limit) {
          await this.clock.sleep(this.starts[this.head]! + this.windowMs - now);
          continue;
        }
        const waiter = this.queue.shift()!;
        this.starts.push(now);
        this.counters.requests++;
        if (now > waiter.enqueuedAt) {
          this.counters.waits++;
          this.counters.waitedMs += now - waiter.enqueuedAt;
        }
        if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
        waiter.resolve();
      }
    } finally {
      this.pumping = false;
    }
  }
}

/**
 * A limiter that does not pace (a local sandbox without limits); it still counts. It does honour
 * a 429's reset: "no pacing" means we trust the server to say when to stop, not that we hammer
 * it again the moment it says so.
 */
export class UnlimitedLimiter implements RateLimiter {
  private readonly clock: Clock;
  private blocked = 0;
  private counters = { requests: 0, rateLimited: 0, waits: 0, waitedMs: 0 };
  constructor(options: { clock?: Clock } = {}) {
    this.clock = options.clock ?? systemClock;
  }
  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const start = this.clock.now();
    let slept = false;
    // Re-read the block after each sleep: another 429 may have pushed it further.
    while (this.blocked > this.clock.now()) {
      slept = true;
      await this.clock.sleep(this.blocked - this.clock.now());
      signal?.throwIfAborted();
    }
    // Only a real wait counts: the clock may tick between two readings with no wait at all.
    const waited = this.clock.now() - start;
    if (slept && waited > 0) {
      this.counters.waits++;
      this.counters.waitedMs += waited;
    }
    this.counters.requests++;
  }
  blockUntil(epochMs: number): void {
    this.counters.rateLimited++;
    if (epochMs > this.blocked) this.blocked = epochMs;
  }
  tryOptional(): boolean {
    return false;
  }
  noteOptional(): void {}
  stats(): RateLimitStats {
    return { ...this.counters, queued: 0, blockedUntil: this.blocked > this.clock.now() ? this.blocked : 0 };
  }
}

/**
 * Hands out the limiter of each API key (one key has one budget at Cliniko, so every client on a
 * key must share it) and reports their statistics. Owned by the client provider; a Redis-backed
 * registry implements the same interface to share budgets across processes.
 */
export interface LimiterRegistry {
  /** The key's limiter: created on first use, the same one afterwards. */
  forKey(apiKey: string): RateLimiter;
  /** Statistics of every limiter handed out so far (summed by /metrics). */
  stats(): RateLimitStats[];
}

export interface LocalLimitersOptions extends RateLimitOptions {
  /** False: do not pace (a local sandbox). The limiters still count and honour a 429's reset. */
  paced?: boolean;
}

/** The in-process registry: a map from a hash of each key to its limiter. */
export class LocalLimiters implements LimiterRegistry {
  readonly #byKey = new Map<string, RateLimiter>();
  readonly #options: LocalLimitersOptions;
  constructor(options: LocalLimitersOptions = {}) {
    this.#options = options;
    // Fails here, at startup, rather than on a workflow's first request.
    if (options.paced !== false) new SlidingWindowLimiter(options);
  }

  forKey(apiKey: string): RateLimiter {
    const id = keyFingerprint(apiKey);
    let limiter = this.#byKey.get(id);
    if (!limiter) {
      const { paced, ...options } = this.#options;
      limiter = paced === false ? new UnlimitedLimiter(options) : new SlidingWindowLimiter(options);
      this.#byKey.set(id, limiter);
    }
    return limiter;
  }

  stats(): RateLimitStats[] {
    return [...this.#byKey.values()].map((l) => l.stats());
  }
}

/** Registry key: a hash, so the key itself is not kept as a map key in memory dumps or logs. */
export function keyFingerprint(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex").slice(0, 32);
}
