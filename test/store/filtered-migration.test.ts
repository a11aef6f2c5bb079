/**
 * Migration 0014 on a database an earlier version left: a run a filter stopped was stored as
 * `succeeded`; its journal tells it apart (its last step, outside a loop's item, answered
 * `{"passed":false}`), and it becomes `filtered`, on SQLite and PostgreSQL. Runs the journal does not
 * say that of stay as they were.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { openStore } from "../../src/store/index.ts";
import { postgresSkip, startPostgres } from "../support/postgres.ts";
import { oldDatabase } from "./old-database.ts";

const root = mkdtempSync(join(tmpdir(), "cf-filtered-migration-"));
after(() => rmSync(root, { recursive: true, force: true }));

for (const dialect of ["sqlite", "postgres"] as const)
  describe(`on ${dialect}`, { skip: dialect === "postgres" ? postgresSkip() : false }, () => {
    test("old runs a filter stopped become filtered; the others keep their status", async () => {
      const pg = dialect === "postgres" ? await startPostgres() : undefined;
      try {
        await migrateOld(pg ? pg.url : `sqlite:${join(root, "flow.db")}`, dialect);
      } finally {
        await pg?.stop();
      }
    });
  });

async function migrateOld(url: string, dialect: "sqlite" | "postgres") {
  const env = { DATABASE_URL: url, CLINIKO_FLOW_SECRET: "filtered-migration-secret" };
  const { old, now, workflowId } = await oldDatabase(env, dialect, "0013_due_attendees", "Old");
  const stopped = JSON.stringify({ passed: false });
  const passed = JSON.stringify({ passed: true });
  /** A run of `status` with its step rows in order: [step id, output]. */
  const run = async (status: string, steps: [string, string | null][]) => {
    const { id } = await old.db
      .insertInto("runs")
      .values({
        workflow_id: workflowId,
        workflow_version: 1,
        trigger_key: "webhook",
        event_key: `e${Math.random()}`,
        status,
        trigger_payload: "{}",
        created_at: now,
        finished_at: now,
      } as never)
      .returning("id")
      .executeTakeFirstOrThrow();
    for (const [seq, [stepId, output]] of steps.entries())
      await old.db
        .insertInto("step_results")
        .values({
          run_id: id,
          step_id: stepId,
          seq,
          status: "succeeded",
          input: "{}",
          output,
          attempts: 1,
          started_at: now,
          finished_at: now,
        } as never)
        .execute();
    return id;
  };
  const filtered = await run("succeeded", [
    ["fetch", "{}"],
    ["only_vips", stopped],
  ]);
  const went_on = await run("succeeded", [
    ["only_vips", passed],
    ["send", "{}"],
  ]);
  // A filter inside a loop's item ends that item only: the run went on and succeeded.
  const item = await run("succeeded", [
    ["loop", "{}"],
    ["loop[0].keep", stopped],
  ]);
  const failed = await run("failed", [["only_vips", stopped]]);
  // Metadata only: no outputs left, so the journal cannot tell.
  const scrubbed = await run("succeeded", [["only_vips", null]]);
  await old.close();

  const store = await openStore({ env });
  try {
    const status = async (id: number) => (await store.runs.find(id))!.status;
    assert.equal(await status(filtered), "filtered");
    assert.equal(await status(went_on), "succeeded");
    assert.equal(await status(item), "succeeded");
    assert.equal(await status(failed), "failed");
    assert.equal(await status(scrubbed), "succeeded");
    assert.deepEqual(await store.runs.counts(workflowId), { filtered: 1, succeeded: 3, failed: 1 });
    assert.equal((await store.runs.find(filtered))!.details, null);
  } finally {
    await store.close();
  }
}
