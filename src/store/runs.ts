import { type Kysely, type Selectable, sql, type UpdateQueryBuilder, type UpdateResult } from "kysely";
import type { GroupCommit } from "./group-commit.ts";
import type { Database, RunsTable } from "./schema.ts";
import { changed, Statement } from "./statements.ts";

type RunsTableRow = Selectable<RunsTable>;
type RunsUpdate = UpdateQueryBuilder<Database, "runs", "runs", UpdateResult>;

import { isoNow } from "./time.ts";

/**
 * The `connection_key` of seen keys that come from webhook posts' idempotency keys, not from a
 * poll: no poll prunes them, so the runs' retention does (`prune`).
 */
export const WEBHOOK_SEEN = "webhook";

/** Every status a run can have; the HTTP API's schemas and the UI's types are built from this list. */
export const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "unknown"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const STEP_STATUSES = ["running", "succeeded", "failed", "skipped", "unknown"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface RunRecord {
  id: number;
  workflowId: number;
  workflow: string;
  /** The workflow keeps metadata only: the run's payloads are dropped when it ends. */
  metadataOnly: boolean;
  workflowVersion: number;
  trigger: string;
  eventKey: string;
  status: RunStatus;
  triggerPayload: unknown;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  notBefore: string | null;
  leaseOwner: string | null;
  leaseUntil: string | null;
  replayOf: number | null;
  /** The current claim's fencing token (see `Lease`). */
  leaseToken: number;
  /** Times the run was taken over from a worker that stopped while running it. */
  interruptions: number;
  /** Why the payloads are gone, or null while they are kept. */
  dataRemoved: DataRemoved | null;
}

/** Why a run's payloads were removed before its retention ended. */
export const DATA_REMOVED = {
  "metadata-only":
    "Not kept: this workflow keeps metadata only, so the trigger event and each step's input and output were dropped when the run ended.",
  purged: "Erased on request: the trigger event and each step's input and output were removed from this run.",
} as const;
export type DataRemoved = keyof typeof DATA_REMOVED;

/**
 * A worker's hold on a run. Every claim increments the run's token; each durable write of the
 * run happens in a transaction that first renews the lease *with that token* (`fenced`), so a
 * worker whose lease ran out and was taken over can neither record nor — since the runner writes
 * a non-repeatable step's row before sending it — send anything more.
 */
export interface Lease {
  runId: number;
  token: number;
  leaseMs: number;
}

/** A write was refused because another worker has claimed the run since (the lease ran out). */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
  constructor(runId: number) {
    super(`Run ${runId} is no longer leased to this worker: another worker took it over.`);
  }
}

/** How many workflows with queued runs one fair scan looks at (they are taken in id order). */
const MAX_FAIR_WORKFLOWS = 1000;

/** The second takeover of a run that was in flight quarantines it instead of resuming it. */
const MAX_INTERRUPTIONS = 2;
export const INTERRUPTED_TWICE =
  "This run was interrupted twice while running (the process stopped); it was not resumed again to avoid a crash loop. Replay it once the cause is fixed.";
const STEP_INTERRUPTED = "The process stopped while this step was running; whether it took effect is unknown.";
const STEP_INTERRUPTED_NOTE = "A step was in flight, so whether it took effect is unknown: check before replaying.";

export interface StepRecord {
  stepId: string;
  seq: number;
  status: StepStatus;
  input: unknown;
  output: unknown;
  error: string | null;
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
}

const parse = (s: string | null): unknown => (s == null ? null : JSON.parse(s));
const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

type JoinedRow = RunsTableRow & { workflow_name: string; workflow_metadata_only: number };

/** The hot path's statements (see statements.ts); the builder's versions of the others stay below. */
const SQL = {
  enqueue: new Statement<{ id: number }>(`
    INSERT INTO runs (workflow_id, workflow_version, trigger_key, event_key, status, trigger_payload, payload_bytes,
      created_at, replay_of)
    VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?) RETURNING id`),
  // A run inserted already claimed (its first claim: token 1), for a worker that executes it now.
  enqueueClaimed: new Statement<{ id: number }>(`
    INSERT INTO runs (workflow_id, workflow_version, trigger_key, event_key, status, trigger_payload, payload_bytes,
      created_at, started_at, lease_owner, lease_until, lease_token)
    VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, 1) RETURNING id`),
  queuedOf: new Statement<JoinedRow>(`
    SELECT runs.*, workflows.name AS workflow_name, workflows.metadata_only AS workflow_metadata_only
    FROM runs INNER JOIN workflows ON workflows.id = runs.workflow_id
    WHERE runs.workflow_id = ? AND runs.status = 'queued' AND (runs.not_before IS NULL OR runs.not_before <= ?)
    ORDER BY runs.id LIMIT ?`),
  queuedWorkflows: new Statement<{ id: number | null }>(`
    WITH RECURSIVE wf(id, n) AS (
      SELECT (SELECT MIN(workflow_id) FROM runs WHERE status = 'queued'), 0
      UNION ALL
      SELECT (SELECT MIN(workflow_id) FROM runs WHERE status = 'queued' AND workflow_id > wf.id), wf.n + 1
      FROM wf WHERE wf.id IS NOT NULL AND wf.n < ?
    )
    SELECT id FROM wf WHERE id IS NOT NULL`),
  // Compare-and-set on the row as the caller saw it (two texts: SQL has no "= NULL").
  ...(Object.fromEntries(
    (["claimUnleased", "claimLeased"] as const).map((name) => [
      name,
      new Statement<{ lease_token: number }>(`
        UPDATE runs SET status = 'running', lease_owner = ?, lease_until = ?, lease_token = lease_token + 1,
          interruptions = ?, started_at = ?, not_before = NULL
        WHERE id = ? AND status = ? AND lease_token = ? AND ${name === "claimUnleased" ? "lease_until IS NULL" : "lease_until = ?"}
        RETURNING lease_token`),
    ]),
  ) as Record<"claimUnleased" | "claimLeased", Statement<{ lease_token: number }>>),
  heartbeat: new Statement(`UPDATE runs SET lease_until = ? WHERE id = ? AND lease_token = ? AND status = 'running'`),
  end: new Statement(`
    UPDATE runs SET status = ?, error = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL
    WHERE id = ? AND lease_token = ? AND status = 'running'`),
  stepRow: new Statement(`
    INSERT INTO step_results (run_id, step_id, seq, input, attempts, started_at, status, output, error, finished_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id, step_id) DO UPDATE SET status = excluded.status, output = excluded.output,
      error = excluded.error, finished_at = excluded.finished_at, input = excluded.input, attempts = excluded.attempts`),
  stepResult: new Statement(
    `UPDATE step_results SET status = ?, output = ?, error = ?, finished_at = ? WHERE run_id = ? AND step_id = ?`,
  ),
};

/** A run to create, with what the worker executing it needs of its workflow. */
export interface NewRun {
  workflowId: number;
  workflowVersion: number;
  /** The workflow's name and whether it keeps metadata only (as its row says now). */
  workflow: string;
  metadataOnly: boolean;
  triggerKey: string;
  eventKey: string;
  payload: unknown;
}

export interface RunFilter {
  workflowId?: number;
  status?: RunStatus;
  limit?: number;
  /** Only the replays of this run. */
  replayOf?: number;
}

/** A run without its payload or steps: what listings show (small, and free of patient data). */
export function runSummary(r: RunRecord) {
  return {
    id: r.id,
    workflow: r.workflow,
    workflowVersion: r.workflowVersion,
    trigger: r.trigger,
    eventKey: r.eventKey,
    status: r.status,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    error: r.error,
    replayOf: r.replayOf,
    dataNotKept: r.dataRemoved ? DATA_REMOVED[r.dataRemoved] : null,
  };
}

export class RunStore {
  readonly #db: Kysely<Database>;
  /** The store's own RunStore commits its hot-path writes in groups; one bound to a transaction does not. */
  readonly #group: GroupCommit | undefined;
  constructor(db: Kysely<Database>, options: { groupCommit?: GroupCommit } = {}) {
    this.#db = db;
    this.#group = options.groupCommit;
  }

  #select() {
    return this.#db
      .selectFrom("runs")
      .innerJoin("workflows", "workflows.id", "runs.workflow_id")
      .selectAll("runs")
      .select(["workflows.name as workflow_name", "workflows.metadata_only as workflow_metadata_only"]);
  }

  #fromRow(r: JoinedRow): RunRecord {
    return {
      id: r.id,
      workflowId: r.workflow_id,
      workflow: r.workflow_name,
      metadataOnly: r.workflow_metadata_only === 1,
      workflowVersion: r.workflow_version,
      trigger: r.trigger_key,
      eventKey: r.event_key,
      status: r.status as RunStatus,
      triggerPayload: parse(r.trigger_payload),
      error: r.error,
      createdAt: r.created_at,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      notBefore: r.not_before,
      leaseOwner: r.lease_owner,
      leaseUntil: r.lease_until,
      replayOf: r.replay_of,
      leaseToken: r.lease_token,
      interruptions: r.interruptions,
      dataRemoved: (r.data_removed as DataRemoved | null) ?? null,
    };
  }

  /** Newest first. */
  async list(filter: RunFilter = {}): Promise<RunRecord[]> {
    let q = this.#select().orderBy("runs.id", "desc");
    if (filter.workflowId !== undefined) q = q.where("runs.workflow_id", "=", filter.workflowId);
    if (filter.status) q = q.where("runs.status", "=", filter.status);
    if (filter.replayOf !== undefined) q = q.where("runs.replay_of", "=", filter.replayOf);
    if (filter.limit) q = q.limit(filter.limit);
    return (await q.execute()).map((r) => this.#fromRow(r));
  }

  /** Runs after `afterId` in id order, `limit` at a time: a walk over the whole history in pages. */
  async page(afterId: number, limit: number): Promise<RunRecord[]> {
    const rows = await this.#select().where("runs.id", ">", afterId).orderBy("runs.id").limit(limit).execute();
    return rows.map((r) => this.#fromRow(r));
  }

  /** Deletes runs with their step records (erasure on request); returns how many. */
  async remove(runIds: number[]): Promise<number> {
    let removed = 0;
    for (let i = 0; i < runIds.length; i += 500) {
      const chunk = runIds.slice(i, i + 500);
      await this.#db.deleteFrom("step_results").where("run_id", "in", chunk).execute();
      const res = await this.#db.deleteFrom("runs").where("id", "in", chunk).executeTakeFirst();
      removed += Number(res.numDeletedRows);
    }
    return removed;
  }

  async find(id: number): Promise<RunRecord | undefined> {
    const r = await this.#select().where("runs.id", "=", id).executeTakeFirst();
    return r ? this.#fromRow(r) : undefined;
  }

  /** Creates a queued run directly (schedule and webhook triggers, replays, `run --once`). */
  async enqueue(r: {
    workflowId: number;
    workflowVersion: number;
    triggerKey: string;
    eventKey: string;
    payload: unknown;
    replayOf?: number;
  }): Promise<number> {
    // Settles once committed, in a commit shared with the other runs queued meanwhile.
    if (this.#group) return this.#group.run((trx) => new RunStore(trx).enqueue(r));
    const payload = json(r.payload ?? null);
    const { rows } = await SQL.enqueue.run(this.#db, [
      r.workflowId,
      r.workflowVersion,
      r.triggerKey,
      r.eventKey,
      payload,
      payload === null ? 0 : Buffer.byteLength(payload),
      isoNow(),
      r.replayOf ?? null,
    ]);
    return Number(rows[0]!.id);
  }

  /**
   * A new run, inserted already claimed by `owner` (status `running`, lease token 1): for a
   * worker with a free slot that executes it at once, so the run is written once as queued and
   * claimed instead of queued, read back and claimed. Settles once committed (group commit).
   */
  async enqueueClaimed(r: NewRun, owner: string, leaseMs: number): Promise<RunRecord> {
    if (this.#group) return this.#group.run((trx) => new RunStore(trx).enqueueClaimed(r, owner, leaseMs));
    const now = isoNow();
    const leaseUntil = isoNow(Date.now() + leaseMs);
    const payload = r.payload ?? null;
    const stored = json(payload);
    const { rows } = await SQL.enqueueClaimed.run(this.#db, [
      r.workflowId,
      r.workflowVersion,
      r.triggerKey,
      r.eventKey,
      stored,
      stored === null ? 0 : Buffer.byteLength(stored),
      now,
      now,
      owner,
      leaseUntil,
    ]);
    return {
      id: Number(rows[0]!.id),
      workflowId: r.workflowId,
      workflow: r.workflow,
      metadataOnly: r.metadataOnly,
      workflowVersion: r.workflowVersion,
      trigger: r.triggerKey,
      eventKey: r.eventKey,
      status: "running",
      // What was stored, not the caller's object (the runner's scope must not alias it).
      triggerPayload: parse(stored),
      error: null,
      createdAt: now,
      startedAt: now,
      finishedAt: null,
      notBefore: null,
      leaseOwner: owner,
      leaseUntil,
      replayOf: null,
      leaseToken: 1,
      interruptions: 0,
      dataRemoved: null,
    };
  }

  /**
   * Runs a worker could take: every `running` run (its lease may be stale; the caller decides)
   * and the oldest `limit` queued runs that are due; `running: false` leaves the running ones out.
   * Two index walks in id order, so the cost does not grow with the backlog (a backfill may queue
   * thousands).
   */
  async candidates(
    options: { workflowIds?: number[]; runIds?: number[]; limit?: number; running?: boolean } = {},
  ): Promise<RunRecord[]> {
    const now = isoNow();
    let running = this.#select().where("runs.status", "=", "running").orderBy("runs.id").limit(200);
    let queued = this.#select()
      .where("runs.status", "=", "queued")
      .where((eb) => eb.or([eb("runs.not_before", "is", null), eb("runs.not_before", "<=", now)]))
      .orderBy("runs.id")
      .limit(options.limit ?? 50);
    if (options.workflowIds) {
      const ids = options.workflowIds.length ? options.workflowIds : [-1];
      running = running.where("runs.workflow_id", "in", ids);
      queued = queued.where("runs.workflow_id", "in", ids);
    }
    if (options.runIds) {
      const ids = options.runIds.length ? options.runIds : [-1];
      running = running.where("runs.id", "in", ids);
      queued = queued.where("runs.id", "in", ids);
    }
    // `running: false`: queued runs only (the caller is not looking for runs to take over).
    const rows = [...(options.running === false ? [] : await running.execute()), ...(await queued.execute())];
    return rows.map((r) => this.#fromRow(r));
  }

  /**
   * The workflows that have queued runs (due or parked), in id order. A skip scan of the
   * (status, workflow_id) index: one probe per workflow, so a workflow with thousands of queued
   * runs costs what one with a single run does.
   */
  async queuedWorkflows(workflowIds?: number[]): Promise<number[]> {
    if (!workflowIds)
      return (await SQL.queuedWorkflows.run(this.#db, [MAX_FAIR_WORKFLOWS])).rows.map((r) => Number(r.id));
    const only = workflowIds ? sql` AND workflow_id IN (${sql.join(workflowIds.length ? workflowIds : [-1])})` : sql``;
    const { rows } = await sql<{ id: number | null }>`
      WITH RECURSIVE wf(id, n) AS (
        SELECT (SELECT MIN(workflow_id) FROM runs WHERE status = 'queued'${only}), 0
        UNION ALL
        SELECT (SELECT MIN(workflow_id) FROM runs WHERE status = 'queued' AND workflow_id > wf.id${only}), wf.n + 1
        FROM wf WHERE wf.id IS NOT NULL AND wf.n < ${MAX_FAIR_WORKFLOWS}
      )
      SELECT id FROM wf WHERE id IS NOT NULL`.execute(this.#db);
    return rows.map((r) => Number(r.id));
  }

  /** The oldest `limit` queued runs of one workflow that are due now (oldest first). */
  async queuedOf(workflowId: number, limit: number): Promise<RunRecord[]> {
    const { rows } = await SQL.queuedOf.run(this.#db, [workflowId, isoNow(), limit]);
    return rows.map((r) => this.#fromRow(r));
  }

  /** Runs in flight per workflow, across every worker (`running` rows, whatever their lease). */
  async runningCounts(): Promise<Map<number, number>> {
    const rows = await this.#db
      .selectFrom("runs")
      .select(["workflow_id", (eb) => eb.fn.countAll().as("n")])
      .where("status", "=", "running")
      .groupBy("workflow_id")
      .execute();
    return new Map(rows.map((r) => [r.workflow_id, Number(r.n)]));
  }

  /**
   * What the cluster's sweep (re-)enqueues: the oldest `limit` queued runs, due or parked (with
   * their wake-up time), and running runs whose lease ran out (their worker died). The database is
   * the source of truth; this is how a run whose queue job was lost gets one again.
   */
  async sweepable(limit = 1000): Promise<{ id: number; notBefore: string | null }[]> {
    const now = isoNow();
    const rows = await this.#db
      .selectFrom("runs")
      .select(["id", "not_before"])
      .where((eb) =>
        eb.or([
          eb("status", "=", "queued"),
          eb.and([eb("status", "=", "running"), eb("lease_until", "is not", null), eb("lease_until", "<", now)]),
        ]),
      )
      .orderBy("id")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, notBefore: r.not_before }));
  }

  /**
   * Takes a run for `owner` if it is still exactly as the caller saw it (compare-and-set on status,
   * token and lease expiry), so two workers — or `serve` and `run --once` — never execute the same
   * run at once, and a lease renewed since the caller looked is not taken. Each claim gets a new
   * token. Taking over a `running` run counts as an interruption; the second one quarantines the
   * run (`failed`; `unknown` when a step was in flight, which becomes `unknown` too) instead, so a run that kills its worker cannot
   * kill every worker in turn. Returns whether `owner` now holds the run.
   */
  async claim(run: RunRecord, owner: string, leaseMs: number): Promise<boolean> {
    return (await this.claimLease(run, owner, leaseMs)) !== undefined;
  }

  /**
   * `claim`, returning the lease the claim holds (its new token), so the worker that executes the
   * run starts from it instead of renewing the lease it was just given in another write.
   */
  async claimLease(run: RunRecord, owner: string, leaseMs: number): Promise<Lease | undefined> {
    const now = isoNow();
    const takeover = run.status === "running";
    const interruptions = run.interruptions + (takeover ? 1 : 0);
    if (interruptions >= MAX_INTERRUPTIONS) {
      await this.#quarantine(run, interruptions);
      return undefined;
    }
    if (this.#group) return this.#group.run((trx) => new RunStore(trx).claimLease(run, owner, leaseMs));
    const set = [owner, isoNow(Date.now() + leaseMs), interruptions, run.startedAt ?? now];
    const seen = [run.id, run.status, run.leaseToken];
    const { rows } =
      run.leaseUntil === null
        ? await SQL.claimUnleased.run(this.#db, [...set, ...seen])
        : await SQL.claimLeased.run(this.#db, [...set, ...seen, run.leaseUntil]);
    const row = rows[0];
    return row ? { runId: run.id, token: Number(row.lease_token), leaseMs } : undefined;
  }

  /** Narrows an update of `run` to the row state the caller saw. */
  #asSeen(q: RunsUpdate, run: RunRecord): RunsUpdate {
    const seen = q.where("id", "=", run.id).where("status", "=", run.status).where("lease_token", "=", run.leaseToken);
    return run.leaseUntil === null
      ? seen.where("lease_until", "is", null)
      : seen.where("lease_until", "=", run.leaseUntil);
  }

  async #quarantine(run: RunRecord, interruptions: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const res = await new RunStore(trx)
        .#asSeen(
          trx.updateTable("runs").set({
            status: "failed",
            error: INTERRUPTED_TWICE,
            finished_at: isoNow(),
            lease_owner: null,
            lease_until: null,
            interruptions,
          }),
          run,
        )
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return;
      const inFlight = await trx
        .updateTable("step_results")
        .set({ status: "unknown", error: STEP_INTERRUPTED, finished_at: isoNow() })
        .where("run_id", "=", run.id)
        .where("status", "=", "running")
        .executeTakeFirst();
      // A step that may have written elsewhere makes the run `unknown`, not `failed`: someone
      // must check before replaying it, or the write could happen twice.
      if (Number(inFlight.numUpdatedRows) > 0)
        await trx
          .updateTable("runs")
          .set({ status: "unknown", error: `${INTERRUPTED_TWICE} ${STEP_INTERRUPTED_NOTE}` })
          .where("id", "=", run.id)
          .execute();
    });
  }

  /**
   * The lease `owner` holds on a run it has claimed, renewed now; undefined when another worker
   * has taken the run since.
   */
  async lease(runId: number, owner: string, leaseMs: number): Promise<Lease | undefined> {
    const row = await this.#db
      .updateTable("runs")
      .set({ lease_until: isoNow(Date.now() + leaseMs) })
      .where("id", "=", runId)
      .where("status", "=", "running")
      .where("lease_owner", "=", owner)
      .returning("lease_token")
      .executeTakeFirst();
    return row ? { runId, token: row.lease_token, leaseMs } : undefined;
  }

  /** Extends a lease; false when the run was claimed by another worker since (the lease is lost). */
  async heartbeat(lease: Lease): Promise<boolean> {
    const res = await SQL.heartbeat.run(this.#db, [isoNow(Date.now() + lease.leaseMs), lease.runId, lease.token]);
    return changed(res) === 1;
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
  async fencedEnd<T>(
    lease: Lease,
    end: { status: Exclude<RunStatus, "queued" | "running">; error: string | null },
    fn: (runs: RunStore) => Promise<T>,
  ): Promise<T> {
    const fencedWrites = async (trx: Kysely<Database>) => {
      const res = await SQL.end.run(trx, [end.status, end.error, isoNow(), lease.runId, lease.token]);
      if (changed(res) !== 1) throw new LeaseLostError(lease.runId);
      return fn(new RunStore(trx));
    };
    if (this.#group) return this.#group.run(fencedWrites);
    return this.#db.transaction().execute(fencedWrites);
  }

  async finish(runId: number, status: Exclude<RunStatus, "queued" | "running">, error: string | null): Promise<void> {
    await this.#db
      .updateTable("runs")
      .set({ status, error, finished_at: isoNow(), lease_owner: null, lease_until: null })
      .where("id", "=", runId)
      .execute();
  }

  /** Parks a run (a `delay` step) until `notBefore`; any worker resumes it then. */
  async park(runId: number, notBefore: string): Promise<void> {
    await this.#db
      .updateTable("runs")
      .set({ status: "queued", not_before: notBefore, lease_owner: null, lease_until: null })
      .where("id", "=", runId)
      .execute();
  }

  async steps(runId: number): Promise<StepRecord[]> {
    const rows = await this.#db
      .selectFrom("step_results")
      .selectAll()
      .where("run_id", "=", runId)
      .orderBy("seq")
      .execute();
    return rows.map((r) => ({
      stepId: r.step_id,
      seq: r.seq,
      status: r.status as StepStatus,
      input: parse(r.input),
      output: parse(r.output),
      error: r.error,
      attempts: r.attempts,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    }));
  }

  /** Records that a step is about to execute (before any side effect), counting attempts. */
  async startStep(runId: number, stepId: string, seq: number, input: unknown): Promise<void> {
    const now = isoNow();
    await this.#db
      .insertInto("step_results")
      .values({
        run_id: runId,
        step_id: stepId,
        seq,
        status: "running",
        input: json(input),
        attempts: 1,
        started_at: now,
      })
      .onConflict((oc) =>
        oc.columns(["run_id", "step_id"]).doUpdateSet((eb) => ({
          status: "running",
          input: json(input),
          error: null,
          finished_at: null,
          attempts: eb("step_results.attempts", "+", 1),
        })),
      )
      .execute();
  }

  /**
   * A step's final result. Without `row` it updates the row `startStep` wrote; with `row` it
   * writes the whole row in one statement — for a step that is harmless to repeat, which skips
   * the write before executing (a crash before this write just makes the resumed run repeat it).
   */
  async finishStep(
    runId: number,
    stepId: string,
    r: { status: Exclude<StepStatus, "running">; output?: unknown; error?: string | null },
    row?: { seq: number; input: unknown; attempts: number; startedAt: string },
  ): Promise<void> {
    const finished = [r.status, json(r.output), r.error ?? null, isoNow()];
    if (!row) {
      await SQL.stepResult.run(this.#db, [...finished, runId, stepId]);
      return;
    }
    await SQL.stepRow.run(this.#db, [
      runId,
      stepId,
      row.seq,
      json(row.input),
      row.attempts,
      row.startedAt,
      ...finished,
    ]);
  }

  /** Several writes of one run committed together (a run's last step and its end: one commit). */
  async atomically<T>(fn: (runs: RunStore) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute((trx) => fn(new RunStore(trx)));
  }

  /** Keeps a note on a running step (a delay's wake-up time) without finishing it. */
  async noteStep(runId: number, stepId: string, output: unknown): Promise<void> {
    await this.#db
      .updateTable("step_results")
      .set({ output: json(output) })
      .where("run_id", "=", runId)
      .where("step_id", "=", stepId)
      .execute();
  }

  /**
   * A new run with the same trigger payload. From the failed step: the steps that succeeded
   * before it are copied, so the runner continues where the original stopped. `workflowVersion`
   * replays on another version than the run's; `reuse` then says which steps may be copied (the
   * copy stops at the first that may not).
   */
  async replay(
    runId: number,
    options: { fromStart: boolean; workflowVersion?: number; reuse?: (stepId: string) => boolean },
  ): Promise<number> {
    const run = await this.find(runId);
    if (!run) throw new Error(`No run ${runId}.`);
    if (run.triggerPayload === null && run.finishedAt !== null)
      throw new Error(`Run ${runId} kept metadata only (its workflow stores no payloads), so it cannot be replayed.`);
    return this.#db.transaction().execute(async (trx) => {
      const id = await new RunStore(trx).enqueue({
        workflowId: run.workflowId,
        workflowVersion: options.workflowVersion ?? run.workflowVersion,
        triggerKey: run.trigger,
        eventKey: run.eventKey,
        payload: run.triggerPayload,
        replayOf: run.id,
      });
      if (!options.fromStart) {
        const steps = await trx
          .selectFrom("step_results")
          .selectAll()
          .where("run_id", "=", run.id)
          .orderBy("seq")
          .execute();
        for (const s of steps) {
          if (s.status !== "succeeded" && s.status !== "skipped") break;
          if (options.reuse && !options.reuse(s.step_id)) break;
          await trx
            .insertInto("step_results")
            .values({ ...s, run_id: id })
            .execute();
        }
      }
      return id;
    });
  }

  /** Drops the payloads of finished runs (metadata-only workflows when a run ends; purges on request). */
  async scrub(runIds: number | number[], reason: DataRemoved = "metadata-only"): Promise<void> {
    const ids = Array.isArray(runIds) ? runIds : [runIds];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await this.#db
        .updateTable("runs")
        .set({ trigger_payload: null, payload_bytes: 0, data_removed: reason })
        .where("id", "in", chunk)
        .execute();
      await this.#db
        .updateTable("step_results")
        .set({ input: null, output: null })
        .where("run_id", "in", chunk)
        .execute();
    }
  }

  /**
   * Deletes finished runs older than `before` (RUN_RETENTION_DAYS), and the webhook idempotency
   * keys received before then (a retry that late is a new post); returns how many runs.
   */
  async prune(before: string): Promise<number> {
    await this.#db
      .deleteFrom("seen_events")
      .where("connection_key", "=", WEBHOOK_SEEN)
      .where("event_time", "<", before)
      .execute();
    const old = this.#db
      .selectFrom("runs")
      .select("id")
      .where("finished_at", "is not", null)
      .where("finished_at", "<", before);
    await this.#db.deleteFrom("step_results").where("run_id", "in", old).execute();
    const res = await this.#db
      .deleteFrom("runs")
      .where("finished_at", "is not", null)
      .where("finished_at", "<", before)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** What one workflow holds now: runs waiting in the queue and bytes of trigger payloads kept. */
  async usage(workflowId: number): Promise<{ queued: number; storedBytes: number }> {
    const queued = await this.#db
      .selectFrom("runs")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("workflow_id", "=", workflowId)
      .where("status", "=", "queued")
      .executeTakeFirstOrThrow();
    const stored = await this.#db
      .selectFrom("runs")
      .select((eb) => eb.fn.coalesce(eb.fn.sum("payload_bytes"), eb.lit(0)).as("bytes"))
      .where("workflow_id", "=", workflowId)
      .executeTakeFirstOrThrow();
    return { queued: Number(queued.n), storedBytes: Number(stored.bytes) };
  }

  /** Bytes of trigger payloads kept per workflow (for /metrics). */
  async storageByWorkflow(): Promise<{ workflow: string; bytes: number; runs: number }[]> {
    const rows = await this.#db
      .selectFrom("runs")
      .innerJoin("workflows", "workflows.id", "runs.workflow_id")
      .select((eb) => [
        "workflows.name as workflow",
        eb.fn.coalesce(eb.fn.sum("runs.payload_bytes"), eb.lit(0)).as("bytes"),
        eb.fn.countAll().as("runs"),
      ])
      .groupBy("workflows.name")
      .execute();
    return rows.map((r) => ({ workflow: r.workflow, bytes: Number(r.bytes), runs: Number(r.runs) }));
  }

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
}
