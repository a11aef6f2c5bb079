/**
 * Migration 0010 on a database an earlier version left: webhook idempotency keys stored as their
 * value (an email) become keyed digests in seen_events and the runs' event keys — and a sender's
 * retry with the same key is still recognised afterwards — and each run's payload size is filled in.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openStore } from "../../src/store/index.ts";
import { oldDatabase } from "./old-database.ts";

const root = mkdtempSync(join(tmpdir(), "cf-privacy-migration-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("old webhook idempotency keys become digests, still recognise a retry, and payload sizes are filled in", async () => {
  const env = { DATABASE_URL: `sqlite:${join(root, "flow.db")}`, CLINIKO_FLOW_SECRET: "privacy-migration-secret" };
  const { old, now, workflowId } = await oldDatabase(env, "sqlite", "0007_trigger_cursor_settled", "Form");
  const payload = JSON.stringify({ body: { email: "jo.private@example.com", note: "é" } });
  const run = await old.db
    .insertInto("runs")
    .values({
      workflow_id: workflowId,
      workflow_version: 1,
      trigger_key: "webhook",
      event_key: "webhook#jo.private@example.com",
      status: "succeeded",
      trigger_payload: payload,
      created_at: now,
    } as never)
    .returning("id")
    .executeTakeFirstOrThrow();
  await old.db
    .insertInto("seen_events")
    .values({
      workflow_id: workflowId,
      event_key: "webhook#jo.private@example.com",
      event_time: now,
      connection_key: "webhook",
      poll_key: `workflow:${workflowId}`,
      created_at: now,
    })
    .execute();
  await old.close();

  const store = await openStore({ env });
  try {
    const db = store.database.db;
    const text = JSON.stringify([
      await db.selectFrom("seen_events").selectAll().execute(),
      await db.selectFrom("runs").select("event_key").execute(),
    ]);
    assert.ok(!text.includes("jo.private"), text);
    const retry = await store.polling.enqueueOnce({
      workflowId: workflowId,
      workflowVersion: 1,
      triggerKey: "webhook",
      eventKey: `webhook#${store.digest("jo.private@example.com")}`,
      eventTime: now,
      payload: {},
      connectionKey: "webhook",
      pollKey: `workflow:${workflowId}`,
    });
    assert.deepEqual(retry, { runId: run.id, duplicate: true }, "the retry is recognised by its digest");
    const row = await db.selectFrom("runs").select("payload_bytes").where("id", "=", run.id).executeTakeFirstOrThrow();
    assert.equal(row.payload_bytes, Buffer.byteLength(payload));
  } finally {
    await store.close();
  }
});
