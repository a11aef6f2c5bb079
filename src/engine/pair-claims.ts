/**
 * Distributed mode's view of each (connection, resource) pair for adaptive polling: one small
 * Redis hash per pair holding when it was last polled and last changed (by any process) and
 * whether a poll of it is running, so that freshness polls are allocated once for the cluster,
 * not once per worker, and a pair has one poll at a time.
 *
 * Regular polls are BullMQ jobs (one per interval cluster-wide, never overlapping each other); a
 * regular poll is skipped while a freshness poll of the pair runs (that poll reads the same), and a
 * freshness poll is not started while any poll of the pair runs or before its freshness interval
 * has passed since the pair's last poll anywhere. A claim is a lease: a process that dies holding
 * one delays that pair's freshness polls (and at most one regular poll) by the lease, no more.
 * Times are Redis's clock, as for the rate limiter and the poll backoff.
 */
import type { Redis } from "ioredis";
import type { PairClaim, PairPeek, SharedPairs } from "./scheduler.ts";

/**
 * KEYS: pair. ARGV: kind ("fresh" | "regular"), min gap since the last poll (ms), lease (ms).
 * Returns {claimed, last poll, last change} (epoch ms, 0 when never).
 */
const CLAIM = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'last', 'changed', 'fresh', 'regular')
local last, changed = tonumber(v[1] or '0'), tonumber(v[2] or '0')
local fresh, regular = tonumber(v[3] or '0'), tonumber(v[4] or '0')
if fresh > now then return {0, last, changed} end
if ARGV[1] == 'fresh' and (regular > now or now - last < tonumber(ARGV[2])) then return {0, last, changed} end
redis.call('HSET', KEYS[1], ARGV[1], now + tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], 86400000)
return {1, last, changed}
`;

/** KEYS: pair. Returns {1 when a poll of it runs, last poll, last change}. */
const PEEK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('HMGET', KEYS[1], 'last', 'changed', 'fresh', 'regular')
local running = (tonumber(v[3] or '0') > now or tonumber(v[4] or '0') > now) and 1 or 0
return {running, tonumber(v[1] or '0'), tonumber(v[2] or '0'), now}
`;

/** KEYS: pair. ARGV: kind, polled (1: the poll ran), changed (1: it found changes). */
const RELEASE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HDEL', KEYS[1], ARGV[1])
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'last', now) end
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'changed', now) end
redis.call('PEXPIRE', KEYS[1], 86400000)
return 1
`;

type PairRedis = Redis & {
  flowPairPeek(key: string): Promise<[number, number, number, number]>;
  flowPairClaim(key: string, kind: string, gapMs: number, leaseMs: number): Promise<[number, number, number]>;
  flowPairRelease(key: string, kind: string, polled: number, changed: number): Promise<number>;
};

export class PairClaims implements SharedPairs {
  readonly #redis: PairRedis;
  readonly #prefix: string;
  readonly #leaseMs: number;

  constructor(redis: Redis, options: { prefix?: string; leaseMs?: number } = {}) {
    this.#redis = redis as PairRedis;
    this.#prefix = options.prefix ?? "cliniko-flow";
    this.#leaseMs = options.leaseMs ?? 60_000;
    if (!("flowPairClaim" in redis)) {
      redis.defineCommand("flowPairClaim", { numberOfKeys: 1, lua: CLAIM });
      redis.defineCommand("flowPairRelease", { numberOfKeys: 1, lua: RELEASE });
      redis.defineCommand("flowPairPeek", { numberOfKeys: 1, lua: PEEK });
    }
  }

  key(id: string): string {
    return `${this.#prefix}:poll-pair:${encodeURIComponent(id)}`;
  }

  async peek(id: string): Promise<PairPeek> {
    const [running, lastPollAt, lastChangeAt, now] = await this.#redis.flowPairPeek(this.key(id));
    return { running: running === 1, lastPollAt, lastChangeAt, now };
  }

  async claim(id: string, kind: "fresh" | "regular", minGapMs = 0): Promise<PairClaim> {
    const [claimed, lastPollAt, lastChangeAt] = await this.#redis.flowPairClaim(
      this.key(id),
      kind,
      Math.max(0, Math.round(minGapMs)),
      this.#leaseMs,
    );
    return { claimed: claimed === 1, lastPollAt, lastChangeAt };
  }

  async release(id: string, kind: "fresh" | "regular", outcome?: { changed: boolean }): Promise<void> {
    await this.#redis.flowPairRelease(this.key(id), kind, outcome ? 1 : 0, outcome?.changed ? 1 : 0);
  }
}
