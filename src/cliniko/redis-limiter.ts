/**
 * The rate limiters of a cluster: one budget per Cliniko key shared by every process through
 * Redis, with the semantics of `SlidingWindowLimiter` (rate-limit.ts) — at most `limit` request
 * starts in any rolling `windowMs` + margin, per key — and a 429's reset shared so every process
 * holds off until then.
 *
 * No library fits exactly (bottleneck's Redis mode and rate-limiter-flexible are token buckets or
 * fixed windows, which let up to twice the limit start within one rolling minute), so one Lua
 * script does it atomically, on Redis's clock (processes on several machines disagree on time):
 *   - a sorted set of the starts inside the window (score = start time);
 *   - a key holding the 429 block's end;
 *   - a sorted set of the processes waiting for the key, by when they began waiting. A process
 *     is granted a slot only when the starts in the window plus the waiters older than it leave
 *     one free, so slots go in arrival order across processes; a waiter that stopped asking
 *     (its process died) is dropped after `staleMs`.
 * Inside one process, callers queue FIFO and only the oldest asks Redis, as in the local limiter.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import {
  keyFingerprint,
  type LimiterRegistry,
  OPTIONAL_SLICES,
  type RateLimiter,
  type RateLimitStats,
} from "./rate-limit.ts";

/**
 * KEYS: starts, block, waiters, seen, seq. ARGV: limit (0: unpaced), windowMs, waiter id, staleMs.
 * Returns {1, 0} when a start is granted, else {0, ms to wait before asking again}.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local me = ARGV[3]
local stale = tonumber(ARGV[4])
local block = tonumber(redis.call('GET', KEYS[2]) or '0')
redis.call('ZADD', KEYS[3], 'NX', now, me)
redis.call('ZADD', KEYS[4], now, me)
redis.call('PEXPIRE', KEYS[3], window + stale)
redis.call('PEXPIRE', KEYS[4], window + stale)
if block > now then return {0, block - now} end
if limit == 0 then
  redis.call('ZREM', KEYS[3], me)
  redis.call('ZREM', KEYS[4], me)
  return {1, 0}
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - stale)
for _, id in ipairs(gone) do
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
end
local older = redis.call('ZRANK', KEYS[3], me)
local count = redis.call('ZCARD', KEYS[1])
if count + older < limit then
  local seq = redis.call('INCR', KEYS[5])
  redis.call('ZADD', KEYS[1], now, now .. '-' .. seq)
  redis.call('PEXPIRE', KEYS[1], window)
  redis.call('PEXPIRE', KEYS[5], window)
  redis.call('ZREM', KEYS[3], me)
  redis.call('ZREM', KEYS[4], me)
  return {1, 0}
end
local need = count + older - limit
local first = redis.call('ZRANGE', KEYS[1], need, need, 'WITHSCORES')
if first[2] then return {0, math.max(1, tonumber(first[2]) + window - now)} end
return {0, 20}
`;

/** KEYS: block, 429 count. ARGV: block end (epoch ms). Never shortens a block. */
const BLOCK = `
local until_ = tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > cur then redis.call('SET', KEYS[1], until_, 'PXAT', until_ + 1000) end
return redis.call('INCR', KEYS[2])
`;

/**
 * KEYS: starts, block, seen, optional, seq. ARGV: limit, windowMs, share, staleMs, count, slices.
 * Optional work (a freshness poll) asks here and never waits: 1 when `count` optional starts are
 * granted (and counted), 0 when the key is held by a 429, any process is waiting for a slot, or
 * the optional starts would exceed `share` of what the other starts leave (optionalFits in
 * rate-limit.ts). Share 0 only records `count` optional starts already made (a poll's extra pages).
 */
const OPTIONAL = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local share = tonumber(ARGV[3])
local stale = tonumber(ARGV[4])
local count = tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - window)
if share > 0 then
  if limit == 0 then return 0 end
  if tonumber(redis.call('GET', KEYS[2]) or '0') > now then return 0 end
  if redis.call('ZCOUNT', KEYS[3], now - stale, '+inf') > 0 then return 0 end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  local optional = redis.call('ZCARD', KEYS[4])
  local room = share * (limit - math.max(0, redis.call('ZCARD', KEYS[1]) - optional))
  if optional + count > room then return 0 end
  local recent = redis.call('ZCOUNT', KEYS[4], '(' .. (now - window / ARGV[6]), '+inf')
  if recent + count > math.max(1, math.floor(room / tonumber(ARGV[6]))) then return 0 end
end
for i = 1, count do
  local seq = redis.call('INCR', KEYS[5])
  redis.call('ZADD', KEYS[4], now, now .. '-' .. seq)
end
redis.call('PEXPIRE', KEYS[4], window)
redis.call('PEXPIRE', KEYS[5], window)
return 1
`;

type LimiterRedis = Redis & {
  flowAcquire(...args: (string | number)[]): Promise<[number, number]>;
  flowBlock(...args: (string | number)[]): Promise<number>;
  flowOptional(...args: (string | number)[]): Promise<number>;
};

export interface RedisLimitersOptions {
  /** Request starts allowed per window (default 200); 0 or `paced: false` only honours 429s. */
  limit?: number;
  windowMs?: number;
  marginMs?: number;
  paced?: boolean;
  /** Key prefix (default `cliniko-flow`), so several installations can share one Redis. */
  prefix?: string;
  /** A waiter that has not asked for this long is presumed dead (default 5 s). */
  staleMs?: number;
  /** Longest a waiter sleeps before asking again (default 1 s; a shorter wait is computed exactly). */
  maxSleepMs?: number;
}

/** Per-key figures read from Redis: the cluster's use of the key, not just this process's. */
export interface SharedKeyUsage {
  key: string;
  startsInWindow: number;
  rateLimited: number;
  blockedUntil: number;
}

export class RedisLimiters implements LimiterRegistry {
  readonly #redis: LimiterRedis;
  readonly #byKey = new Map<string, RedisLimiter>();
  readonly limit: number;
  readonly windowMs: number;
  readonly prefix: string;
  readonly staleMs: number;
  readonly maxSleepMs: number;
  /** This process's waiter id (one per process and key). */
  readonly id = randomBytes(8).toString("hex");

  constructor(redis: Redis, options: RedisLimitersOptions = {}) {
    const paced = options.paced !== false && options.limit !== 0;
    this.limit = paced ? (options.limit ?? 200) : 0;
    const serverWindow = options.windowMs ?? 60_000;
    this.windowMs = serverWindow + (options.marginMs ?? Math.ceil(serverWindow * 0.02));
    if (!Number.isInteger(this.limit) || this.limit < 0) throw new RangeError("rate limit must be a positive integer");
    this.prefix = options.prefix ?? "cliniko-flow";
    this.staleMs = options.staleMs ?? 5000;
    this.maxSleepMs = options.maxSleepMs ?? 1000;
    this.#redis = redis as LimiterRedis;
    if (!("flowAcquire" in redis)) {
      redis.defineCommand("flowAcquire", { numberOfKeys: 5, lua: ACQUIRE });
      redis.defineCommand("flowBlock", { numberOfKeys: 2, lua: BLOCK });
      redis.defineCommand("flowOptional", { numberOfKeys: 5, lua: OPTIONAL });
    }
  }

  /** Redis keys of one API key's budget; the `{}` hash tag keeps them in one Redis Cluster slot. */
  keys(fingerprint: string) {
    const base = `${this.prefix}:rl:{${fingerprint}}`;
    return {
      starts: `${base}:starts`,
      block: `${base}:block`,
      waiters: `${base}:waiters`,
      seen: `${base}:seen`,
      seq: `${base}:seq`,
      limited: `${base}:429`,
      optional: `${base}:optional`,
    };
  }

  forKey(apiKey: string): RateLimiter {
    const fp = keyFingerprint(apiKey);
    let limiter = this.#byKey.get(fp);
    if (!limiter) {
      limiter = new RedisLimiter(this, fp);
      this.#byKey.set(fp, limiter);
    }
    return limiter;
  }

  stats(): RateLimitStats[] {
    return [...this.#byKey.values()].map((l) => l.stats());
  }

  /** Cluster-wide use of the keys this process has used (for /metrics). */
  async shared(): Promise<SharedKeyUsage[]> {
    const out: SharedKeyUsage[] = [];
    const t = await this.#redis.time();
    const now = Number(t[0]) * 1000 + Math.floor(Number(t[1]) / 1000);
    for (const fp of this.#byKey.keys()) {
      const k = this.keys(fp);
      const [starts, limited, block] = await Promise.all([
        this.#redis.zcount(k.starts, now - this.windowMs, "+inf"),
        this.#redis.get(k.limited),
        this.#redis.get(k.block),
      ]);
      const until = Number(block ?? 0);
      out.push({
        key: fp.slice(0, 8),
        startsInWindow: starts,
        rateLimited: Number(limited ?? 0),
        blockedUntil: until > now ? until : 0,
      });
    }
    return out;
  }

  /** @internal one round trip of the acquire script. */
  tryAcquire(fp: string): Promise<[number, number]> {
    const k = this.keys(fp);
    return this.#redis.flowAcquire(
      k.starts,
      k.block,
      k.waiters,
      k.seen,
      k.seq,
      this.limit,
      this.windowMs,
      this.id,
      this.staleMs,
    );
  }

  /**
   * @internal one round trip of the optional-work script: `share` 0 only records `count` starts
   * already made. A Redis error refuses (optional work is the first thing to give up).
   */
  async optional(fp: string, share: number, count = 1): Promise<boolean> {
    const k = this.keys(fp);
    try {
      const granted = await this.#redis.flowOptional(
        k.starts,
        k.block,
        k.seen,
        k.optional,
        k.seq,
        this.limit,
        this.windowMs,
        share,
        this.staleMs,
        count,
        OPTIONAL_SLICES,
      );
      return granted === 1;
    } catch {
      return false;
    }
  }

  /** @internal */
  block(fp: string, epochMs: number): Promise<number> {
    const k = this.keys(fp);
    return this.#redis.flowBlock(k.block, k.limited, Math.ceil(epochMs));
  }
}

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  enqueuedAt: number;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** One key's limiter in this process: a FIFO of callers whose head asks Redis for a slot. */
class RedisLimiter implements RateLimiter {
  readonly #registry: RedisLimiters;
  readonly #fp: string;
  #queue: Waiter[] = [];
  #pumping = false;
  #blocked = 0;
  #counters = { requests: 0, waits: 0, waitedMs: 0, rateLimited: 0 };

  constructor(registry: RedisLimiters, fp: string) {
    this.#registry = registry;
    this.#fp = fp;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, enqueuedAt: Date.now(), signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      void this.#pump();
    });
  }

  async blockUntil(epochMs: number): Promise<void> {
    this.#counters.rateLimited++;
    if (epochMs > this.#blocked) this.#blocked = epochMs;
    await this.#registry.block(this.#fp, epochMs);
  }

  async tryOptional(share: number): Promise<boolean> {
    if (this.#queue.length > 0 || this.#blocked > Date.now() || share <= 0) return false;
    return this.#registry.optional(this.#fp, share);
  }

  async noteOptional(n: number): Promise<void> {
    if (n > 0) await this.#registry.optional(this.#fp, 0, n);
  }

  stats(): RateLimitStats {
    return {
      ...this.#counters,
      queued: this.#queue.length,
      blockedUntil: this.#blocked > Date.now() ? this.#blocked : 0,
    };
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        let granted: number;
        let waitMs: number;
        try {
          [granted, waitMs] = await this.#registry.tryAcquire(this.#fp);
        } catch (err) {
          // Redis unreachable: callers fail (the step's retry policy applies) rather than send unpaced.
          const waiters = this.#queue.splice(0);
          for (const w of waiters) {
            if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
            w.reject(err);
          }
          return;
        }
        if (granted !== 1) {
          await new Promise((r) => setTimeout(r, Math.min(waitMs, this.#registry.maxSleepMs)));
          continue;
        }
        const waiter = this.#queue.shift();
        if (!waiter) {
          // The only caller aborted while we asked: the slot is spent, as a sent request's would be.
          continue;
        }
        const now = Date.now();
        this.#counters.requests++;
        if (now > waiter.enqueuedAt + 1) {
          this.#counters.waits++;
          this.#counters.waitedMs += now - waiter.enqueuedAt;
        }
        if (waiter.onAbort) waiter.signal?.removeEventListener("abort", waiter.onAbort);
        waiter.resolve();
      }
    } finally {
      this.#pumping = false;
    }
  }
}
