/**
 * The scheduler: keeps one poll job per (connection, resource) for the active workflows (reloaded
 * from the store, so CLI changes reach a running `serve`), runs each at the shortest interval its
 * workflows ask for, backs off per job on errors (cluster-wide in distributed mode), fires `schedule` triggers (cron or interval) and
 * prunes old runs. It only queues runs; workers execute them.
 */
import { Cron } from "croner";
import type { Logger } from "pino";
import { ClinikoAuthError } from "../cliniko/errors.ts";
import { parseDuration } from "../expressions/duration.ts";
import { isStepKind, stepKind } from "../steps/registry.ts";
import type { Store, StoredWorkflow } from "../store/index.ts";
import type { ClientProvider } from "./clients.ts";
import {
  dueForFreshness,
  FRESHNESS_DEFAULTS,
  type FreshnessOptions,
  freshIntervalMs,
  pollShareFromEnv,
} from "./freshness.ts";
import { type PollJob, type PollResult, planPollJobs, pollJobId, pollResource } from "./poller.ts";
import type { RunQueue } from "./queue.ts";
import { allSteps, intervalOf, validateWorkflow, type WorkflowDefinition } from "./workflow.ts";

export interface SchedulerOptions {
  store: Store;
  clients: ClientProvider;
  queue: RunQueue;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Overrides every polling interval (tests and benchmarks only; normal minimum is 30 s). */
  pollIntervalMs?: number;
  overlapMs?: number;
  /** How often the scheduler wakes (default 1 s). */
  tickMs?: number;
  /** How often it re-reads the workflows (default 5 s). */
  reloadMs?: number;
  /** Longest backoff after repeated poll errors (default 15 min). */
  maxBackoffMs?: number;
  /** Called after each poll (metrics, tests). */
  onPoll?(job: PollJob, result: PollResult | Error): void;
  /**
   * Distributed mode: polls are timed by the cluster's job schedulers, not here. After each
   * reload the plan goes to `reconcile`; the process's poll jobs call `pollNow`.
   */
  cluster?: {
    reconcile(plan: { id: string; intervalMs: number }[]): Promise<void>;
    backoff?: SharedBackoff;
    pairs?: SharedPairs;
  };
  /** Fire `schedule` triggers here (default true; false for `serve --role api`). */
  fireSchedules?: boolean;
  /**
   * Adaptive polling (freshness.ts): the share defaults to CLINIKO_FLOW_POLL_SHARE; benchmarks
   * compress the other timings.
   */
  freshness?: Partial<FreshnessOptions>;
}

/**
 * Distributed mode's poll backoff, kept where every process sees it (Redis): a failing connection
 * is held off for the whole cluster, not only by the process whose poll failed.
 */
export interface SharedBackoff {
  /** The poll's failures in a row, cluster-wide, and how much longer it is held (0: poll now). */
  state(id: string): Promise<{ failures: number; heldMs: number }>;
  /** Records one more failure and holds the poll for `backoffMs`. */
  failed(id: string, backoffMs: number): Promise<void>;
  /** A poll succeeded after failures: the next is due at its interval again. */
  recovered(id: string): Promise<void>;
}

/** A pair's claim (pair-claims.ts): whether this process may poll it now, and its shared timing. */
export interface PairClaim {
  claimed: boolean;
  /** When any process last polled the pair, and last found it changed (epoch ms, 0: never). */
  lastPollAt: number;
  lastChangeAt: number;
}

/** A pair's shared state read without claiming it (times on the shared clock, with its `now`). */
export interface PairPeek {
  running: boolean;
  lastPollAt: number;
  lastChangeAt: number;
  now: number;
}

/**
 * Distributed mode's pair timing and one-poll-at-a-time, kept where every process sees it
 * (Redis), so freshness polls are allocated once for the cluster (pair-claims.ts).
 */
export interface SharedPairs {
  peek(id: string): Promise<PairPeek>;
  /**
   * A regular poll is refused only while a freshness poll of the pair runs; a freshness poll also
   * while a regular one runs or before `minGapMs` since the pair's last poll.
   */
  claim(id: string, kind: "fresh" | "regular", minGapMs?: number): Promise<PairClaim>;
  /** Ends a claim; `outcome` when the poll ran (its time and whether it found changes are shared). */
  release(id: string, kind: "fresh" | "regular", outcome?: { changed: boolean }): Promise<void>;
}

interface JobState {
  job: PollJob;
  intervalMs: number;
  /** When the regular poll (at the interval) is due. */
  nextAt: number;
  running: boolean;
  failures: number;
  /** Freshness (freshness.ts): when the pair was last polled and last found changed. */
  lastPollAt: number;
  lastChangeAt: number;
}

interface ScheduleState {
  workflow: StoredWorkflow;
  definition: WorkflowDefinition;
  nextAt: number;
  cron?: Cron;
}

export function retentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.RUN_RETENTION_DAYS;
  const n = raw === undefined || raw === "" ? 14 : Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`RUN_RETENTION_DAYS must be a number of days, not "${raw}".`);
  return n;
}

export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #jobs = new Map<string, JobState>();
  readonly #schedules = new Map<number, ScheduleState>();
  #timer?: NodeJS.Timeout;
  #lastReload = 0;
  #lastPrune = 0;
  #stopped = false;
  #ticking?: Promise<void>;
  /** A tick is running; `#again`: run another as soon as it ends (workflows changed meanwhile). */
  #busy = false;
  #again = false;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #freshness: FreshnessOptions;

  constructor(options: SchedulerOptions) {
    this.#o = options;
    this.#freshness = {
      share: pollShareFromEnv(options.env ?? process.env),
      ...FRESHNESS_DEFAULTS,
      ...options.freshness,
    };
  }

  start(): void {
    this.#loop();
  }

  readonly #loop = (): void => {
    if (this.#stopped) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#busy = true;
    this.#ticking = this.tick()
      .catch((err) => this.#o.logger?.error({ err: (err as Error).message }, "scheduler tick failed"))
      .finally(() => {
        this.#busy = false;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          this.#loop();
        } else this.#timer = setTimeout(this.#loop, this.#o.tickMs ?? 1000);
      });
  };

  /**
   * Workflows were saved, enabled, disabled or deleted in this process (the API): reload them and
   * start what is due now, instead of at the next periodic reload (which still catches changes
   * made by other processes, such as the CLI).
   */
  workflowsChanged(): void {
    this.#lastReload = Number.NEGATIVE_INFINITY;
    this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#ticking;
    await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * Runs one poll now (distributed mode: a poll job of the cluster's scheduler). Unknown ids (a
   * workflow changed since this process last reloaded) reload first; a poll already running in
   * this process is not started twice. The poll's commit stays the exactly-once guard.
   */
  async pollNow(id: string): Promise<void> {
    if (!this.#jobs.has(id)) await this.reload();
    const state = this.#jobs.get(id);
    if (!state || state.running) return;
    state.running = true;
    const shared = this.#o.cluster?.backoff;
    if (shared) {
      const { failures, heldMs } = await shared.state(id).catch((err: Error) => {
        state.running = false;
        throw err;
      });
      state.failures = failures;
      if (heldMs > 0) {
        state.running = false;
        return;
      }
    }
    const pairs = this.#freshens(state) ? this.#o.cluster?.pairs : undefined;
    if (pairs) {
      // A freshness poll of the pair is running somewhere: it reads what this poll would.
      const claim = await pairs.claim(id, "regular").catch((err: Error) => {
        state.running = false;
        throw err;
      });
      if (!claim.claimed) {
        state.running = false;
        return;
      }
    }
    await this.#runJob(state, { claim: pairs ? "regular" : undefined });
  }

  /** Poll jobs as currently planned (for status pages and tests). */
  jobs(): PollJob[] {
    return [...this.#jobs.values()].map((j) => j.job);
  }

  /** One scheduler step: reload if due, start due polls and schedules, prune if due. */
  async tick(now = Date.now()): Promise<void> {
    if (now - this.#lastReload >= (this.#o.reloadMs ?? 5000) || this.#jobs.size + this.#schedules.size === 0) {
      await this.reload();
      this.#lastReload = now;
    }
    for (const state of this.#jobs.values()) {
      if (this.#o.cluster || state.running || state.nextAt > now) continue;
      state.running = true;
      this.#track(this.#runJob(state));
    }
    if (this.#freshness.share > 0 && (!this.#o.cluster || this.#o.cluster.pairs)) await this.#freshen(now);
    for (const s of this.#schedules.values()) {
      if (this.#o.fireSchedules === false || s.nextAt > now) continue;
      const slot = s.nextAt;
      s.nextAt = this.#nextFire(s, now);
      this.#track(this.#fire(s, slot));
    }
    if (now - this.#lastPrune >= 3_600_000) {
      this.#lastPrune = now;
      const days = retentionDays(this.#o.env);
      const pruned = await this.#o.store.runs.prune(new Date(now - days * 86_400_000).toISOString());
      if (pruned > 0) this.#o.logger?.info({ pruned, days }, "pruned old runs");
    }
  }

  #track(p: Promise<unknown>) {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  async reload(): Promise<void> {
    const { store } = this.#o;
    const active: { workflow: StoredWorkflow; definition: WorkflowDefinition }[] = [];
    for (const workflow of await store.workflows.listActive()) {
      try {
        active.push({ workflow, definition: validateWorkflow(workflow.definition, workflow.name) });
      } catch (err) {
        await store.workflows.pause(
          [workflow.id],
          `The stored definition is no longer valid: ${(err as Error).message}`,
        );
      }
    }
    const { jobs, errors } = await planPollJobs(active, (name) => this.#o.clients.keyOf(name));
    for (const { workflow, error } of errors) {
      this.#o.logger?.warn({ workflow: workflow.name, err: error.message }, "workflow cannot be polled");
      await store.workflows.pause([workflow.id], error.message);
    }
    const seen = new Set<string>();
    for (const job of jobs) {
      const id = pollJobId(job);
      seen.add(id);
      const intervalMs =
        this.#o.pollIntervalMs ?? Math.min(...job.targets.map((t) => intervalOf(t.definition.trigger)));
      const existing = this.#jobs.get(id);
      if (existing) {
        existing.job = job;
        if (intervalMs < existing.intervalMs) existing.nextAt = Math.min(existing.nextAt, Date.now() + intervalMs);
        existing.intervalMs = intervalMs;
      }
      // A new pair starts as if it had just changed: fast polls that slow down if it stays quiet.
      else
        this.#jobs.set(id, {
          job,
          intervalMs,
          nextAt: 0,
          running: false,
          failures: 0,
          lastPollAt: 0,
          lastChangeAt: Date.now(),
        });
    }
    for (const id of this.#jobs.keys()) if (!seen.has(id)) this.#jobs.delete(id);
    await this.#o.cluster?.reconcile([...this.#jobs].map(([id, state]) => ({ id, intervalMs: state.intervalMs })));

    const scheduled = new Set<number>();
    for (const a of active) {
      if (a.definition.trigger.key !== "schedule") continue;
      scheduled.add(a.workflow.id);
      const existing = this.#schedules.get(a.workflow.id);
      if (existing && existing.workflow.version === a.workflow.version) {
        existing.workflow = a.workflow;
        continue;
      }
      existing?.cron?.stop();
      const t = a.definition.trigger;
      const s: ScheduleState = { workflow: a.workflow, definition: a.definition, nextAt: 0 };
      if (t.cron) s.cron = new Cron(t.cron, { paused: true, timezone: t.timezone });
      s.nextAt = this.#nextFire(s, Date.now());
      this.#schedules.set(a.workflow.id, s);
    }
    for (const [id, s] of this.#schedules) {
      if (scheduled.has(id)) continue;
      s.cron?.stop();
      this.#schedules.delete(id);
    }
  }

  #nextFire(s: ScheduleState, after: number): number {
    if (s.cron) return s.cron.nextRun(new Date(after))?.getTime() ?? Number.POSITIVE_INFINITY;
    const every = this.#o.pollIntervalMs ?? parseDuration(s.definition.trigger.every ?? "1h");
    return (Math.floor(after / every) + 1) * every;
  }

  /** Queues one run per slot; the seen key makes two schedulers firing the same slot harmless. */
  async #fire(s: ScheduleState, slot: number): Promise<void> {
    const scheduledAt = new Date(slot).toISOString();
    const { runIds } = await this.#o.store.polling.commit({
      connectionKey: "schedule",
      pollKey: `workflow:${s.workflow.id}`,
      cursor: scheduledAt,
      events: [
        {
          workflowId: s.workflow.id,
          workflowVersion: s.workflow.version,
          triggerKey: "schedule",
          eventKey: `schedule@${scheduledAt}`,
          eventTime: scheduledAt,
          payload: { scheduledAt, firedAt: new Date().toISOString() },
        },
      ],
      pruneBefore: new Date(slot - 7 * 86_400_000).toISOString(),
    });
    if (runIds.length) this.#o.queue.notify();
  }

  /** Whether freshness polls may come between this pair's regular polls (freshness.ts). */
  #freshens(state: JobState): boolean {
    return this.#freshness.share > 0 && state.intervalMs > this.#freshness.fastestMs;
  }

  /**
   * Freshness polls (freshness.ts): each pair whose freshness interval has passed, most overdue
   * first, asks its key's limiter for an optional start; a refusal (someone waits, a 429, the
   * share is spent) ends the round for that key. Pairs that are failing keep their backoff.
   */
  async #freshen(now: number): Promise<void> {
    const idle = [...this.#jobs.values()].filter((s) => !s.running && s.failures === 0);
    const refused = new Set<string>();
    const timing = (s: JobState) => ({ everyMs: s.intervalMs, lastPollAt: s.lastPollAt, lastChangeAt: s.lastChangeAt });
    for (const state of dueForFreshness(idle, timing, now, this.#freshness)) {
      if (refused.has(state.job.connectionKey) || state.running) continue;
      const started = await this.#startFresh(state, now).catch((err: Error) => {
        this.#o.logger?.debug({ poll: state.job.pollKey, err: err.message }, "freshness poll not started");
        return "skipped" as const;
      });
      if (started === "refused") refused.add(state.job.connectionKey);
    }
  }

  /**
   * Starts one freshness poll if the cluster (distributed mode) and the key's budget allow it. In
   * distributed mode the pair's shared timing is read first (another worker may have polled it),
   * then the budget asked, then the pair claimed: a pair is claimed only for a poll that runs, so
   * a regular poll is never skipped for a freshness poll that did not happen.
   */
  async #startFresh(state: JobState, now: number): Promise<"started" | "skipped" | "refused"> {
    const id = pollJobId(state.job);
    const pairs = this.#o.cluster?.pairs;
    let gap = 0;
    if (pairs) {
      if (((await this.#o.cluster?.backoff?.state(id))?.heldMs ?? 0) > 0) return "skipped";
      const peek = await pairs.peek(id);
      // The shared clock's times, moved onto this process's clock.
      const skew = now - peek.now;
      if (peek.lastPollAt) state.lastPollAt = Math.max(state.lastPollAt, peek.lastPollAt + skew);
      if (peek.lastChangeAt) state.lastChangeAt = Math.max(state.lastChangeAt, peek.lastChangeAt + skew);
      gap = freshIntervalMs(now - state.lastChangeAt, state.intervalMs, this.#freshness);
      if (peek.running || now - state.lastPollAt < gap) return "skipped";
    }
    const { limiter } = await this.#o.clients.resolve(state.job.connectionName);
    if (!(await limiter.tryOptional(this.#freshness.share))) return "refused";
    if (pairs && !(await pairs.claim(id, "fresh", gap)).claimed) return "skipped";
    if (state.running) {
      // A regular poll of the pair started in this process meanwhile: it reads the same.
      await pairs?.release(id, "fresh");
      return "skipped";
    }
    state.running = true;
    this.#track(this.#runJob(state, { fresh: true, claim: pairs ? "fresh" : undefined }));
    return "started";
  }

  async #runJob(state: JobState, how: { fresh?: boolean; claim?: "fresh" | "regular" } = {}): Promise<void> {
    const { job } = state;
    let outcome: { changed: boolean } | undefined;
    try {
      const { client, limiter } = await this.#o.clients.resolve(job.connectionName);
      const result = await pollResource(job, { store: this.#o.store, client, overlapMs: this.#o.overlapMs });
      const polledAt = Date.now();
      // The grant covered one request; a busy resource's further pages count as optional too.
      if (how.fresh && result.pages > 1) await limiter.noteOptional(result.pages - 1);
      if (result.changed) state.lastChangeAt = polledAt;
      state.lastPollAt = polledAt;
      outcome = { changed: result.changed };
      if (state.failures > 0) await this.#o.cluster?.backoff?.recovered(pollJobId(job)).catch(() => {});
      state.failures = 0;
      // A disturbed listing is re-read soon rather than a full interval later.
      state.nextAt = Date.now() + (result.disturbed ? Math.min(state.intervalMs, 1000) : state.intervalMs);
      if (result.runIds.length > 0) this.#o.queue.notify();
      this.#o.onPoll?.(job, result);
      this.#o.logger?.debug({ poll: job.pollKey, records: result.records, runs: result.runIds.length }, "polled");
    } catch (err) {
      const error = err as Error;
      state.failures++;
      this.#o.onPoll?.(job, error);
      if (err instanceof ClinikoAuthError) {
        const reason = `Paused: Cliniko rejected the API key of connection "${job.connectionName ?? job.connectionKey}" (${error.message}) Fix the connection, then enable the workflow again.`;
        const ids = await this.#workflowsOnConnection(job.connectionKey);
        await this.#o.store.workflows.pause(ids, reason);
        this.#o.logger?.error(
          { connection: job.connectionName ?? "default", workflows: ids.length },
          "connection paused",
        );
        this.#jobs.delete(pollJobId(job));
      } else {
        await this.#o.store.polling.recordError(job.connectionKey, job.pollKey, error.message).catch(() => {});
        const backoff = Math.min(state.intervalMs * 2 ** state.failures, this.#o.maxBackoffMs ?? 15 * 60_000);
        state.nextAt = Date.now() + backoff;
        await this.#o.cluster?.backoff?.failed(pollJobId(job), backoff).catch(() => {});
        this.#o.logger?.warn(
          { poll: job.pollKey, failures: state.failures, err: error.message },
          "poll failed; backing off",
        );
      }
    } finally {
      if (how.claim)
        await this.#o.cluster?.pairs
          ?.release(pollJobId(job), how.claim, outcome ?? { changed: false })
          .catch((err: Error) => this.#o.logger?.warn({ err: err.message }, "poll claim not released"));
      state.running = false;
    }
  }

  async #workflowsOnConnection(connectionKey: string): Promise<number[]> {
    const ids: number[] = [];
    for (const w of await this.#o.store.workflows.listActive()) {
      const def = w.definition as WorkflowDefinition;
      // Every step that talks to Cliniko counts, nested ones in branches too.
      const clinikoSteps = allSteps(def.steps ?? []).filter(
        ({ step }) => isStepKind(step.action) && stepKind(step.action).connection === "cliniko",
      );
      const names = [def.trigger?.connection, ...clinikoSteps.map(({ step }) => step.connection)];
      for (const name of names) {
        const key = await this.#o.clients.keyOf(name).catch(() => undefined);
        if (key === connectionKey) {
          ids.push(w.id);
          break;
        }
      }
    }
    return ids;
  }
}
