/**
 * The step journal: one `step_results` row per step a run executed, written before a step that
 * must not repeat is sent and finished after it, so a resumed run knows what already happened;
 * and replays, which copy the journal up to the step that failed.
 */
import { Statement } from "../statements.ts";
import { isoNow } from "../time.ts";
import { enqueue } from "./lifecycle.ts";
import { findRun, json, parse, type RunsDb, type StepRecord, type StepStatus } from "./records.ts";

const SQL = {
  stepRow: new Statement(`
    INSERT INTO step_results (run_id, step_id, seq, input, attempts, started_at, status, output, error, error_details,
      finished_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id, step_id) DO UPDATE SET status = excluded.status, output = excluded.output,
      error = excluded.error, error_details = excluded.error_details, finished_at = excluded.finished_at,
      input = excluded.input, attempts = excluded.attempts`),
  stepResult: new Statement(
    `UPDATE step_results SET status = ?, output = ?, error = ?, error_details = ?, finished_at = ?
    WHERE run_id = ? AND step_id = ?`,
  ),
};

export async function steps({ db }: RunsDb, runId: number): Promise<StepRecord[]> {
  const rows = await db.selectFrom("step_results").selectAll().where("run_id", "=", runId).orderBy("seq").execute();
  return rows.map((r) => ({
    stepId: r.step_id,
    seq: r.seq,
    status: r.status as StepStatus,
    input: parse(r.input),
    output: parse(r.output),
    error: r.error,
    details: parse(r.error_details),
    attempts: r.attempts,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  }));
}

/** Records that a step is about to execute (before any side effect), counting attempts. */
export async function startStep({ db }: RunsDb, runId: number, stepId: string, seq: number, input: unknown) {
  const now = isoNow();
  await db
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
        error_details: null,
        finished_at: null,
        attempts: eb("step_results.attempts", "+", 1),
      })),
    )
    .execute();
}

/** A step's final result (see `RunStore.finishStep`). */
export interface StepResult {
  status: Exclude<StepStatus, "running">;
  output?: unknown;
  error?: string | null;
  /** What the error's sentence leaves out (a 422's field list, a response body). */
  details?: unknown;
}

/**
 * A step's final result. Without `row` it updates the row `startStep` wrote; with `row` it
 * writes the whole row in one statement — for a step that is harmless to repeat, which skips
 * the write before executing (a crash before this write just makes the resumed run repeat it).
 */
export async function finishStep(
  { db }: RunsDb,
  runId: number,
  stepId: string,
  r: StepResult,
  row?: { seq: number; input: unknown; attempts: number; startedAt: string },
): Promise<void> {
  const finished = [r.status, json(r.output), r.error ?? null, json(r.details ?? null), isoNow()];
  if (!row) {
    await SQL.stepResult.run(db, [...finished, runId, stepId]);
    return;
  }
  await SQL.stepRow.run(db, [runId, stepId, row.seq, json(row.input), row.attempts, row.startedAt, ...finished]);
}

/** Keeps a note on a running step (a delay's wake-up time) without finishing it. */
export async function noteStep({ db }: RunsDb, runId: number, stepId: string, output: unknown): Promise<void> {
  await db
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
export async function replay(
  runs: RunsDb,
  runId: number,
  options: { fromStart: boolean; workflowVersion?: number; reuse?: (stepId: string) => boolean },
): Promise<number> {
  const run = await findRun(runs, runId);
  if (!run) throw new Error(`No run ${runId}.`);
  if (run.triggerPayload === null && run.finishedAt !== null)
    throw new Error(`Run ${runId} kept metadata only (its workflow stores no payloads), so it cannot be replayed.`);
  return runs.db.transaction().execute(async (trx) => {
    const id = await enqueue(
      { db: trx },
      {
        workflowId: run.workflowId,
        workflowVersion: options.workflowVersion ?? run.workflowVersion,
        triggerKey: run.trigger,
        eventKey: run.eventKey,
        payload: run.triggerPayload,
        replayOf: run.id,
      },
    );
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
