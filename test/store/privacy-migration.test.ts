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
import { openDatabase, parseDatabaseUrl } from "../../src/store/database.ts";
import { openStore } from "../../src/store/index.ts";
import { migrator } from "../../src/store/migrations/index.ts";

const root = mkdtempSync(join(tmpdir(), "cf-privacy-migration-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("old webhook idempotency keys become digests, still recognise a retry, and payload sizes are filled in", async () => {
  const env = { DATABASE_URL: `sqlite:${join(root, "flow.db")}`, CLINIKO_FLOW_SECRET: "privacy-migration-secret" };
  const old = await openDatabase(parseDatabaseUrl(env.DATABASE_URL, env), { migrate: false });
  assert.equal((await migrator(old.db as never, "sqlite").migrateTo("0007_trigger_cursor_settled")).error, undefined);
  const now = new Date().toISOString();
  const definition = JSON.stringify({ name: "Form", trigger: { key: "webhook" }, steps: [] });
  const w = await old.db
    .insertInto("workflows")
    .values({
      name: "Form",
      version: 1,
      definition,
      enabled: 1,
      metadata_only: 0,
      activated_at: now,
      backfill_from: null,
      paused_reason: null,
      created_at: now,
      updated_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const payload = JSON.stringify({ body: { email: "jo.private@example.com", note: "é" } });
  const run = await old.db
    .insertInto("runs")
    .values({
      workflow_id: w.id,
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
      workflow_id: w.id,
      event_key: "webhook#jo.private@example.com",
      event_time: now,
      connection_key: "webhook",
      poll_key: `workflow:${w.id}`,
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
      workflowId: w.id,
      workflowVersion: 1,
      triggerKey: "webhook",
      eventKey: `webhook#${store.digest("jo.private@example.com")}`,
      eventTime: now,
      payload: {},
      connectionKey: "webhook",
      pollKey: `workflow:${w.id}`,
    });
    assert.deepEqual(retry, { runId: run.id, duplicate: true }, "the retry is recognised by its digest");
    const row = await db.selectFrom("runs").select("payload_bytes").where("id", "=", run.id).executeTakeFirstOrThrow();
    assert.equal(row.payload_bytes, Buffer.byteLength(payload));
  } finally {
    await store.close();
  }
});
