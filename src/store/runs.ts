import type { Kysely, Selectable } from "kysely";
import type { Database, RunsTable } from "./schema.ts";

type RunsTableRow = Selectable<RunsTable>;

import { isoNow } from "./time.ts";

/** Every status a run can have; the HTTP API's schemas and the UI's types are built from this list. */
export const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "unknown"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const STEP_STATUSES = ["running", "succeeded", "failed", "skipped", "unknown"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface RunRecord {
  id: number;
  workflowId: number;
  workflow: string;
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
}

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

export interface RunFilter {
  workflowId?: number;
  status?: RunStatus;
  limit?: number;
}

export class RunStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  #select() {
    return this.#db
      .selectFrom("runs")
      .innerJoin("workflows", "workflows.id", "runs.workflow_id")
      .selectAll("runs")
      .select("workflows.name as workflow_name");
  }

  #fromRow(r: RunsTableRow & { workflow_name: string }): RunRecord {
    return {
      id: r.id,
      workflowId: r.workflow_id,
      workflow: r.workflow_name,
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
    };
  }

  /** Newest first. */
  async list(filter: RunFilter = {}): Promise<RunRecord[]> {
    let q = this.#select().orderBy("runs.id", "desc");
    if (filter.workflowId !== undefined) q = q.where("runs.workflow_id", "=", filter.workflowId);
    if (filter.status) q = q.where("runs.status", "=", filter.status);
    if (filter.limit) q = q.limit(filter.limit);
    return (await q.execute()).map((r) => this.#fromRow(r));
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
    const row = await this.#db
      .insertInto("runs")
      .values({
        workflow_id: r.workflowId,
        workflow_version: r.workflowVersion,
        trigger_key: r.triggerKey,
        event_key: r.eventKey,
        status: "queued",
        trigger_payload: json(r.payload ?? null),
        created_at: isoNow(),
        replay_of: r.replayOf ?? null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /**
   * Runs a worker could take: every `running` run (its lease may be stale; the caller decides)
   * and the oldest `limit` queued runs that are due. Two index walks in id order, so the cost does
   * not grow with the backlog (a backfill may queue thousands).
   */
  async candidates(options: { workflowIds?: number[]; limit?: number } = {}): Promise<RunRecord[]> {
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
    const rows = [...(await running.execute()), ...(await queued.execute())];
    return rows.map((r) => this.#fromRow(r));
  }

  /**
   * Takes a run for `owner` if it is still in the state the caller saw (compare-and-set), so two
   * workers — or `serve` and `run --once` — never execute the same run at once.
   */
  async claim(run: RunRecord, owner: string, leaseMs: number): Promise<boolean> {
    const now = isoNow();
    let q = this.#db
      .updateTable("runs")
      .set({
        status: "running",
        lease_owner: owner,
        lease_until: isoNow(Date.now() + leaseMs),
        started_at: run.startedAt ?? now,
        not_before: null,
      })
      .where("id", "=", run.id)
      .where("status", "=", run.status);
    q = run.leaseOwner === null ? q.where("lease_owner", "is", null) : q.where("lease_owner", "=", run.leaseOwner);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async heartbeat(runId: number, owner: string, leaseMs: number): Promise<void> {
    await this.#db
      .updateTable("runs")
      .set({ lease_until: isoNow(Date.now() + leaseMs) })
      .where("id", "=", runId)
      .where("lease_owner", "=", owner)
      .execute();
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
    const finished = { status: r.status, output: json(r.output), error: r.error ?? null, finished_at: isoNow() };
    if (!row) {
      await this.#db
        .updateTable("step_results")
        .set(finished)
        .where("run_id", "=", runId)
        .where("step_id", "=", stepId)
        .execute();
      return;
    }
    const input = json(row.input);
    await this.#db
      .insertInto("step_results")
      .values({
        run_id: runId,
        step_id: stepId,
        seq: row.seq,
        input,
        attempts: row.attempts,
        started_at: row.startedAt,
        ...finished,
      })
      .onConflict((oc) => oc.columns(["run_id", "step_id"]).doUpdateSet({ ...finished, input, attempts: row.attempts }))
      .execute();
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
   * before it are copied, so the runner continues where the original stopped.
   */
  async replay(runId: number, options: { fromStart: boolean }): Promise<number> {
    const run = await this.find(runId);
    if (!run) throw new Error(`No run ${runId}.`);
    if (run.triggerPayload === null && run.finishedAt !== null)
      throw new Error(`Run ${runId} kept metadata only (its workflow stores no payloads), so it cannot be replayed.`);
    return this.#db.transaction().execute(async (trx) => {
      const id = await new RunStore(trx).enqueue({
        workflowId: run.workflowId,
        workflowVersion: run.workflowVersion,
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
          await trx
            .insertInto("step_results")
            .values({ ...s, run_id: id })
            .execute();
        }
      }
      return id;
    });
  }

  /** Metadata-only workflows: drop the payloads once the run is over. */
  async scrub(runId: number): Promise<void> {
    await this.#db.updateTable("runs").set({ trigger_payload: null }).where("id", "=", runId).execute();
    await this.#db.updateTable("step_results").set({ input: null, output: null }).where("run_id", "=", runId).execute();
  }

  /** Deletes finished runs older than `before` (RUN_RETENTION_DAYS); returns how many. */
  async prune(before: string): Promise<number> {
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
