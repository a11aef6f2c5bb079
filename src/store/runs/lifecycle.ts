/**
 * A run's life in the `runs` table: queued (or queued already claimed), parked by a delay, ended.
 * The writes a webhook run makes on its hot path are prepared statements (see statements.ts).
 */
import type { Kysely } from "kysely";
import type { Database } from "../schema.ts";
import { changed, Statement } from "../statements.ts";
import { isoNow } from "../time.ts";
import type { Lease } from "./claims.ts";
import { json, type NewRun, parse, type RunEnd, type RunRecord, type RunsDb } from "./records.ts";

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
  end: new Statement(`
    UPDATE runs SET status = ?, error = ?, error_details = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL
    WHERE id = ? AND lease_token = ? AND status = 'running'`),
};

/** A run to queue directly (schedule and webhook triggers, replays, `run --once`). */
export interface QueuedRun {
  workflowId: number;
  workflowVersion: number;
  triggerKey: string;
  eventKey: string;
  payload: unknown;
  replayOf?: number;
}

/** Creates a queued run; settles once committed, in a commit shared with the other runs queued meanwhile. */
export async function enqueue(runs: RunsDb, r: QueuedRun): Promise<number> {
  if (runs.group) return runs.group.run((trx) => enqueue({ db: trx }, r));
  const payload = json(r.payload ?? null);
  const { rows } = await SQL.enqueue.run(runs.db, [
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
export async function enqueueClaimed(runs: RunsDb, r: NewRun, owner: string, leaseMs: number): Promise<RunRecord> {
  if (runs.group) return runs.group.run((trx) => enqueueClaimed({ db: trx }, r, owner, leaseMs));
  const now = isoNow();
  const leaseUntil = isoNow(Date.now() + leaseMs);
  const payload = r.payload ?? null;
  const stored = json(payload);
  const { rows } = await SQL.enqueueClaimed.run(runs.db, [
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
    details: null,
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

/** How a run ended: its status, its error's one sentence and what the sentence leaves out. */
export interface RunEndRecord {
  status: RunEnd;
  error: string | null;
  details?: unknown;
}

/** Ends a run the lease still holds (its update names the token); false when the lease was lost. */
export async function endLeased(db: Kysely<Database>, lease: Lease, end: RunEndRecord): Promise<boolean> {
  const res = await SQL.end.run(db, [
    end.status,
    end.error,
    json(end.details ?? null),
    isoNow(),
    lease.runId,
    lease.token,
  ]);
  return changed(res) === 1;
}

/** Ends a run whatever its lease. */
export async function finish({ db }: RunsDb, runId: number, status: RunEnd, error: string | null): Promise<void> {
  await db
    .updateTable("runs")
    .set({ status, error, finished_at: isoNow(), lease_owner: null, lease_until: null })
    .where("id", "=", runId)
    .execute();
}

/** Parks a run (a `delay` step) until `notBefore`; any worker resumes it then. */
export async function park({ db }: RunsDb, runId: number, notBefore: string): Promise<void> {
  await db
    .updateTable("runs")
    .set({ status: "queued", not_before: notBefore, lease_owner: null, lease_until: null })
    .where("id", "=", runId)
    .execute();
}
