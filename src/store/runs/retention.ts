/**
 * What runs keep and for how long: payloads dropped when a metadata-only run ends or on request,
 * runs erased on request, finished runs pruned after RUN_RETENTION_DAYS, and the bytes kept.
 */
import type { DataRemoved, RunsDb } from "./records.ts";

/**
 * The `connection_key` of seen keys that come from webhook posts' idempotency keys, not from a
 * poll: no poll prunes them, so the runs' retention does (`prune`).
 */
export const WEBHOOK_SEEN = "webhook";

/** Deletes runs with their step records (erasure on request); returns how many. */
export async function remove({ db }: RunsDb, runIds: number[]): Promise<number> {
  let removed = 0;
  for (let i = 0; i < runIds.length; i += 500) {
    const chunk = runIds.slice(i, i + 500);
    await db.deleteFrom("step_results").where("run_id", "in", chunk).execute();
    const res = await db.deleteFrom("runs").where("id", "in", chunk).executeTakeFirst();
    removed += Number(res.numDeletedRows);
  }
  return removed;
}

/**
 * Drops the payloads of finished runs (metadata-only workflows when a run ends; purges on request),
 * and their errors' details with them: a 422's detail echoes the patient data that was sent.
 */
export async function scrub({ db }: RunsDb, runIds: number | number[], reason: DataRemoved): Promise<void> {
  const ids = Array.isArray(runIds) ? runIds : [runIds];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await db
      .updateTable("runs")
      .set({ trigger_payload: null, payload_bytes: 0, data_removed: reason, error_details: null })
      .where("id", "in", chunk)
      .execute();
    await db
      .updateTable("step_results")
      .set({ input: null, output: null, error_details: null })
      .where("run_id", "in", chunk)
      .execute();
  }
}

/**
 * Deletes finished runs older than `before` (RUN_RETENTION_DAYS), and the webhook idempotency
 * keys received before then (a retry that late is a new post); returns how many runs.
 */
export async function prune({ db }: RunsDb, before: string): Promise<number> {
  await db
    .deleteFrom("seen_events")
    .where("connection_key", "=", WEBHOOK_SEEN)
    .where("event_time", "<", before)
    .execute();
  const old = db.selectFrom("runs").select("id").where("finished_at", "is not", null).where("finished_at", "<", before);
  await db.deleteFrom("step_results").where("run_id", "in", old).execute();
  const res = await db
    .deleteFrom("runs")
    .where("finished_at", "is not", null)
    .where("finished_at", "<", before)
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** What one workflow holds now: runs waiting in the queue and bytes of trigger payloads kept. */
export async function usage({ db }: RunsDb, workflowId: number): Promise<{ queued: number; storedBytes: number }> {
  const queued = await db
    .selectFrom("runs")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("workflow_id", "=", workflowId)
    .where("status", "=", "queued")
    .executeTakeFirstOrThrow();
  const stored = await db
    .selectFrom("runs")
    .select((eb) => eb.fn.coalesce(eb.fn.sum("payload_bytes"), eb.lit(0)).as("bytes"))
    .where("workflow_id", "=", workflowId)
    .executeTakeFirstOrThrow();
  return { queued: Number(queued.n), storedBytes: Number(stored.bytes) };
}

/** Bytes of trigger payloads kept per workflow (for /metrics). */
export async function storageByWorkflow({ db }: RunsDb): Promise<{ workflow: string; bytes: number; runs: number }[]> {
  const rows = await db
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
