/**
 * The runs repository: one object over the `runs` and `step_results` tables. Each job lives in a
 * module of its own under `runs/`: what a run is (records), who runs it (claims), its life in the
 * queue (lifecycle), what its steps did (journal), and what it keeps and for how long (retention).
 */
import type { Kysely } from "kysely";
import type { GroupCommit } from "./group-commit.ts";
import type { Lease } from "./runs/claims.ts";
import * as claims from "./runs/claims.ts";
import { LeaseLostError } from "./runs/claims.ts";
import * as journal from "./runs/journal.ts";
import * as lifecycle from "./runs/lifecycle.ts";
import {
  type DataRemoved,
  findRun,
  type NewRun,
  type RunEnd,
  type RunFilter,
  type RunRecord,
  type RunsDb,
  runFromRow,
  type StepRecord,
  selectRuns,
} from "./runs/records.ts";
import * as retention from "./runs/retention.ts";
import type { Database } from "./schema.ts";

export { INTERRUPTED_TWICE, type Lease, LeaseLostError } from "./runs/claims.ts";
export {
  DATA_REMOVED,
  type DataRemoved,
  isRunEnded,
  isRunFailure,
  type NewRun,
  RUN_END_COUNTS_AS,
  RUN_STATUSES,
  type RunEnd,
  type RunFilter,
  type RunRecord,
  type RunStatus,
  runHealthCounts,
  runSummary,
  STEP_STATUSES,
  type StepRecord,
  type StepStatus,
} from "./runs/records.ts";
export { WEBHOOK_SEEN } from "./runs/retention.ts";

export class RunStore {
  readonly #db: Kysely<Database>;
  /** The store's own RunStore commits its hot-path writes in groups; one bound to a transaction does not. */
  readonly #group: GroupCommit | undefined;
  readonly #runs: RunsDb;
  constructor(db: Kysely<Database>, options: { groupCommit?: GroupCommit } = {}) {
    this.#db = db;
    this.#group = options.groupCommit;
    this.#runs = { db, group: options.groupCommit };
  }

  // What a run is (runs/records.ts).

  /** Newest first. */
  async list(filter: RunFilter = {}): Promise<RunRecord[]> {
    let q = selectRuns(this.#db).orderBy("runs.id", "desc");
    if (filter.workflowId !== undefined) q = q.where("runs.workflow_id", "=", filter.workflowId);
    if (filter.status) q = q.where("runs.status", "=", filter.status);
    if (filter.replayOf !== undefined) q = q.where("runs.replay_of", "=", filter.replayOf);
    if (filter.limit) q = q.limit(filter.limit);
    return (await q.execute()).map(runFromRow);
  }

  /** Runs after `afterId` in id order, `limit` at a time: a walk over the whole history in pages. */
  async page(afterId: number, limit: number): Promise<RunRecord[]> {
    const rows = await selectRuns(this.#db).where("runs.id", ">", afterId).orderBy("runs.id").limit(limit).execute();
    return rows.map(runFromRow);
  }

  find(id: number): Promise<RunRecord | undefined> {
    return findRun(this.#runs, id);
  }

  /** Runs per status, of one workflow or all. */
  async counts(workflowId?: number): Promise<Record<string, number>> {
    let q = this.#db
      .selectFrom("runs")
      .select(["status", (eb) => eb.fn.countAll().as("n")])
      .groupBy("status");
    if (workflowId !== undefined) q = q.where("workflow_id", "=", workflowId);
    const out: Record<string, number> = {};
    for (const r of await q.execute()) out[r.status] = Number(r.n);
    return out;
  }

  // Its life in the queue (runs/lifecycle.ts).

  /** Creates a queued run directly (schedule and webhook triggers, replays, `run --once`). */
  enqueue(r: lifecycle.QueuedRun): Promise<number> {
    return lifecycle.enqueue(this.#runs, r);
  }

  /** A new run inserted already claimed by `owner`, for a worker that executes it at once. */
  enqueueClaimed(r: NewRun, owner: string, leaseMs: number): Promise<RunRecord> {
    return lifecycle.enqueueClaimed(this.#runs, r, owner, leaseMs);
  }

  finish(runId: number, status: RunEnd, error: string | null): Promise<void> {
    return lifecycle.finish(this.#runs, runId, status, error);
  }

  /** Parks a run (a `delay` step) until `notBefore`; any worker resumes it then. */
  park(runId: number, notBefore: string): Promise<void> {
    return lifecycle.park(this.#runs, runId, notBefore);
  }

  // Who runs it (runs/claims.ts).

  /** Runs a worker could take: running ones (leases may be stale) and the oldest due queued ones. */
  candidates(options: Parameters<typeof claims.candidates>[1] = {}): Promise<RunRecord[]> {
    return claims.candidates(this.#runs, options);
  }

  /** The workflows that have queued runs (due or parked), in id order. */
  queuedWorkflows(workflowIds?: number[]): Promise<number[]> {
    return claims.queuedWorkflows(this.#runs, workflowIds);
  }

  /** The oldest `limit` queued runs of one workflow that are due now (oldest first). */
  queuedOf(workflowId: number, limit: number): Promise<RunRecord[]> {
    return claims.queuedOf(this.#runs, workflowId, limit);
  }

  /** Runs in flight per workflow, across every worker. */
  runningCounts(): Promise<Map<number, number>> {
    return claims.runningCounts(this.#runs);
  }

  /** What the cluster's sweep (re-)enqueues: queued runs and running runs whose lease ran out. */
  sweepable(limit?: number): Promise<{ id: number; notBefore: string | null }[]> {
    return claims.sweepable(this.#runs, limit);
  }

  /** Takes a run for `owner` if it is still exactly as the caller saw it; whether `owner` now holds it. */
  async claim(run: RunRecord, owner: string, leaseMs: number): Promise<boolean> {
    return (await claims.claimLease(this.#runs, run, owner, leaseMs)) !== undefined;
  }

  /** `claim`, returning the lease the claim holds (its new token). */
  claimLease(run: RunRecord, owner: string, leaseMs: number): Promise<Lease | undefined> {
    return claims.claimLease(this.#runs, run, owner, leaseMs);
  }

  /** The lease `owner` holds on a run it has claimed, renewed now. */
  lease(runId: number, owner: string, leaseMs: number): Promise<Lease | undefined> {
    return claims.lease(this.#runs, runId, owner, leaseMs);
  }

  /** Extends a lease; false when the run was claimed by another worker since (the lease is lost). */
  heartbeat(lease: Lease): Promise<boolean> {
    return claims.heartbeat(this.#runs, lease);
  }

  /**
   * Runs `fn`'s writes in one transaction that first renews the lease with its token: they commit
   * only if no other worker has claimed the run, and no claim can slip in before they commit (the
   * renewal holds the run's row on PostgreSQL, the write lock on SQLite). Throws `LeaseLostError`.
   */
  async fenced<T>(lease: Lease, fn: (runs: RunStore) => Promise<T>): Promise<T> {
    const fencedWrites = async (trx: Kysely<Database>) => {
      const runs = new RunStore(trx);
      if (!(await runs.heartbeat(lease))) throw new LeaseLostError(lease.runId);
      return fn(runs);
    };
    // Grouped with other runs' writes, each in its own savepoint: a lost lease rolls back only its own.
    if (this.#group) return this.#group.run(fencedWrites);
    return this.#db.transaction().execute(fencedWrites);
  }

  /**
   * `fenced`, for the run's last write: the run's end is the write that checks the lease (its
   * update names the token), so the lease is not renewed in a statement of its own first.
   */
  async fencedEnd<T>(lease: Lease, end: lifecycle.RunEndRecord, fn: (runs: RunStore) => Promise<T>): Promise<T> {
    const fencedWrites = async (trx: Kysely<Database>) => {
      if (!(await lifecycle.endLeased(trx, lease, end))) throw new LeaseLostError(lease.runId);
      return fn(new RunStore(trx));
    };
    if (this.#group) return this.#group.run(fencedWrites);
    return this.#db.transaction().execute(fencedWrites);
  }

  /** Several writes of one run committed together (a run's last step and its end: one commit). */
  async atomically<T>(fn: (runs: RunStore) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute((trx) => fn(new RunStore(trx)));
  }

  // What its steps did (runs/journal.ts).

  steps(runId: number): Promise<StepRecord[]> {
    return journal.steps(this.#runs, runId);
  }

  /** Records that a step is about to execute (before any side effect), counting attempts. */
  startStep(runId: number, stepId: string, seq: number, input: unknown): Promise<void> {
    return journal.startStep(this.#runs, runId, stepId, seq, input);
  }

  /** A step's final result: an update of `startStep`'s row, or with `row` the whole row at once. */
  finishStep(
    runId: number,
    stepId: string,
    r: journal.StepResult,
    row?: Parameters<typeof journal.finishStep>[4],
  ): Promise<void> {
    return journal.finishStep(this.#runs, runId, stepId, r, row);
  }

  /** Keeps a note on a running step (a delay's wake-up time) without finishing it. */
  noteStep(runId: number, stepId: string, output: unknown): Promise<void> {
    return journal.noteStep(this.#runs, runId, stepId, output);
  }

  /** A new run with the same trigger payload, from the start or from the step that failed. */
  replay(runId: number, options: Parameters<typeof journal.replay>[2]): Promise<number> {
    return journal.replay(this.#runs, runId, options);
  }

  // What it keeps and for how long (runs/retention.ts).

  /** Deletes runs with their step records (erasure on request); returns how many. */
  remove(runIds: number[]): Promise<number> {
    return retention.remove(this.#runs, runIds);
  }

  /** Drops the payloads of finished runs (metadata-only workflows when a run ends; purges on request). */
  scrub(runIds: number | number[], reason: DataRemoved = "metadata-only"): Promise<void> {
    return retention.scrub(this.#runs, runIds, reason);
  }

  /** Deletes finished runs older than `before` and webhook idempotency keys received before then. */
  prune(before: string): Promise<number> {
    return retention.prune(this.#runs, before);
  }

  /** What one workflow holds now: runs waiting in the queue and bytes of trigger payloads kept. */
  usage(workflowId: number): Promise<{ queued: number; storedBytes: number }> {
    return retention.usage(this.#runs, workflowId);
  }

  /** Bytes of trigger payloads kept per workflow (for /metrics). */
  storageByWorkflow(): Promise<{ workflow: string; bytes: number; runs: number }[]> {
    return retention.storageByWorkflow(this.#runs);
  }
}
