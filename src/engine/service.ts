/**
 * `serve` without the HTTP layer: the store, the scheduler (polls, schedules, retention) and the
 * workers. The web server attaches itself through `extensions`, each receiving the running
 * service and returning how to stop what it started.
 */

import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { RedisLimiters } from "../cliniko/redis-limiter.ts";
import { createLogger } from "../log.ts";
import { openStore, type Store } from "../store/index.ts";
import { ClientProvider, rateLimitFromEnv, rateLimitTimingFromEnv } from "./clients.ts";
import { ClusterPolls, ClusterQueue, connectRedis, SQLITE_WITH_REDIS } from "./cluster.ts";
import { DUE_RESOURCES } from "./due/index-fill.ts";
import { DueScheduler } from "./due/scheduler.ts";
import { InProcessQueue, type RunQueue } from "./queue.ts";
import { Runner } from "./runner.ts";
import { Scheduler } from "./scheduler.ts";

export interface ServiceOptions {
  env?: NodeJS.ProcessEnv;
  /** An open store to use (else one is opened from DATABASE_URL and closed on stop). */
  store?: Store;
  logger?: Logger;
  /** Parallel runs (default 4). */
  workers?: number;
  /** Overrides every polling interval (tests/benchmarks; also CLINIKO_FLOW_TEST_POLL_INTERVAL_MS). */
  pollIntervalMs?: number;
  tickMs?: number;
  reloadMs?: number;
  overlapMs?: number;
  allowPrivateHttp?: boolean;
  retry?: { attempts?: number; backoffMs?: number; maxBackoffMs?: number };
  /** Add-ons started after the engine (the HTTP server); each returns its stop function. */
  extensions?: ((service: Service) => Promise<(() => Promise<void>) | undefined>)[];
  /** Passed through to extensions (e.g. --port, --demo). */
  settings?: Record<string, unknown>;
  /**
   * With REDIS_URL: `api` enqueues and reconciles poll schedulers but never polls or runs;
   * `worker` polls and runs; `all` (default) does both. Without REDIS_URL only `all` exists.
   */
  role?: ServiceRole;
}

export type ServiceRole = "all" | "api" | "worker";

/** A setting that cannot work (REDIS_URL with SQLite, a role without Redis): one clear sentence. */
export class ServiceConfigError extends Error {
  override name = "ServiceConfigError";
}

/** Distributed mode's parts, present only with REDIS_URL. */
export interface ClusterParts {
  redis: Redis;
  queue: ClusterQueue;
  polls: ClusterPolls;
  limiters: RedisLimiters;
  role: ServiceRole;
}

export interface Service {
  store: Store;
  clients: ClientProvider;
  queue: RunQueue;
  runner: Runner;
  scheduler: Scheduler;
  logger: Logger;
  settings: Record<string, unknown>;
  /** Polls done and failed since start (for /metrics). */
  pollStats: { polls: number; errors: number };
  /** Present in distributed mode (REDIS_URL). */
  cluster?: ClusterParts;
  /** Database and (in distributed mode) Redis reachability, for /healthz. */
  health(): Promise<{ ok: boolean; database: string; redis?: string }>;
  /**
   * Registers something the runs in flight may still use (the demo's sandbox clinic): stopped
   * after they have finished, where an extension's own stop runs before, to stop taking work.
   */
  afterDrain(stop: () => Promise<void>): void;
  stop(): Promise<void>;
  /** While `stop()` runs: what it is waiting for now (for the drain deadline's message). */
  readonly stopping: string | undefined;
}

/** CLINIKO_FLOW_DRAIN_TIMEOUT_S: how long a stop may take before the process gives up on it (default 30 s). */
export function drainTimeoutMs(env: NodeJS.ProcessEnv): number {
  return (numberFromEnv(env, "CLINIKO_FLOW_DRAIN_TIMEOUT_S") ?? 30) * 1000;
}

/**
 * Stops the service within the drain deadline. A stop that cannot finish (Redis and the database
 * gone, so runs in flight can neither end nor be recorded) is abandoned at the deadline: the
 * answer names what it was still waiting for, and the caller exits non-zero instead of hanging.
 */
export async function stopWithin(service: Pick<Service, "stop" | "stopping">, ms: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), ms);
  });
  const outcome = await Promise.race([service.stop().then(() => "done" as const), late]);
  clearTimeout(timer);
  return outcome === "late" ? (service.stopping ?? "the shutdown") : undefined;
}

function numberFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not "${v}".`);
  return n;
}

export async function startService(options: ServiceOptions = {}): Promise<Service> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ name: "cliniko-flow" });
  const store = options.store ?? (await openStore({ env }));
  const role = options.role ?? "all";
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  if (!redisUrl && role !== "all") {
    if (!options.store) await store.close();
    throw new ServiceConfigError(`The ${role} role needs REDIS_URL (distributed mode); without it run \`serve\`.`);
  }
  if (redisUrl && store.database.target.dialect !== "postgres") {
    if (!options.store) await store.close();
    throw new ServiceConfigError(SQLITE_WITH_REDIS);
  }
  const pollIntervalMs = options.pollIntervalMs ?? numberFromEnv(env, "CLINIKO_FLOW_TEST_POLL_INTERVAL_MS");
  const testTiming = pollIntervalMs !== undefined && pollIntervalMs < 1000;
  const workers = options.workers ?? numberFromEnv(env, "CLINIKO_FLOW_WORKERS") ?? 4;
  // How long a claim holds a run without renewal (renewed every third of it while a step runs).
  const leaseMs = numberFromEnv(env, "CLINIKO_FLOW_LEASE_MS") ?? 60_000;
  // Runs of one workflow a process holds at once (default: the workers); one slot more than that
  // is kept for other workflows' runs, so a workflow using all its share never delays another
  // and a lone busy workflow still runs `workers` at once (see FairShare).
  const perWorkflow = numberFromEnv(env, "CLINIKO_FLOW_WORKFLOW_CONCURRENCY") ?? workers;
  const slots = Math.max(workers, perWorkflow + 1);
  let cluster: ClusterParts | undefined;
  if (redisUrl) {
    const redis = connectRedis(redisUrl);
    const limit = rateLimitFromEnv(env);
    const timing = rateLimitTimingFromEnv(env);
    const limiters = new RedisLimiters(redis, limit === undefined ? timing : { limit, ...timing });
    cluster = {
      redis,
      role,
      limiters,
      queue: new ClusterQueue(store, {
        redis,
        execute: role !== "api",
        concurrency: slots,
        perWorkflow,
        leaseMs,
        sweepMs: testTiming ? 200 : 5000,
        resendMs: testTiming ? 2000 : 30_000,
        logger,
      }),
      polls: new ClusterPolls(redis, logger),
    };
  }
  const clients = new ClientProvider(store, { env, limiters: cluster?.limiters });
  const queue: RunQueue =
    cluster?.queue ??
    new InProcessQueue(store, {
      concurrency: slots,
      perWorkflow,
      pollMs: testTiming ? 100 : 1000,
      leaseMs,
    });
  const runner = new Runner({
    store,
    clients,
    env,
    logger,
    allowPrivateHttp: options.allowPrivateHttp,
    retry: options.retry,
    leaseMs,
  });
  const pollStats = { polls: 0, errors: 0 };
  // The time-relative triggers fire wherever runs are queued by polls (not in the api role).
  const due = role === "api" ? undefined : new DueScheduler({ store, clients, queue, logger });
  const scheduler = new Scheduler({
    onPoll: (job, result) => {
      pollStats.polls++;
      if (result instanceof Error) pollStats.errors++;
      else if (DUE_RESOURCES.includes(job.resource)) due?.notify();
    },
    store,
    clients,
    queue,
    logger,
    env,
    pollIntervalMs,
    overlapMs: options.overlapMs ?? numberFromEnv(env, "CLINIKO_FLOW_POLL_OVERLAP_MS"),
    tickMs: options.tickMs ?? (testTiming ? 50 : 1000),
    reloadMs: options.reloadMs ?? (testTiming ? 500 : 5000),
    cluster: cluster?.polls,
    fireSchedules: role !== "api",
  });
  queue.start((run, owner, lease) => runner.execute(run, owner, lease));
  if (cluster && role !== "api") cluster.polls.start((id) => scheduler.pollNow(id), Math.max(2, workers));
  scheduler.start();
  due?.start();
  const stops: (() => Promise<void>)[] = [];
  const afterDrain: (() => Promise<void>)[] = [];
  let stopping: string | undefined;
  const step = async (what: string, fn: () => Promise<unknown> | unknown) => {
    stopping = what;
    await fn();
  };
  const service: Service = {
    get stopping() {
      return stopping;
    },
    store,
    clients,
    queue,
    runner,
    scheduler,
    logger,
    settings: options.settings ?? {},
    pollStats,
    cluster,
    async health() {
      const database = await store.database.db
        .selectFrom("runs")
        .select("id")
        .limit(1)
        .execute()
        .then(
          () => "ok",
          (err: Error) => `unreachable: ${err.message}`,
        );
      const redis = cluster
        ? await cluster.redis.ping().then(
            () => "ok",
            (err: Error) => `unreachable: ${err.message}`,
          )
        : undefined;
      return { ok: database === "ok" && (redis ?? "ok") === "ok", database, ...(redis ? { redis } : {}) };
    },
    afterDrain(stop) {
      afterDrain.push(stop);
    },
    async stop() {
      // Stop taking work first (the API, the poll jobs), then finish the runs in flight.
      await step("the HTTP server to close", async () => {
        for (const stop of stops.reverse()) await stop().catch(() => {});
      });
      await step("the poll jobs to leave Redis", () => cluster?.polls.stop().catch(() => {}));
      await step("the polls in flight to end", () => scheduler.stop());
      await step("the due-time scheduler to stop", async () => {
        await due?.stop();
      });
      await step(
        `the runs in flight to finish and be recorded (${cluster ? "Redis and the database" : "the database"})`,
        () => queue.stop(),
      );
      await step("the demo sandbox clinic to stop", async () => {
        for (const stop of afterDrain.reverse()) await stop().catch(() => {});
      });
      await step("Redis to disconnect", () => cluster?.redis.disconnect());
      await step("the database connection to close", () => (options.store ? undefined : store.close()));
      stopping = undefined;
    },
  };
  for (const ext of options.extensions ?? []) {
    const stop = await ext(service);
    if (stop) stops.push(stop);
  }
  logger.info({ workers, role: cluster ? role : "single-process" }, "cliniko-flow engine started");
  return service;
}
