/**
 * Which worker runs a run: the runs a worker could take, the claim (compare-and-set, with a fencing
 * token), the lease it renews while running, and the quarantine of a run that keeps killing its
 * worker.
 */
import { sql, type UpdateQueryBuilder, type UpdateResult } from "kysely";
import type { Database } from "../schema.ts";
import { changed, Statement } from "../statements.ts";
import { isoNow } from "../time.ts";
import { type JoinedRow, type RunRecord, type RunsDb, runFromRow, selectRuns } from "./records.ts";

type RunsUpdate = UpdateQueryBuilder<Database, "runs", "runs", UpdateResult>;

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

/** The hot path's statements (see statements.ts). */
const SQL = {
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
};

/**
 * Runs a worker could take: every `running` run (its lease may be stale; the caller decides)
 * and the oldest `limit` queued runs that are due; `running: false` leaves the running ones out.
 * Two index walks in id order, so the cost does not grow with the backlog (a backfill may queue
 * thousands).
 */
export async function candidates(
  { db }: RunsDb,
  options: { workflowIds?: number[]; runIds?: number[]; limit?: number; running?: boolean } = {},
): Promise<RunRecord[]> {
  const now = isoNow();
  let running = selectRuns(db).where("runs.status", "=", "running").orderBy("runs.id").limit(200);
  let queued = selectRuns(db)
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
  return rows.map(runFromRow);
}

/**
 * The workflows that have queued runs (due or parked), in id order. A skip scan of the
 * (status, workflow_id) index: one probe per workflow, so a workflow with thousands of queued
 * runs costs what one with a single run does.
 */
export async function queuedWorkflows({ db }: RunsDb, workflowIds?: number[]): Promise<number[]> {
  if (!workflowIds) return (await SQL.queuedWorkflows.run(db, [MAX_FAIR_WORKFLOWS])).rows.map((r) => Number(r.id));
  const only = sql` AND workflow_id IN (${sql.join(workflowIds.length ? workflowIds : [-1])})`;
  const { rows } = await sql<{ id: number | null }>`
    WITH RECURSIVE wf(id, n) AS (
      SELECT (SELECT MIN(workflow_id) FROM runs WHERE status = 'queued'${only}), 0
      UNION ALL
      SELECT (SELECT MIN(workflow_id) FROM runs WHERE status = 'queued' AND workflow_id > wf.id${only}), wf.n + 1
      FROM wf WHERE wf.id IS NOT NULL AND wf.n < ${MAX_FAIR_WORKFLOWS}
    )
    SELECT id FROM wf WHERE id IS NOT NULL`.execute(db);
  return rows.map((r) => Number(r.id));
}

/** The oldest `limit` queued runs of one workflow that are due now (oldest first). */
export async function queuedOf({ db }: RunsDb, workflowId: number, limit: number): Promise<RunRecord[]> {
  const { rows } = await SQL.queuedOf.run(db, [workflowId, isoNow(), limit]);
  return rows.map(runFromRow);
}

/** Runs in flight per workflow, across every worker (`running` rows, whatever their lease). */
export async function runningCounts({ db }: RunsDb): Promise<Map<number, number>> {
  const rows = await db
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
export async function sweepable({ db }: RunsDb, limit = 1000): Promise<{ id: number; notBefore: string | null }[]> {
  const now = isoNow();
  const rows = await db
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
 * run (`failed`; `unknown` when a step was in flight, which becomes `unknown` too) instead, so a
 * run that kills its worker cannot kill every worker in turn. Returns the lease the claim holds
 * (its new token), or undefined when `owner` did not get the run.
 */
export async function claimLease(
  runs: RunsDb,
  run: RunRecord,
  owner: string,
  leaseMs: number,
): Promise<Lease | undefined> {
  const now = isoNow();
  const takeover = run.status === "running";
  const interruptions = run.interruptions + (takeover ? 1 : 0);
  if (interruptions >= MAX_INTERRUPTIONS) {
    await quarantine(runs, run, interruptions);
    return undefined;
  }
  if (runs.group) return runs.group.run((trx) => claimLease({ db: trx }, run, owner, leaseMs));
  const set = [owner, isoNow(Date.now() + leaseMs), interruptions, run.startedAt ?? now];
  const seen = [run.id, run.status, run.leaseToken];
  const { rows } =
    run.leaseUntil === null
      ? await SQL.claimUnleased.run(runs.db, [...set, ...seen])
      : await SQL.claimLeased.run(runs.db, [...set, ...seen, run.leaseUntil]);
  const row = rows[0];
  return row ? { runId: run.id, token: Number(row.lease_token), leaseMs } : undefined;
}

/** Narrows an update of `run` to the row state the caller saw. */
function asSeen(q: RunsUpdate, run: RunRecord): RunsUpdate {
  const seen = q.where("id", "=", run.id).where("status", "=", run.status).where("lease_token", "=", run.leaseToken);
  return run.leaseUntil === null
    ? seen.where("lease_until", "is", null)
    : seen.where("lease_until", "=", run.leaseUntil);
}

async function quarantine({ db }: RunsDb, run: RunRecord, interruptions: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const res = await asSeen(
      trx.updateTable("runs").set({
        status: "failed",
        error: INTERRUPTED_TWICE,
        finished_at: isoNow(),
        lease_owner: null,
        lease_until: null,
        interruptions,
      }),
      run,
    ).executeTakeFirst();
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
export async function lease({ db }: RunsDb, runId: number, owner: string, leaseMs: number): Promise<Lease | undefined> {
  const row = await db
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
export async function heartbeat({ db }: RunsDb, lease: Lease): Promise<boolean> {
  const res = await SQL.heartbeat.run(db, [isoNow(Date.now() + lease.leaseMs), lease.runId, lease.token]);
  return changed(res) === 1;
}
