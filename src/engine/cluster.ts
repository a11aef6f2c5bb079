/**
 * Distributed mode (REDIS_URL): runs and polls are BullMQ jobs; PostgreSQL stays the source of
 * truth.
 *
 * Runs: each queued run is a job whose id is derived from the run id (`runJobId`), so enqueueing a
 * run twice adds one job. A worker that gets the job claims the run with the fenced lease (the
 * claim, not the job, decides who executes), so a job delivered twice, or a stale job for a run
 * that already finished, does nothing. A run parked by a `delay` step gets a delayed job for its
 * wake-up time. Whatever Redis loses (flushed, restarted without persistence, a job dropped with
 * a dead worker), the periodic sweep re-enqueues from the database: queued runs, and running runs
 * whose lease ran out.
 *
 * Polls: one BullMQ job scheduler per (connection, resource), with `pollJobId` as its id and the
 * shortest interval of its workflows. Any process that (re)plans the polls reconciles the
 * schedulers against its plan; an upsert with the same id replaces, never duplicates, so there is
 * one poll per pair per interval cluster-wide however many processes reconcile or run polls.
 * A failing poll's backoff is kept in Redis too (`PollBackoff`), so the whole cluster holds off.
 */
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { RunRecord, Store } from "../store/index.ts";
import { defaultPerWorkflow, FairShare } from "./fair.ts";
import { PairClaims } from "./pair-claims.ts";
import { newOwner, type RunQueue } from "./queue.ts";
import type { SharedBackoff } from "./scheduler.ts";

export const RUNS_QUEUE = "cliniko-flow-runs";
export const POLLS_QUEUE = "cliniko-flow-polls";

/** Why distributed mode needs PostgreSQL: every process must share one database. */
export const SQLITE_WITH_REDIS =
  "REDIS_URL needs DATABASE_URL=postgres://… (every process of a cluster shares one database; SQLite is a single-process file).";

/** A job id per run (and per wake-up time for a parked run): BullMQ ignores a second add of an id. */
export function runJobId(runId: number, notBefore?: string | null): string {
  const at = notBefore ? Date.parse(notBefore) : Number.NaN;
  return Number.isFinite(at) ? `run-${runId}-at-${at}` : `run-${runId}`;
}

/** A Redis connection as BullMQ wants it (it retries commands itself). */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}

export interface ClusterQueueOptions {
  redis: Redis;
  /** False for `serve --role api`: it enqueues and sweeps but never executes a run. */
  execute: boolean;
  concurrency?: number;
  /** Must match the runner's lease (default 60 s). */
  leaseMs?: number;
  /** Runs of one workflow this worker holds at once (default: all its slots but one; see FairShare). */
  perWorkflow?: number;
  /** How often the sweep re-reads the database (default 5 s). */
  sweepMs?: number;
  /** A run's job is not re-added for this long after it was added (default 30 s). */
  resendMs?: number;
  logger?: Logger;
}

export class ClusterQueue implements RunQueue {
  readonly owner = newOwner();
  readonly queue: Queue;
  readonly #store: Store;
  readonly #o: ClusterQueueOptions;
  #worker?: Worker;
  #handler?: (run: RunRecord, owner: string) => Promise<unknown>;
  #timer?: NodeJS.Timeout;
  #sweeping?: Promise<void>;
  #again = false;
  #stopped = false;
  /** Job ids this process added recently (so a sweep does not re-add every queued run each time). */
  readonly #sent = new Map<string, number>();
  /** Runs executed by this process (for /metrics and tests). */
  executed = 0;
  readonly #fair: FairShare;

  constructor(store: Store, options: ClusterQueueOptions) {
    this.#store = store;
    this.#o = options;
    this.queue = new Queue(RUNS_QUEUE, {
      connection: options.redis,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
    });
    this.#fair = new FairShare(options.perWorkflow ?? defaultPerWorkflow(options.concurrency ?? 4));
  }

  start(handler: (run: RunRecord, owner: string) => Promise<unknown>): void {
    this.#handler = handler;
    if (this.#o.execute) {
      this.#worker = new Worker(RUNS_QUEUE, (job) => this.#process(job.data.runId as number), {
        connection: this.#o.redis,
        concurrency: this.#o.concurrency ?? 4,
        // A job whose worker died returns to the queue after this; the run's lease decides the rest.
        stalledInterval: 15_000,
      });
      this.#worker.on("error", (err) => this.#o.logger?.warn({ err: err.message }, "run worker error"));
    }
    const tick = () => {
      if (this.#stopped) return;
      this.notify();
      this.#timer = setTimeout(tick, this.#o.sweepMs ?? 5000);
      this.#timer.unref?.();
    };
    tick();
  }

  /** A run was queued somewhere: sweep now (coalesced with a sweep already running). */
  notify(): void {
    if (this.#stopped) return;
    if (this.#sweeping) {
      this.#again = true;
      return;
    }
    this.#sweeping = this.sweep()
      .then(() => {})
      .catch((err) => this.#o.logger?.warn({ err: (err as Error).message }, "run sweep failed"))
      .finally(() => {
        this.#sweeping = undefined;
        if (this.#again) {
          this.#again = false;
          this.notify();
        }
      });
  }

  /** Adds a job for every run the database says needs one; returns how many were added. */
  async sweep(): Promise<number> {
    const now = Date.now();
    const resend = this.#o.resendMs ?? 30_000;
    for (const [id, at] of this.#sent) if (now - at > resend) this.#sent.delete(id);
    const jobs = [];
    for (const run of await this.#store.runs.sweepable()) {
      const jobId = runJobId(run.id, run.notBefore);
      if (this.#sent.has(jobId)) continue;
      const delay = run.notBefore ? Math.max(0, Date.parse(run.notBefore) - now) : 0;
      jobs.push({ name: "run", data: { runId: run.id }, opts: { jobId, delay } });
    }
    if (jobs.length === 0) return 0;
    await this.queue.addBulk(jobs);
    for (const j of jobs) this.#sent.set(j.opts.jobId, now);
    return jobs.length;
  }

  /**
   * One run job. A job is a turn for one of this worker's slots, not only a ticket for its own
   * run: the slot executes the job's run if it is due (its workflow under its share here) or its
   * worker died, then claims queued runs picked fairly
   * across workflows (see FairShare; round-robin by the runs in flight cluster-wide) until none is
   * left for it. So a quiet workflow's run is taken by the next slot that frees up, however many
   * jobs a flooding workflow queued in Redis ahead of it; a job whose run another slot already
   * took finds nothing and ends. The claim, not the job, decides who executes.
   */
  async #process(runId: number): Promise<void> {
    if (!this.#handler) return;
    const run = await this.#store.runs.find(runId);
    const now = Date.now();
    const due = run?.status === "queued" && (!run.notBefore || Date.parse(run.notBefore) <= now);
    const abandoned = run?.status === "running" && run.leaseUntil !== null && Date.parse(run.leaseUntil) < now;
    // The job's own run first, as a job always did (so no run depends on another job's loop).
    if (run && (due || abandoned) && (abandoned || this.#fair.hasRoom(run.workflowId))) await this.#execute(run);
    while (!this.#stopped) {
      const [next] = await this.#fair.pick(this.#store, 1, { clusterWide: true });
      if (!next) return;
      await this.#execute(next);
    }
  }

  /** Claims `run` as this worker saw it (compare-and-set) and executes it; false if another worker won it. */
  async #execute(run: RunRecord): Promise<boolean> {
    if (!(await this.#store.runs.claim(run, this.owner, this.#o.leaseMs ?? 60_000))) return false;
    this.executed++;
    this.#fair.started(run.workflowId);
    try {
      await this.#handler!({ ...run, status: "running", leaseOwner: this.owner }, this.owner).catch(() => {});
    } finally {
      this.#fair.ended(run.workflowId);
    }
    // Parked by a delay step: its wake-up job now, not at the next sweep.
    const after = await this.#store.runs.find(run.id);
    if (after?.status === "queued" && after.notBefore) this.notify();
    return true;
  }

  /** Resolves when no run is queued-and-due or running (tests, `run --once`-style waits). */
  async drain(): Promise<void> {
    while (!this.#stopped) {
      const left = await this.#store.runs.candidates({ limit: 1 });
      if (left.length === 0) return;
      this.notify();
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Cluster-wide job counts (for /metrics). */
  async depth(): Promise<Record<string, number>> {
    return this.queue.getJobCounts("waiting", "active", "delayed", "failed");
  }

  /**
   * Stops taking jobs and waits for the runs in flight to finish (graceful SIGTERM). A run that
   * outlives `graceMs` is left to its lease: another worker takes it over when the lease runs out.
   */
  async stop(graceMs = 30_000): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#sweeping;
    if (this.#worker) {
      const closing = this.#worker.close();
      const timedOut = await Promise.race([
        closing.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), graceMs).unref()),
      ]);
      if (timedOut) await this.#worker.close(true);
    }
    await this.queue.close();
  }
}

/** BullMQ ids may not contain ":" (and `pollJobId` holds a NUL): a reversible encoding. */
export const schedulerId = (pollId: string) => `poll-${encodeURIComponent(pollId)}`;

/** KEYS: state. Returns {failures, ms the poll is still held}, on Redis's clock. */
const BACKOFF_STATE = `
local v = redis.call('HMGET', KEYS[1], 'failures', 'until')
if not v[1] then return {0, 0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {tonumber(v[1]), math.max(0, tonumber(v[2] or '0') - now)}
`;

/** KEYS: state. ARGV: backoff ms. One more failure; held until now + backoff (Redis's clock). */
const BACKOFF_FAIL = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local backoff = tonumber(ARGV[1])
redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSET', KEYS[1], 'until', now + backoff)
redis.call('PEXPIRE', KEYS[1], backoff * 4)
return 1
`;

type BackoffRedis = Redis & {
  flowBackoffState(key: string): Promise<[number, number]>;
  flowBackoffFail(key: string, backoffMs: number): Promise<number>;
};

/**
 * The poll backoff of the cluster: one small hash per failing poll (failures in a row, held
 * until), read by whichever process the poll's next job lands on. A poll that never failed has
 * no key, so a healthy poll costs one read. The key expires a while after the hold ends, so a
 * connection that failed long ago starts again from the interval.
 */
export class PollBackoff implements SharedBackoff {
  readonly #redis: BackoffRedis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix = "cliniko-flow") {
    this.#redis = redis as BackoffRedis;
    this.#prefix = prefix;
    if (!("flowBackoffState" in redis)) {
      redis.defineCommand("flowBackoffState", { numberOfKeys: 1, lua: BACKOFF_STATE });
      redis.defineCommand("flowBackoffFail", { numberOfKeys: 1, lua: BACKOFF_FAIL });
    }
  }

  key(id: string): string {
    return `${this.#prefix}:poll-backoff:${schedulerId(id)}`;
  }

  async state(id: string): Promise<{ failures: number; heldMs: number }> {
    const [failures, heldMs] = await this.#redis.flowBackoffState(this.key(id));
    return { failures, heldMs };
  }

  async failed(id: string, backoffMs: number): Promise<void> {
    await this.#redis.flowBackoffFail(this.key(id), Math.max(1, Math.round(backoffMs)));
  }

  async recovered(id: string): Promise<void> {
    await this.#redis.del(this.key(id));
  }
}

/** A poll job as planned by the scheduler: its id (`pollJobId`) and interval. */
export interface PlannedPoll {
  id: string;
  intervalMs: number;
}

/**
 * The poll schedulers of the cluster. `reconcile` makes Redis hold exactly the planned schedulers
 * (adding, re-timing and removing); `start` makes this process run the poll jobs they produce.
 */
export class ClusterPolls {
  readonly queue: Queue;
  /** Failing polls held off cluster-wide (the scheduler reads it before each poll). */
  readonly backoff: PollBackoff;
  /** Each pair's last poll and change, and its running poll, cluster-wide (adaptive polling). */
  readonly pairs: PairClaims;
  readonly #redis: Redis;
  #worker?: Worker;
  readonly #logger?: Logger;

  constructor(redis: Redis, logger?: Logger) {
    this.#redis = redis;
    this.#logger = logger;
    this.backoff = new PollBackoff(redis);
    this.pairs = new PairClaims(redis);
    this.queue = new Queue(POLLS_QUEUE, {
      connection: redis,
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
    });
  }

  /**
   * Idempotent: schedulers already as planned are left alone (their next run keeps its time). It
   * reads Redis every time (one call), so schedulers lost with a Redis restart come back at the
   * next reconcile.
   */
  async reconcile(plan: PlannedPoll[]): Promise<void> {
    const existing = new Map((await this.queue.getJobSchedulers(0, -1)).map((s) => [s.key, s]));
    const wanted = new Set<string>();
    for (const p of plan) {
      const key = schedulerId(p.id);
      wanted.add(key);
      const cur = existing.get(key);
      if (cur && Number(cur.every) === p.intervalMs) continue;
      await this.queue.upsertJobScheduler(
        key,
        { every: p.intervalMs },
        { name: "poll", data: { id: p.id }, opts: { removeOnComplete: true, removeOnFail: true } },
      );
    }
    for (const key of existing.keys())
      if (key.startsWith("poll-") && !wanted.has(key)) await this.queue.removeJobScheduler(key);
  }

  start(run: (id: string) => Promise<void>, concurrency = 4): void {
    this.#worker = new Worker(POLLS_QUEUE, (job) => run(job.data.id as string), {
      connection: this.#redis,
      concurrency,
    });
    this.#worker.on("error", (err) => this.#logger?.warn({ err: err.message }, "poll worker error"));
  }

  async depth(): Promise<Record<string, number>> {
    return this.queue.getJobCounts("waiting", "active", "delayed", "failed");
  }

  async stop(): Promise<void> {
    await this.#worker?.close();
    await this.queue.close();
  }
}
